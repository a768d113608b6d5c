//go:build !linux

package smtpprobe

import "syscall"

// quickAck is Linux-only (TCP_QUICKACK); elsewhere ACK timing is the
// kernel's.
func quickAck(syscall.RawConn) {}
