// Package target turns what people paste into the domain, host name or IP
// address mailcheck should check.
//
// People paste domains in many shapes: "Example.COM.", "user@example.com",
// "mailto:user@example.com", "<user@example.com>", "https://example.com/x",
// internationalised names ("bücher.example"). Parse reduces all of them to
// one absolute-less, lower-case domain in both forms (A-label for DNS,
// U-label for people) or explains precisely what is wrong, with an error
// that the CLI maps to exit code 2 (errors.As *Error, errors.Is a Kind).
package target

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Target is a mail domain or host name.
type Target struct {
	ASCII   string // A-label form, lower-case, no trailing dot: what DNS is asked
	Unicode string // U-label form for display; equal to ASCII when not an IDN
}

// FQDN returns the name with its trailing dot, the form dnsq expects.
func (t Target) FQDN() string { return t.ASCII + "." }

// IsIDN reports whether the name has internationalised labels.
func (t Target) IsIDN() bool { return t.ASCII != t.Unicode }

// String returns the display form: "bücher.example (xn--bcher-kva.example)"
// for an IDN, the name alone otherwise.
func (t Target) String() string {
	if t.IsIDN() {
		return t.Unicode + " (" + t.ASCII + ")"
	}
	return t.ASCII
}

// Host is what probe accepts: a name or an IP address.
type Host struct {
	Name Target     // set when the input is a name
	IP   netip.Addr // valid when the input is an IP literal
}

// IsIP reports whether the host is an IP literal.
func (h Host) IsIP() bool { return h.IP.IsValid() }

// String returns the IP or the name's display form.
func (h Host) String() string {
	if h.IsIP() {
		return h.IP.String()
	}
	return h.Name.String()
}

// Kinds of bad input, for errors.Is.
var (
	ErrEmpty      = errors.New("empty")
	ErrStdin      = errors.New("stdin marker")
	ErrSpace      = errors.New("space inside")
	ErrEmptyLabel = errors.New("empty label")
	ErrLabelLong  = errors.New("label too long")
	ErrNameLong   = errors.New("name too long")
	ErrIPLiteral  = errors.New("IP literal")
	ErrUnderscore = errors.New("underscore")
	ErrCharacter  = errors.New("invalid character")
	ErrHyphen     = errors.New("hyphen at label edge")
	ErrIDN        = errors.New("invalid IDN")
	ErrNumericTLD = errors.New("all-numeric top-level label")
	ErrPort       = errors.New("port given")
	ErrZone       = errors.New("IPv6 zone")
	ErrSyntax     = errors.New("syntax")
)

// Error is a rejected input. Message is a complete sentence for the user.
type Error struct {
	Input   string // what was given (possibly cut short)
	Kind    error  // one of the Err* values
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the Kind, so errors.Is(err, target.ErrIPLiteral) works.
func (e *Error) Unwrap() error { return e.Kind }

// maxInput bounds the work done on one input: far above any URL someone
// would paste, far below anything that could hurt.
const maxInput = 8192

// RFC 1035 §2.3.4: labels are at most 63 octets, names at most 255 octets on
// the wire, which is 253 characters in presentation form without the
// trailing dot.
const (
	maxLabel = 63
	maxName  = 253
)

func fail(input string, kind error, format string, args ...any) error {
	return &Error{Input: clip(input), Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// clip shortens and quotes-safe an input for messages.
func clip(s string) string {
	if len(s) > 80 {
		i := 77
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "..."
	}
	return s
}

// q quotes s for a message, escaping control and other unprintable
// characters so that pasted text cannot drive the terminal.
func q(s string) string { return fmt.Sprintf("%q", clip(s)) }

// Parse turns a pasted domain, address or URL into a mail domain.
func Parse(s string) (Target, error) {
	if plainName(s) {
		// Bulk input is mostly such names: each is its own A-label and
		// U-label form, and needs none of the parsing below.
		return Target{ASCII: s, Unicode: s}, nil
	}
	host, err := extract(s)
	if err != nil {
		return Target{}, err
	}
	if ip, err := addr.ParseLiteralZone(host); err == nil {
		return Target{}, fail(s, ErrIPLiteral,
			"%s is an IP address, not a domain; to test a mail server by address, use: mailcheck probe %s", ip, ip)
	}
	return parseName(s, host)
}

// ParseHostOrIP accepts what probe takes: a domain or host name (as Parse),
// or an IP literal as addr.ParseLiteral reads it: 192.0.2.1, 2001:db8::1,
// [2001:db8::1], or the RFC 5321 §4.1.3 address literals [192.0.2.1] and
// [IPv6:2001:db8::1]. IPv6 zones are
// refused (mail servers are not reached through a link-local scope), and
// IPv4-mapped IPv6 addresses become IPv4: that is the family they use.
func ParseHostOrIP(s string) (Host, error) {
	host, err := extract(s)
	if err != nil {
		return Host{}, err
	}
	if ip, err := addr.ParseLiteralZone(host); err == nil {
		if ip.Zone() != "" {
			return Host{}, fail(s, ErrZone,
				"%s has an IPv6 zone (%%%s); give the address without it: mail servers are not reached over a link-local scope", q(host), ip.Zone())
		}
		return Host{IP: ip.Unmap()}, nil
	}
	t, err := parseName(s, host)
	if err != nil {
		return Host{}, err
	}
	return Host{Name: t}, nil
}

// extract strips the wrappers people paste around a domain: spaces at the
// ends, <...>, mailto:, a URL, a local part.
func extract(s string) (string, error) {
	orig := s
	if len(s) > maxInput {
		return "", fail(orig, ErrNameLong, "input is %d bytes long; a domain is at most %d characters", len(s), maxName)
	}
	if !utf8.ValidString(s) {
		return "", fail(orig, ErrCharacter, "%s is not valid UTF-8 text", q(s))
	}
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return "", fail(orig, ErrEmpty, "empty domain")
	case "-":
		return "", fail(orig, ErrStdin, `"-" is not a domain: to read domains from standard input, use -f -`)
	}
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if len(s) >= 7 && strings.EqualFold(s[:7], "mailto:") {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	} else if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", fail(orig, ErrSyntax, "%s looks like a URL but has no host", q(orig))
		}
		s = u.Host
		if strings.HasPrefix(s, "[") {
			if j := strings.LastIndexByte(s, ']'); j > 0 {
				s = s[:j+1] // keep the brackets: an IPv6 literal
			}
		} else if h, _, ok := strings.Cut(s, ":"); ok {
			s = h
		}
		if h, err := url.PathUnescape(s); err == nil {
			s = h
		}
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if i == len(s)-1 {
			return "", fail(orig, ErrEmpty, "%s has nothing after the @: give the domain", q(orig))
		}
		s = s[i+1:]
	}
	if s == "" {
		return "", fail(orig, ErrEmpty, "empty domain")
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return "", fail(orig, ErrSpace, "%s contains a space; give one domain per argument", q(s))
	}
	return s, nil
}

