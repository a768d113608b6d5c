//go:build !linux

package smtpprobe

import "net"

// quickAck is Linux-only (TCP_QUICKACK); elsewhere ACK timing is the
// kernel's.
func quickAck(net.Conn) {}
