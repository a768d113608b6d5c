//go:build !unix

package dnsq

import "net"

// readDatagram reads the next datagram from conn into a buffer of udpBufs,
// which the caller puts back. Here the buffer is held for the whole wait;
// the unix version takes it only once the datagram is there.
func readDatagram(conn net.Conn) (bp *[]byte, n int, err error) {
	return readDatagramBlocking(conn)
}
