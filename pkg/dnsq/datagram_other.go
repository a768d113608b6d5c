//go:build !unix

package dnsq

import "net"

// datagramReader is the unix poller-based reader's stand-in: here the
// udpBufs buffer is held for the whole wait.
type datagramReader struct{}

func (d *datagramReader) init(net.Conn) {}

// readDatagram returns the socket's next datagram, in a slice of its own
// size (at most udpBufSize).
func (pc *pooledConn) readDatagram() ([]byte, error) {
	return readDatagramBlocking(pc.Conn)
}
