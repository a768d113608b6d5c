// Package iprev checks reverse DNS: the PTR names of an address and whether
// any of them forward-confirms (FCrDNS, RFC 8601 §3 "iprev").
package iprev

// Status is the forward-confirmation verdict for one address. The string
// values are part of the JSON contract (docs/json.md).
type Status string

const (
	StatusNone      Status = "none"      // no PTR record
	StatusPass      Status = "pass"      // a PTR name resolves, in the address's family, back to the address
	StatusFail      Status = "fail"      // PTR exists but no name maps back (NXDOMAIN names included)
	StatusTempError Status = "temperror" // a lookup timed out or failed temporarily
	StatusPermError Status = "permerror" // malformed PTR data
	// StatusSkipped means reverse DNS was not asked for (discover.Options.RDNS
	// false); it is never the outcome of Check.
	StatusSkipped Status = "skipped"
)
