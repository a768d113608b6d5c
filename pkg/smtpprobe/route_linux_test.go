package smtpprobe

import (
	"net/netip"
	"testing"
)

// The system-call path answers the questions it takes: the test above
// would pass if it took none.
func TestRouteSourceAsksTheKernelForPlainAddresses(t *testing.T) {
	for _, dst := range []string{"127.0.0.1", "::1"} {
		local, err, ok := routeSource(netip.Addr{}, netip.MustParseAddr(dst))
		if !ok || err != nil || !local.IsLoopback() {
			t.Errorf("%s: source %v, err %v, answered %v", dst, local, err, ok)
		}
	}
}
