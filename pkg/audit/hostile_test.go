package audit

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

func startHostile(t *testing.T) *dnstest.Server {
	t.Helper()
	return dnstest.NewHostileMail(t)
}

func hostileClient(t *testing.T, s *dnstest.Server, timeout time.Duration) dnsq.Resolver {
	t.Helper()
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: timeout, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// hostileVerdicts discovers domain over the real client and judges it the
// three ways the commands do: check's and mx's Evaluate (DNS only) and
// simulate's EvaluateSimulation over Postfix's model.
func hostileVerdicts(t *testing.T, r dnsq.Resolver, domain string) (discover.Result, Verdict, Verdict) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := discover.Run(ctx, r, domain, discover.DefaultOptions())
	v := Evaluate(Facts{Discovery: d, WantIPv4: true, WantIPv6: true}, Policy{Now: now})
	doc, err := mta.Simulate(MTAInput(d), mta.Config{}, mta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d, v, EvaluateSimulation(d, &doc, Policy{Now: now})
}

// exitOf is the exit-code rule of docs/exit-codes.md over a verdict.
func exitOf(v Verdict) int {
	switch {
	case report.AtLeast(v.Findings, report.SeverityFail):
		return 1
	case v.Undetermined:
		return 3
	}
	return 0
}

func TestEvaluateCallsADomainWithoutDeterminableAddressesUndetermined(t *testing.T) {
	s := startHostile(t)
	r := hostileClient(t, s, 300*time.Millisecond)
	cases := []struct {
		domain string
		exit   int
		codes  []string // among the findings of Evaluate
	}{
		{"loop.test", 3, []string{report.CodeMXIsCNAME, report.CodeMXHostLookupTemp}},
		{"long.test", 3, []string{report.CodeMXIsCNAME, report.CodeMXHostLookupTemp}},
		{"servfail.test", 3, []string{report.CodeMXHostLookupTemp}},
		{"dropped.test", 3, []string{report.CodeMXHostLookupTemp}},
		// Definite: no address, and nothing failed temporarily.
		{"nodata.test", 1, []string{report.CodeMXHostNoAddress, report.CodeNoMXAddress}},
		// A definite failure (an MX host without addresses) and an unknown
		// one: the definite finding decides, and MC109 is not claimed.
		{"definite.test", 1, []string{report.CodeMXHostNoAddress, report.CodeMXHostLookupTemp}},
		{"good.test", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			_, v, sv := hostileVerdicts(t, r, c.domain)
			if got := exitOf(v); got != c.exit {
				t.Errorf("Evaluate: exit %d, want %d (findings %v, undetermined %v %q)", got, c.exit, codes(v), v.Undetermined, v.Reason)
			}
			if got := exitOf(sv); got != c.exit {
				t.Errorf("EvaluateSimulation: exit %d, want %d (findings %v, undetermined %v %q)", got, c.exit, codes(sv), sv.Undetermined, sv.Reason)
			}
			for _, code := range c.codes {
				if !slices.Contains(codes(v), code) {
					t.Errorf("no %s in %v", code, codes(v))
				}
			}
			if c.domain == "definite.test" && (slices.Contains(codes(v), report.CodeNoMXAddress) || !v.Undetermined) {
				t.Errorf("findings %v, undetermined %v: MC109 claimed over an unknown host, or the unknown host forgotten", codes(v), v.Undetermined)
			}
			if v.Undetermined && !strings.Contains(v.Reason, "could be determined") {
				t.Errorf("reason %q", v.Reason)
			}
		})
	}
}

func TestEvaluateNamesARealChangeForABrokenAliasChain(t *testing.T) {
	s := startHostile(t)
	r := hostileClient(t, s, 300*time.Millisecond)
	for domain, says := range map[string]string{
		"loop.test": "loops (mx.loop.test -> a.loop.test -> mx.loop.test)",
		"long.test": "longer than resolvers follow",
	} {
		_, v, _ := hostileVerdicts(t, r, domain)
		for _, f := range v.Findings {
			if f.Code != report.CodeMXIsCNAME {
				continue
			}
			if !strings.Contains(f.Message, says) {
				t.Errorf("%s: MC105 says %q, want %q", domain, f.Message, says)
			}
			// The old fix replaced the MX record by itself.
			if strings.Contains(f.Fix, "IN MX") || !strings.Contains(f.Fix, "IN CNAME") || !strings.Contains(f.Fix, "IN A <") {
				t.Errorf("%s: MC105 fix %q does not break the chain", domain, f.Fix)
			}
		}
	}
}

