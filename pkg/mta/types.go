package mta

import (
	"math/big"
	"net/netip"
)

// Candidate is one address the MTA may attempt. The same IP can appear twice
// when two exchanges share it (Postfix keeps duplicates, research §1.3.9).
type Candidate struct {
	Index      int // position in the canonical list, from 0
	IP         netip.Addr
	Family     string
	Host       string
	Preference uint16
}

// Action is what the MTA does with a message for the domain when it cannot
// even attempt a connection, or what a replayed delivery ends with.
type Action string

const (
	ActionAttempt   Action = "attempt"   // there are addresses to try
	ActionDeliver   Action = "delivered" // replay: a session accepted the message
	ActionDefer     Action = "defer"     // temporary failure, the message stays queued
	ActionBounce    Action = "bounce"    // permanent failure, a bounce goes to the sender
	ActionFreeze    Action = "freeze"    // Exim: the lowest MX is this host ("self = freeze")
	ActionUndecided Action = "unknown"   // the input does not say (for example the MX lookup was not made)
)

// Decision is the outcome of address selection before any connection.
type Decision struct {
	Action Action `json:"action"`
	DSN    string `json:"dsn,omitempty"`    // enhanced status code, "5.1.0"
	Reason string `json:"reason,omitempty"` // the MTA's wording or a plain explanation
}

// Ordering is one attempt order (candidate indices) with its probability.
type Ordering struct {
	Order []int
	P     *big.Rat
}

// Pattern is the sequence of families of the attempts, "46644" style
// (research §1.10), with its probability.
type Pattern struct {
	Families string
	P        *big.Rat
}

// Distribution is the exact distribution of attempt orders for one domain.
type Distribution struct {
	Candidates []Candidate
	// PFirst and PTried are indexed like Candidates. PTried is the
	// probability that the candidate is attempted when every earlier attempt
	// fails, within the address limit.
	PFirst     []*big.Rat
	PTried     []*big.Rat
	PFirstIPv6 *big.Rat
	// Patterns is the distribution of family sequences, most likely first.
	// Nil when it was too large to enumerate (PatternsComplete false).
	Patterns         []Pattern
	PatternsComplete bool
	// Orderings holds the most likely orderings, at most the cap asked;
	// OrderingsTotal counts all distinct orderings and OmittedP is the
	// probability of those left out.
	Orderings      []Ordering
	OrderingsTotal *big.Int
	OmittedP       *big.Rat
	// Exact is false when the model had to fall back to sampling.
	Exact bool
}

func rat(a, b int64) *big.Rat { return big.NewRat(a, b) }

func ratFloat(r *big.Rat) float64 {
	if r == nil {
		return 0
	}
	f, _ := r.Float64()
	return f
}
