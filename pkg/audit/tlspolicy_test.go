package audit

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	ipfam "github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// tlsDomain is example.test in a signed zone behind a validating
// resolver: one MX host on 127.0.0.1 and ::1, each listener with its own
// certificate, and the TLSA record of the IPv4 listener's key.
type tlsDomain struct {
	mock     *dnsq.Mock
	port     int
	v4, v6   tls.Certificate
	policy   *httptest.Server // MTA-STS policy host, on 127.0.0.1 only
	policyCA tls.Certificate
}

// newTLSDomain starts the domain; tweak, when given, changes the two
// listeners' scripts.
func newTLSDomain(t *testing.T, policy string, tweak ...func(v4, v6 *smtptest.Script)) *tlsDomain {
	t.Helper()
	year := time.Now().Add(365 * 24 * time.Hour)
	d := &tlsDomain{}
	var err error
	if d.v4, err = smtptest.NewCert(year, "mx.example.test"); err != nil {
		t.Fatal(err)
	}
	if d.v6, err = smtptest.NewCert(year, "mx.example.test"); err != nil {
		t.Fatal(err)
	}
	sc4, sc6 := smtptest.Script{BannerName: "mx.example.test", Cert: &d.v4}, smtptest.Script{BannerName: "mx.example.test", Cert: &d.v6}
	for _, f := range tweak {
		f(&sc4, &sc6)
	}
	s4, s6, err := smtptest.StartPair(sc4, sc6)
	if errors.Is(err, smtptest.ErrNoIPv6) {
		t.Skip("no IPv6 loopback")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s4.Close(); s6.Close() })
	d.port = int(s4.Addr().Port())
	spki := sha256.Sum256(d.v4.Leaf.RawSubjectPublicKeyInfo)
	d.mock = &dnsq.Mock{
		MX:     map[string][]dnsq.MX{"example.test.": {{Preference: 10, Host: "mx.example.test."}}},
		A:      map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("127.0.0.1")}, "mta-sts.example.test.": {netip.MustParseAddr("127.0.0.1")}},
		AAAA:   map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("::1")}, "mta-sts.example.test.": {netip.MustParseAddr("::1")}},
		TLSA:   map[string][]dnsq.TLSA{fmt.Sprintf("_%d._tcp.mx.example.test.", d.port): {{Usage: 3, Selector: 1, MatchingType: 1, Data: spki[:]}}},
		TXT:    map[string][]string{},
		NS:     map[string][]string{".": {"a.root-servers.net."}},
		Secure: []string{"."},
	}
	if policy != "" {
		if d.policyCA, err = smtptest.NewCert(year, "mta-sts.example.test"); err != nil {
			t.Fatal(err)
		}
		d.policy = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, policy)
		}))
		d.policy.TLS = &tls.Config{Certificates: []tls.Certificate{d.policyCA}}
		d.policy.StartTLS()
		t.Cleanup(d.policy.Close)
		d.mock.TXT["_mta-sts.example.test."] = []string{"v=STSv1; id=20260101"}
	}
	return d
}

