package dnsq

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzParseServer checks that ParseServer never panics and that what it
// accepts is a dialable "IP:port" that parses back to itself.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "2001:db8::1",
		"[2001:db8::1]", "fe80::1%eth0", "dns.example", "1.2.3.4:0", "[::]:53", ":53", "[", "[]:53",
		"fe80::%[", "[fe80::1%a b]:53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, err := ParseServer(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseServer(%q): empty error", s)
			}
			return
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil || port == "" || port == "0" {
			t.Fatalf("ParseServer(%q) = %q: not host:port (%v)", s, hp, err)
		}
		if _, err := netip.ParseAddr(host); err != nil {
			t.Fatalf("ParseServer(%q) = %q: host is not an IP", s, hp)
		}
		again, err := ParseServer(hp)
		if err != nil || again != hp {
			t.Fatalf("ParseServer(%q) = %q, but ParseServer(%q) = %q, %v", s, hp, hp, again, err)
		}
	})
}

// FuzzParseResolvConf checks that any file yields at least one and at most
// three dialable servers and options within glibc's caps.
func FuzzParseResolvConf(f *testing.F) {
	f.Add("nameserver 192.0.2.53\noptions timeout:1 attempts:2\n")
	f.Add("nameserver 2001:db8::53 # c\nnameserver x\n; c\noptions attempts:99 timeout:-1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		rc := parseResolvConf(strings.NewReader(s))
		if len(rc.servers) == 0 || len(rc.servers) > maxNameservers {
			t.Fatalf("%d servers", len(rc.servers))
		}
		for _, hp := range rc.servers {
			if _, err := ParseServer(hp); err != nil && !strings.Contains(err.Error(), "unspecified") &&
				!strings.Contains(err.Error(), "multicast") && !strings.Contains(err.Error(), "zone") {
				t.Fatalf("server %q: %v", hp, err)
			}
		}
		if rc.timeout < 0 || rc.timeout > maxTimeout || rc.attempts < 0 || rc.attempts > maxAttempts {
			t.Fatalf("timeout %v attempts %d out of range", rc.timeout, rc.attempts)
		}
	})
}

// FuzzClassify feeds arbitrary answers from a "server" to the code that
// reads them: it must never panic, must give a valid status, and every
// name it returns must be printable ASCII (miekg/dns's \DDD escapes).
func FuzzClassify(f *testing.F) {
	seed := func(m *dns.Msg) {
		if b, err := m.Pack(); err == nil {
			f.Add(b)
		}
	}
	q := new(dns.Msg).SetQuestion("example.", dns.TypeMX)
	ok := new(dns.Msg).SetReply(q)
	mx, _ := dns.NewRR("example. MX 10 Mail\\000.Example.")
	cn, _ := dns.NewRR("example. CNAME other.test.")
	loop, _ := dns.NewRR("other.test. CNAME example.")
	soa, _ := dns.NewRR("example. SOA ns. h. 1 1 1 1 1")
	ok.Answer = []dns.RR{mx}
	seed(ok)
	chain := new(dns.Msg).SetReply(q)
	chain.Answer = []dns.RR{cn, loop}
	seed(chain)
	neg := new(dns.Msg).SetReply(q)
	neg.Rcode = dns.RcodeNameError
	neg.Ns = []dns.RR{soa}
	seed(neg)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if r.Unpack(b) != nil {
			return
		}
		for _, qt := range []uint16{dns.TypeMX, dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeTXT} {
			st := &step{res: Result{Name: "example."}}
			(&Client{}).classify(st, r, "192.0.2.53:53", time.Millisecond, qt)
			switch st.res.Status {
			case StatusOK, StatusNoData, StatusNXDomain, StatusError:
			case "":
				if st.next == "" {
					t.Fatalf("no status and nothing to chase")
				}
			default:
				t.Fatalf("status %q", st.res.Status)
			}
			names := append([]string{st.next}, st.res.CNAMEs...)
			names = append(names, st.strs...)
			for _, m := range st.mx {
				names = append(names, m.Host)
			}
			if qt == dns.TypeTXT {
				names = names[:len(names)-len(st.strs)] // TXT is raw bytes by contract
			}
			for _, n := range names {
				for i := 0; i < len(n); i++ {
					if n[i] < 0x20 || n[i] >= 0x7f {
						t.Fatalf("name %q has byte %#x", n, n[i])
					}
				}
			}
			if len(st.res.CNAMEs) > maxCNAMEs+1 {
				t.Fatalf("chain of %d", len(st.res.CNAMEs))
			}
		}
	})
}
