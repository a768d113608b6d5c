package discover

import "net/netip"

// Special-purpose ranges (IANA IPv4 and IPv6 Special-Purpose Address
// Registries, RFC 6890) that matter for a mail exchanger's address.
var (
	privatePrefixes = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),     // RFC 1918
		netip.MustParsePrefix("172.16.0.0/12"),  // RFC 1918
		netip.MustParsePrefix("192.168.0.0/16"), // RFC 1918
		netip.MustParsePrefix("100.64.0.0/10"),  // RFC 6598 shared address space (CGN)
	}
	documentationPrefixes = []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),    // RFC 5737 TEST-NET-1
		netip.MustParsePrefix("198.51.100.0/24"), // RFC 5737 TEST-NET-2
		netip.MustParsePrefix("203.0.113.0/24"),  // RFC 5737 TEST-NET-3
		netip.MustParsePrefix("2001:db8::/32"),   // RFC 3849
		netip.MustParsePrefix("3fff::/20"),       // RFC 9637
	}
	reservedPrefixes = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),      // RFC 791 "this network"
		netip.MustParsePrefix("192.0.0.0/24"),   // RFC 6890 IETF protocol assignments
		netip.MustParsePrefix("198.18.0.0/15"),  // RFC 2544 benchmarking
		netip.MustParsePrefix("240.0.0.0/4"),    // RFC 1112 class E, with 255.255.255.255
		netip.MustParsePrefix("::/96"),          // RFC 4291 §2.5.5.1 deprecated IPv4-compatible
		netip.MustParsePrefix("64:ff9b:1::/48"), // RFC 8215 local-use NAT64
		netip.MustParsePrefix("100::/64"),       // RFC 6666 discard-only
		netip.MustParsePrefix("2001::/23"),      // RFC 2928 IETF protocol assignments (Teredo, ORCHID, ...)
		netip.MustParsePrefix("2002::/16"),      // RFC 3056 6to4, deprecated by RFC 7526
		netip.MustParsePrefix("fec0::/10"),      // RFC 3879 deprecated site-local
	}
	ulaPrefix           = netip.MustParsePrefix("fc00::/7")      // RFC 4193
	ipv4MappedPrefix    = netip.MustParsePrefix("::ffff:0:0/96") // RFC 4291 §2.5.5.2
	globalUnicastPrefix = netip.MustParsePrefix("2000::/3")      // RFC 4291 §2.4
	nat64Prefix         = netip.MustParsePrefix("64:ff9b::/96")  // RFC 6052 well-known prefix, globally reachable
)

// Classify says whether ip can be a public mail exchanger's address and, if
// not, why. The order of the checks matters: an IPv4-mapped address is
// reported as such whatever IPv4 address it carries (an AAAA record holding
// one is broken on its own), and loopback or unspecified beat every other
// class. IPv6 outside 2000::/3 that is not otherwise special is reserved
// (not allocated for global unicast, RFC 4291 §2.4).
func Classify(ip netip.Addr) AddrClass {
	switch {
	case !ip.IsValid():
		return ClassReserved
	case ip.IsUnspecified():
		return ClassUnspecified
	case ip.Is4In6() || (ip.Is6() && ipv4MappedPrefix.Contains(ip)):
		return ClassIPv4Mapped
	case ip.IsLoopback():
		return ClassLoopback
	case ip.IsLinkLocalUnicast():
		return ClassLinkLocal
	case ip.IsMulticast():
		return ClassMulticast
	case ip.Is4() && ip.As4() == [4]byte{255, 255, 255, 255}:
		return ClassReserved
	}
	for _, p := range documentationPrefixes {
		if p.Contains(ip) {
			return ClassDocumentation
		}
	}
	for _, p := range privatePrefixes {
		if p.Contains(ip) {
			return ClassPrivate
		}
	}
	if ulaPrefix.Contains(ip) {
		return ClassULA
	}
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return ClassReserved
		}
	}
	if ip.Is6() && !globalUnicastPrefix.Contains(ip) && !nat64Prefix.Contains(ip) {
		return ClassReserved
	}
	return ClassPublic
}
