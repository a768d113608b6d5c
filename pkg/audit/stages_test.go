package audit

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

func TestSimulationOverMeasuredOutcomesFindsTheCostlyFirstAttempt(t *testing.T) {
	f := healthy()
	// mx1's IPv6 address blackholed: Postfix (any, balanced) tries it first
	// with probability 1/2 (research §1.10).
	f.Probes[1] = smtpprobe.Result{Host: "mx1.example.org", IP: f.Probes[1].IP, Family: "ipv6", Port: 25, Status: smtpprobe.StatusTimeout, Phase: smtpprobe.PhaseConnect}
	doc, sf := Simulate(context.Background(), f.Discovery, f.Probes, mta.Config{}, CheckMaxOrderings)
	if doc == nil || sf == nil {
		t.Fatal("no simulation")
	}
	if sf.PFirstIPv6 != 0.5 || sf.PFirst[f.Probes[1].IP] != 0.5 {
		t.Fatalf("p_first_ipv6 %v, p_first of the dead address %v", sf.PFirstIPv6, sf.PFirst[f.Probes[1].IP])
	}
	f.Sim = sf
	v := Evaluate(f, sandboxPolicy())
	if !slices.Contains(codes(v), "MC501") || !slices.Contains(codes(v), "MC503") {
		t.Errorf("findings %v", codes(v))
	}
	sv := EvaluateSimulation(f.Discovery, doc, sandboxPolicy())
	if !slices.Contains(codes(sv), "MC501") {
		t.Errorf("simulate's own evaluation: %v", codes(sv))
	}
}

func TestSimulationWithoutOutcomesReportsOnlyTheFamilyShare(t *testing.T) {
	d := healthy().Discovery
	doc, err := mta.Simulate(MTAInput(d), mta.Config{}, mta.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := EvaluateSimulation(d, &doc, sandboxPolicy())
	if got := codes(v); !slices.Equal(got, []string{"MC503"}) {
		t.Errorf("findings %v", got)
	}
}

// BenchmarkCheckMarshalJSON is one check document with its simulation.
func BenchmarkCheckMarshalJSON(b *testing.B) {
	rep := benchCheck()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rep.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckAppendJSON is the same document as `check -o jsonl` writes
// it per domain: into one reused line buffer.
func BenchmarkCheckAppendJSON(b *testing.B) {
	rep := benchCheck()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := rep.AppendJSON(&buf); err != nil {
			b.Fatal(err)
		}
	}
}

func benchCheck() document.Check {
	f := healthy()
	doc, _ := Simulate(context.Background(), f.Discovery, f.Probes, mta.Config{}, CheckMaxOrderings)
	return document.Check{SchemaVersion: 1, Result: f.Discovery, Probed: true, Probes: f.Probes, Simulation: doc}
}
