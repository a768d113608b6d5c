//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package smtpprobe

import "syscall"

// pending reports whether bytes from the peer wait unread in the socket's
// receive buffer, asking the kernel without blocking and without taking
// them (recv(2) with MSG_PEEK|MSG_DONTWAIT). ok is false when there is no
// socket to ask (rc nil: net.Pipe).
func pending(rc syscall.RawConn) (waiting, ok bool) {
	if rc == nil {
		return false, false
	}
	var b [1]byte
	n := 0
	err := rc.Read(func(fd uintptr) bool {
		n, _, _ = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // one look, never a wait
	})
	return err == nil && n > 0, err == nil
}
