//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package smtpprobe

import "syscall"

// pending cannot ask the socket here; the caller waits briefly instead.
func pending(syscall.RawConn) (waiting, ok bool) { return false, false }
