// Package document holds the typed documents every command returns: what
// JSON encodes and what render prints. The orchestrator (pkg/audit) fills
// them; render writes them; the command layer maps them to an exit code
// through Outcome. A document is complete before it is rendered.
//
// The JSON field names are the contract documented in docs/json.md (a test
// in pkg/cli checks that page against real output). Documents embed the
// fact types of the packages that measured them (discover.Result,
// smtpprobe.Result, mta.Document, sender.Report, bounce.Result) so that a
// fact has one definition; no field is `any` and nothing is encoded by
// re-parsing JSON.
package document

import "github.com/mailcheck/mailcheck/pkg/report"

// Outcome is what a document says for the exit code (docs/exit-codes.md):
// findings at or above the threshold, else undetermined, else fine; bad
// input before all of them.
type Outcome struct {
	Findings     []report.Finding
	Undetermined bool // this machine could not reach a verdict
	BadInput     bool // the input was not something that can be checked
}

// Judged is a document that has an Outcome. Every command's document is.
type Judged interface {
	Outcome() Outcome
}
