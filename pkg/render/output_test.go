package render

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
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

// A buffered writer is flushed at the end of the run, and a failed flush
// is the run's write error: the next report is not written.
func TestCheckStreamFlushesAtTheEndAndStopsAtAFailedFlush(t *testing.T) {
	var out bytes.Buffer
	buf := bufio.NewWriter(&out)
	w, err := NewCheckWriter("jsonl", buf, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := &CheckStream{W: w, Flush: buf.Flush}
	if err := s.Write(&document.Check{Input: "a.example"}); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Fatalf("written before the end: %q", out.String())
	}
	if _, err := s.End(false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"a.example"`) {
		t.Errorf("after End: %q, want the report", out.String())
	}

	broken := errors.New("broken pipe")
	s = &CheckStream{W: w, Flush: func() error { return broken }}
	if err := s.Idle(); !errors.Is(err, broken) {
		t.Errorf("Idle: %v, want the flush's error", err)
	}
	if err := s.Write(&document.Check{Input: "b.example"}); !errors.Is(err, broken) {
		t.Errorf("Write after a failed flush: %v, want the flush's error", err)
	}
}
