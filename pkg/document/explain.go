package document

import (
	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// Explain is what `mailcheck explain` reports: the recognised
// bounce (its fields inline, docs/json.md "explain"), the sender checks it
// implied when they ran, and their findings.
type Explain struct {
	SchemaVersion int `json:"schema_version"`
	bounce.Result
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
