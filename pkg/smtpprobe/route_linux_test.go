package smtpprobe

import (
	"context"
	"net/netip"
	"testing"
)

// The system-call path answers the questions it takes itself: the
// comparison with net.Dialer (route_test.go) would pass if it took none.
func TestRouteSourceAsksTheKernelForPlainAddresses(t *testing.T) {
	for _, dst := range []string{"127.0.0.1", "::1"} {
		ip := netip.MustParseAddr(dst)
		if _, err := dialRoute(context.Background(), netip.Addr{}, ip); err != nil {
			t.Logf("%s: no loopback route here (%v)", dst, err)
			continue
		}
		local, err, ok := routeSource(netip.Addr{}, ip)
		if !ok || err != nil || !local.IsLoopback() {
			t.Errorf("%s: source %v, err %v, answered %v", dst, local, err, ok)
		}
	}
}
