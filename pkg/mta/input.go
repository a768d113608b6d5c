package mta

import (
	"net/netip"
)

// LookupStatus is the outcome of one DNS query as the models see it. The
// values are the lookup statuses of the JSON documents (DESIGN.md: ok,
// nodata, nxdomain, servfail, refused, timeout, error, skipped); the empty
// value means the query was not reported at all. The orchestrator maps its
// resolver's statuses onto these (pkg/audit), so that the models need
// nothing but the standard library and pkg/addr.
type LookupStatus string

const (
	LookupOK       LookupStatus = "ok"       // at least one record of the asked type
	LookupNoData   LookupStatus = "nodata"   // the name exists, no record of that type
	LookupNXDomain LookupStatus = "nxdomain" // the name does not exist
	LookupServFail LookupStatus = "servfail" // SERVFAIL
	LookupRefused  LookupStatus = "refused"  // REFUSED
	LookupTimeout  LookupStatus = "timeout"  // no answer in time
	LookupError    LookupStatus = "error"    // network error, malformed answer, other rcode
	LookupSkipped  LookupStatus = "skipped"  // not asked (for example -4 skips AAAA)
)

// Temporary reports whether an MTA would treat the status as a temporary
// failure (and so defer) rather than a definite answer.
func (s LookupStatus) Temporary() bool {
	return s == LookupServFail || s == LookupRefused || s == LookupTimeout || s == LookupError
}

// Input is what an MTA knows about a destination domain after its DNS
// lookups, in a form that needs no I/O: the MX answer and, for every MX
// target, the A and AAAA answers with their statuses. Order matters: MX holds
// the records as the server sent them (Postfix and Exim keep answer order on
// preference ties, research §1.2, §2.1), and A/AAAA hold each answer in
// order (research §1.3).
type Input struct {
	Domain   string       // the mail domain, no trailing dot
	MXStatus LookupStatus // status of the MX query
	// NullMX is set when at least one MX record has the empty target "."
	// (RFC 7505). MX then holds the other records, if any.
	NullMX bool
	// ImplicitMX is set when the MX query found no records (NODATA or
	// NXDOMAIN): the domain itself is the exchange with preference 0
	// (RFC 5321 §5.1). MX then holds that one exchange.
	ImplicitMX bool
	// OtherMXUnknown is set when NullMX is set but the source could not say
	// whether other MX records were present.
	OtherMXUnknown bool
	MX             []Exchange
}

// Exchange is one MX target with its addresses.
type Exchange struct {
	Preference uint16
	Host       string // no trailing dot; the domain itself for an implicit MX
	// IPLiteral is set when the MX target is an address, not a name:
	// Postfix and OpenSMTPD use it, Exim refuses it by default (research §1.3, §2.1).
	IPLiteral bool
	// InvalidName is set when the target is not a valid host name
	// (RFC 1123 §2.1): Postfix drops such an MX record (research §1.2,
	// dns_lookup.c valid_rr_name()).
	InvalidName bool
	AStatus     LookupStatus
	AAAAStatus  LookupStatus
	A           []netip.Addr // answer order
	AAAA        []netip.Addr // answer order
}
