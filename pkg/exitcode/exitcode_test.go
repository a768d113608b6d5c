package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// One mapping from a document to an exit code serves every command:
// bad input 2, findings at or above the threshold 1, else undetermined 3.
func TestForMapsEveryCommandsDocumentTheSameWay(t *testing.T) {
	warn := []report.Finding{{Code: "MC207", Severity: report.SeverityWarn}}
	fail := []report.Finding{{Code: "MC301", Severity: report.SeverityFail}}
	tests := []struct {
		name   string
		doc    document.Judged
		failOn report.Severity
		want   int
	}{
		{"mx clean", &document.MX{}, report.SeverityFail, OK},
		{"mx unanswered", &document.MX{Undetermined: true}, report.SeverityFail, Undetermined},
		{"mx failure beats undetermined", &document.MX{Findings: fail, Undetermined: true}, report.SeverityFail, Findings},
		{"probe warn below fail", &document.Probe{Findings: warn}, report.SeverityFail, OK},
		{"simulate undetermined", &document.Simulate{Undetermined: true}, report.SeverityFail, Undetermined},
		{"check warn at --fail-on warn", &document.Check{Findings: warn}, report.SeverityWarn, Findings},
		{"check bad input", &document.Check{Error: "not a domain", Findings: fail}, report.SeverityFail, Usage},
		{"sender undetermined", document.Sender{Report: &sender.Report{Undetermined: true}}, report.SeverityFail, Undetermined},
		{"explain never judges", &document.Explain{Findings: fail}, report.SeverityFail, OK},
	}
	for _, tt := range tests {
		if got := For(tt.doc, tt.failOn); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// A simulation the deadline stopped could not be completed here: exit 3,
// like a lookup that got no answer; complete, the same domain exits 0.
func TestSimulateExitsThreeWhenTheDeadlineStoppedTheModel(t *testing.T) {
	partial := &document.Simulate{Document: mta.Document{Domain: "example.test", Partial: true}}
	if got := For(partial, report.SeverityFail); got != Undetermined {
		t.Errorf("partial: exit %d, want %d", got, Undetermined)
	}
	complete := &document.Simulate{Document: mta.Document{Domain: "example.test"}}
	if got := For(complete, report.SeverityFail); got != OK {
		t.Errorf("complete: exit %d, want %d", got, OK)
	}
}

// Over a bulk run the worst code wins, in the order bad input, findings,
// undetermined, OK, whatever order the domains finish in.
func TestWorseRanksBadInputThenFindingsThenUndetermined(t *testing.T) {
	codes := []int{OK, Undetermined, Findings, Usage}
	for i := range codes {
		for j := range codes {
			want := codes[max(i, j)]
			if got := Worse(codes[i], codes[j]); got != want {
				t.Errorf("Worse(%d, %d) = %d, want %d", codes[i], codes[j], got, want)
			}
		}
	}
}

// A command's error carries its code through wrapping; any other error is
// bad usage, and no error is success.
func TestOfReadsTheCodeThroughWrapping(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, OK},
		{&Error{Code: Undetermined, Err: errors.New("no resolver")}, Undetermined},
		{fmt.Errorf("writing: %w", &Error{Code: IOError}), IOError},
		{errors.New("unknown flag"), Usage},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
	if got := (&Error{Code: Findings}).Error(); got != "exit status 1" {
		t.Errorf("a silent Error says %q", got)
	}
}
