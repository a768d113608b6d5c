package audit

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// withoutTLS is what probes under --no-starttls record: the STARTTLS
// advertisement of the first EHLO, no TLS session.
func withoutTLS(rs []smtpprobe.Result) {
	for i := range rs {
		rs[i].TLS, rs[i].ExtensionsTLS = nil, nil
	}
}

// --no-starttls: a probe that did not try STARTTLS says nothing about TLS.
// No STARTTLS, certificate or --require-starttls finding comes from it;
// MC906 says TLS was not judged and what EHLO advertised.
func TestEvaluateDoesNotJudgeTLSWhenSTARTTLSWasNotTried(t *testing.T) {
	// mx2 does not advertise STARTTLS: with STARTTLS tried, MC306 and
	// MC408-style findings follow; without, none of them.
	noTLSOnMX2 := func(f *Facts) {
		for i := range f.Probes {
			if f.Probes[i].Host == "mx2.example.org" {
				f.Probes[i].StartTLS, f.Probes[i].TLS = false, nil
			}
		}
	}
	tlsOneFamily := func(f *Facts) {
		f.Probes[1].StartTLS, f.Probes[1].TLS = false, nil
	}
	tlsCodes := []string{"MC306", "MC307", "MC308", "MC309", "MC310", "MC312", "MC313", "MC408", "MC409"}
	cases := []struct {
		name   string
		mutate func(*Facts, *Policy)
		tried  bool
		want   []string
		not    []string
		mc906  string // text MC906 must contain
	}{
		{"STARTTLS tried: a server without it is reported", func(f *Facts, p *Policy) { noTLSOnMX2(f) }, true,
			[]string{"MC306"}, []string{"MC906"}, ""},
		{"not tried: no STARTTLS finding", func(f *Facts, p *Policy) { noTLSOnMX2(f); withoutTLS(f.Probes) }, false,
			[]string{"MC906"}, tlsCodes, "2 of 4 addresses"},
		{"not tried: no one-family STARTTLS finding", func(f *Facts, p *Policy) { tlsOneFamily(f); withoutTLS(f.Probes) }, false,
			[]string{"MC906"}, tlsCodes, "3 of 4 addresses"},
		{"STARTTLS tried: one family only is reported", func(f *Facts, p *Policy) { tlsOneFamily(f) }, true,
			[]string{"MC408", "MC306"}, []string{"MC906"}, ""},
		{"not tried: --require-starttls is not judged", func(f *Facts, p *Policy) {
			noTLSOnMX2(f)
			withoutTLS(f.Probes)
			p.Expect.STARTTLS = true
		}, false, []string{"MC906"}, tlsCodes, "--require-starttls"},
		{"not tried, DNS only: nothing to say about TLS", func(f *Facts, p *Policy) {
			f.Probed, f.Probes, f.DNSOnly = false, nil, true
		}, false, []string{"MC905"}, []string{"MC906"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, p := healthy(), sandboxPolicy()
			c.mutate(&f, &p)
			f.StartTLSAttempted = c.tried
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
				if fi.Code == "MC906" && !strings.Contains(fi.Message, c.mc906) {
					t.Errorf("MC906 does not say %q: %s", c.mc906, fi.Message)
				}
			}
		})
	}
}

func TestEvaluateProbesHonoursNoStartTLS(t *testing.T) {
	f := healthy()
	f.Probes[2].StartTLS = false
	withoutTLS(f.Probes)
	tried := codes(EvaluateProbes(ProbeTarget{Name: "example.org"}, f.Probes, sandboxPolicy()))
	notTried := codes(EvaluateProbes(ProbeTarget{Name: "example.org", NoStartTLS: true}, f.Probes, sandboxPolicy()))
	if !slices.Contains(tried, "MC306") || slices.Contains(tried, "MC906") {
		t.Errorf("STARTTLS tried: %v, want MC306 and no MC906", tried)
	}
	if slices.Contains(notTried, "MC306") || slices.Contains(notTried, "MC408") || !slices.Contains(notTried, "MC906") {
		t.Errorf("--no-starttls: %v, want MC906 and no MC306/MC408", notTried)
	}
}
