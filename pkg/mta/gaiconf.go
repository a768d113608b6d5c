package mta

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// This file reads /etc/gai.conf exactly as glibc does (sysdeps/posix/
// getaddrinfo.c: gaiconf_init, add_prefixlist, add_scopelist; glibc 2.36),
// including what glibc does with lines that are not quite right: it never
// rejects a file, it skips what inet_pton or strtoul refuse and accepts what
// they accept, so "precedence ::ffff:0:0/96" (no value) sets precedence 0
// and "label ::/ 5" is a /0 prefix. Each such surprise gets a warning naming
// the file and line, and the line is then read the way glibc reads it.
//
// glibc 2.41 changed the reading of such lines (commit 33aeb88c5b,
// BZ #32465: valid_decimal_value): an empty value or prefix length is
// refused there (the line is ignored), and a prefix without "/" reads as
// /128 (/32 for scopev4) instead of reading an unset pointer. The model
// reads as 2.36 does (Debian 12, the lab's oracle); the warnings say what
// the newer versions do.

// GAIPolicyEntry is one row of glibc's label or precedence table. IPv4
// addresses are matched as IPv4-mapped IPv6 addresses (::ffff:0:0/96), as
// glibc's match_prefix does.
type GAIPolicyEntry struct {
	Prefix netip.Prefix // IPv6 prefix; the address keeps the bits glibc ignores
	Value  int
	// Line is the gai.conf line that set the row; 0 for glibc's built-in
	// rows and the ::/0 row it adds to a table read from the file.
	Line int
}

// GAIScopeEntry is one row of glibc's IPv4 scope table (scopev4).
type GAIScopeEntry struct {
	Prefix netip.Prefix // IPv4 prefix
	Scope  int
	Line   int // as GAIPolicyEntry.Line
}

// GAIConfLine is one line of a gai.conf file that set something.
type GAIConfLine struct {
	Line    int    // 1-based line number
	Keyword string // "label", "precedence", "scopev4" or "reload"
	Text    string // the line as written (comment removed, spaces trimmed)
	// Prefix and Value for label, precedence and scopev4 (IPv4 scopev4
	// prefixes as IPv4); Reload for "reload".
	Prefix netip.Prefix
	Value  int
	Reload bool
}

// GAIConfWarning says what glibc does with a line a person probably did not
// mean the way glibc reads it.
type GAIConfWarning struct {
	Path    string
	Line    int
	Message string
}

func (w GAIConfWarning) String() string {
	return fmt.Sprintf("%s:%d: %s", w.Path, w.Line, w.Message)
}

// GAIConf is the policy glibc's getaddrinfo sorts with: the effective label,
// precedence and IPv4 scope tables (in the order glibc searches them, most
// specific first) and where they came from.
type GAIConf struct {
	Path       string // "" for glibc's built-in defaults
	Labels     []GAIPolicyEntry
	Precedence []GAIPolicyEntry
	ScopeV4    []GAIScopeEntry
	// Reload is "reload yes": glibc re-reads the file when it changes. It
	// does not change the order.
	Reload bool
	Lines  []GAIConfLine
	// Warnings are the first MaxGAIConfWarnings warnings; MoreWarnings
	// counts the rest (a file of bad lines would otherwise give one per
	// line, half a million for a megabyte).
	Warnings     []GAIConfWarning
	MoreWarnings int
	// Crash is set when glibc's getaddrinfo crashes reading this file
	// (the first time it sorts two or more addresses), with the reason.
	// The tables then describe the rest of the file.
	Crash *GAIConfWarning
}

func v6prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// glibc's default tables (getaddrinfo.c default_labels, default_precedence,
// default_scopes). They are RFC 3484's, not RFC 6724's: IPv4 has precedence
// 10 and ::/96 20 (RFC 6724 §2.1: 35 and 1), ULA fc00::/7 shares a label
// only with itself and has the default precedence 40 (RFC 6724: 3), site-local
// fec0::/10 and Teredo 2001::/32 have their own labels but precedence 40, and
// 3ffe::/16 is not special.
func defaultGAILabels() []GAIPolicyEntry {
	return []GAIPolicyEntry{
		{Prefix: v6prefix("::1/128"), Value: 0},
		{Prefix: v6prefix("2002::/16"), Value: 2},
		{Prefix: v6prefix("::/96"), Value: 3},
		{Prefix: v6prefix("::ffff:0:0/96"), Value: 4},
		{Prefix: v6prefix("fec0::/10"), Value: 5},
		{Prefix: v6prefix("fc00::/7"), Value: 6},
		{Prefix: v6prefix("2001::/32"), Value: 7},
		{Prefix: v6prefix("::/0"), Value: 1},
	}
}

