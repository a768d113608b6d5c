package render

import (
	"bytes"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/exitcode"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// A bulk run's code is the worst of its reports' (bad input over findings
// over undetermined), unless it was interrupted (130) or its list could not
// be read to the end (2); the summary counts each kind.
func TestCheckStreamCountsReportsAndEndsWithTheRunsCode(t *testing.T) {
	fail := []report.Finding{{Code: "MC301", Severity: report.SeverityFail}}
	reports := []*document.Check{
		{Input: "ok.example"},
		{Input: "bad.example", Findings: fail},
		{Input: "unknown.example", Undetermined: true},
	}
	tests := []struct {
		name                  string
		interrupted, badInput bool
		want                  int
	}{
		{"complete", false, false, exitcode.Findings},
		{"interrupted", true, false, exitcode.Interrupted},
		{"list unreadable", false, true, exitcode.Usage},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w, err := NewCheckWriter("text", &out, CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := &CheckStream{W: w, FailOn: report.SeverityFail}
		for _, r := range reports {
			if err := s.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		code, err := s.End(tt.interrupted, tt.badInput)
		if err != nil || code != tt.want {
			t.Errorf("%s: End = %d, %v; want %d", tt.name, code, err, tt.want)
		}
		if s.sum.Domains != 3 || s.sum.Failed != 1 || s.sum.Undetermined != 1 {
			t.Errorf("%s: summary %+v, want 3 domains, 1 failed, 1 undetermined", tt.name, s.sum)
		}
	}
}
