package document

import "github.com/mailcheck/mailcheck/pkg/sender"

// Sender is the `mailcheck sender` document (docs/json.md, "sender"): the
// audit's report, its fields inline.
type Sender struct {
	*sender.Report
}

// Outcome: the findings (--ignore already applied), and undetermined when
// DNS gave no definite answer at all.
func (d Sender) Outcome() Outcome {
	return Outcome{Findings: d.Findings, Undetermined: d.Undetermined}
}