func defaultGAIPrecedence() []GAIPolicyEntry {
	return []GAIPolicyEntry{
		{Prefix: v6prefix("::1/128"), Value: 50},
		{Prefix: v6prefix("2002::/16"), Value: 30},
		{Prefix: v6prefix("::/96"), Value: 20},
		{Prefix: v6prefix("::ffff:0:0/96"), Value: 10},
		{Prefix: v6prefix("::/0"), Value: 40},
	}
}

// default_scopes: link-local and loopback 2, the RFC 1918 ranges 5
// ("site-local"), everything else 14 (global).
func defaultGAIScopes() []GAIScopeEntry {
	return []GAIScopeEntry{
		{Prefix: netip.MustParsePrefix("169.254.0.0/16"), Scope: 2},
		{Prefix: netip.MustParsePrefix("127.0.0.0/8"), Scope: 2},
		{Prefix: netip.MustParsePrefix("10.0.0.0/8"), Scope: 5},
		{Prefix: netip.MustParsePrefix("172.16.0.0/12"), Scope: 5},
		{Prefix: netip.MustParsePrefix("192.168.0.0/16"), Scope: 5},
		{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Scope: 14},
	}
}

// DefaultGAIConf is glibc's policy when /etc/gai.conf is missing or sets
// nothing.
func DefaultGAIConf() *GAIConf {
	return &GAIConf{Labels: defaultGAILabels(), Precedence: defaultGAIPrecedence(), ScopeV4: defaultGAIScopes()}
}

// MaxGAIConfSize bounds what ParseGAIConf reads; glibc has no limit, but a
// real gai.conf is a few kilobytes. Callers reading a file cut it here.
const MaxGAIConfSize = 1 << 20

// MaxGAIConfWarnings is how many warnings ParseGAIConf keeps; the rest
// are counted (GAIConf.MoreWarnings).
const MaxGAIConfWarnings = 20

// ParseGAIConf reads a gai.conf the way glibc's gaiconf_init does. It never
// fails: like glibc it skips what it cannot read, and it says so in
// Warnings. path only names the file in warnings and in the result.
func ParseGAIConf(path string, data []byte) *GAIConf {
	if len(data) > MaxGAIConfSize {
		data = data[:MaxGAIConfSize]
	}
	c := &GAIConf{Path: path}
	var labels, prec []GAIPolicyEntry
	var scopes []scopeRow
	warn := func(line int, format string, args ...any) GAIConfWarning {
		w := GAIConfWarning{Path: path, Line: line, Message: fmt.Sprintf(format, args...)}
		if len(c.Warnings) < MaxGAIConfWarnings {
			c.Warnings = append(c.Warnings, w)
		} else {
			c.MoreWarnings++
		}
		return w
	}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		// glibc works on C strings: a NUL ends the line, '#' starts a comment.
		if i := bytes.IndexByte(line, 0); i >= 0 {
			line = line[:i]
		}
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		toks := cFields(string(line), 3)
		if len(toks) == 0 {
			continue
		}
		text := strings.Join(cFields(string(line), -1), " ")
		cmd, val1, val2 := toks[0], "", ""
		if len(toks) > 1 {
			val1 = toks[1]
		}
		if len(toks) > 2 {
			val2 = toks[2]
		}
		if len(cFields(string(line), -1)) > 3 {
			warn(lineNo, "%q: glibc ignores everything after the second value", text)
		}
		switch cmd {
		case "label", "precedence":
			e, msg, ok := parsePolicyLine(val1, val2)
			if !ok {
				warn(lineNo, "%q ignored: %s", text, msg)
				continue
			}
			if msg != "" {
				warn(lineNo, "%q read as %s %s %d: %s", text, cmd, e.Prefix, e.Value, msg)
			}
			e.Line = lineNo
			if cmd == "label" {
				labels = append(labels, e)
			} else {
				prec = append(prec, e)
			}
			c.Lines = append(c.Lines, GAIConfLine{Line: lineNo, Keyword: cmd, Text: text, Prefix: e.Prefix, Value: e.Value})
		case "scopev4":
			if a, err := netip.ParseAddr(val1); err == nil && (a.Is4() || a.Is4In6()) {
				// An address without "/": gaiconf_init then tests
				// "*endp == '\0'" with endp never set. Debian's glibc 2.36
				// crashes there
				// (SIGSEGV in every program that sorts addresses; lab).
				w := warn(lineNo, "%q: no prefix length; glibc's getaddrinfo crashes reading this line (glibc 2.41 and later read it as /32; write %s/32 or ::ffff:%s/128)", text, val1, val1)
				if c.Crash == nil {
					c.Crash = &w
				}
				continue
			}
			r, msg, ok := parseScopeLine(val1, val2)
			if !ok {
				warn(lineNo, "%q ignored: %s", text, msg)
				continue
			}
			if msg != "" {
				warn(lineNo, "%q read as scopev4 %s %d: %s", text, r.prefix, r.scope, msg)
			}
			r.line = lineNo
			scopes = append(scopes, r)
			c.Lines = append(c.Lines, GAIConfLine{Line: lineNo, Keyword: cmd, Text: text, Prefix: r.prefix, Value: r.scope})
		case "reload":
			// glibc: gaiconf_reload_flag = strcmp (val1, "yes") == 0.
			on := val1 == "yes"
			if !on && val1 != "no" {
				warn(lineNo, "%q read as reload no: only \"yes\" turns it on", text)
			}
			c.Reload = on
			c.Lines = append(c.Lines, GAIConfLine{Line: lineNo, Keyword: cmd, Text: text, Reload: on})
		default:
			warn(lineNo, "%q ignored: glibc knows only label, precedence, scopev4 and reload (case matters)", text)
		}
	}
	c.Labels = policyTable(labels, 1, defaultGAILabels)
	c.Precedence = policyTable(prec, 40, defaultGAIPrecedence)
	c.ScopeV4 = scopeTable(scopes)
	return c
}

