//go:build unix

package dnsq

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// datagramReader reads a UDP socket's datagrams through the runtime's
// poller: a lookup waiting for its answer holds a socket but no read
// buffer. The udpBufs buffer is taken only once a datagram is there and
// given back at once, the datagram copied out at its own size, so that the
// thousand lookups in flight of a bulk run do not each hold udpBufSize
// bytes while their resolver answers, nor while they parse or wait for a
// CPU. The socket's deadline (and a SetDeadline from watch) ends the wait
// as it ends a Read.
type datagramReader struct {
	raw  syscall.RawConn       // nil: read through Conn.Read
	read func(fd uintptr) bool // readFD, bound once per socket
	got  []byte
	err  error
}

func (d *datagramReader) init(conn net.Conn) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	d.raw, d.read = raw, d.readFD
}

// readFD is the poller's callback: false asks it to wait for the socket
// to become readable and call again.
func (d *datagramReader) readFD(fd uintptr) bool {
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	n, err := syscall.Read(int(fd), *bp)
	for errors.Is(err, syscall.EINTR) {
		n, err = syscall.Read(int(fd), *bp)
	}
	if errors.Is(err, syscall.EAGAIN) {
		return false
	}
	d.got, d.err = nil, err
	if err == nil {
		d.got = append([]byte(nil), (*bp)[:n]...)
	}
	return true
}

// readDatagram returns the socket's next datagram, in a slice of its own
// size (at most udpBufSize: the kernel cuts a longer one there).
func (pc *pooledConn) readDatagram() ([]byte, error) {
	d := &pc.rd
	if d.raw == nil {
		return readDatagramBlocking(pc.Conn)
	}
	if err := d.raw.Read(d.read); err != nil {
		return nil, err
	}
	b, err := d.got, d.err
	d.got, d.err = nil, nil
	if err != nil {
		// As Conn.Read words it: ECONNREFUSED after an ICMP port
		// unreachable stays visible to errors.Is.
		return nil, &net.OpError{Op: "read", Net: pc.LocalAddr().Network(), Source: pc.LocalAddr(), Addr: pc.RemoteAddr(), Err: os.NewSyscallError("read", err)}
	}
	return b, nil
}
