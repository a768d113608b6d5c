package document

import (
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// MX is the `mailcheck mx` document: the discovery result with the schema
// version and the findings (docs/json.md, "mx").
type MX struct {
	SchemaVersion int `json:"schema_version"`
	discover.Result
	// DNSSECValidation says whether the resolver validates DNSSEC, asked
	// as Postfix's dnssec_probe does; without it every lookup's DNSSEC
	// status (mx_dnssec, a_dnssec, aaaa_dnssec) is not_judged, and Fix
	// says what to do.
	DNSSECValidation *tlspolicy.Validation `json:"dnssec_validation,omitempty"`
	Findings         []report.Finding      `json:"findings"`
	// Families says which families were asked for, for the text renderer's
	// "not checked" line; it is not part of the JSON document (a skipped
	// family shows as "skipped" statuses there).
	Families Families `json:"-"`
	// Undetermined: the MX query got no answer (timeout, no server
	// reachable), so nothing could be judged; not part of the JSON
	// document, the exit code (3) says it.
	Undetermined bool `json:"-"`
}

// Families are the address families a command looked up.
type Families struct{ IPv4, IPv6 bool }

// Outcome: mx judges at fail severity (it has no --fail-on).
func (d *MX) Outcome() Outcome {
	return Outcome{Findings: d.Findings, Undetermined: d.Undetermined}
}