// cFields splits like glibc's loop over isspace() in the C locale (space,
// \t, \n, \v, \f, \r), returning at most n fields (n < 0: all).
func cFields(s string, n int) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r'
	})
	if n >= 0 && len(f) > n {
		f = f[:n]
	}
	return f
}

// cStrtoul is glibc's strtoul(s, &endp, 10) followed by the "*endp == '\0'"
// test getaddrinfo.c makes: ok is false when anything follows the digits or
// the value overflows unsigned long. An empty string reads as 0 with nothing
// after it, so glibc accepts it. A leading '-' negates modulo 2^64, as C
// does ("-0" is 0, "-1" is ULONG_MAX, which the callers' range checks then
// refuse).
func cStrtoul(s string) (v uint64, ok bool) {
	neg := false
	digits := s
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	if digits == "" {
		// No digits at all: strtoul returns 0 and sets endp to s itself,
		// so the test passes only when s is empty.
		return 0, s == ""
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false // ERANGE
	}
	if neg {
		u = -u
	}
	return u, true
}

// cInetPton6 is inet_pton(AF_INET6): no zone, no IPv4 form.
func cInetPton6(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// missingValue is the warning for a line without its value: glibc up to
// 2.40 reads "" with strtoul, which gives 0 and leaves nothing after it.
const missingValue = "the value is missing and reads as 0 (strtoul of an empty string; glibc 2.41 and later ignore the line)"

// parsePolicyLine is add_prefixlist: "PREFIX[/BITS] VALUE" with an IPv6
// prefix, 0 <= BITS <= 128 (default 128) and 0 <= VALUE <= INT_MAX. msg is a
// warning for a line glibc accepts in a surprising way.
func parsePolicyLine(val1, val2 string) (e GAIPolicyEntry, msg string, ok bool) {
	addrText, bitsText, slash := strings.Cut(val1, "/")
	a, okAddr := cInetPton6(addrText)
	if !okAddr {
		if addrText == "" {
			return e, "no prefix", false
		}
		return e, fmt.Sprintf("%q is not an IPv6 address (IPv4 prefixes are written ::ffff:a.b.c.d/96+n)", addrText), false
	}
	var notes []string
	if !slash {
		// add_prefixlist tests "*endp == '\0'" even when no "/" was
		// there and endp was never set: undefined behaviour, and Debian's
		// glibc 2.36 refused such lines in the lab.
		return e, fmt.Sprintf("no prefix length: write %s/128 (glibc up to 2.40 reads an unset pointer here and drops the line; 2.41 and later read it as /128)", addrText), false
	}
	var bits uint64
	{
		b, okBits := cStrtoul(bitsText)
		if !okBits || b > 128 {
			return e, fmt.Sprintf("prefix length %q is not 0..128", bitsText), false
		}
		bits = b
		if bitsText == "" {
			notes = append(notes, "an empty prefix length reads as /0 (matches every address; glibc 2.41 and later ignore the line)")
		}
	}
	v, okVal := cStrtoul(val2)
	if !okVal || v > math.MaxInt32 {
		return e, fmt.Sprintf("value %q is not 0..%d", val2, math.MaxInt32), false
	}
	if val2 == "" {
		notes = append(notes, missingValue)
	}
	return GAIPolicyEntry{Prefix: netip.PrefixFrom(a, int(bits)), Value: int(v)}, strings.Join(notes, "; "), true
}

// scopeRow is a parsed scopev4 line with glibc's stored form: a network-order
// netmask and the masked address.
type scopeRow struct {
	prefix  netip.Prefix // IPv4
	scope   int
	netmask uint32 // host-order mask (0xffffff00 for /24)
	line    int
}

// parseScopeLine is the scopev4 branch of gaiconf_init: either
// "::ffff:a.b.c.d/BITS" with 96 <= BITS <= 128 (default 128) or
// "a.b.c.d/BITS" with BITS <= 32 (default 32).
func parseScopeLine(val1, val2 string) (r scopeRow, msg string, ok bool) {
	addrText, bitsText, slash := strings.Cut(val1, "/")
	var v4 netip.Addr
	var bits uint64
	var notes []string
	if a, ok6 := cInetPton6(addrText); ok6 {
		if !a.Is4In6() {
			return r, fmt.Sprintf("%q is neither an IPv4 address nor an IPv4-mapped IPv6 address", addrText), false
		}
		bits = 128
		if slash {
			b, okBits := cStrtoul(bitsText)
			if !okBits || b < 96 || b > 128 {
				return r, fmt.Sprintf("prefix length %q is not 96..128 for an IPv4-mapped prefix", bitsText), false
			}
			bits = b
		}
		v4 = a.Unmap()
	} else {
		a, err := netip.ParseAddr(addrText)
		if err != nil || !a.Is4() {
			return r, fmt.Sprintf("%q is not an IPv4 address", addrText), false
		}
		bits = 32
		if slash {
			b, okBits := cStrtoul(bitsText)
			if !okBits || b > 32 {
				return r, fmt.Sprintf("prefix length %q is not 0..32", bitsText), false
			}
			bits = b
		}
		bits += 96
		v4 = a
	}
	if slash && bitsText == "" {
		// Only the IPv4 form gets here: "::ffff:0:0/" reads as /0, below 96.
		notes = append(notes, "an empty prefix length reads as /0 (matches every IPv4 address; glibc 2.41 and later ignore the line)")
	}
	v, okVal := cStrtoul(val2)
	if !okVal || v > math.MaxInt32 {
		return r, fmt.Sprintf("value %q is not 0..%d", val2, math.MaxInt32), false
	}
	if val2 == "" {
		notes = append(notes, missingValue)
	}
	// add_scopelist: netmask = htonl (bits != 96 ? 0xffffffff << (128 - bits) : 0).
	var mask uint32
	if bits != 96 {
		mask = 0xffffffff << (128 - bits)
	}
	return scopeRow{prefix: netip.PrefixFrom(v4, int(bits-96)).Masked(), scope: int(v), netmask: mask},
		strings.Join(notes, "; "), true
}

// policyTable builds the table glibc searches from the lines of one kind: no
// lines keeps the default table; otherwise the lines replace it entirely,
// with a ::/0 row of defaultValue added unless a line has a /0 prefix, and
// the rows are sorted by prefix length, longest first (glibc's qsort is a
// stable merge sort, so equal lengths keep file order and the first of them
// wins).
func policyTable(rows []GAIPolicyEntry, defaultValue int, defaults func() []GAIPolicyEntry) []GAIPolicyEntry {
	if len(rows) == 0 {
		return defaults()
	}
	out := append([]GAIPolicyEntry(nil), rows...)
	nullBits := false
	for _, r := range rows {
		nullBits = nullBits || r.Prefix.Bits() == 0
	}
	if !nullBits {
		out = append(out, GAIPolicyEntry{Prefix: v6prefix("::/0"), Value: defaultValue})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Prefix.Bits() > out[j].Prefix.Bits() })
	return out
}

