// Package sender audits the sending side of a mail host without sending
// mail: for every address the host sends from, what Gmail and Microsoft
// will check and what they will answer.
//
// The flow of Audit:
//
//  1. Sending addresses: the ones given (--ip), else for each family the
//     address Postfix binds to (smtp_bind_address, smtp_bind_address6 in
//     main.cf), else the source address the kernel picks toward the Internet
//     (a UDP connect, which sends no packet; RouteFinder). inet_protocols
//     leaves a family out when Postfix does not use it.
//  2. Each address is classified: a private, shared or ULA address is
//     translated by a NAT, so receivers see another one; loopback and
//     link-local cannot send at all. Those skip the DNS checks.
//  3. Reverse DNS through iprev.Check (PTR, forward confirmation in the
//     same family) and iprev.Generic (dynamic-looking names).
//  4. The HELO name (--helo, smtp_helo_name, myhostname): a FQDN that
//     resolves, in the address's family, to the address.
//  5. SPF of the domain (--domain) evaluated for the address by
//     blitiri.com.ar/go/spf through our resolver, with the mechanism that
//     decided; DMARC of the domain (RFC 7489 §6.6.3, organisational domain
//     from the Public Suffix List).
//  6. Optionally (--dnsbl) DNS blocklists; IPv6 is listed per /64.
//  7. Verdicts: what Gmail and Microsoft do with mail from the address, with
//     the reply they would send (receivers.go), and findings with the exact
//     fix (MC6xx).
package sender

