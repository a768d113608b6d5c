package iprev

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Generic reports whether name looks like the generic reverse DNS an access
// provider gives a pool of addresses rather than a name someone chose for a
// mail server, and why. Large receivers treat such names like missing rDNS
// (Gmail's sender guidelines ask for a PTR "that is not generic"; Spamhaus
// and most DNSBL "dynamic" heuristics look for the same signs):
//
//   - the address itself spelled in the name, in any common form: decimal
//     octets forward or reversed with '-', '.', '_' or 'x' between them
//     (192-0-2-1, 1.2.0.192), zero-padded or run together (192000002001),
//     hexadecimal (c0000201), three trailing octets (0-2-1); for IPv6 the
//     whole address or its interface identifier as hex digits, in groups or
//     run together;
//   - an EUI-64 interface identifier's ff:fe marker (fffe, ff-fe);
//   - pool words as a label or part of one: dyn, dynamic, dhcp, pool, cable,
//     dsl, adsl, ppp, customer, client, static-ip, broadband, ...;
//   - a pool word or "host"/"ip" followed directly by digits (host-17,
//     dhcp123, ip42).
//
// name may be absolute or not, in any case. The reason is one short phrase
// naming the evidence.
func Generic(name string, ip netip.Addr) (bool, string) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return false, ""
	}
	if form, ok := embedsAddress(name, ip); ok {
		return true, fmt.Sprintf("the name spells the address (%s)", form)
	}
	// The marker sits inside hex groups ("22ff-fe33", "0211:22ff:fe33"),
	// so it is matched anywhere, not on boundaries.
	for _, m := range []string{"fffe", "ff-fe"} {
		if strings.Contains(name, m) {
			return true, fmt.Sprintf("the name holds an EUI-64 interface identifier (%s)", m)
		}
	}
	for _, p := range poolPhrases {
		if containsToken(name, p) {
			return true, fmt.Sprintf("the name contains %q", p)
		}
	}
	// Tokens are walked in place rather than split into a slice: this runs
	// once per PTR name on the bulk check path.
	for t, rest := nextToken(name); t != ""; t, rest = nextToken(rest) {
		if poolWords[t] {
			return true, fmt.Sprintf("the name contains the pool word %q", t)
		}
		// "host-17", "ip-42": a generic prefix followed by a number label.
		if numberedPrefixes[t] {
			if next, _ := nextToken(rest); isDigits(next) {
				return true, fmt.Sprintf("the name numbers hosts (%s-%s)", t, next)
			}
		}
		// "dhcp123", "host17", "ppp0042".
		if p := strings.TrimRight(t, "0123456789"); p != t && (poolWords[p] || numberedPrefixes[p]) {
			return true, fmt.Sprintf("the name numbers hosts (%s)", t)
		}
	}
	return false, ""
}

// poolWords are labels or label parts that providers use for dynamically or
// automatically named customer addresses.
var poolWords = map[string]bool{
	"dyn": true, "dynamic": true, "dynip": true, "dhcp": true, "pool": true,
	"cable": true, "dsl": true, "adsl": true, "vdsl": true, "xdsl": true, "sdsl": true,
	"ppp": true, "pppoe": true, "dialup": true, "dialin": true, "dial": true,
	"customer": true, "customers": true, "cust": true, "client": true, "clients": true,
	"broadband": true, "residential": true, "subscriber": true, "subscribers": true,
	"cpe": true, "ftth": true, "fttx": true, "cgnat": true, "unassigned": true,
	"dip": true, "dialip": true,
}

// poolPhrases are multi-token pool markers, matched on token boundaries.
var poolPhrases = []string{"static-ip", "staticip", "static.ip", "dynamic-ip", "ip-pool"}

// numberedPrefixes are generic only when a number follows them.
var numberedPrefixes = map[string]bool{"host": true, "ip": true, "node": true, "user": true}

// nextToken returns the first non-empty token of s, tokens being separated
// by '.', '-' or '_', and what follows it; "" when s holds no more tokens.
func nextToken(s string) (token, rest string) {
	isSep := func(c byte) bool { return c == '.' || c == '-' || c == '_' }
	start := 0
	for start < len(s) && isSep(s[start]) {
		start++
	}
	end := start
	for end < len(s) && !isSep(s[end]) {
		end++
	}
	return s[start:end], s[end:]
}

// embedsAddress looks for ip spelled inside name and returns the form found.
func embedsAddress(name string, ip netip.Addr) (string, bool) {
	ip = ip.Unmap()
	if !mayEmbed(name, ip) {
		return "", false
	}
	if ip.Is4() {
		for _, f := range ipv4Forms(ip) {
			if f.hex {
				if indexHex(name, f.text) >= 0 {
					return f.text, true
				}
			} else if indexDigits(name, f.text) >= 0 {
				return f.text, true
			}
		}
		return "", false
	}
	for _, f := range ipv6Forms(ip) {
		if indexHex(name, f) >= 0 {
			return f, true
		}
	}
	return "", false
}

