package smtpprobe

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// The route check answers as net.Dialer's does, source address and error
// text alike, whichever way it asks the kernel: for loopback, unspecified,
// broadcast, multicast, link-local and documentation destinations, for a
// source this host does not have, for a source of the other family, and
// for the addresses it leaves to net.Dialer. Nothing is sent: a UDP
// connect only looks up the route.
func TestUDPRouteCheckerAnswersAsNetDialerDoes(t *testing.T) {
	cases := []struct{ src, dst string }{
		{"", "127.0.0.1"}, {"", "::1"}, {"", "0.0.0.0"}, {"", "::"},
		{"", "255.255.255.255"}, {"", "224.0.0.1"}, {"", "ff02::1"}, {"", "fe80::1"},
		{"", "192.0.2.1"}, {"", "2001:db8::1"}, {"", "::ffff:127.0.0.1"}, {"", "fe80::1%lo"},
		{"127.0.0.1", "127.0.0.1"}, {"::1", "::1"},
		{"198.51.100.77", "127.0.0.1"}, {"2001:db8:77::77", "::1"},
		{"::1", "127.0.0.1"}, {"127.0.0.1", "::1"},
	}
	ctx := context.Background()
	for _, c := range cases {
		var src netip.Addr
		if c.src != "" {
			src = netip.MustParseAddr(c.src)
		}
		dst := netip.MustParseAddr(c.dst)
		got, gotErr := UDPRouteChecker{}.CheckRoute(ctx, src, dst)
		want, wantErr := dialRoute(ctx, src, dst)
		if got != want || (gotErr == nil) != (wantErr == nil) ||
			(gotErr != nil && (gotErr.Error() != wantErr.Error() || errors.Is(gotErr, ErrNoSource) != errors.Is(wantErr, ErrNoSource))) {
			t.Errorf("%s -> %s: %v, %v; net.Dialer: %v, %v", c.src, c.dst, got, gotErr, want, wantErr)
		}
	}
}
