package audit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// What a finding says must be true of the case at hand: fixes name the
// domain's own records, never the catalogue's DOMAIN placeholder or its
// example address, and a refused connection is not said to cost a
// connect timeout.
func TestEvaluateFindingsSpeakOfTheCaseAtHand(t *testing.T) {
	down := func(f *Facts, ip string, st smtpprobe.Status) {
		for i := range f.Probes {
			if p := &f.Probes[i]; p.IP.String() == ip {
				*p = smtpprobe.Result{Host: p.Host, IP: p.IP, Family: p.Family, Port: 25, Status: st, Phase: smtpprobe.PhaseConnect}
			}
		}
	}
	cases := []struct {
		name   string
		mutate func(*Facts)
		code   string
		says   []string // in message or fix
		never  []string
	}{
		{"NXDOMAIN", func(f *Facts) { f.Discovery.MXStatus, f.Discovery.MX = dnsq.StatusNXDomain, nil }, "MC102",
			[]string{"example.org. IN MX 10 mx1.example.org."}, nil},
		{"MX SERVFAIL", func(f *Facts) { f.Discovery.MXStatus, f.Discovery.MX = dnsq.StatusServFail, nil }, "MC101",
			[]string{"dig +trace example.org MX"}, nil},
		{"null MX", func(f *Facts) { f.Discovery.NullMX, f.Discovery.MX, f.Probes = true, nil, nil }, "MC103",
			[]string{"example.org. IN MX 10 mx1.example.org."}, nil},
		{"no MX host has an address", func(f *Facts) {
			for i := range f.Discovery.MX {
				x := &f.Discovery.MX[i]
				x.Addresses, x.AStatus, x.AAAAStatus = nil, dnsq.StatusNoData, dnsq.StatusNoData
			}
			f.Probes = nil
		}, "MC109", []string{"None of the 2 MX hosts", "mx1.example.org. IN A"}, []string{"host(s)"}},
		{"no A record", func(f *Facts) {
			for i := range f.Discovery.MX {
				f.Discovery.MX[i].Addresses = f.Discovery.MX[i].Addresses[1:]
			}
			f.Probes = []smtpprobe.Result{f.Probes[1], f.Probes[3]}
		}, "MC403", []string{"mx1.example.org. IN A"}, nil},
		{"IPv6 refused", func(f *Facts) { down(f, "2001:db8:1::10", smtpprobe.StatusRefused) }, "MC404",
			[]string{"at once"}, []string{"connect timeout per message"}},
		{"IPv6 times out", func(f *Facts) { down(f, "2001:db8:1::10", smtpprobe.StatusTimeout) }, "MC404",
			[]string{"connect timeout"}, nil},
		{"IPv6 refused on an address probed under another MX name", func(f *Facts) {
			// mx2 is an alias of mx1's addresses: each address is probed
			// once, under whichever name came first.
			f.Discovery.MX[1].Addresses = f.Discovery.MX[0].Addresses
			f.Probes = f.Probes[:2]
			f.Probes[1].Host = "mx2.example.org"
			down(f, "2001:db8:1::10", smtpprobe.StatusRefused)
		}, "MC404", []string{"mx1.example.org accepts SMTP over IPv4"}, nil},
		{"refused first attempt costs no time", func(f *Facts) {
			down(f, "2001:db8:1::10", smtpprobe.StatusRefused)
			f.Sim = &SimFacts{MTA: "Postfix", ConnectTimeout: 30 * time.Second, AddressLimit: 5, PFirstIPv6: 0.5,
				PFirst: map[netip.Addr]float64{netip.MustParseAddr("192.0.2.10"): 0.5, netip.MustParseAddr("2001:db8:1::10"): 0.5}}
		}, "MC501", []string{"immediate"}, []string{"30s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := healthy()
			c.mutate(&f)
			v := Evaluate(f, sandboxPolicy())
			found, all := false, ""
			for _, fi := range v.Findings {
				text := fi.Message + " / fix: " + fi.Fix
				if strings.Contains(fi.Fix, "DOMAIN") || strings.Contains(fi.Fix, "192.0.2.25") {
					t.Errorf("%s fix holds a catalogue placeholder: %s", fi.Code, fi.Fix)
				}
				if fi.Code != c.code {
					continue
				}
				found = true
				all += text + "\n"
				for _, s := range c.never {
					if strings.Contains(text, s) {
						t.Errorf("%s says %q: %s", fi.Code, s, text)
					}
				}
			}
			if !found {
				t.Fatalf("no %s in %v", c.code, codes(v))
			}
			for _, s := range c.says {
				if !strings.Contains(all, s) {
					t.Errorf("no %s says %q: %s", c.code, s, all)
				}
			}
		})
	}
}

// brokenWording names what is wrong with a rendered message, "" when
// nothing is: two articles in a row ("has no an address"), a lookup status
// leaking where a failure is described ("failed temporarily (ok)"), a
// formatting verb gone wrong, a nil, or stray spacing.
func brokenWording(s string) string {
	for _, re := range brokenPatterns {
		if m := re.FindString(s); m != "" {
			return fmt.Sprintf("%q", m)
		}
	}
	return ""
}

var brokenPatterns = []*regexp.Regexp{
	// The second word in lower case: "no A record" names a record type.
	regexp.MustCompile(`\b([Aa]n?|[Tt]he|[Nn]o) (a|an|the|no)\b`),
	regexp.MustCompile(`\((ok|skipped|nodata)\)`),
	regexp.MustCompile(`%!|<nil>`),
	regexp.MustCompile(`[^ ]  [^ ]| [.,;:]( |$)`),
}

func TestBrokenWordingCatchesWhatItIsFor(t *testing.T) {
	for _, s := range []string{
		"The one MX host of example.org, mx1.example.org, has no an address a sender can use.",
		"a PTR or forward lookup failed temporarily (ok).",
		"%!s(MISSING)", "the host  name", "ends here .",
	} {
		if brokenWording(s) == "" {
			t.Errorf("not caught: %q", s)
		}
	}
	if bad := brokenWording("The MX target mx.example is an alias (RFC 2181 §10.3); fix: `a. IN A <its IPv4 address>`."); bad != "" {
		t.Errorf("false alarm %s", bad)
	}
}

// The catalogue's own text (titles, explanations, generic fixes) reads as
// sentences too.
func TestCatalogueTextReadsWell(t *testing.T) {
	for _, e := range report.Entries() {
		for _, s := range []string{e.Title, e.Explain, e.Fix} {
			if bad := brokenWording(s); bad != "" {
				t.Errorf("%s reads badly (%s): %s", e.Code, bad, s)
			}
		}
	}
}