// mayEmbed is a quick test that rules out most names before the address
// forms are built (building them costs a few dozen small allocations, and
// Generic runs for every PTR name of every address on the bulk path). It
// returns false only when no form of ipv4Forms or ipv6Forms can occur in
// name; when it returns true the forms decide.
//
//   - IPv4: every decimal form holds the last octet in decimal (the padded
//     "045" holds "45", "000" holds "0"); the one other form is the
//     hexadecimal one.
//   - IPv6: every form holds the last group, in hex without leading zeros,
//     except the compressed text of an address whose last group is zero
//     ("2001:db8::"), for which the forms are always built.
func mayEmbed(name string, ip netip.Addr) bool {
	var buf [8]byte // stack scratch: the conversions below do not escape
	if ip.Is4() {
		a := ip.As4()
		if strings.Contains(name, string(strconv.AppendUint(buf[:0], uint64(a[3]), 10))) {
			return true
		}
		hex.Encode(buf[:], a[:])
		return strings.Contains(name, string(buf[:]))
	}
	b := ip.As16()
	last := uint64(b[14])<<8 | uint64(b[15])
	if last == 0 {
		return true
	}
	return strings.Contains(name, string(strconv.AppendUint(buf[:0], last, 16)))
}

type addrForm struct {
	text string
	hex  bool // bounded by non-hex characters rather than non-digits
}

func ipv4Forms(ip netip.Addr) []addrForm {
	a := ip.As4()
	dec := func(i int) string { return strconv.Itoa(int(a[i])) }
	pad := func(i int) string { return fmt.Sprintf("%03d", a[i]) }
	var forms []addrForm
	for _, sep := range []string{"-", ".", "_", "x"} {
		forms = append(forms,
			addrForm{text: dec(0) + sep + dec(1) + sep + dec(2) + sep + dec(3)},
			addrForm{text: dec(3) + sep + dec(2) + sep + dec(1) + sep + dec(0)},
			addrForm{text: pad(0) + sep + pad(1) + sep + pad(2) + sep + pad(3)},
			addrForm{text: pad(3) + sep + pad(2) + sep + pad(1) + sep + pad(0)},
		)
	}
	forms = append(forms,
		addrForm{text: pad(0) + pad(1) + pad(2) + pad(3)},
		addrForm{text: pad(3) + pad(2) + pad(1) + pad(0)},
		addrForm{text: hex.EncodeToString(a[:]), hex: true},
	)
	// Three trailing octets are enough to be a per-address name
	// ("0-2-1.pool.isp.example", "1.2.0.static.isp.example").
	for _, sep := range []string{"-", ".", "_"} {
		forms = append(forms,
			addrForm{text: dec(1) + sep + dec(2) + sep + dec(3)},
			addrForm{text: dec(3) + sep + dec(2) + sep + dec(1)},
		)
	}
	return forms
}

func ipv6Forms(ip netip.Addr) []string {
	b := ip.As16()
	full := hex.EncodeToString(b[:])
	groups := make([]string, 8)
	padded := make([]string, 8)
	for i := range 8 {
		padded[i] = full[i*4 : i*4+4]
		groups[i] = strings.TrimLeft(padded[i], "0")
		if groups[i] == "" {
			groups[i] = "0"
		}
	}
	forms := []string{
		full,
		strings.Join(padded, "-"),
		strings.Join(groups, "-"),
		strings.ReplaceAll(ip.String(), ":", "-"),
	}
	// The interface identifier alone, when it is not a small hand-picked
	// number (::1, ::25 are how people number servers, not pools).
	iid := full[16:]
	if strings.TrimLeft(iid, "0") != "" && len(strings.TrimLeft(iid, "0")) > 4 {
		forms = append(forms, iid, strings.Join(padded[4:], "-"), strings.Join(groups[4:], "-"))
	}
	return forms
}

// indexDigits finds s in name where it is not preceded or followed by
// another digit (so 1-2-3 does not match inside 11-2-34).
func indexDigits(name, s string) int {
	return indexBounded(name, s, func(c byte) bool { return c >= '0' && c <= '9' })
}

// indexHex finds s in name where it is not preceded or followed by another
// hex digit.
func indexHex(name, s string) int {
	return indexBounded(name, s, func(c byte) bool {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
	})
}

func indexBounded(name, s string, inClass func(byte) bool) int {
	for from := 0; from <= len(name)-len(s); {
		i := strings.Index(name[from:], s)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(s)
		if (i == 0 || !inClass(name[i-1])) && (end == len(name) || !inClass(name[end])) {
			return i
		}
		from = i + 1
	}
	return -1
}

// containsToken reports whether phrase occurs in name on label or token
// boundaries ('.', '-', '_' or the ends).
func containsToken(name, phrase string) bool {
	return indexBounded(name, phrase, func(c byte) bool { return c != '.' && c != '-' && c != '_' }) >= 0
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// EUI64 reports whether ip is an IPv6 address whose interface identifier was
// built from a MAC address (RFC 4291 Appendix A: ff:fe in the middle), the
// mark of stateless autoconfiguration rather than a configured server
// address.
func EUI64(ip netip.Addr) bool {
	if !ip.Is6() || ip.Is4In6() {
		return false
	}
	b := ip.As16()
	return b[11] == 0xff && b[12] == 0xfe
}
