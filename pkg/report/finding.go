// Package report holds mailcheck's findings: the catalogue of stable codes
// with their severities and fixes, and the Finding values that commands
// report. It computes nothing from the network and prints nothing.
package report

import "fmt"

// Severity orders findings: info < warn < fail. The string values are part
// of the JSON contract.
type Severity string

const (
	SeverityInfo Severity = "info"
	SeverityWarn Severity = "warn"
	SeverityFail Severity = "fail"
)

// Rank returns 0 for info, 1 for warn, 2 for fail and -1 for anything else.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 0
	case SeverityWarn:
		return 1
	case SeverityFail:
		return 2
	}
	return -1
}

// ParseSeverity accepts "info", "warn" or "fail".
func ParseSeverity(s string) (Severity, error) {
	sev := Severity(s)
	if sev.Rank() < 0 {
		return "", fmt.Errorf("unknown severity %q (want info, warn or fail)", s)
	}
	return sev, nil
}

// Finding is one verdict about a domain, host or address.
type Finding struct {
	Code     string   `json:"code"`     // "MC" + 3 digits, stable
	Severity Severity `json:"severity"` // info, warn or fail
	Subject  string   `json:"subject"`  // the domain, host or address it is about
	Message  string   `json:"message"`  // plain language, one sentence or two
	Fix      string   `json:"fix"`      // the exact record to publish or setting to change
	// Delta says, against a baseline (check --compare-live: the live
	// result; --baseline FILE: a previous report), whether the finding is
	// "new" or "known"; empty without one. Known findings do not count
	// toward the exit code.
	Delta string `json:"delta,omitempty"`
}

// SchemaVersion is carried as "schema_version" by every JSON document
// mailcheck writes. Bump it only for incompatible changes (docs/json.md).
const SchemaVersion = 1
