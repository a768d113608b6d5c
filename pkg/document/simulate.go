package document

import (
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Simulate is the `mailcheck simulate` document: the model's document
// (DESIGN.md "simulate", docs/json.md) with the findings.
type Simulate struct {
	mta.Document
	DomainUnicode string           `json:"domain_unicode,omitempty"`
	Findings      []report.Finding `json:"findings"`
	// Undetermined: an answer the model needed never came (the MX query,
	// or the address queries when no MX host has a usable address: the
	// rule mx and check use), so the simulation cannot be trusted; the
	// exit code (3) says it.
	Undetermined bool `json:"-"`
}

// Outcome: simulate judges at fail severity (it has no --fail-on); a model
// the deadline stopped (Partial) could not be completed here.
func (d *Simulate) Outcome() Outcome {
	return Outcome{Findings: d.Findings, Undetermined: d.Undetermined || d.Partial}
}
