//go:build !linux

package smtpprobe

import "net/netip"

// routeSource leaves every route check to dialRoute here.
func routeSource(src, dst netip.Addr) (local netip.Addr, err error, ok bool) {
	return netip.Addr{}, nil, false
}