func (d *tlsDomain) check(t *testing.T, req CheckRequest) *document.Check {
	t.Helper()
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return d.mock, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6, &d.policyCA),
		IPv4:     true, IPv6: true, Timeout: 10 * time.Second, Sandbox: true,
	}
	if d.policy != nil {
		c.HTTPSPort = int(netip.MustParseAddrPort(d.policy.Listener.Addr().String()).Port())
	}
	req.SMTP.Port, req.SMTP.ConnectTimeout, req.SMTP.CommandTimeout = d.port, 2*time.Second, 2*time.Second
	rep, err := c.Check(context.Background(), "example.test", req)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingsWith(rep *document.Check, code string) []report.Finding {
	var out []report.Finding
	for _, f := range rep.Findings {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

func TestCheckReportsDANEPassingOverIPv4AndFailingOverIPv6WithTheRecordToPublish(t *testing.T) {
	d := newTLSDomain(t, "")
	rep := d.check(t, CheckRequest{})

	if rep.DANE == nil || !rep.DANE.Validation.Validates || len(rep.DANE.TLSA) != 1 || rep.DANE.TLSA[0].Status != tlspolicy.DANEPass {
		t.Fatalf("dane = %+v: want a validating resolver and usable TLSA records", rep.DANE)
	}
	verdict := map[string]*tlspolicy.DANE{}
	for _, p := range rep.Probes {
		verdict[p.Family] = p.DANE
		if p.Chain != nil {
			t.Errorf("%s: the chain is still held after the verdict", p.IP)
		}
	}
	if v := verdict["ipv4"]; v == nil || v.Status != tlspolicy.DANEPass || v.Matched == nil || v.Matched.Fields() != "3 1 1" {
		t.Errorf("IPv4 verdict %+v, want pass by the 3 1 1 record", v)
	}
	want := tlspolicy.PublishRecord(d.port, "mx.example.test", d.v6.Leaf)
	if v := verdict["ipv6"]; v == nil || v.Status != tlspolicy.DANEFail || v.Publish != want {
		t.Errorf("IPv6 verdict %+v, want fail with %q to publish", v, want)
	}
	fs := findingsWith(rep, report.CodeDANEFamilyFails)
	if len(fs) != 1 || fs[0].Subject != "::1" || !strings.Contains(fs[0].Fix, want) {
		t.Errorf("MC702 findings %+v: want one about ::1 whose fix publishes the IPv6 key", fs)
	}
	if len(findingsWith(rep, report.CodeDANEFails)) != 0 {
		t.Error("MC703 reported beside MC702 for the same address")
	}
	if len(findingsWith(rep, report.CodeDANENoRollover)) != 1 {
		t.Errorf("one 3 1 1 record and no trust anchor: want MC706, got %v", rep.Findings)
	}
}

func TestCheckReportsAnAddressWithoutSTARTTLSWhereTLSAExists(t *testing.T) {
	d := newTLSDomain(t, "", func(_, v6 *smtptest.Script) { v6.NoTLS = true })
	rep := d.check(t, CheckRequest{})
	fs := findingsWith(rep, report.CodeDANENoSTARTTLS)
	if len(fs) != 1 || fs[0].Subject != "::1" || !strings.Contains(fs[0].Message, "TLS is required, but was not offered by host") {
		t.Errorf("MC704 %+v: want one about ::1 with Postfix's reason for deferring", fs)
	}
	for _, p := range rep.Probes {
		if p.Family == "ipv6" && (p.DANE == nil || p.DANE.Status != tlspolicy.DANENoSTARTTLS) {
			t.Errorf("IPv6 verdict %+v, want no_starttls", p.DANE)
		}
	}
}

func TestCheckLeavesDANENotJudgedWhenTheResolverDoesNotValidate(t *testing.T) {
	d := newTLSDomain(t, "")
	d.mock.Secure = nil
	rep := d.check(t, CheckRequest{})
	for _, p := range rep.Probes {
		if p.DANE == nil || p.DANE.Status != tlspolicy.DANENotJudged {
			t.Errorf("%s: dane %+v, want not_judged", p.IP, p.DANE)
		}
	}
	if fs := findingsWith(rep, report.CodeResolverNotValidates); len(fs) != 1 || !strings.Contains(fs[0].Fix, "--resolver") {
		t.Errorf("MC708 %+v: want one finding pointing at --resolver", fs)
	}
	if len(findingsWith(rep, report.CodeDANEFamilyFails)) != 0 {
		t.Error("DANE judged without a validating resolver")
	}
}

func TestCheckWithoutSTARTTLSLeavesDANENotJudged(t *testing.T) {
	d := newTLSDomain(t, "")
	rep := d.check(t, CheckRequest{SMTP: smtpprobe.Options{NoStartTLS: true}})
	if len(rep.Probes) != 2 {
		t.Fatalf("%d probes, want one per family", len(rep.Probes))
	}
	for _, p := range rep.Probes {
		if p.DANE == nil || p.DANE.Status != tlspolicy.DANENotJudged {
			t.Errorf("%s: dane %+v, want not_judged under --no-starttls", p.IP, p.DANE)
		}
	}
	for _, code := range []string{report.CodeDANEFamilyFails, report.CodeDANEFails, report.CodeDANENoSTARTTLS} {
		if len(findingsWith(rep, code)) != 0 {
			t.Errorf("%s reported under --no-starttls", code)
		}
	}
}

func TestCheckReportsAnMTASTSPolicyUnreachableOverIPv6AndAnUncoveredMX(t *testing.T) {
	d := newTLSDomain(t, "version: STSv1\nmode: enforce\nmx: other.example.test\nmax_age: 86400\n")
	d.mock.TXT["_smtp._tls.example.test."] = []string{"v=TLSRPTv1; rua=ftp://reports.example.test"}
	rep := d.check(t, CheckRequest{})

	m := rep.MTASTS
	if m == nil || m.Mode != tlspolicy.ModeEnforce || m.MXCovered || len(m.MXUncovered) != 1 || m.MXUncovered[0] != "mx.example.test" {
		t.Fatalf("mta_sts = %+v: want an enforce policy that does not cover mx.example.test", m)
	}
	byFamily := map[string]string{}
	for _, f := range m.Fetch {
		byFamily[f.Family] = f.Status
	}
	if byFamily["ipv4"] != tlspolicy.FetchOK || byFamily["ipv6"] != tlspolicy.FetchUnreachable {
		t.Errorf("fetches %+v: want ok over IPv4, unreachable over IPv6", m.Fetch)
	}
	if fs := findingsWith(rep, report.CodeSTSFamilyEnforce); len(fs) != 1 || fs[0].Subject != "::1" {
		t.Errorf("MC712 %+v: want one about ::1", fs)
	}
	if fs := findingsWith(rep, report.CodeSTSUncoveredEnforce); len(fs) != 1 || !strings.Contains(fs[0].Fix, "`mx: mx.example.test`") {
		t.Errorf("MC717 %+v: want the mx line to add", fs)
	}
	// The certificate is judged only for covered hosts: MC717 says it.
	if len(findingsWith(rep, report.CodeSTSCertEnforce)) != 0 {
		t.Error("MC719 reported for a host the policy does not cover")
	}
	if rep.TLSRPT == nil || rep.TLSRPT.Status != tlspolicy.RPTInvalid || len(findingsWith(rep, report.CodeTLSRPTInvalid)) != 1 {
		t.Errorf("tls_rpt %+v: want invalid and MC720", rep.TLSRPT)
	}
}

func TestCheckReportsAnEnforcedMXCertificateThatDoesNotNameTheMX(t *testing.T) {
	d := newTLSDomain(t, "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n")
	year := time.Now().Add(365 * 24 * time.Hour)
	wrong, err := smtptest.NewCert(year, "other.example.test")
	if err != nil {
		t.Fatal(err)
	}
	// The IPv4 listener presents a certificate for another name (and
	// another key: the TLSA record still names the first IPv4 key, so
	// DANE fails there too; MTA-STS is what this test judges).
	s4, s6, err := smtptest.StartPair(smtptest.Script{Cert: &wrong}, smtptest.Script{Cert: &d.v6})
	if errors.Is(err, smtptest.ErrNoIPv6) {
		t.Skip("no IPv6 loopback")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s4.Close()
	defer s6.Close()
	d.port, d.v4 = int(s4.Addr().Port()), wrong
	rep := d.check(t, CheckRequest{})
	if rep.MTASTS == nil || rep.MTASTS.Status != tlspolicy.STSOK && rep.MTASTS.Status != tlspolicy.STSInconsistent {
		t.Fatalf("mta_sts %+v", rep.MTASTS)
	}
	fs := findingsWith(rep, report.CodeSTSCertEnforce)
	if len(fs) != 1 || fs[0].Subject != "127.0.0.1" {
		t.Errorf("MC719 %+v: want one about 127.0.0.1 only", fs)
	}
}

func TestProbeOfAMailDomainGivesEachAddressItsDANEVerdict(t *testing.T) {
	d := newTLSDomain(t, "")
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return d.mock, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6),
		IPv4:     true, IPv6: true, Timeout: 10 * time.Second,
	}
	name, err := target.Parse("example.test")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := c.Probe(context.Background(), ProbeRequest{Target: target.Host{Name: name},
		SMTP: smtpprobe.Options{Port: d.port, ConnectTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]tlspolicy.DANEStatus{}
	for _, p := range doc.Probes {
		if p.DANE != nil {
			got[p.Family] = p.DANE.Status
		}
	}
	if got["ipv4"] != tlspolicy.DANEPass || got["ipv6"] != tlspolicy.DANEFail {
		t.Errorf("verdicts %v, want pass over IPv4 and fail over IPv6", got)
	}
	codes := map[string]bool{}
	for _, f := range doc.Findings {
		codes[f.Code] = true
	}
	if !codes[report.CodeDANEFamilyFails] {
		t.Errorf("findings %v lack MC702", doc.Findings)
	}
}

func TestAFailedValidationProbeIsAskedAgainForTheNextDomain(t *testing.T) {
	mock := &dnsq.Mock{NS: map[string][]string{".": {"a.root-servers.net."}}, Secure: []string{"."},
		Fail: map[string]dnsq.Status{"NS .": dnsq.StatusServFail}}
	c := &Checker{}
	if v := c.validation(context.Background(), mock); v.Validates {
		t.Fatalf("%+v: a SERVFAIL validates", v)
	}
	delete(mock.Fail, "NS .")
	if v := c.validation(context.Background(), mock); !v.Validates {
		t.Fatalf("%+v: the SERVFAIL was kept for the next domain", v)
	}
	c.validation(context.Background(), mock)
	if n := mock.Calls("NS ."); n != 2 {
		t.Errorf("root NS asked %d times, want 2 (the definite answer is kept)", n)
	}
}

// hangingTLSA is the domain's resolver with TLSA queries that never get
// an answer: each waits for the run's deadline.
type hangingTLSA struct{ *dnsq.Mock }

func (h hangingTLSA) LookupTLSA(ctx context.Context, name string) dnsq.TLSAResult {
	<-ctx.Done()
	return h.Mock.LookupTLSA(ctx, name)
}

func TestCheckCutByItsDeadlineInTheTLSStagesIsPartialNotAFault(t *testing.T) {
	d := newTLSDomain(t, "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n")
	// The policy host answers nothing before the deadline either.
	d.policy.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return hangingTLSA{d.mock}, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6, &d.policyCA),
		IPv4:     true, IPv6: true, Timeout: time.Second, Sandbox: true,
		HTTPSPort: int(netip.MustParseAddrPort(d.policy.Listener.Addr().String()).Port()),
	}
	rep, err := c.Check(context.Background(), "example.test", CheckRequest{SMTP: smtpprobe.Options{Port: d.port, ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Partial || !rep.Undetermined || len(findingsWith(rep, report.CodeDeadlineReached)) != 1 {
		t.Errorf("partial %v, undetermined %v, findings %v: want a partial, undetermined run with MC903", rep.Partial, rep.Undetermined, rep.Findings)
	}
	for _, code := range []string{report.CodeDANELookupError, report.CodeSTSNoPolicy, report.CodeSTSFamilyEnforce, report.CodeSTSFamilyTesting} {
		if fs := findingsWith(rep, code); len(fs) != 0 {
			t.Errorf("%s %v: what the deadline cut is blamed on the domain", code, fs)
		}
	}
	if len(rep.DANE.TLSA) != 1 || rep.DANE.TLSA[0].Status != tlspolicy.DANENotJudged {
		t.Errorf("tlsa %+v, want not_judged", rep.DANE.TLSA)
	}
}

func TestProbeDecidesPartialAfterItsTLSStages(t *testing.T) {
	d := newTLSDomain(t, "")
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return hangingTLSA{d.mock}, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6),
		IPv4:     true, IPv6: true, Timeout: time.Second,
	}
	name, err := target.Parse("example.test")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := c.Probe(context.Background(), ProbeRequest{Target: target.Host{Name: name},
		SMTP: smtpprobe.Options{Port: d.port, ConnectTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Partial || !doc.Undetermined {
		t.Errorf("partial %v, undetermined %v: the TLSA lookups ran into the deadline after the probes", doc.Partial, doc.Undetermined)
	}
	for _, f := range doc.Findings {
		if f.Code == report.CodeDANELookupError {
			t.Errorf("%v: the deadline's cut is blamed on the domain", f)
		}
	}
}

// routes has no route for one family.
type routes struct{ none string }

func (r routes) CheckRoute(_ context.Context, _, dst netip.Addr) (netip.Addr, error) {
	if ipfam.Family(dst) == r.none {
		return netip.Addr{}, errors.New("network is unreachable")
	}
	return dst, nil
}

func TestAnMTASTSFetchOverAFamilyWithoutARouteIsNotJudged(t *testing.T) {
	// The policy is served over IPv4 only; this host has no IPv6 route.
	d := newTLSDomain(t, "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n")
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return d.mock, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6, &d.policyCA), Routes: routes{none: ipfam.IPv6},
		IPv4: true, IPv6: true, Timeout: 10 * time.Second, Sandbox: true,
		HTTPSPort: int(netip.MustParseAddrPort(d.policy.Listener.Addr().String()).Port()),
	}
	rep, err := c.Check(context.Background(), "example.test", CheckRequest{SMTP: smtpprobe.Options{Port: d.port, ConnectTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.MTASTS == nil || rep.MTASTS.Mode != tlspolicy.ModeEnforce {
		t.Fatalf("mta_sts %+v: want the policy fetched over IPv4", rep.MTASTS)
	}
	for _, f := range rep.MTASTS.Fetch {
		if f.Family == ipfam.IPv6 {
			t.Errorf("fetched over IPv6 without a route: %+v", f)
		}
	}
	if fs := findingsWith(rep, report.CodeSTSFamilyEnforce); len(fs) != 0 {
		t.Errorf("MC712 %v: this host's missing route is blamed on the domain", fs)
	}
}

// noDial fails the test when anything is dialled.
type noDial struct{ t *testing.T }

func (n noDial) DialContext(_ context.Context, _ string, _ netip.Addr, to netip.AddrPort) (net.Conn, error) {
	n.t.Errorf("dialled %s", to)
	return nil, errors.New("refused by the test")
}

func TestAnMTASTSPolicyHostOnThisMachinesOwnAddressesIsNotConnectedTo(t *testing.T) {
	mock := &dnsq.Mock{
		A:    map[string][]netip.Addr{"mta-sts.example.test.": {netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("0.0.0.0")}},
		AAAA: map[string][]netip.Addr{"mta-sts.example.test.": {netip.MustParseAddr("fe80::1")}},
		TXT:  map[string][]string{"_mta-sts.example.test.": {"v=STSv1; id=1"}},
	}
	c := &Checker{Dialer: noDial{t}, Routes: routes{}, IPv4: true, IPv6: true}
	m, why := c.tlsStages(mock, 25, smtpprobe.Options{}, Policy{}, true).MTASTS(context.Background(), "example.test")
	if m.Status != tlspolicy.STSNoPolicy || why != "" || len(m.Fetch) != 3 {
		t.Fatalf("%+v (%q): want no fetchable policy, judged, with one refused fetch per address", m, why)
	}
	for _, f := range m.Fetch {
		if f.Status != tlspolicy.FetchUnreachable || !strings.Contains(f.Error, "not connected to") {
			t.Errorf("%+v: want unreachable, not connected to", f)
		}
	}
}

func TestCheckPassesADANETALeafThatNamesTheMailDomainAsPostfixDoes(t *testing.T) {
	// Postfix smtp_tls_policy.c dane_init matches a DANE-TA leaf against
	// the TLSA base domain and the next-hop domain (the MX RR's qname).
	year := time.Now().Add(365 * 24 * time.Hour)
	ca, err := smtptest.NewCert(year, "Test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := smtptest.NewCertSignedBy(ca, year, false, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	leaf.Certificate = append(leaf.Certificate, ca.Certificate[0])
	d := newTLSDomain(t, "", func(v4, v6 *smtptest.Script) { v4.Cert, v6.Cert = &leaf, &leaf })
	anchor := sha256.Sum256(ca.Certificate[0])
	d.mock.TLSA = map[string][]dnsq.TLSA{fmt.Sprintf("_%d._tcp.mx.example.test.", d.port): {{Usage: 2, Selector: 0, MatchingType: 1, Data: anchor[:]}}}
	rep := d.check(t, CheckRequest{})
	for _, p := range rep.Probes {
		if p.DANE == nil || p.DANE.Status != tlspolicy.DANEPass {
			t.Errorf("%s: %+v, want pass: the leaf names the next-hop domain", p.IP, p.DANE)
		}
	}
}
