// Package discover turns a mail domain into its mail exchangers and their
// addresses: MX lookup (null MX, implicit MX, CNAME'd targets), A and AAAA of
// every exchange, and the reverse DNS of every address, keeping the status of
// every lookup so that one failure never hides the rest.
package discover

import (
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
)

// Result is everything discovered about one mail domain.
// JSON field names are the contract in docs/json.md.
type Result struct {
	Domain        string `json:"domain"`                   // A-label form, no trailing dot
	DomainUnicode string `json:"domain_unicode,omitempty"` // U-label form when it differs
	NullMX        bool   `json:"null_mx"`                  // RFC 7505: the domain accepts no mail; MX is empty
	// NullMXMixed is true when a null MX ("MX 0 .") came with other MX
	// records, which RFC 7505 §3 forbids. NullMX stays false and MX holds the
	// other records; MTAs disagree on what to do (research §1.2, §6): Postfix
	// 3.0+ treats the domain as null MX and bounces, Exim and OpenSMTPD use
	// the other records.
	NullMXMixed bool        `json:"null_mx_mixed"`
	ImplicitMX  bool        `json:"implicit_mx"` // RFC 5321 §5.1: no MX, the domain itself is the exchange
	MXStatus    dnsq.Status `json:"mx_status"`
	// MXError explains a failed MX lookup (mx_status other than ok, nodata, nxdomain).
	MXError     string `json:"mx_error,omitempty"`
	MXServer    string `json:"mx_server,omitempty"` // DNS server that answered the MX query
	MXAuthentic bool   `json:"mx_authentic"`        // AD bit on the MX answer
	// MXDNSSEC is the MX lookup's DNSSEC status (secure, insecure, bogus,
	// indeterminate, not_judged: tlspolicy.DNSSEC), which needs to know
	// whether the resolver validates: the command that asks fills it in
	// (mx); empty when not judged at all.
	MXDNSSEC string `json:"mx_dnssec,omitempty"`
	// MXCNAME is the alias chain followed from the domain for the MX query
	// (allowed: RFC 5321 §5.1 "processed as if it were the initial name").
	MXCNAME []string   `json:"mx_cname,omitempty"`
	MX      []Exchange `json:"mx"` // sorted by preference, then as received
}

// Exchange is one MX target and its addresses.
type Exchange struct {
	Preference uint16   `json:"preference"`
	Host       string   `json:"host"`            // no trailing dot
	CNAME      []string `json:"cname,omitempty"` // alias chain when the MX target is a CNAME (RFC 2181 §10.3, RFC 5321 §5.1)
	IPLiteral  bool     `json:"ip_literal"`      // MX target is an address, not a name (RFC 5321 §5.1 forbids)
	// InvalidName is true when the MX target is not a valid host name (RFC
	// 1123 §2.1: letters, digits, hyphens; Postfix also takes '_'). Postfix
	// skips such a record with "malformed domain name in resource data of
	// MX record" and bounces (5.4.4) when no valid record remains
	// (dns_lookup.c valid_rr_name, research §1.2 DNS_INVAL). It is still
	// looked up.
	InvalidName bool        `json:"invalid_name"`
	AStatus     dnsq.Status `json:"a_status"`
	AAAAStatus  dnsq.Status `json:"aaaa_status"`
	Addresses   []Address   `json:"addresses"` // A records first, then AAAA, each in answer order

	AError    string `json:"a_error,omitempty"`    // why the A lookup failed
	AAAAError string `json:"aaaa_error,omitempty"` // why the AAAA lookup failed

	// AAuthentic and AAAAAuthentic are the AD bits of the A and AAAA
	// answers; ADNSSEC and AAAADNSSEC the lookups' DNSSEC status, filled
	// in like Result.MXDNSSEC.
	AAuthentic    bool   `json:"-"`
	AAAAAuthentic bool   `json:"-"`
	ADNSSEC       string `json:"a_dnssec,omitempty"`
	AAAADNSSEC    string `json:"aaaa_dnssec,omitempty"`
}

// Address is one address of an exchange with its reverse DNS.
type Address struct {
	IP        netip.Addr   `json:"ip"`
	Family    string       `json:"family"` // "ipv4" or "ipv6"
	Class     AddrClass    `json:"class"`  // public, or why it cannot be a public mail server
	PTR       []string     `json:"ptr"`    // PTR names, no trailing dot
	PTRStatus dnsq.Status  `json:"ptr_status"`
	FCrDNS    iprev.Status `json:"fcrdns"`
	// Confirmed are the PTR names that resolve back to IP in its family.
	Confirmed []string `json:"fcrdns_names,omitempty"`

	// PTRError explains a temperror or permerror.
	PTRError string `json:"ptr_error,omitempty"`
	// PTRTruncated is true when there were more PTR names than
	// iprev.MaxNames and only the first ones were forward-checked.
	PTRTruncated bool `json:"ptr_truncated,omitempty"`
}

// AddrClass says what kind of address an A or AAAA record holds: an
// addr.Class in the words of the mx document's "class" field (docs/json.md),
// which has no "shared" (see Classify).
type AddrClass string

const (
	ClassPublic        = AddrClass(addr.Public)
	ClassLoopback      = AddrClass(addr.Loopback)
	ClassUnspecified   = AddrClass(addr.Unspecified)
	ClassLinkLocal     = AddrClass(addr.LinkLocal)
	ClassIPv4Mapped    = AddrClass(addr.IPv4Mapped) // in an AAAA record
	ClassPrivate       = AddrClass(addr.Private)    // addr.Private and addr.Shared
	ClassULA           = AddrClass(addr.ULA)
	ClassDocumentation = AddrClass(addr.Documentation)
	ClassMulticast     = AddrClass(addr.Multicast)
	ClassReserved      = AddrClass(addr.Reserved)
)
