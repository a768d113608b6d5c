package document

import (
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// Probe is the `mailcheck probe` document (docs/json.md, "probe").
type Probe struct {
	SchemaVersion int `json:"schema_version"`
	// Target is what was asked, normalised: a domain or host name in
	// A-label form without the trailing dot, or an IP address.
	Target        string `json:"target"`
	TargetUnicode string `json:"target_unicode,omitempty"` // U-label form of an IDN target
	// TargetKind is "domain" (its MX addresses, or its own addresses
	// through the implicit MX) or "ip" (an IP literal).
	TargetKind string `json:"target_kind"`
	Port       int    `json:"port"`
	HELO       string `json:"helo"` // the EHLO argument sent ("" = each connection's address literal)
	// NullMX is true when the domain publishes a null MX (RFC 7505): there
	// is nothing to probe.
	NullMX     bool `json:"null_mx"`
	ImplicitMX bool `json:"implicit_mx"`
	// Probes are in the order of the MX records (by preference) and, per
	// exchange, A before AAAA in answer order.
	Probes      []smtpprobe.Result     `json:"probes"`
	Differences []smtpprobe.Difference `json:"differences"`
	NameChecks  []smtpprobe.NameCheck  `json:"name_checks"`
	// AllTimedOut: every probe that could run timed out at connect;
	// outbound port 25 is probably blocked here (see Notes).
	AllTimedOut bool `json:"all_timed_out"`
	// Partial: the run's deadline (--timeout) cut something short, the
	// MX and address lookups or a probe (smtpprobe.Result.DeadlineReached)
	// whose server had not used up its own timeouts. What it cut is not
	// judged, and never blamed on a server.
	Partial bool `json:"partial"`
	// Notes explain what the results mean beyond one address (DNS problems,
	// addresses left out, a blocked port).
	Notes    []string         `json:"notes"`
	Findings []report.Finding `json:"findings"`
	// Undetermined: nothing could be judged from here (every probe
	// inconclusive, the MX lookup or every address lookup got no answer);
	// the exit code (3) says it, the notes say why.
	Undetermined bool `json:"-"`
}

// Outcome: probe judges at fail severity (it has no --fail-on).
func (d *Probe) Outcome() Outcome {
	return Outcome{Findings: d.Findings, Undetermined: d.Undetermined}
}
