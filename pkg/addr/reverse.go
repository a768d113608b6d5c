package addr

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Reverse DNS zones (RFC 1035 §3.5, RFC 3596 §2.5), fully qualified.
const (
	ReverseZone4 = "in-addr.arpa."
	ReverseZone6 = "ip6.arpa."
)

// ReverseName returns the fully qualified PTR name of ip, with its trailing
// dot: 1.2.0.192.in-addr.arpa. for 192.0.2.1 (RFC 1035 §3.5), 32 nibbles
// under ip6.arpa. for IPv6 (RFC 3596 §2.5). The family follows Family: an
// IPv4-mapped address is reversed under ip6.arpa, where its AAAA record's
// PTR would live; callers asking about the IPv4 host behind it unmap first.
// A zone is ignored. The zero Addr has no reverse name: "".
func ReverseName(ip netip.Addr) string {
	if ip.Is4() {
		return ReverseUnder(ip, ReverseZone4)
	}
	return ReverseUnder(ip, ReverseZone6)
}

// ReverseUnder returns the labels of ip in reverse order (the four octets of
// IPv4, the 32 nibbles of IPv6) followed by zone, which should be fully
// qualified: the form of reverse names and of DNS blocklist queries (RFC
// 5782 §2.1, §2.4). The zero Addr gives "".
func ReverseUnder(ip netip.Addr, zone string) string {
	var b strings.Builder
	switch {
	case ip.Is4():
		a := ip.As4()
		b.Grow(16 + len(zone))
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(a[i])))
			b.WriteByte('.')
		}
	case ip.Is6():
		const hex = "0123456789abcdef"
		a := ip.As16()
		b.Grow(64 + len(zone))
		for i := 15; i >= 0; i-- {
			b.WriteByte(hex[a[i]&0xf])
			b.WriteByte('.')
			b.WriteByte(hex[a[i]>>4])
			b.WriteByte('.')
		}
	default:
		return ""
	}
	b.WriteString(zone)
	return b.String()
}

// ParseReverseName is ReverseName backwards: the address whose reverse
// name is name (fully qualified, lower case), four decimal labels under
// in-addr.arpa. or 32 nibbles under ip6.arpa. Anything else (an RFC 2317
// classless name, a partial name, leading zeros) names no address.
func ParseReverseName(name string) (netip.Addr, bool) {
	var ip netip.Addr
	switch {
	case strings.HasSuffix(name, "."+ReverseZone4):
		l := strings.Split(strings.TrimSuffix(name, "."+ReverseZone4), ".")
		if len(l) != 4 {
			return ip, false
		}
		slices.Reverse(l)
		ip, _ = netip.ParseAddr(strings.Join(l, "."))
	case strings.HasSuffix(name, "."+ReverseZone6):
		l := strings.Split(strings.TrimSuffix(name, "."+ReverseZone6), ".")
		if len(l) != 32 {
			return ip, false
		}
		slices.Reverse(l)
		var b strings.Builder
		for i, n := range l {
			if i > 0 && i%4 == 0 {
				b.WriteByte(':')
			}
			b.WriteString(n)
		}
		ip, _ = netip.ParseAddr(b.String())
	}
	// The round trip rejects what ParseAddr reads leniently (leading zeros).
	return ip, ip.IsValid() && ReverseName(ip) == name
}
