package audit

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// hugeDiscovery is n equal-preference exchanges with one IPv4 and one IPv6
// address each: enough for Exim's model to need thousands of steps.
func hugeDiscovery(n int) discover.Result {
	r := discover.Result{Domain: "example.org", MXStatus: dnsq.StatusOK}
	for i := 0; i < n; i++ {
		r.MX = append(r.MX, discover.Exchange{Preference: 10, Host: fmt.Sprintf("mx%d.example.org", i), AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
			Addresses: []discover.Address{
				{IP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), Family: "ipv4"},
				{IP: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), Family: "ipv6"},
			}})
	}
	return r
}

// When the domain's context has ended, the simulation stops at its next
// poll: the check report is partial (MC903) and the incomplete simulation
// is not judged (no delivery summary, no MC5xx findings).
func TestRunReportsASimulationTheDeadlineStoppedAsPartial(t *testing.T) {
	d := hugeDiscovery(200)
	st := Stages{
		Discover: func(_ context.Context, _ string, _ func(string, []netip.Addr), res *discover.Result) { *res = d },
		Simulate: func(ctx context.Context, d discover.Result, p []smtpprobe.Result) (*mta.Document, *SimFacts) {
			return Simulate(ctx, d, p, mta.Config{MTA: mta.Exim}, CheckMaxOrderings)
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep := Run(ctx, "example.org", Options{WantIPv4: true, WantIPv6: true, Policy: sandboxPolicy()}, st)
	doc := rep.Simulation
	if doc == nil || !doc.Partial {
		t.Fatalf("simulation %+v, want a partial document", doc)
	}
	if !rep.Partial || rep.Delivery != nil {
		t.Errorf("report partial %v, delivery %+v", rep.Partial, rep.Delivery)
	}
	var codes []string
	for _, f := range rep.Findings {
		codes = append(codes, f.Code)
	}
	if !slices.Contains(codes, "MC903") || slices.ContainsFunc(codes, func(c string) bool { return c[:3] == "MC5" }) {
		t.Errorf("findings %v, want MC903 and no MC5xx", codes)
	}
	if v := EvaluateSimulation(d, doc, sandboxPolicy()); len(v.Findings) != 0 || !v.Undetermined {
		t.Errorf("simulate's own verdict on a partial document: %+v", v)
	}
	// The same discovery with time left is simulated completely.
	full, facts := Simulate(context.Background(), d, nil, mta.Config{MTA: mta.Exim}, CheckMaxOrderings)
	if full.Partial || facts == nil {
		t.Errorf("unstopped simulation partial=%v facts=%v", full.Partial, facts)
	}
}
