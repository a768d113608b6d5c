// Package dnsq is mailcheck's DNS client and the only package that imports
// github.com/miekg/dns.
//
// The Resolver interface is shaped for mail diagnostics rather than for
// general name resolution: every lookup takes a context, names are absolute
// (lower-case, with the trailing dot), and every answer carries a Status that
// keeps NXDOMAIN apart from NODATA and SERVFAIL apart from a timeout, together
// with the server that answered, the round-trip time and the AD bit. A failed
// lookup is a result, not an error: callers record the status and go on.
//
// Client is the implementation that talks to servers (see its doc for the
// flow of one lookup). Two rules decide what a caller can trust:
//
//   - Time. The caller's context deadline bounds a lookup; within it, one
//     exchange with one server waits a quarter of the time left, at least
//     Config.Timeout (2s, or resolv.conf's timeout) and at most 10s, and
//     shares the time left with the servers still to ask in the round. A
//     resolver that answers in 3s succeeds under a 20s deadline (each
//     exchange may wait 5s); a dead one costs two waits (two rounds), under
//     half of the time left, so the lookups and probes that follow still
//     have time. Without a deadline, an exchange waits Config.Timeout.
//   - Answers. Only a well-formed answer to the question asked is a fact
//     (ok, nodata, nxdomain). A UDP answer cut short, by TC or by our
//     4,096-byte read buffer, is asked again over TCP (RFC 2181 §9); an
//     answer no correct server sends (TC over TCP, another ID or question
//     over TCP, only records of another type) is an AnswerError: the next
//     server is asked, and the status is error, a temporary failure.
//
// Overlay is the Resolver of a pre-deploy check: it answers the names of
// zone files (LoadZone, LoadZoneFlag) as their authoritative server will
// once they are deployed, and every other name from a live Resolver. The
// zone files are parsed here because their records are miekg/dns records;
// the overlay answers with the same typed results as the Client, through
// the same generic lookup by type, so that a lookup method added to the
// Resolver interface is one method on each (and one case in
// Overlay.liveLookup for live resolvers other than the Client).
package dnsq

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"
)

// Status classifies the outcome of one lookup. The string values are part of
// the JSON contract (docs/json.md).
type Status string

const (
	StatusOK       Status = "ok"       // NOERROR with at least one record of the asked type
	StatusNoData   Status = "nodata"   // NOERROR, name exists, no record of that type
	StatusNXDomain Status = "nxdomain" // the name does not exist
	StatusServFail Status = "servfail" // SERVFAIL from every server tried
	StatusRefused  Status = "refused"  // REFUSED from every server tried
	StatusTimeout  Status = "timeout"  // no answer before the deadline
	StatusError    Status = "error"    // network error, malformed answer, other rcode
	StatusSkipped  Status = "skipped"  // not asked (for example -4 skips AAAA)
)

// Temporary reports whether the status is a transient failure, the kind that
// makes an MTA defer rather than bounce (RFC 5321 §5.1, Postfix dns_lookup).
func (s Status) Temporary() bool {
	return s == StatusServFail || s == StatusRefused || s == StatusTimeout || s == StatusError
}

// Result is what every lookup reports besides its records.
type Result struct {
	Name      string        // the name asked, absolute
	Status    Status        // outcome class
	Server    string        // "host:port" of the server that gave the final answer; empty if none did
	RTT       time.Duration // round-trip time of the final exchange
	Authentic bool          // AD bit of the final answer
	// CNAMEs is the alias chain followed from Name, in order; the canonical
	// name is CNAMEs[len-1]. Empty when Name is not an alias.
	CNAMEs []string
	Err    error // set when Status is timeout or error, or to explain another failure
}

// MX is one mail exchanger record.
type MX struct {
	Preference uint16
	Host       string // absolute, lower-case; "." for a null MX (RFC 7505)
}

// MXResult is the answer to an MX query, in the order the server sent it.
type MXResult struct {
	Result
	MX []MX
}

// AddrResult is the answer to an A or AAAA query, in the order the server sent it.
type AddrResult struct {
	Result
	Addrs []netip.Addr
}

// NameResult is the answer to a PTR query.
type NameResult struct {
	Result
	Names []string // absolute, lower-case
}

// TXTResult is the answer to a TXT query; each record's character-strings
// are concatenated into one string (RFC 7208 §3.3).
type TXTResult struct {
	Result
	TXT []string
}

// TLSA is one TLSA record (RFC 6698 §2.1): certificate usage, selector,
// matching type and the certificate association data, as published. The
// values are not checked here: a DANE client decides which it can use
// (RFC 7672 §3.1.3).
type TLSA struct {
	Usage        uint8
	Selector     uint8
	MatchingType uint8
	Data         []byte
}

// TLSAResult is the answer to a TLSA query, in the order the server sent it.
type TLSAResult struct {
	Result
	TLSA []TLSA
}

// SecureResolver is a Resolver that also answers the questions DNSSEC and
// DANE need: TLSA records (RFC 6698) and NS records (a validating
// resolver is recognised by an authentic answer for the root's NS, as
// Postfix's dnssec_probe does). It is a separate interface so that the
// packages and fakes that need only Resolver are not made to implement it.
type SecureResolver interface {
	Resolver
	LookupTLSA(ctx context.Context, name string) TLSAResult
	LookupNS(ctx context.Context, name string) NameResult
}

// ExtendedErrorOf returns the Extended DNS Error (RFC 8914) a server
// attached to its failure, as carried in a Result's Err, or nil. A
// validating resolver says "DNSSEC Bogus" (code 6) this way.
func ExtendedErrorOf(err error) *ExtendedError {
	var re *RcodeError
	if errors.As(err, &re) {
		return re.Extended
	}
	return nil
}

// Resolver is the DNS interface the rest of mailcheck depends on.
// Implementations must be safe for concurrent use.
type Resolver interface {
	LookupMX(ctx context.Context, name string) MXResult
	LookupA(ctx context.Context, name string) AddrResult
	LookupAAAA(ctx context.Context, name string) AddrResult
	LookupPTR(ctx context.Context, ip netip.Addr) NameResult
	LookupTXT(ctx context.Context, name string) TXTResult
}

// Fqdn returns name lower-cased and absolute (with the trailing dot).
func Fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// Bare returns name without the trailing dot, the form used in reports.
func Bare(name string) string {
	if name == "." {
		return name
	}
	return strings.TrimSuffix(name, ".")
}
