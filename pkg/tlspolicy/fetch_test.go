package tlspolicy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmx: *.backup.example.com\r\nmax_age: 86400\r\n"

// policyServers serves handler over HTTPS on 127.0.0.1 and [::1] with a
// certificate for mta-sts.example.com, and a Fetcher whose dialer sends
// each address's port-443 connection to its server.
type policyServers struct {
	fetcher *Fetcher
	v4, v6  netip.Addr
}

func serve(t *testing.T, cert tls.Certificate, h4, h6 http.Handler) policyServers {
	t.Helper()
	route := map[string]string{}
	ps := policyServers{v4: netip.MustParseAddr("127.0.0.1"), v6: netip.MustParseAddr("::1")}
	for _, c := range []struct {
		listen string
		ip     netip.Addr
		h      http.Handler
	}{{"127.0.0.1:0", ps.v4, h4}, {"[::1]:0", ps.v6, h6}} {
		ln, err := net.Listen("tcp", c.listen)
		if err != nil {
			if c.ip.Is6() {
				t.Skip("IPv6 loopback (::1) is not available on this host")
			}
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(c.h)
		srv.Listener.Close()
		srv.Listener = ln
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		route[net.JoinHostPort(c.ip.String(), "443")] = ln.Addr().String()
	}
	ps.fetcher = &Fetcher{
		Dialer:         routeDialer(route),
		RootCAs:        smtptest.CertPool(&cert),
		ConnectTimeout: time.Second,
		CommandTimeout: time.Second,
	}
	return ps
}

// routeDialer connects to the test server standing in for an address, and
// refuses the others.
type routeDialer map[string]string

func (r routeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	to, ok := r[address]
	if !ok {
		to = "127.0.0.1:1" // nothing listens on port 1: connection refused
	}
	var d net.Dialer
	return d.DialContext(ctx, network, to)
}

func policyCert(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	c, err := smtptest.NewCert(time.Now().Add(time.Hour), names...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func text(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" || r.Host != "mta-sts.example.com" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(body))
	})
}

func TestFetchOverEachFamilyGetsTheSamePolicy(t *testing.T) {
	ps := serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), text(goodPolicy))
	for _, ip := range []netip.Addr{ps.v4, ps.v6} {
		f := ps.fetcher.Fetch(context.Background(), "mta-sts.example.com", ip)
		if f.Status != FetchOK || f.HTTPStatus != 200 || f.Family != map[bool]string{true: "ipv4", false: "ipv6"}[ip.Is4()] || f.policy == nil || f.policy.Mode != ModeEnforce {
			t.Errorf("%s: %+v, want ok with the enforce policy", ip, f)
		}
	}
}

func TestFetchReportsEveryHostileServerAsATypedStatus(t *testing.T) {
	drip := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		for {
			if _, err := w.Write([]byte("v")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	huge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		chunk := []byte(strings.Repeat("mx: a.example.com\n", 1000))
		for n := 0; n < 10<<20; n += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	cases := []struct {
		name string
		h    http.Handler
		want string
	}{
		{"10 MB body", huge, FetchTooLarge},
		{"a server that drips bytes", drip, FetchTimeout},
		{"redirect", http.RedirectHandler("https://elsewhere.example/policy", http.StatusMovedPermanently), FetchRedirect},
		{"wrong content type", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(goodPolicy))
		}), FetchBadContentType},
		{"not found", http.NotFoundHandler(), FetchHTTPStatus},
		{"not a policy", text("<html>hello</html>\n"), FetchBadPolicy},
	}
	for _, c := range cases {
		ps := serve(t, policyCert(t, "mta-sts.example.com"), c.h, c.h)
		start := time.Now()
		f := ps.fetcher.Fetch(context.Background(), "mta-sts.example.com", ps.v6)
		if f.Status != c.want || f.Error == "" {
			t.Errorf("%s: %+v, want %s with an error", c.name, f, c.want)
		}
		if elapsed := time.Since(start); elapsed > 3*time.Second {
			t.Errorf("%s: took %v, want the command timeout (1s) to bound it", c.name, elapsed)
		}
	}
}

