package document

import (
	"slices"

	"github.com/mailcheck/mailcheck/pkg/report"
)

// Deltas of a finding against a baseline (report.Finding.Delta).
const (
	DeltaNew   = "new"
	DeltaKnown = "known"
)

// Changes is what a zone change does to a domain's live result (check
// --compare-live): the overlay's result against live DNS's. Lists are
// sorted and never null.
type Changes struct {
	MXAdded          []string `json:"mx_added"`
	MXRemoved        []string `json:"mx_removed"`
	AddressesAdded   []string `json:"addresses_added"`
	AddressesRemoved []string `json:"addresses_removed"`
	// FamiliesGained and FamiliesLost are the families ("ipv4", "ipv6")
	// over which the domain accepts mail with the change and not live, or
	// live and not with the change: an address of the family, answering
	// SMTP when probed.
	FamiliesGained []string `json:"families_gained"`
	FamiliesLost   []string `json:"families_lost"`
	// PFirstIPv6 is the simulated MTA's share of first attempts over
	// IPv6, live and with the change; nil when the simulation did not
	// run (--dns-only).
	PFirstIPv6 *Shift `json:"p_first_ipv6,omitempty"`
}

// Shift is a value live and with the change.
type Shift struct {
	Live    float64 `json:"live"`
	Overlay float64 `json:"overlay"`
}

// Empty reports whether the change changes none of the things Changes
// lists.
func (c *Changes) Empty() bool {
	return len(c.MXAdded)+len(c.MXRemoved)+len(c.AddressesAdded)+len(c.AddressesRemoved)+
		len(c.FamiliesGained)+len(c.FamiliesLost) == 0 && (c.PFirstIPv6 == nil || c.PFirstIPv6.Live == c.PFirstIPv6.Overlay)
}

// Counted returns the findings that count toward the exit code: all but
// those a baseline already had (Delta "known"). Without a known one, that
// is fs itself, not a copy: the result is for reading only.
func Counted(fs []report.Finding) []report.Finding {
	if !slices.ContainsFunc(fs, known) {
		return fs
	}
	return slices.DeleteFunc(slices.Clone(fs), known)
}

func known(f report.Finding) bool { return f.Delta == DeltaKnown }