// isScheme reports whether s is a URL scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// lookupProfile is IDNA2008 lookup processing as UTS #46 describes it
// (RFC 5891 §5): width and case mapping, NFC, validity of every code point,
// joiners (RFC 5892 Appendix A) and the Bidi rule (RFC 5893). Hyphen
// placement is checked by us instead: CheckHyphens would also refuse ASCII
// host names like "r3--sn.example", which DNS allows.
var lookupProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.CheckJoiners(true),
	idna.CheckHyphens(false),
)

// dotLike are the label separators UTS #46 maps to '.'.
const dotLike = ".\u3002\uff0e\uff61"

// parseName validates a host name and converts it to both forms.
func parseName(orig, s string) (Target, error) {
	if _, port, ok := strings.Cut(s, ":"); ok && port != "" && isDigits(port) && !strings.Contains(port, ":") {
		return Target{}, fail(orig, ErrPort, "%s has a port (:%s); give the name alone (probe takes --port)", q(s), port)
	}
	s = trimOneDot(s)
	if s == "" {
		return Target{}, fail(orig, ErrEmpty, "the root domain (.) is not a mail domain")
	}
	// A name within 253 octets as A-labels is at most four UTF-8 bytes per
	// octet as U-labels. Refusing longer text before IDNA processing keeps
	// Punycode's quadratic encoding from spending seconds on junk.
	if len(s) > 4*maxName {
		return Target{}, fail(orig, ErrNameLong, "%s is %d bytes long; a domain name is at most %d characters (RFC 1035 §2.3.4)", q(s), len(s), maxName)
	}
	// Check labels on the raw text first: the messages can then quote
	// what was typed.
	labels := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(dotLike, r) })
	if n := strings.Count(s, ".") + strings.Count(s, "\u3002") + strings.Count(s, "\uff0e") + strings.Count(s, "\uff61"); n+1 != len(labels) {
		return Target{}, fail(orig, ErrEmptyLabel, "%s has an empty label (two dots in a row, or a dot at the start)", q(s))
	}
	for _, l := range labels {
		if strings.ContainsRune(l, '_') {
			return Target{}, fail(orig, ErrUnderscore,
				"label %s contains an underscore, which is not allowed in a host or mail domain name (RFC 1123 §2.1); underscores belong to service names such as _dmarc", q(l))
		}
	}
	var ascii string
	if isASCII(s) {
		ascii = strings.ToLower(s)
	} else {
		a, err := lookupProfile.ToASCII(s)
		if err != nil {
			return Target{}, fail(orig, ErrIDN, "%s is not a valid internationalised domain name: %s", q(s), idnaReason(err))
		}
		ascii = trimOneDot(a)
	}
	if len(ascii) > maxName {
		return Target{}, fail(orig, ErrNameLong, "%s is %d characters long; a domain name is at most %d (RFC 1035 §2.3.4)", q(s), len(ascii), maxName)
	}
	alabels := strings.Split(ascii, ".")
	for _, l := range alabels {
		if err := checkLabel(orig, l); err != nil {
			return Target{}, err
		}
	}
	if isDigits(alabels[len(alabels)-1]) {
		return Target{}, fail(orig, ErrNumericTLD,
			"%s ends in an all-numeric label; top-level domains are never numeric (RFC 3696 §2): is it an incomplete IP address?", q(s))
	}
	uni := ascii // an LDH name without A-labels is its own U-label form
	if strings.Contains(ascii, "xn--") {
		var err error
		if uni, err = lookupProfile.ToUnicode(ascii); err != nil {
			return Target{}, fail(orig, ErrIDN, "%s is not a valid internationalised domain name: %s", q(s), idnaReason(err))
		}
	}
	for _, l := range strings.Split(uni, ".") {
		// RFC 5891 §4.2.3.1: a U-label does not start or end with a hyphen
		// either, though its A-label ("xn--bcher--kva") may hide it.
		if strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return Target{}, fail(orig, ErrHyphen, "label %s starts or ends with a hyphen, which host names may not (RFC 5891 §4.2.3.1)", q(l))
		}
	}
	return Target{ASCII: ascii, Unicode: uni}, nil
}

