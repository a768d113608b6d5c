package smtpprobe

import "syscall"

// quickAck asks Linux to acknowledge the next segments at once instead of
// delaying the ACK (TCP_QUICKACK, tcp(7)). The kernel leaves quick-ACK mode
// again on its own, so it is set before each reply to a command is read
// (session.quickAck).
//
// Why it matters: after a TLS 1.3 handshake a server such as Postfix
// (OpenSSL) sends its session tickets, then its reply to our EHLO. With
// Nagle's algorithm on the server (Postfix does not set TCP_NODELAY) the
// short reply waits until the tickets are acknowledged, and a delayed ACK
// on our side holds that up by 40 ms or more: measured in the latency lab
// (RTT 50 ms), the EHLO after STARTTLS took 2.9 round trips instead of 2.
// An immediate ACK changes nothing a server sees except its timing.
func quickAck(raw syscall.RawConn) {
	// Best effort: a failure leaves the kernel's usual ACK timing.
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
