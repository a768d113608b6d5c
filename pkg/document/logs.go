package document

import "github.com/mailcheck/mailcheck/pkg/maillog"

// Logs is what `mailcheck logs` reports (docs/json.md, "logs"): the
// summary of the mail logs read, its fields inline, and the files read.
type Logs struct {
	SchemaVersion int      `json:"schema_version"`
	Files         []string `json:"files"`
	*maillog.Summary
}

// Outcome: logs reports what the MTA saw; it does not judge this host, so
// it exits 0 whatever the logs say (bad input and I/O errors are the
// command's, exit 2).
func (d *Logs) Outcome() Outcome { return Outcome{} }