func TestFetchChecksTheCertificateForThePolicyHost(t *testing.T) {
	ps := serve(t, policyCert(t, "www.example.com"), text(goodPolicy), text(goodPolicy))
	f := ps.fetcher.Fetch(context.Background(), "mta-sts.example.com", ps.v4)
	if f.Status != FetchTLSError || !strings.Contains(f.Error, "mta-sts.example.com") {
		t.Fatalf("%+v, want tls_error naming the policy host", f)
	}
}

func TestFetchUnreachableAndConnectTimeout(t *testing.T) {
	ps := serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), text(goodPolicy))
	if f := ps.fetcher.Fetch(context.Background(), "mta-sts.example.com", netip.MustParseAddr("192.0.2.1")); f.Status != FetchUnreachable {
		t.Errorf("refused: %+v, want unreachable", f)
	}
	blackhole := &Fetcher{Dialer: hangDialer{}, ConnectTimeout: 100 * time.Millisecond}
	start := time.Now()
	if f := blackhole.Fetch(context.Background(), "mta-sts.example.com", netip.MustParseAddr("2001:db8::1")); f.Status != FetchTimeout || f.Family != "ipv6" {
		t.Errorf("blackhole: %+v, want timeout", f)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("a blackholed address took %v, want one connect timeout", elapsed)
	}
}

// hangDialer never connects: a blackholed address.
type hangDialer struct{}

func (hangDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestCheckMTASTSComparesTheFamiliesAndCoversTheMX(t *testing.T) {
	r := &dnsq.Mock{TXT: map[string][]string{"_mta-sts.example.com.": {"v=spf1 -all", "v=STSv1; id=20240101T000000;"}}}
	ps := serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), text(goodPolicy))
	ctx := context.Background()
	m := CheckMTASTS(ctx, r, ps.fetcher, "example.com", []netip.Addr{ps.v4, ps.v6}, []string{"mx.example.com.", "b1.backup.example.com.", "x.y.backup.example.com."})
	if m.Status != STSOK || m.ID != "20240101T000000" || m.Mode != ModeEnforce || m.MaxAge != 86400 || len(m.Fetch) != 2 {
		t.Fatalf("%+v, want ok with the enforce policy fetched twice", m)
	}
	if m.MXCovered || len(m.MXUncovered) != 1 || m.MXUncovered[0] != "x.y.backup.example.com" {
		t.Errorf("covered %v, uncovered %v; want only x.y.backup.example.com uncovered", m.MXCovered, m.MXUncovered)
	}

	// IPv6 serves another policy, then nothing.
	ps = serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), text(strings.Replace(goodPolicy, "enforce", "testing", 1)))
	if m := CheckMTASTS(ctx, r, ps.fetcher, "example.com", []netip.Addr{ps.v4, ps.v6}, nil); m.Status != STSInconsistent || !strings.Contains(m.Error, "::1") {
		t.Errorf("%+v, want inconsistent naming the IPv6 address", m)
	}
	ps = serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), http.NotFoundHandler())
	m = CheckMTASTS(ctx, r, ps.fetcher, "example.com", []netip.Addr{ps.v4, ps.v6}, []string{"mx.example.com"})
	if m.Status != STSOK || m.Fetch[0].Status != FetchOK || m.Fetch[1].Status != FetchHTTPStatus || !m.MXCovered {
		t.Errorf("%+v, want ok over IPv4 with the IPv6 fetch failing", m)
	}
}

