package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// literalMX is example.org with MX records whose targets are IP literals
// (`example.org. IN MX 10 192.0.2.10.`), as discover reports them: the
// literal is the exchange's one address, no A/AAAA lookup was made.
func literalMX(ips ...string) Facts {
	f := Facts{
		Discovery: discover.Result{Domain: "example.org", MXStatus: dnsq.StatusOK},
		WantIPv4:  true, WantIPv6: true, Probed: true, StartTLSAttempted: true,
	}
	for i, ip := range ips {
		a := mxAddr(ip, "mail.example.org")
		a.Class = discover.Classify(a.IP)
		f.Discovery.MX = append(f.Discovery.MX, discover.Exchange{
			Preference: uint16(10 * (i + 1)), Host: ip, IPLiteral: true,
			AStatus: dnsq.StatusSkipped, AAAAStatus: dnsq.StatusSkipped,
			Addresses: []discover.Address{a},
		})
		p := probeOK(ip, ip, "mail.example.org")
		p.TLS.CertNames = []string{"mail.example.org"}
		f.Probes = append(f.Probes, p)
	}
	return f
}

// An MX target that is an IP literal violates RFC 5321 §5.1, but Postfix
// connects to the address (research §1.3.2) while Exim ignores the record
// unless allow_mx_to_ip is set (§2.1 step 3). The findings must say
// exactly that, agree with the simulation (which uses the address), and
// never treat the literal as a host name in a message or a fix.
func TestEvaluateJudgesAnIPLiteralMXAsPostfixAndEximDo(t *testing.T) {
	cases := []struct {
		name   string
		facts  func() Facts
		policy Policy
		want   []string
		not    []string
		// text that the MC106 message must contain
		says []string
	}{
		{
			name:  "sole MX is a working IPv4 literal",
			facts: func() Facts { return literalMX("192.0.2.10") },
			want:  []string{"MC106"},
			not:   []string{"MC109", "MC305", "MC313", "MC107"},
			says:  []string{"RFC 5321 §5.1", "Postfix", "connects to 192.0.2.10", "Exim", "allow_mx_to_ip", "bounces"},
		},
		{
			name: "IP literal next to a named MX",
			facts: func() Facts {
				f := healthy()
				lit := literalMX("203.0.113.30")
				f.Discovery.MX = append(f.Discovery.MX, lit.Discovery.MX[0])
				f.Discovery.MX[2].Preference = 30
				f.Probes = append(f.Probes, lit.Probes[0])
				return f
			},
			want: []string{"MC106"},
			not:  []string{"MC109", "MC305", "MC313"},
			says: []string{"Exim", "uses the other MX"},
		},
		{
			name:   "loopback literal as a no-mail marker",
			facts:  func() Facts { f := literalMX("127.0.0.1"); f.Probes = nil; return f },
			policy: Policy{Now: now},
			want:   []string{"MC106", "MC201", "MC109"},
			says:   []string{"RFC 7505", "MX 0 ."},
		},
		{
			name: "IPv6 literal without a PTR",
			facts: func() Facts {
				f := literalMX("2001:db8::25")
				a := &f.Discovery.MX[0].Addresses[0]
				a.PTR, a.Confirmed, a.PTRStatus, a.FCrDNS = nil, nil, dnsq.StatusNXDomain, "none"
				f.Probes[0].StartTLS, f.Probes[0].TLS = false, nil
				return f
			},
			want: []string{"MC106", "MC210", "MC306"},
			not:  []string{"MC109", "MC305"},
			says: []string{"RFC 5321 §5.1"},
		},
		{
			name: "IP literal refuses SMTP",
			facts: func() Facts {
				f := literalMX("192.0.2.10")
				f.Probes[0] = smtpprobe.Result{Host: "192.0.2.10", IP: f.Probes[0].IP, Family: "ipv4", Port: 25, Status: smtpprobe.StatusRefused, Phase: smtpprobe.PhaseConnect}
				return f
			},
			want: []string{"MC106", "MC301", "MC305"},
			not:  []string{"MC109"},
			says: []string{"Postfix"},
		},
		{
			name: "IP literal whose certificate names another host",
			facts: func() Facts {
				f := literalMX("192.0.2.10")
				f.Probes[0].TLS.Verified, f.Probes[0].EHLOName = false, "other.example.net"
				return f
			},
			want: []string{"MC106", "MC308", "MC311"},
			not:  []string{"MC313", "MC109"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.policy
			if p.Now.IsZero() {
				p = sandboxPolicy()
			}
			f := c.facts()
			v := Evaluate(f, p)
			got := codes(v)
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %s; got %v", w, got)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("unexpected %s; got %v", n, got)
				}
			}
			for _, fi := range v.Findings {
				if fi.Code == "MC106" {
					for _, s := range c.says {
						if !strings.Contains(fi.Message+" "+fi.Fix, s) {
							t.Errorf("MC106 does not say %q: %s / fix: %s", s, fi.Message, fi.Fix)
						}
					}
					if strings.Contains(fi.Message, "does not resolve") || strings.Contains(fi.Message, "no usable address") {
						t.Errorf("MC106 claims the literal is unusable: %s", fi.Message)
					}
				}
				// The literal is not a host name: no fix may publish
				// records under it or name it as the MTA's host name.
				for _, x := range f.Discovery.MX {
					if !x.IPLiteral {
						continue
					}
					for _, bad := range []string{"`" + x.Host + ". IN ", "myhostname = " + x.Host, "PTR " + x.Host + ".", "(" + x.Host + ")", "names " + x.Host} {
						if strings.Contains(fi.Fix, bad) || strings.Contains(fi.Message, bad) {
							t.Errorf("%s treats the literal %s as a host name (%q): %s / fix: %s", fi.Code, x.Host, bad, fi.Message, fi.Fix)
						}
					}
				}
				if fi.Subject == "" || fi.Message == "" || fi.Fix == "" {
					t.Errorf("incomplete finding %+v", fi)
				}
			}
		})
	}
}

// A host field is an address exactly when discovery takes the MX target
// for an IP literal (addr.ParseLiteral): a zone makes it a (bad) name.
func TestHostFieldsAreAddressesAsDiscoveryReadsThem(t *testing.T) {
	for _, tt := range []struct {
		host   string
		isAddr bool
		rr     string
	}{
		{"192.0.2.1", true, "A"},
		{"[192.0.2.1]", true, "A"},
		{"2001:db8::1", true, "AAAA"},
		{"[IPv6:2001:db8::1]", true, "AAAA"},
		{"::ffff:192.0.2.1", true, "AAAA"}, // as an AAAA record carries it (addr.Family)
		{"fe80::1%eth0", false, "A"},
		{"mx.example.org", false, "A"},
	} {
		if got := isAddress(tt.host); got != tt.isAddr {
			t.Errorf("isAddress(%q) = %v, want %v", tt.host, got, tt.isAddr)
		}
		if got := rrType(tt.host); got != tt.rr {
			t.Errorf("rrType(%q) = %s, want %s", tt.host, got, tt.rr)
		}
	}
}
