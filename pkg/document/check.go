package document

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// Check is the check document for one domain: the union of the mx, probe
// and simulate documents plus findings (DESIGN.md, "check"). Its JSON form
// is the contract documented in docs/json.md; `-o jsonl` writes it on one
// line per domain.
type Check struct {
	SchemaVersion int `json:"schema_version"`
	// Input is what the user gave, when it differs from Domain (bulk
	// lines, U-labels, addresses); Error is set when it was not a domain.
	Input string `json:"input,omitempty"`
	Error string `json:"error,omitempty"`

	discover.Result
	Probed bool               `json:"probed"` // false under --dns-only
	Probes []smtpprobe.Result `json:"probes"`
	// Simulation is the simulate document of the default MTA; its fields
	// (mta, attempts, p_first_ipv6, orderings, replay, ...) are written at
	// the top level. Nil when the simulation did not run (--dns-only).
	Simulation *mta.Document `json:"-"`
	// Delivery summarises the simulation for the text and markdown
	// reports (the JSON carries the whole simulate document instead).
	Delivery *Delivery `json:"-"`

	// Sender is the sending-side audit of this host for the domain
	// (check --sender: the sender document); its findings (MC6xx) are in
	// Findings too.
	Sender *sender.Report `json:"sender,omitempty"`

	// DANE, MTASTS and TLSRPT are the domain's TLS policy (package
	// tlspolicy); nil when it was not checked (--dns-only). Each probe
	// carries its own DANE verdict.
	DANE   *DANE             `json:"dane,omitempty"`
	MTASTS *tlspolicy.MTASTS `json:"mta_sts,omitempty"`
	TLSRPT *tlspolicy.TLSRPT `json:"tls_rpt,omitempty"`

	Findings []report.Finding `json:"findings"`
	// Resolved are the baseline's findings this run no longer has, and
	// Changes what a zone change does to the live result (check
	// --compare-live, --baseline; compare.go).
	Resolved []report.Finding `json:"resolved,omitempty"`
	Changes  *Changes         `json:"changes,omitempty"`
	// Undetermined says this machine could not reach a verdict (resolver
	// unreachable, every probe inconclusive); Reason says why.
	Undetermined bool   `json:"undetermined"`
	Reason       string `json:"undetermined_reason,omitempty"`
	Partial      bool   `json:"partial"` // the deadline cut something short
	ElapsedMS    int64  `json:"elapsed_ms"`
	// Sandbox marks the demo: addresses are served on loopback.
	Sandbox bool `json:"sandbox,omitempty"`
	// NoStartTLS says the probes did not try STARTTLS (--no-starttls), so
	// TLS was not judged (MC906 in Findings says so).
	NoStartTLS bool `json:"-"`
}

// DANE is the domain's DANE lookups: whether the resolver validates
// DNSSEC (without that, DANE is not judged) and the TLSA records of each
// exchange.
type DANE struct {
	Validation tlspolicy.Validation `json:"validation"`
	TLSA       []tlspolicy.TLSASet  `json:"tlsa"`
}

// Delivery is what the simulated MTA would do with a message now.
type Delivery struct {
	MTA        string  // "Postfix 3.7.11"
	Defaults   bool    // every setting at its default (no --set, --main-cf)
	PFirstIPv6 float64 // probability that the first attempt is over IPv6
	Replayed   bool    // the replay over measured outcomes ran
	PDelivered float64
	PDeferred  float64
	PBounced   float64
	// ExpectedDelay is the mean time lost to failing attempts before the
	// session that delivers (connect timeouts only).
	ExpectedDelay float64 // seconds
}

// simBody is the simulate document without the keys it shares with the
// check document (schema_version, domain, partial): the shallower fields
// hide the embedded ones, and being nil they are omitted.
type simBody struct {
	*mta.Document
	SchemaVersion *struct{} `json:"schema_version,omitempty"`
	Domain        *struct{} `json:"domain,omitempty"`
	Partial       *struct{} `json:"partial,omitempty"` // the report's own partial says it
}

// checkFields is Check without its MarshalJSON, for the default encoding.
type checkFields Check

// MarshalJSON writes the document with the simulation's fields merged in at
// the top level, as the union the check document promises: the check
// fields, then the simulate document's own fields (schema_version and
// domain, which both carry, appear once, from the check).
func (r Check) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := r.AppendJSON(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// AppendJSON appends what MarshalJSON returns to buf, with no copy of its
// own: `check -o jsonl` encodes every domain into one reused line buffer.
// On an error buf is as it was.
func (r *Check) AppendJSON(buf *bytes.Buffer) error {
	start := buf.Len()
	enc := json.NewEncoder(buf)
	// No HTML escaping: fixes hold `<placeholders>` that must read as
	// written in every consumer.
	enc.SetEscapeHTML(false)
	// By value, as MarshalJSON's receiver: the same fields are
	// addressable, so the same marshalers run.
	if err := enc.Encode(checkFields(*r)); err != nil {
		buf.Truncate(start)
		return err
	}
	buf.Truncate(buf.Len() - 1) // the Encoder's newline
	if r.Simulation == nil {
		return nil
	}
	mark := buf.Len()
	if err := enc.Encode(simBody{Document: r.Simulation}); err != nil {
		buf.Truncate(start)
		return fmt.Errorf("simulation: %w", err)
	}
	b := buf.Bytes()
	sim := b[mark : len(b)-1]
	if len(sim) <= 2 {
		buf.Truncate(mark)
		return nil
	}
	// "{...check}" + "{...simulation}" -> "{...check,...simulation}".
	b[mark-1] = ','
	n := copy(b[mark:], sim[1:])
	buf.Truncate(mark + n)
	return nil
}

// Counts returns how many findings there are of each severity.
func (r *Check) Counts() (fail, warn, info int) {
	for _, f := range r.Findings {
		switch f.Severity {
		case report.SeverityFail:
			fail++
		case report.SeverityWarn:
			warn++
		default:
			info++
		}
	}
	return
}

// Outcome: a line that was not a domain is bad input; otherwise the
// findings (--ignore already applied) and whether anything could be judged.
func (r *Check) Outcome() Outcome {
	return Outcome{Findings: Counted(r.Findings), Undetermined: r.Undetermined, BadInput: r.Error != ""}
}
