package document

import (
	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// Explain is what `mailcheck explain` reports: the recognised
// bounce (its fields inline, docs/json.md "explain"), the sender checks it
// implied when they ran, and their findings.
//
// For a whole message the inline result is its primary recipient's (the
// first one a rule recognised), as before messages were read recipient by
// recipient, and Recipients holds every one of them.
type Explain struct {
	SchemaVersion int `json:"schema_version"`
	bounce.Result
	// Subject, From and ReportingMTA describe a whole bounce message
	// (RFC 5322 Subject and From, RFC 3464 §2.2.2 Reporting-MTA).
	Subject      string `json:"subject,omitempty"`
	From         string `json:"from,omitempty"`
	ReportingMTA string `json:"reporting_mta,omitempty"`
	// Recipients is one result per recipient of a whole message; absent
	// for a pasted reply or log line.
	Recipients []bounce.Recipient `json:"recipients,omitempty"`
	// ChecksRun is true when the sender checks ran; otherwise ChecksNote
	// says why not and what they would have checked.
	ChecksRun  bool             `json:"checks_run"`
	ChecksNote string           `json:"checks_note,omitempty"`
	Sender     *sender.Report   `json:"sender,omitempty"`
	Findings   []report.Finding `json:"findings"`
}

// Outcome: explain reports, it does not judge (DESIGN.md: it exits 0
// whether or not it recognised the text), so its findings do not count.
func (d *Explain) Outcome() Outcome { return Outcome{} }