import (
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Where a sending address came from.
const (
	OriginFlag   = "flag"    // --ip
	OriginRoute  = "route"   // the kernel's source address choice
	OriginMainCF = "main.cf" // smtp_bind_address / smtp_bind_address6
	OriginBounce = "bounce"  // extracted from a bounce (explain)
)

// Kinds of sending address (source_kind in JSON): the address classes of
// pkg/addr.
const (
	KindPublic        = string(addr.Public)
	KindPrivate       = string(addr.Private)       // RFC 1918
	KindShared        = string(addr.Shared)        // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
	KindULA           = string(addr.ULA)           // fc00::/7 (RFC 4193)
	KindDocumentation = string(addr.Documentation) // RFC 5737, RFC 3849, RFC 9637
	KindLoopback      = string(addr.Loopback)
	KindLinkLocal     = string(addr.LinkLocal)
	KindUnspecified   = string(addr.Unspecified)
	KindMulticast     = string(addr.Multicast)
	KindIPv4Mapped    = string(addr.IPv4Mapped)
	KindReserved      = string(addr.Reserved)
)

// Report is the result of one sender audit. JSON field names are the
// contract in docs/json.md ("sender").
type Report struct {
	SchemaVersion int      `json:"schema_version"`
	Domain        string   `json:"domain,omitempty"` // --domain: whose SPF and DMARC were checked
	Postfix       *Postfix `json:"postfix,omitempty"`
	Senders       []Sender `json:"senders"`
	// Excluded are --ip addresses of a family that -4 or -6 left out:
	// given, but not checked.
	Excluded []netip.Addr `json:"excluded,omitempty"`
	// DMARC of Domain, also copied into each sender.
	DMARC *DMARC `json:"dmarc,omitempty"`
	// LookupPaths say, per way of looking up Domain's exchanges, which
	// family the host's first connection uses and why (with Domain, for
	// this host or the one --source-addr describes).
	LookupPaths []LookupPath     `json:"lookup_paths,omitempty"`
	Findings    []report.Finding `json:"findings"`
	// Undetermined is true when DNS gave no definite answer at all (the
	// resolver is unreachable): exit code 3.
	Undetermined bool `json:"undetermined"`
}

// Postfix is what was read from main.cf.
type Postfix struct {
	File                  string `json:"file"`
	InetProtocols         string `json:"inet_protocols"`
	SMTPBindAddress       string `json:"smtp_bind_address,omitempty"`
	SMTPBindAddress6      string `json:"smtp_bind_address6,omitempty"`
	HELOName              string `json:"smtp_helo_name,omitempty"` // expanded
	SMTPAddressPreference string `json:"smtp_address_preference,omitempty"`
}

// Sender is everything checked for one sending address.
type Sender struct {
	IP            netip.Addr   `json:"ip"`
	Family        string       `json:"family"` // "ipv4" or "ipv6"
	Origin        string       `json:"origin"` // flag, route, main.cf, bounce
	SourceKind    string       `json:"source_kind"`
	PTR           []string     `json:"ptr"` // no trailing dot
	PTRStatus     dnsq.Status  `json:"ptr_status"`
	FCrDNS        iprev.Status `json:"fcrdns"`
	Confirmed     []string     `json:"fcrdns_names,omitempty"`
	GenericRDNS   bool         `json:"generic_rdns"`
	GenericReason string       `json:"generic_reason,omitempty"`
	// Skipped says why the DNS checks were not run (a private address:
	// receivers see the NAT's public one).
	Skipped   string    `json:"skipped,omitempty"`
	HELO      *HELO     `json:"helo,omitempty"`
	SPF       *SPF      `json:"spf,omitempty"`
	DMARC     *DMARC    `json:"dmarc,omitempty"`
	DNSBL     []Listing `json:"dnsbl,omitempty"`
	Receivers Receivers `json:"receivers"`
}

// HELO is the check of the name announced in HELO/EHLO.
type HELO struct {
	Name     string      `json:"name"`
	Origin   string      `json:"origin"` // --helo, main.cf smtp_helo_name, hostname
	FQDN     bool        `json:"fqdn"`
	Status   dnsq.Status `json:"status"`   // of the lookup in the sender's family
	Resolves bool        `json:"resolves"` // has an A or AAAA record
	Matches  bool        `json:"matches"`  // an address of the sender's family equals the sender
	PTRMatch bool        `json:"ptr_match"`
}

// SPF is the SPF evaluation of the domain for one address.
type SPF struct {
	Domain string `json:"domain"`
	// Result is one of none, neutral, pass, fail, softfail, temperror,
	// permerror (RFC 7208 §2.6).
	Result string `json:"result"`
	// Mechanism is the top-level term that decided, with its qualifier
	// ("ip6:2001:db8::/32", "include:_spf.example.net", "-all"); empty when
	// none matched.
	Mechanism string `json:"mechanism,omitempty"`
	Record    string `json:"record,omitempty"` // the domain's v=spf1 record
	Error     string `json:"error,omitempty"`
	// Suggested is the record with the address added, when it does not pass.
	Suggested string `json:"suggested,omitempty"`
}

// DMARC is the DMARC policy discovery for the domain (RFC 7489 §6.6.3).
type DMARC struct {
	Present bool `json:"present"`
	// Status: ok, none (no record), invalid, temperror.
	Status string `json:"status"`
	// Policy is the policy that applies to the domain: p= where the record
	// was found at the domain, sp= (or p=) when found at the organisational
	// domain.
	Policy string `json:"policy,omitempty"`
	Domain string `json:"domain,omitempty"` // where the record was found
	Record string `json:"record,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Listing is one blocklist answer.
type Listing struct {
	Zone   string   `json:"zone"`
	Query  string   `json:"query"`           // the name asked
	Listed bool     `json:"listed"`          // a 127.0.0.0/8 answer other than an error code
	Codes  []string `json:"codes,omitempty"` // the A records returned
	// Status: listed, not_listed, refused (the list's error codes),
	// error (lookup failed).
	Status  string `json:"status"`
	Network string `json:"network,omitempty"` // "2001:db8::/64" for IPv6: Spamhaus lists per /64
}

// Receivers are the predicted answers of the large receivers.
type Receivers struct {
	Gmail     Verdict `json:"gmail"`
	Microsoft Verdict `json:"microsoft"`
}

// Actions a receiver takes.
const (
	ActionAccept  = "accept"
	ActionDefer   = "defer"  // 4xx: queued and retried
	ActionReject  = "reject" // 5xx: bounced
	ActionUnknown = "unknown"
)

// Verdict is what one receiver will do with mail from an address.
type Verdict struct {
	Action       string `json:"action"`
	ReplyCode    int    `json:"reply_code,omitempty"`
	EnhancedCode string `json:"enhanced_code,omitempty"`
	Reply        string `json:"reply,omitempty"` // the text it would send
	Rule         string `json:"rule,omitempty"`  // bounce rule id (pkg/bounce)
	Reason       string `json:"reason"`
	// Condition qualifies the verdict with what mailcheck cannot see
	// ("unless the message carries a valid DKIM signature").
	Condition string `json:"condition,omitempty"`
}

// Lookup paths (LookupPath.Path): how a sending program finds the
// addresses of the exchanges.
const (
	PathPostfixDNS    = "postfix-dns"    // Postfix, smtp_host_lookup = dns (its default): its own DNS lookups
	PathPostfixNative = "postfix-native" // Postfix, smtp_host_lookup = native: getaddrinfo(), then its own shuffle and sort
	PathGetaddrinfo   = "getaddrinfo"    // any libc client: getaddrinfo() in glibc's order, gai.conf and all
	PathGo            = "go"             // a Go client: net.LookupMX and Go's resolver order
)

// LookupPath is which family the first connection to the domain's
// exchanges uses when they are looked up one way, and the rule that
// decided it.
type LookupPath struct {
	Path string `json:"path"`
	mta.FirstFamily
}
