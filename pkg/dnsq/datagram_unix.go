//go:build unix

package dnsq

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// readDatagram returns the next datagram from conn, in a slice of its own
// size (at most udpBufSize: a longer one is cut there). The udpBufs
// buffer it is read into is taken only once the datagram is there and
// given back at once: a lookup waiting for its answer holds a socket but
// no buffer, and one whose answer is being parsed holds only the answer,
// so that the thousand lookups in flight of a bulk run do not each hold
// udpBufSize bytes while their resolver answers or while they wait for a
// CPU. The wait is the runtime's poller (conn's deadline and a
// SetDeadline from watch end it as they end a Read).
func readDatagram(conn net.Conn) ([]byte, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return readDatagramBlocking(conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return readDatagramBlocking(conn)
	}
	var (
		b    []byte
		rerr error
	)
	err = rc.Read(func(fd uintptr) bool {
		bp := udpBufs.Get().(*[]byte)
		defer udpBufs.Put(bp)
		var n int
		for {
			n, rerr = syscall.Read(int(fd), *bp)
			if !errors.Is(rerr, syscall.EINTR) {
				break
			}
		}
		if errors.Is(rerr, syscall.EAGAIN) {
			return false // nothing yet: wait
		}
		if rerr == nil {
			b = append([]byte(nil), (*bp)[:n]...)
		}
		return true
	})
	if err == nil && rerr != nil {
		// As conn.Read words it: ECONNREFUSED after an ICMP port
		// unreachable stays visible to errors.Is.
		err = &net.OpError{Op: "read", Net: conn.LocalAddr().Network(), Source: conn.LocalAddr(), Addr: conn.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Pooled sockets wait through the poller too.
var _ syscall.Conn = (*pooledConn)(nil)
