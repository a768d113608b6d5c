package audit

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// mxWord finds findings that speak of MX hosts or addresses.
var mxWord = regexp.MustCompile(`\bMX\b`)

// `mailcheck probe 192.0.2.1` and `mailcheck probe mail.example.org` (a
// host without MX records) probe a host, not the MX set of a domain: the
// findings speak of that host or address, compare the EHLO name with the
// PTR only (there is no MX name), and never suggest an address as
// myhostname.
func TestEvaluateProbesSpeaksOfTheProbedHostOrAddress(t *testing.T) {
	refused := func(host, ip string) smtpprobe.Result {
		r := probeOK(host, ip, "")
		return smtpprobe.Result{Host: r.Host, IP: r.IP, Family: r.Family, Port: 25, Status: smtpprobe.StatusRefused, Phase: smtpprobe.PhaseConnect}
	}
	otherName := func(host, ip string) smtpprobe.Result {
		r := probeOK(host, ip, "mx.example.net")
		r.PTR = []string{"mail.example.org"}
		r.TLS.Verified, r.TLS.CertNames = false, []string{"mx.example.net"}
		return r
	}
	noRoute6 := func(host string) []smtpprobe.Result {
		r := probeOK(host, "2001:db8::25", host)
		r = smtpprobe.Result{Host: r.Host, IP: r.IP, Family: r.Family, Port: 25, Status: smtpprobe.StatusInconclusive}
		return []smtpprobe.Result{probeOK(host, "192.0.2.25", host), r}
	}
	cases := []struct {
		name   string
		target ProbeTarget
		probes []smtpprobe.Result
		want   []string
		not    []string
		says   map[string]string // code -> text its message must contain
	}{
		{"address refuses", ProbeTarget{Name: "192.0.2.1", Kind: TargetAddress},
			[]smtpprobe.Result{refused("192.0.2.1", "192.0.2.1")},
			[]string{"MC301", "MC305"}, []string{"MC411"},
			map[string]string{"MC305": "192.0.2.1 did not accept an SMTP session"}},
		{"IPv6 address refuses", ProbeTarget{Name: "2001:db8::1", Kind: TargetAddress},
			[]smtpprobe.Result{refused("2001:db8::1", "2001:db8::1")},
			[]string{"MC301", "MC305"}, []string{"MC411"}, nil},
		{"address answers with another name", ProbeTarget{Name: "192.0.2.1", Kind: TargetAddress},
			[]smtpprobe.Result{otherName("192.0.2.1", "192.0.2.1")},
			[]string{"MC311", "MC308"}, []string{"MC313"},
			map[string]string{"MC311": "answers EHLO as mx.example.net, but its PTR is mail.example.org"}},
		{"host answers with another name", ProbeTarget{Name: "mail.example.org", Kind: TargetHost},
			[]smtpprobe.Result{otherName("mail.example.org", "192.0.2.1")},
			[]string{"MC311", "MC308"}, []string{"MC313"}, nil},
		{"host refuses on every address", ProbeTarget{Name: "mail.example.org", Kind: TargetHost},
			[]smtpprobe.Result{refused("mail.example.org", "192.0.2.1"), refused("mail.example.org", "2001:db8::1")},
			[]string{"MC301", "MC305", "MC411"}, nil,
			map[string]string{"MC305": "None of the 2 addresses of mail.example.org accepted", "MC411": "mail.example.org has IPv6 addresses"}},
		{"host without an IPv6 route here", ProbeTarget{Name: "mail.example.org", Kind: TargetHost},
			noRoute6("mail.example.org"), []string{"MC901"}, nil,
			map[string]string{"MC901": "the IPv6 address of mail.example.org"}},
		{"address without an IPv6 route here", ProbeTarget{Name: "2001:db8::25", Kind: TargetAddress},
			noRoute6("2001:db8::25")[1:], []string{"MC901"}, nil,
			map[string]string{"MC901": "2001:db8::25 could not be tested"}},
		{"mail domain keeps speaking of its MX", ProbeTarget{Name: "example.org", Kind: TargetMailDomain},
			[]smtpprobe.Result{refused("mx1.example.org", "192.0.2.1")},
			[]string{"MC301", "MC305"}, nil,
			map[string]string{"MC305": "MX address"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := EvaluateProbes(c.target, c.probes, sandboxPolicy())
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
				if want, ok := c.says[fi.Code]; ok && !strings.Contains(fi.Message, want) {
					t.Errorf("%s does not say %q: %s", fi.Code, want, fi.Message)
				}
				if c.target.Kind != TargetMailDomain && (mxWord.MatchString(fi.Message) || mxWord.MatchString(fi.Fix)) {
					t.Errorf("%s speaks of MX for a %s target: %s / fix: %s", fi.Code, c.target.Name, fi.Message, fi.Fix)
				}
				if strings.Contains(fi.Fix, "myhostname = "+c.target.Name) && c.target.Kind == TargetAddress {
					t.Errorf("%s suggests an address as myhostname: %s", fi.Code, fi.Fix)
				}
			}
		})
	}
}
