package addr

import "net/netip"

// Class says whether an address can be a public mail server's or sender's
// address and, if not, why. The values are the words JSON documents use.
type Class string

// Classes, from the IANA IPv4 and IPv6 Special-Purpose Address Registries
// (RFC 6890 and the RFCs each entry cites).
const (
	Public        Class = "public"
	Loopback      Class = "loopback"      // 127.0.0.0/8, ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3)
	Unspecified   Class = "unspecified"   // 0.0.0.0, :: (RFC 1122 §3.2.1.3, RFC 4291 §2.5.2)
	LinkLocal     Class = "link_local"    // 169.254.0.0/16, fe80::/10 (RFC 3927, RFC 4291 §2.5.6)
	IPv4Mapped    Class = "ipv4_mapped"   // ::ffff:0:0/96 (RFC 4291 §2.5.5.2)
	Private       Class = "private"       // 10/8, 172.16/12, 192.168/16 (RFC 1918)
	Shared        Class = "shared"        // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
	ULA           Class = "ula"           // fc00::/7 (RFC 4193)
	Documentation Class = "documentation" // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
	Multicast     Class = "multicast"     // 224.0.0.0/4, ff00::/8 (RFC 5771, RFC 4291 §2.7)
	Reserved      Class = "reserved"      // other special-purpose space, and IPv6 outside 2000::/3
)

var (
	privatePrefixes = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),     // RFC 1918
		netip.MustParsePrefix("172.16.0.0/12"),  // RFC 1918
		netip.MustParsePrefix("192.168.0.0/16"), // RFC 1918
	}
	sharedPrefix          = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598
	ulaPrefix             = netip.MustParsePrefix("fc00::/7")      // RFC 4193
	documentationPrefixes = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),    // RFC 5737 TEST-NET-1
		netip.MustParsePrefix("198.51.100.0/24"), // RFC 5737 TEST-NET-2
		netip.MustParsePrefix("203.0.113.0/24"),  // RFC 5737 TEST-NET-3
		netip.MustParsePrefix("2001:db8::/32"),   // RFC 3849
		netip.MustParsePrefix("3fff::/20"),       // RFC 9637
	}
	reservedPrefixes = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),      // RFC 791 "this network" (0.0.0.0 itself is Unspecified)
		netip.MustParsePrefix("192.0.0.0/24"),   // RFC 6890 IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),  // RFC 2544 benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),    // RFC 1112 class E, with 255.255.255.255 (RFC 919 broadcast)
		netip.MustParsePrefix("::/96"),          // RFC 4291 §2.5.5.1 deprecated IPv4-compatible
		netip.MustParsePrefix("64:ff9b:1::/48"), // RFC 8215 local-use NAT64
		netip.MustParsePrefix("100::/64"),       // RFC 6666 discard-only
		netip.MustParsePrefix("2001::/23"),      // RFC 2928 IETF protocol assignments (Teredo, ORCHID, ...)
		netip.MustParsePrefix("2002::/16"),      // RFC 3056 6to4, deprecated by RFC 7526
		netip.MustParsePrefix("fec0::/10"),      // RFC 3879 deprecated site-local
	}
	globalUnicastPrefix = netip.MustParsePrefix("2000::/3")     // RFC 4291 §2.4
	nat64Prefix         = netip.MustParsePrefix("64:ff9b::/96") // RFC 6052 well-known prefix, globally reachable
)

// Classify returns the class of ip. The order of the checks matters:
//   - the unspecified address comes first (0.0.0.0 is also in 0.0.0.0/8);
//   - an IPv4-mapped address is IPv4Mapped whatever IPv4 address it carries
//     (an AAAA record holding one is broken on its own, see Family);
//   - loopback, link-local and multicast before the prefix lists; a
//     link-local multicast address (224.0.0.0/24, ff02::/16) is Multicast:
//     it is not a unicast address at all;
//   - IPv6 outside 2000::/3 that is not otherwise special is Reserved (not
//     allocated for global unicast, RFC 4291 §2.4), except the well-known
//     NAT64 prefix 64:ff9b::/96, which is globally reachable (RFC 6052).
//
// A zone does not change the class. The zero Addr is Reserved.
func Classify(ip netip.Addr) Class {
	ip = ip.WithZone("")
	switch {
	case !ip.IsValid():
		return Reserved
	case ip.IsUnspecified():
		return Unspecified
	case ip.Is4In6():
		return IPv4Mapped
	case ip.IsLoopback():
		return Loopback
	case ip.IsLinkLocalUnicast():
		return LinkLocal
	case ip.IsMulticast():
		return Multicast
	}
	for _, p := range documentationPrefixes {
		if p.Contains(ip) {
			return Documentation
		}
	}
	for _, p := range privatePrefixes {
		if p.Contains(ip) {
			return Private
		}
	}
	switch {
	case sharedPrefix.Contains(ip):
		return Shared
	case ulaPrefix.Contains(ip):
		return ULA
	}
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return Reserved
		}
	}
	if ip.Is6() && !globalUnicastPrefix.Contains(ip) && !nat64Prefix.Contains(ip) {
		return Reserved
	}
	return Public
}
