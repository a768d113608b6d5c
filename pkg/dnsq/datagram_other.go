//go:build !unix

package dnsq

import "net"

// readDatagram returns the next datagram from conn, in a slice of its own
// size (at most udpBufSize). Here the udpBufs buffer is held for the
// whole wait; the unix version takes it only once the datagram is there.
func readDatagram(conn net.Conn) ([]byte, error) {
	return readDatagramBlocking(conn)
}