func TestCheckMTASTSStatusesOfTheTXTRecord(t *testing.T) {
	ps := serve(t, policyCert(t, "mta-sts.example.com"), text(goodPolicy), text(goodPolicy))
	none := serve(t, policyCert(t, "mta-sts.example.com"), http.NotFoundHandler(), http.NotFoundHandler())
	cases := []struct {
		name string
		txt  []string
		fail dnsq.Status
		ps   policyServers
		want string
	}{
		{"no record, no policy", nil, "", none, STSNone},
		{"policy without record", nil, "", ps, STSPolicyNoTXT},
		{"record without policy", []string{"v=STSv1; id=1"}, "", none, STSNoPolicy},
		{"two records", []string{"v=STSv1; id=1", "v=STSv1; id=2"}, "", ps, STSInvalidTXT},
		{"record without id", []string{"v=STSv1;"}, "", ps, STSInvalidTXT},
		{"lookup failure", nil, dnsq.StatusServFail, ps, STSLookupError},
	}
	for _, c := range cases {
		r := &dnsq.Mock{TXT: map[string][]string{}, A: map[string][]netip.Addr{"_mta-sts.example.com.": nil}}
		if c.txt != nil {
			r.TXT["_mta-sts.example.com."] = c.txt
		}
		if c.fail != "" {
			r.Fail = map[string]dnsq.Status{"TXT _mta-sts.example.com.": c.fail}
		}
		m := CheckMTASTS(context.Background(), r, c.ps.fetcher, "example.com", []netip.Addr{c.ps.v4, c.ps.v6}, nil)
		if m.Status != c.want {
			t.Errorf("%s: %+v, want %s", c.name, m, c.want)
		}
	}
}

func TestCheckMXCertificateUnderAnEnforcePolicy(t *testing.T) {
	p, err := ParsePolicy(goodPolicy)
	if err != nil {
		t.Fatal(err)
	}
	good := policyCert(t, "mx.example.com")
	wrong := policyCert(t, "other.example.com")
	roots := smtptest.CertPool(&good, &wrong)
	now := time.Now()
	if s := CheckMXCertificate(p, "mx.example.com.", []*x509.Certificate{good.Leaf}, roots, now); s.Status != "pass" {
		t.Errorf("good: %+v", s)
	}
	if s := CheckMXCertificate(p, "mx.example.com", []*x509.Certificate{wrong.Leaf}, roots, now); s.Status != "fail" || !strings.Contains(s.Error, "PKIX") {
		t.Errorf("wrong name: %+v, want fail", s)
	}
	if s := CheckMXCertificate(p, "mx.other.test", []*x509.Certificate{good.Leaf}, roots, now); s.Status != "fail" {
		t.Errorf("uncovered MX: %+v, want fail", s)
	}
	if s := CheckMXCertificate(p, "mx.example.com", nil, roots, now); s.Status != "not_judged" {
		t.Errorf("no TLS: %+v, want not_judged", s)
	}
}

func TestFetchEndsAtTheCallersDeadline(t *testing.T) {
	stall := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ps := serve(t, policyCert(t, "mta-sts.example.com"), stall, stall)
	ps.fetcher.CommandTimeout = 20 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	f := ps.fetcher.Fetch(ctx, "mta-sts.example.com", ps.v4)
	if f.Status != FetchTimeout || time.Since(start) > 2*time.Second {
		t.Fatalf("%+v after %v, want timeout at the 200ms deadline", f, time.Since(start))
	}
}

func TestCheckMTASTSFetchesManyBlackholedAddressesInBoundedTime(t *testing.T) {
	var addrs []netip.Addr
	for i := 1; i <= 20; i++ {
		addrs = append(addrs, netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	r := &dnsq.Mock{TXT: map[string][]string{"_mta-sts.example.com.": {"v=STSv1; id=1"}}}
	start := time.Now()
	m := CheckMTASTS(context.Background(), r, &Fetcher{Dialer: hangDialer{}, ConnectTimeout: 100 * time.Millisecond}, "example.com", addrs, nil)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %v, want about three connect timeouts (20 addresses, 8 at a time)", elapsed)
	}
	if m.Status != STSNoPolicy || len(m.Fetch) != 20 || m.Fetch[19].Status != FetchTimeout || m.Fetch[19].IP != "192.0.2.20" {
		t.Errorf("%+v, want no_policy with 20 timeouts in address order", m)
	}
}
