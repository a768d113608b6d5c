package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

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
	sv := EvaluateSimulation(doc.(*mta.Document), sandboxPolicy())
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
	v := EvaluateSimulation(&doc, sandboxPolicy())
	if got := codes(v); !slices.Equal(got, []string{"MC503"}) {
		t.Errorf("findings %v", got)
	}
}

// The report's JSON merges a *mta.Document without re-parsing it; the
// result must be what the generic merge (any other value) gives, with no
// key twice.
func TestReportJSONMergesASimulateDocumentLikeTheGenericPath(t *testing.T) {
	f := healthy()
	doc, _ := Simulate(context.Background(), f.Discovery, f.Probes, mta.Config{}, CheckMaxOrderings)
	rep := Report{SchemaVersion: 1, Result: f.Discovery, Probed: true, Probes: f.Probes, Simulation: doc}
	fast, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// The generic path: the same document as a plain map.
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var asMap map[string]any
	if err := json.Unmarshal(b, &asMap); err != nil {
		t.Fatal(err)
	}
	rep.Simulation = asMap
	slow, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var a, c map[string]any
	if err := json.Unmarshal(fast, &a); err != nil {
		t.Fatalf("%v: %s", err, fast)
	}
	if err := json.Unmarshal(slow, &c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, c) {
		t.Errorf("fast merge differs from the generic one:\n%s\n%s", fast, slow)
	}
	if a["domain"] != "example.org" || a["mta"] == nil || a["orderings"] == nil {
		t.Errorf("merged document lacks domain, mta or orderings: %s", fast)
	}
	// No key twice at the top level.
	dec := json.NewDecoder(bytes.NewReader(fast))
	seen := map[string]bool{}
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 && dec.More() {
				if seen[v] {
					t.Errorf("key %q twice", v)
				}
				seen[v] = true
				// Skip its value.
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if len(seen) != len(a) {
		t.Errorf("%d top-level keys read, %d in the document", len(seen), len(a))
	}
}

// BenchmarkReportMarshalJSON is one check document with its simulation, as
// `check -o jsonl` writes it per domain.
func BenchmarkReportMarshalJSON(b *testing.B) {
	f := healthy()
	doc, _ := Simulate(context.Background(), f.Discovery, f.Probes, mta.Config{}, CheckMaxOrderings)
	rep := Report{SchemaVersion: 1, Result: f.Discovery, Probed: true, Probes: f.Probes, Simulation: doc}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rep.MarshalJSON(); err != nil {
			b.Fatal(err)
		}
	}
}
