package discover

import (
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Classify is addr.Classify in the words of the mx document's "class"
// field: shared address space (100.64.0.0/10, RFC 6598) is "private" there,
// as docs/json.md documents, and the MX finding for private addresses
// (MC205) covers both.
func Classify(ip netip.Addr) AddrClass {
	c := addr.Classify(ip)
	if c == addr.Shared {
		return ClassPrivate
	}
	return AddrClass(c)
}
