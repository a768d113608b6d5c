package cli

import (
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// One mapping from a document to an exit code serves every command:
// bad input 2, findings at or above the threshold 1, else undetermined 3.
func TestDocExitMapsEveryCommandsDocumentTheSameWay(t *testing.T) {
	warn := []report.Finding{{Code: "MC207", Severity: report.SeverityWarn}}
	fail := []report.Finding{{Code: "MC301", Severity: report.SeverityFail}}
	tests := []struct {
		name   string
		doc    document.Judged
		failOn report.Severity
		want   int
	}{
		{"mx clean", &document.MX{}, report.SeverityFail, ExitOK},
		{"mx unanswered", &document.MX{Undetermined: true}, report.SeverityFail, ExitUndetermined},
		{"mx failure beats undetermined", &document.MX{Findings: fail, Undetermined: true}, report.SeverityFail, ExitFindings},
		{"probe warn below fail", &document.Probe{Findings: warn}, report.SeverityFail, ExitOK},
		{"simulate undetermined", &document.Simulate{Undetermined: true}, report.SeverityFail, ExitUndetermined},
		{"check warn at --fail-on warn", &document.Check{Findings: warn}, report.SeverityWarn, ExitFindings},
		{"check bad input", &document.Check{Error: "not a domain", Findings: fail}, report.SeverityFail, ExitUsage},
		{"sender undetermined", document.Sender{Report: &sender.Report{Undetermined: true}}, report.SeverityFail, ExitUndetermined},
		{"explain never judges", &document.Explain{Findings: fail}, report.SeverityFail, ExitOK},
	}
	for _, tt := range tests {
		if got := docExit(tt.doc, tt.failOn); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
