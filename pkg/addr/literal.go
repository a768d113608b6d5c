package addr

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Errors a *LiteralError wraps, for errors.Is.
var (
	ErrNotIP = errors.New("not an IP address")
	ErrZone  = errors.New("IPv6 zone not allowed")
)

// LiteralError says why a string is not an address literal.
type LiteralError struct {
	Input  string // the string as given
	Reason string // what is wrong, when more is known than "not an address"
	Zone   string // the zone, when Err is ErrZone
	Err    error  // ErrNotIP or ErrZone
}

func (e *LiteralError) Error() string {
	if e.Err == ErrZone {
		return fmt.Sprintf("%q has an IPv6 zone (%s); give the address without it: a mail server is not reached through a link-local scope", e.Input, quotedZone(e.Zone))
	}
	if e.Reason != "" {
		return fmt.Sprintf("%q is not an IP address: %s", e.Input, e.Reason)
	}
	return fmt.Sprintf("%q is not an IP address (examples: 192.0.2.1, 2001:db8::1, [2001:db8::1])", e.Input)
}

func (e *LiteralError) Unwrap() error { return e.Err }

// ParseLiteral parses an IP address the way people and mail software write
// one:
//
//	192.0.2.1, 2001:db8::1        plain (netip.ParseAddr syntax)
//	[192.0.2.1], [2001:db8::1]    bracketed, as in URLs and mail addresses
//	[IPv6:2001:db8::1]            RFC 5321 §4.1.3 address literal (tag in any case, brackets optional)
//	192.0.2.1.                    one trailing dot, as DNS writes an MX target
//
// An IPv6 zone ("fe80::1%eth0") is refused with ErrZone: no mail server is
// reached through a link-local scope. Use ParseLiteralZone where a zone is
// meaningful. An IPv4-mapped address is returned as written (see Family);
// callers that want the IPv4 address call Unmap.
func ParseLiteral(s string) (netip.Addr, error) {
	ip, err := ParseLiteralZone(s)
	if err == nil && ip.Zone() != "" {
		return netip.Addr{}, &LiteralError{Input: s, Zone: ip.Zone(), Err: ErrZone}
	}
	return ip, err
}

// ParseLiteralZone is ParseLiteral keeping an IPv6 zone: for callers that
// can use one (a DNS server on a link-local address) or that report it in
// their own words.
func ParseLiteralZone(s string) (netip.Addr, error) {
	t := strings.TrimSuffix(s, ".")
	if strings.HasPrefix(t, "[") != strings.HasSuffix(t, "]") {
		return netip.Addr{}, &LiteralError{Input: s, Reason: "unbalanced brackets", Err: ErrNotIP}
	}
	if strings.HasPrefix(t, "[") {
		t = t[1 : len(t)-1]
	}
	tagged := len(t) > 5 && strings.EqualFold(t[:5], "IPv6:")
	if tagged {
		t = t[5:]
	}
	// Most strings that reach here in bulk are host names: rule them out
	// before the parser builds its error. Every IPv6 address has a ':' and
	// every IPv4 one ends in a digit.
	if t == "" || !strings.Contains(t, ":") && (t[len(t)-1] < '0' || t[len(t)-1] > '9') {
		return netip.Addr{}, &LiteralError{Input: s, Err: ErrNotIP}
	}
	ip, err := netip.ParseAddr(t)
	if err != nil {
		return netip.Addr{}, &LiteralError{Input: s, Err: ErrNotIP}
	}
	if tagged && ip.Is4() {
		// RFC 5321 §4.1.3: IPv6-address-literal = "IPv6:" IPv6-addr.
		return netip.Addr{}, &LiteralError{Input: s, Reason: "the IPv6: tag is followed by an IPv4 address", Err: ErrNotIP}
	}
	return ip, nil
}

// quotedZone shows a zone as typed, "%eth0", with anything unprintable
// escaped as %q would: the input is remote or pasted text, and an error
// reaches a terminal.
func quotedZone(zone string) string {
	q := strconv.Quote("%" + zone)
	return q[1 : len(q)-1]
}
