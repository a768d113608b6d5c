//go:build unix

package dnsq

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// readDatagram reads the next datagram from conn into a buffer of udpBufs,
// which the caller puts back. The buffer is taken only once the datagram
// is there: a lookup waiting for its answer holds a socket but no buffer,
// so that a thousand domains in flight in bulk mode do not hold a thousand
// buffers of udpBufSize for as long as their resolver takes to answer.
// The wait is the runtime's poller (conn's deadline and a SetDeadline from
// watch end it as they end a Read).
func readDatagram(conn net.Conn) (bp *[]byte, n int, err error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return readDatagramBlocking(conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return readDatagramBlocking(conn)
	}
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		bp = udpBufs.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *bp)
			if !errors.Is(rerr, syscall.EINTR) {
				break
			}
		}
		if errors.Is(rerr, syscall.EAGAIN) {
			// Nothing yet: give the buffer back and wait.
			udpBufs.Put(bp)
			bp = nil
			return false
		}
		return true
	})
	if err == nil && rerr != nil {
		// As conn.Read words it: ECONNREFUSED after an ICMP port
		// unreachable stays visible to errors.Is.
		err = &net.OpError{Op: "read", Net: conn.LocalAddr().Network(), Source: conn.LocalAddr(), Addr: conn.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	}
	if err != nil {
		if bp != nil {
			udpBufs.Put(bp)
		}
		return nil, 0, err
	}
	return bp, n, nil
}