// scopeTable is the scopev4 counterpart: a default row of scope 14 unless a
// line covers everything, sorted by scopecmp, which compares the netmasks as
// stored (network byte order) read as native integers. On little-endian
// machines that is still longest first; this keeps the exact comparison.
func scopeTable(rows []scopeRow) []GAIScopeEntry {
	if len(rows) == 0 {
		return defaultGAIScopes()
	}
	out := append([]scopeRow(nil), rows...)
	nullBits := false
	for _, r := range rows {
		nullBits = nullBits || r.netmask == 0
	}
	if !nullBits {
		out = append(out, scopeRow{prefix: netip.MustParsePrefix("0.0.0.0/0"), scope: 14})
	}
	stored := func(m uint32) uint32 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], m)
		return binary.LittleEndian.Uint32(b[:])
	}
	sort.SliceStable(out, func(i, j int) bool { return stored(out[i].netmask) > stored(out[j].netmask) })
	t := make([]GAIScopeEntry, len(out))
	for i, r := range out {
		t[i] = GAIScopeEntry{Prefix: r.prefix, Scope: r.scope, Line: r.line}
	}
	return t
}

// prefixMatch is glibc's match_prefix test for one row: the first Bits()
// bits of a (as 16 bytes, IPv4 mapped) equal those of the row's address.
func prefixMatch(p netip.Prefix, a netip.Addr) bool {
	pa, aa := p.Addr().As16(), a.As16()
	bits := p.Bits()
	for i := 0; bits > 0; i++ {
		if bits >= 8 {
			if pa[i] != aa[i] {
				return false
			}
			bits -= 8
			continue
		}
		m := byte(uint(0xff00) >> uint(bits))
		return pa[i]&m == aa[i]&m
	}
	return true
}

