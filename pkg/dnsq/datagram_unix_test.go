//go:build unix

package dnsq

import (
	"bytes"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// udpPair is a connected UDP socket and the peer it is connected to.
func udpPair(t *testing.T) (client net.Conn, peer *net.UDPConn) {
	t.Helper()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	client, err = net.Dial("udp", peer.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client, peer
}

func TestReadDatagramReturnsEachDatagramWholeAndCutsAnOversizedOneAfterUDPBufSize(t *testing.T) {
	client, peer := udpPair(t)
	// A pooled socket goes through the same path as a fresh one.
	conn := newPooledConn(client)
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	small := bytes.Repeat([]byte{1}, 300)
	big := bytes.Repeat([]byte{2}, udpBufSize+500)
	for _, want := range [][]byte{small, big} {
		if _, err := peer.WriteTo(want, client.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		got, err := conn.readDatagram()
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > udpBufSize {
			want = want[:udpBufSize]
		}
		if !bytes.Equal(got, want) {
			t.Errorf("read %d bytes, want the %d sent", len(got), len(want))
		}
		if len(want) < udpBufSize && cap(got) >= udpBufSize {
			t.Errorf("a %d-byte answer holds a whole read buffer (capacity %d)", len(got), cap(got))
		}
	}
}

func TestReadDatagramEndsAtTheDeadlineWithATimeoutAndReportsARefusal(t *testing.T) {
	client, peer := udpPair(t)
	conn := newPooledConn(client)
	_ = conn.SetDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	if _, err := conn.readDatagram(); !isTimeout(err) {
		t.Errorf("err %v, want a timeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the read took %v past a 50ms deadline", d)
	}
	// Nobody listens any more: the kernel reports the ICMP port
	// unreachable of the query on the next read (Linux; other systems may
	// say nothing and time out).
	peer.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("query")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.readDatagram(); !errors.Is(err, syscall.ECONNREFUSED) && !isTimeout(err) {
		t.Errorf("err %v, want connection refused (or a timeout)", err)
	}
}