func TestRunCutShortBeforeAnyAddressIsUndetermined(t *testing.T) {
	s := startHostile(t)
	r := hostileClient(t, s, 2*time.Second)
	st := NewStages(Real{Resolver: r, Discover: discover.DefaultOptions(), NoSimulation: true})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	rep := Run(ctx, "slow.test", Options{WantIPv4: true, WantIPv6: true, Policy: Policy{Now: now}}, st)
	// Without the deadline the lookups would wait for the client's 2 s
	// query timeout. (Whether the report says partial depends on whether
	// the client gave up just before the deadline or at it.)
	if time.Since(start) >= 2*time.Second {
		t.Errorf("the deadline did not bound the run: %v", time.Since(start))
	}
	if !rep.Undetermined {
		t.Fatalf("undetermined %v (%q), findings %v", rep.Undetermined, rep.Reason, rep.Findings)
	}
	if exitOf(Verdict{Findings: rep.Findings, Undetermined: rep.Undetermined}) != 3 {
		t.Errorf("findings %v", rep.Findings)
	}
}

func TestAnMXTargetThatIsNotAHostNameFailsEveryCommand(t *testing.T) {
	s := startHostile(t)
	r := hostileClient(t, s, 300*time.Millisecond)
	d, v, sv := hostileVerdicts(t, r, "evil.test")
	if len(d.MX) != 1 || !d.MX[0].InvalidName || d.MX[0].Host != `mx\000evil.evil.test` {
		t.Fatalf("discovery %+v", d.MX)
	}
	// Postfix skips the record and bounces (research §1.2, DNS_INVAL).
	doc, _ := mta.Simulate(MTAInput(d), mta.Config{}, mta.Options{})
	if doc.Decision.Action != mta.ActionBounce || doc.Decision.DSN != "5.4.4" {
		t.Fatalf("Postfix decision %+v", doc.Decision)
	}
	for name, verdict := range map[string]Verdict{"Evaluate": v, "EvaluateSimulation": sv} {
		if !slices.Contains(codes(verdict), report.CodeMXInvalidName) || !slices.Contains(codes(verdict), report.CodeNoMXAddress) || exitOf(verdict) != 1 {
			t.Errorf("%s: findings %v", name, codes(verdict))
		}
	}
	for _, f := range v.Findings {
		if f.Code == report.CodeMXInvalidName && !strings.Contains(f.Message, "bounces every message (5.4.4)") {
			t.Errorf("MC112 says %q", f.Message)
		}
	}
}

func TestASimulatedBounceIsAFailFinding(t *testing.T) {
	s := startHostile(t)
	r := hostileClient(t, s, 300*time.Millisecond)
	d := discover.Run(context.Background(), r, "good.test", discover.DefaultOptions())
	// The sole MX address is this host's own: Postfix bounces with "mail
	// for good.test loops back to myself" (research §1.4).
	cfg := mta.Config{LocalAddrs: []netip.Addr{netip.MustParseAddr("192.0.2.60")}}
	doc, err := mta.Simulate(MTAInput(d), cfg, mta.Options{})
	if err != nil || doc.Decision.Action != mta.ActionBounce {
		t.Fatalf("decision %+v, %v", doc.Decision, err)
	}
	sv := EvaluateSimulation(d, &doc, Policy{Now: now})
	if !slices.Contains(codes(sv), report.CodeCertainBounce) || exitOf(sv) != 1 {
		t.Fatalf("findings %v", codes(sv))
	}
	// check's evaluation sees the same bounce through SimFacts.
	f := Facts{Discovery: d, WantIPv4: true, WantIPv6: true, Sim: SimFactsOf(&doc, nil)}
	if v := Evaluate(f, Policy{Now: now}); !slices.Contains(codes(v), report.CodeCertainBounce) {
		t.Errorf("Evaluate: findings %v", codes(v))
	}
	// A replay in which every address refuses the recipient bounces too.
	doc, _ = mta.Simulate(MTAInput(d), mta.Config{}, mta.Options{
		Outcomes: map[netip.Addr]mta.Outcome{netip.MustParseAddr("192.0.2.60"): mta.OutcomeRcpt5xx}, OutcomeSource: "assumed"})
	if doc.Replay == nil || doc.Replay.PBounced != 1 {
		t.Fatalf("replay %+v", doc.Replay)
	}
	if sv := EvaluateSimulation(d, &doc, Policy{Now: now}); !slices.Contains(codes(sv), report.CodeCertainBounce) {
		t.Errorf("replayed bounce: findings %v", codes(sv))
	}
	// The null MX bounce is the domain's wish, not a fault.
	doc, _ = mta.Simulate(mta.Input{Domain: "null.test", MXStatus: mta.LookupOK, NullMX: true}, mta.Config{}, mta.Options{})
	if sv := EvaluateSimulation(discover.Result{Domain: "null.test", MXStatus: dnsq.StatusOK, NullMX: true, MX: []discover.Exchange{}}, &doc, Policy{Now: now}); slices.Contains(codes(sv), report.CodeCertainBounce) || exitOf(sv) != 0 {
		t.Errorf("null MX: findings %v", codes(sv))
	}
}
