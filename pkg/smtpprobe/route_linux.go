package smtpprobe

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
)

// routeSource is dialRoute's question asked with four system calls, a
// datagram socket, connect(2), getsockname(2) and close(2), where
// net.Dialer also registers the socket with the poller, sets options
// that do not change the route and asks for the peer's address: a bulk
// check asks once per probe. It answers as dialRoute does, error text
// included (a test holds them together). ok is false for what it leaves
// to dialRoute: no destination, scoped addresses (the zone is an interface name to look
// up), IPv4-mapped IPv6 addresses (net.Dialer refuses them for udp6) and
// a source of the other family.
func routeSource(src, dst netip.Addr) (local netip.Addr, err error, ok bool) {
	if !dst.IsValid() || dst.Zone() != "" || src.Zone() != "" || dst.Is4In6() || src.Is4In6() || (src.IsValid() && src.Is4() != dst.Is4()) {
		return netip.Addr{}, nil, false
	}
	family, network := syscall.AF_INET6, "udp6"
	if dst.Is4() {
		family, network = syscall.AF_INET, "udp4"
	}
	opErr := func(call string, e error) error {
		oe := &net.OpError{Op: "dial", Net: network, Addr: net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 25)),
			Err: os.NewSyscallError(call, e)}
		if src.IsValid() {
			oe.Source = net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
		}
		return oe
	}
	fd, e := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if e != nil {
		return netip.Addr{}, opErr("socket", e), true
	}
	// Nothing was sent on the socket: its close has nothing to report.
	defer func() { _ = syscall.Close(fd) }()
	if family == syscall.AF_INET {
		// As net.Dialer does for every datagram socket: without it the
		// kernel refuses to connect to a broadcast address (EACCES).
		// IPv6 has no broadcast.
		if e := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1); e != nil {
			return netip.Addr{}, opErr("setsockopt", e), true
		}
	}
	if src.IsValid() {
		if e := syscall.Bind(fd, sockaddr(src, 0)); e != nil {
			return netip.Addr{}, opErr("bind", e), true
		}
	}
	// Port 25 is arbitrary: a UDP connect sends nothing whatever the port.
	for {
		e = syscall.Connect(fd, sockaddr(dst, 25))
		if e != syscall.EINTR {
			break
		}
	}
	if e != nil {
		return netip.Addr{}, opErr("connect", e), true
	}
	sa, e := syscall.Getsockname(fd)
	if e != nil {
		// net.Dialer ignores this error: leave the odd case to it.
		return netip.Addr{}, nil, false
	}
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr), nil, true
	case *syscall.SockaddrInet6:
		a := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.ZoneId != 0 {
			// A link-local source: net names its zone by interface,
			// or by number when there is none of that index.
			zone := strconv.Itoa(int(sa.ZoneId))
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
			a = a.WithZone(zone)
		}
		return a, nil, true
	}
	return netip.Addr{}, nil, false
}

func sockaddr(a netip.Addr, port int) syscall.Sockaddr {
	if a.Is4() {
		return &syscall.SockaddrInet4{Port: port, Addr: a.As4()}
	}
	return &syscall.SockaddrInet6{Port: port, Addr: a.As16()}
}