func (c *GAIConf) lookup(table []GAIPolicyEntry, a netip.Addr, def int) int {
	if e, ok := c.row(table, a); ok {
		return e.Value
	}
	return def
}

// row is match_prefix: the first row of table that matches a.
func (c *GAIConf) row(table []GAIPolicyEntry, a netip.Addr) (GAIPolicyEntry, bool) {
	for _, e := range table {
		if prefixMatch(e.Prefix, a) {
			return e, true
		}
	}
	return GAIPolicyEntry{}, false
}

// LabelLine and PrecedenceLine are the gai.conf lines that gave a its
// label and precedence (0: a built-in row, or the ::/0 row glibc adds).
func (c *GAIConf) LabelLine(a netip.Addr) int {
	e, _ := c.row(c.Labels, a)
	return e.Line
}

func (c *GAIConf) PrecedenceLine(a netip.Addr) int {
	e, _ := c.row(c.Precedence, a)
	return e.Line
}

// ScopeLine is the scopev4 line that gave the IPv4 address a its scope.
func (c *GAIConf) ScopeLine(a netip.Addr) int {
	if !a.Is4() {
		return 0
	}
	for _, e := range c.ScopeV4 {
		if e.Prefix.Contains(a) {
			return e.Line
		}
	}
	return 0
}

// Cite names the gai.conf lines given, for a reason:
// " (gai.conf line 2: `precedence ::ffff:0:0/96 100`)"; "" when none
// of them is a line of the file (built-in rows).
func (c *GAIConf) Cite(lines ...int) string {
	var parts []string
	seen := map[int]bool{}
	for _, n := range lines {
		if n == 0 || seen[n] {
			continue
		}
		seen[n] = true
		for _, l := range c.Lines {
			if l.Line == n {
				parts = append(parts, fmt.Sprintf("line %d: `%s`", n, l.Text))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s %s)", c.Path, strings.Join(parts, "; "))
}

// Label is get_label: the first matching row (glibc's default when nothing
// matches, INT_MAX, cannot happen because every table ends with ::/0).
func (c *GAIConf) Label(a netip.Addr) int { return c.lookup(c.Labels, a, math.MaxInt32) }

// PrecedenceOf is get_precedence.
func (c *GAIConf) PrecedenceOf(a netip.Addr) int { return c.lookup(c.Precedence, a, 0) }

// Scope is get_scope: for IPv6 (IPv4-mapped included, which glibc treats as
// global) the address's own scope; for IPv4 the first matching scopev4 row.
func (c *GAIConf) Scope(a netip.Addr) int {
	if a.Is6() {
		b := a.As16()
		switch {
		case b[0] == 0xff: // multicast: the scope field
			return int(b[1] & 0xf)
		case a.IsLinkLocalUnicast() && !a.Is4In6(), a == netip.IPv6Loopback():
			// RFC 4291 §2.5.3: loopback is treated as link-local.
			return 2
		case b[0] == 0xfe && b[1]&0xc0 == 0xc0: // fec0::/10 site-local
			return 5
		}
		return 14
	}
	for _, e := range c.ScopeV4 {
		if e.Prefix.Contains(a) {
			return e.Scope
		}
	}
	return 14
}
