package dnsq

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// ParseServer turns a --resolver value into the "host:port" form the client
// dials. It accepts an IPv4 or IPv6 address with or without a port
// (192.0.2.53, 192.0.2.53:5353, 2001:db8::53, [2001:db8::53],
// [2001:db8::53]:5353; the address in any form addr.ParseLiteralZone
// reads); the port defaults to 53. Host names are refused: a
// DNS server named by a name would need DNS to be found, and which address
// it resolves to would silently decide which server we test.
func ParseServer(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty DNS server address")
	}
	port := "53"
	var host string
	// An address without a port, bracketed or not; a zone is joinServer's
	// to judge (it is meaningful on a link-local server).
	if ip, err := addr.ParseLiteralZone(s); err == nil {
		return joinServer(ip, port)
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1] // not an address: said below, in DNS server terms
	} else {
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			if looksLikeName(s) {
				return "", fmt.Errorf("%q is a host name; give the DNS server's IP address (a name would itself need DNS to be resolved)", s)
			}
			if strings.Count(s, ":") > 1 {
				return "", fmt.Errorf("%q is not an IPv6 address; with a port, IPv6 needs brackets: [2001:db8::53]:53", s)
			}
			return "", fmt.Errorf("%q is not an IP address or IP:port (examples: 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53)", s)
		}
		host, port = h, p
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return "", fmt.Errorf("port %q is not a number from 1 to 65535", port)
		}
		port = strconv.FormatUint(n, 10)
	}
	ip, err := addr.ParseLiteralZone(host)
	if err != nil {
		if looksLikeName(host) {
			return "", fmt.Errorf("%q is a host name; give the DNS server's IP address (a name would itself need DNS to be resolved)", host)
		}
		return "", fmt.Errorf("%q is not an IP address", host)
	}
	return joinServer(ip, port)
}

func joinServer(ip netip.Addr, port string) (string, error) {
	ip = ip.Unmap()
	switch {
	case ip.IsUnspecified():
		return "", fmt.Errorf("%s is the unspecified address, not a server", ip)
	case ip.IsMulticast():
		return "", fmt.Errorf("%s is a multicast address, not a server", ip)
	case ip.Zone() != "" && !ip.IsLinkLocalUnicast():
		return "", fmt.Errorf("%s: a zone (%%%s) only makes sense with a link-local address", ip, ip.Zone())
	case strings.IndexFunc(ip.Zone(), func(r rune) bool { return r > 0x7f || !isNameByte(byte(r)) }) >= 0:
		// An interface name or index; brackets, spaces or '%' would not
		// survive the [address%zone]:port form.
		return "", fmt.Errorf("%q is not an interface name or index", ip.Zone())
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// looksLikeName reports whether s is made of host-name characters, to tell
// "you gave a name" apart from "this is garbage".
func looksLikeName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
}

// isNameByte reports whether c may appear in a host name as people type
// them: letters, digits, hyphen, dot and the underscore of service labels.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_'
}
