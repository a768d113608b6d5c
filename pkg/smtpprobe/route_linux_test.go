package smtpprobe

import (
	"context"
	"net"
	"net/netip"
	"syscall"
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

// TestProbeConnectionsHaveNoKeepAlive: NetDialer's connections do not
// enable TCP keep-alive, which would cost every probe's connection four
// setsockopt calls for probes that last seconds.
func TestProbeConnectionsHaveNoKeepAlive(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := NetDialer{}.DialContext(context.Background(), "tcp", netip.Addr{}, netip.MustParseAddrPort(ln.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	keepAlive, serr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) {
		keepAlive, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
	}); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
	if keepAlive != 0 {
		t.Errorf("SO_KEEPALIVE = %d on a probe's connection, want 0", keepAlive)
	}
}
