package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// simulateExample is the worked example: MX 10 mx1 (A, AAAA), MX 10 mx2
// (A, AAAA), MX 20 mx3 (A).
func simulateExample() mta.Input {
	ex := func(pref uint16, name string, addrs ...string) mta.Exchange {
		x := mta.Exchange{Preference: pref, Host: name, AStatus: mta.LookupOK, AAAAStatus: mta.LookupNoData}
		for _, a := range addrs {
			ip := netip.MustParseAddr(a)
			if ip.Is4() {
				x.A = append(x.A, ip)
			} else {
				x.AAAA = append(x.AAAA, ip)
				x.AAAAStatus = mta.LookupOK
			}
		}
		return x
	}
	return mta.Input{Domain: "example.test", MXStatus: mta.LookupOK, MX: []mta.Exchange{
		ex(10, "mx1.example.test", "192.0.2.1", "2001:db8::1"),
		ex(10, "mx2.example.test", "192.0.2.2", "2001:db8::2"),
		ex(20, "mx3.example.test", "192.0.2.3"),
	}}
}

func simulateDoc(t *testing.T, in mta.Input, cfg mta.Config, opt mta.Options) document.Simulate {
	t.Helper()
	d, err := mta.Simulate(in, cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	return document.Simulate{Document: d, Findings: []report.Finding{}}
}

func TestSimulateTextGolden(t *testing.T) {
	seed := uint64(4)
	tests := []struct {
		name string
		in   mta.Input
		cfg  mta.Config
		opt  mta.Options
	}{
		{"simulate_default.txt", simulateExample(), mta.Config{}, mta.Options{Seed: &seed}},
		{"simulate_replay.txt", simulateExample(), mta.Config{Set: []mta.Assignment{{Name: "smtp_mx_address_limit", Value: "3", Source: "main.cf:12"}}},
			mta.Options{Outcomes: map[netip.Addr]mta.Outcome{netip.MustParseAddr("2001:db8::1"): mta.OutcomeTimeout, netip.MustParseAddr("2001:db8::2"): mta.OutcomeRcpt5xx}}},
		// DANE refuses both IPv6 addresses; smtp_mx_address_limit = 2
		// balances the families (one A and one AAAA within the limit), so
		// the IPv6-first messages, one in two, are delayed, none deferred.
		{"simulate_tls_dane.txt", simulateExample(), mta.Config{Set: []mta.Assignment{
			{Name: "smtp_tls_security_level", Value: "dane", Source: "--set"}, {Name: "smtp_dns_support_level", Value: "dnssec", Source: "--set"},
			{Name: "smtp_mx_address_limit", Value: "2", Source: "--set"}}},
			mta.Options{Outcomes: map[netip.Addr]mta.Outcome{netip.MustParseAddr("2001:db8::1"): mta.OutcomeTLSUntrusted, netip.MustParseAddr("2001:db8::2"): mta.OutcomeTLSUntrusted}, OutcomeSource: "measured"}},
		{"simulate_exim.txt", simulateExample(), mta.Config{MTA: mta.Exim}, mta.Options{}},
		{"simulate_nullmx.txt", mta.Input{Domain: "null.test", MXStatus: mta.LookupOK, NullMX: true}, mta.Config{}, mta.Options{}},
		{"simulate_undecided.txt", mta.Input{Domain: "skipped.test", MXStatus: mta.LookupSkipped}, mta.Config{MTA: mta.Sendmail}, mta.Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := SimulateText(&b, NewStyles(false), simulateDoc(t, tt.in, tt.cfg, tt.opt)); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

func TestSimulateTextSanitisesNamesFromDNS(t *testing.T) {
	in := simulateExample()
	in.MX[0].Host = "mx1\x1b[31m.example.test"
	var b bytes.Buffer
	if err := SimulateText(&b, NewStyles(false), simulateDoc(t, in, mta.Config{}, mta.Options{})); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("escape sequence reached the output:\n%q", b.String())
	}
}