// plainName is Parse's fast path: a lower-case LDH name (RFC 1123 §2.1)
// with at least two labels, labels of 1 to 63 octets without a hyphen at
// either end, at most 253 in all (RFC 1035 §2.3.4), no trailing dot, a
// top-level label that is not all digits (so no IPv4 address passes), and
// no label starting "xn--": an A-label must decode to a valid U-label
// (RFC 5891 §5.4), which only the full parser checks.
func plainName(s string) bool {
	if len(s) == 0 || len(s) > maxName {
		return false
	}
	label, dots, digitsOnly := 0, 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 || s[i-1] == '-' {
				return false
			}
			label, dots, digitsOnly = 0, dots+1, true
			continue
		case c >= 'a' && c <= 'z':
			if label == 0 && c == 'x' && strings.HasPrefix(s[i:], "xn--") {
				return false
			}
			digitsOnly = false
		case c >= '0' && c <= '9':
		case c == '-':
			if label == 0 {
				return false
			}
			digitsOnly = false
		default:
			return false
		}
		label++
		if label > maxLabel {
			return false
		}
	}
	return label > 0 && dots > 0 && !digitsOnly && s[len(s)-1] != '-'
}

// checkLabel applies the host name rules of RFC 952 and RFC 1123 §2.1
// (letters, digits, hyphens; no hyphen at either end) to one A-label, and
// checks that an xn-- label is a valid A-label (RFC 5891 §5.4) whose
// conversion round-trips.
func checkLabel(orig, l string) error {
	if l == "" {
		return fail(orig, ErrEmptyLabel, "%s has an empty label", q(orig))
	}
	if len(l) > maxLabel {
		return fail(orig, ErrLabelLong, "label %s is %d characters long; a label is at most %d (RFC 1035 §2.3.4)", q(l), len(l), maxLabel)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !isLDH(c) {
			return fail(orig, ErrCharacter,
				"label %s contains %s, which is not allowed in a host name (letters, digits and hyphens only, RFC 1123 §2.1)", q(l), q(string(rune(c))))
		}
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return fail(orig, ErrHyphen, "label %s starts or ends with a hyphen, which host names may not (RFC 952, RFC 1123 §2.1)", q(l))
	}
	if strings.HasPrefix(l, "xn--") {
		u, err := lookupProfile.ToUnicode(l)
		if err != nil {
			return fail(orig, ErrIDN, "label %s is not a valid IDN A-label: %s", q(l), idnaReason(err))
		}
		back, err := lookupProfile.ToASCII(u)
		if err != nil || back != l {
			return fail(orig, ErrIDN, "label %s is not a valid IDN A-label: it does not convert back to itself", q(l))
		}
	}
	return nil
}

// isLDH reports whether c is a letter, digit or hyphen of a host name label
// already folded to lower case (RFC 952, RFC 1123 §2.1).
func isLDH(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// idnaReason rewords x/net/idna's errors ("idna: disallowed rune U+0021").
func idnaReason(err error) string {
	msg := strings.TrimPrefix(err.Error(), "idna: ")
	if r, ok := strings.CutPrefix(msg, "disallowed rune "); ok {
		return "it contains " + r + ", which is not allowed in domain names (IDNA2008, RFC 5892)"
	}
	if strings.HasPrefix(msg, "invalid label") {
		return "a label breaks the IDNA rules (RFC 5891 §5.4: normalisation, joiners, or right-to-left text mixed with left-to-right)"
	}
	return msg
}

func trimOneDot(s string) string {
	for _, d := range []string{".", "\u3002", "\uff0e", "\uff61"} {
		if t, ok := strings.CutSuffix(s, d); ok {
			return t
		}
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
