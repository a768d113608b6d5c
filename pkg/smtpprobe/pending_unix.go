//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package smtpprobe

import (
	"net"
	"syscall"
)

// pending reports whether bytes from the peer wait unread in the socket's
// receive buffer, asking the kernel without blocking and without taking
// them (recv(2) with MSG_PEEK|MSG_DONTWAIT). ok is false when c has no
// socket to ask (net.Pipe).
func pending(c net.Conn) (waiting, ok bool) {
	sc, isSock := c.(syscall.Conn)
	if !isSock {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, false
	}
	var b [1]byte
	n := 0
	err = rc.Read(func(fd uintptr) bool {
		n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // one look, never a wait
	})
	return err == nil && n > 0, err == nil
}
