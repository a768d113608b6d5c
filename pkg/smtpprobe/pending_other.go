//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package smtpprobe

import "net"

// pending cannot ask the socket here; the caller waits briefly instead.
func pending(net.Conn) (waiting, ok bool) { return false, false }
