package dnsq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size we advertise: the DNS Flag Day 2020
// value, which avoids IP fragmentation on practically every path.
const ednsSize = 1232

// udpBufSize bounds what we read from one datagram. It is larger than
// ednsSize so that a server ignoring our size still yields a parsable (if
// impolite) answer rather than a silently cut one.
const udpBufSize = 4096

var udpBufs = sync.Pool{New: func() any { b := make([]byte, udpBufSize); return &b }}

// longAgo is a deadline in the past, used to interrupt a blocked read when
// the caller's context ends.
var longAgo = time.Unix(1, 0)

// exchange sends the packed query wire (its ID already set) to server over
// network ("udp" or "tcp") and returns the answer. The deadline bounds the
// whole exchange; ctx cancellation interrupts it too. UDP answers with
// another ID or question are ignored (late answers to an earlier attempt,
// or spoofing attempts, RFC 5452 §4) and reading goes on until the deadline.
func (c *Client) exchange(ctx context.Context, network, server string, wire []byte, q dns.Question, deadline time.Time) (*dns.Msg, time.Duration, error) {
	r, rtt, err := c.exchange1(ctx, network, server, wire, q, deadline)
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		// The read was interrupted by the caller, not by the server.
		err = ctx.Err()
	}
	return r, rtt, err
}

func (c *Client) exchange1(ctx context.Context, network, server string, wire []byte, q dns.Question, deadline time.Time) (*dns.Msg, time.Duration, error) {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := time.Now()
	conn, err := c.dialer.DialContext(dctx, network, server)
	if err != nil {
		return nil, time.Since(start), err
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(longAgo) })
	defer stop()

	id := binary.BigEndian.Uint16(wire)
	if network == "tcp" {
		r, err := exchangeTCP(conn, wire, id)
		if err == nil && !matches(r, q) {
			err = fmt.Errorf("answer for another question (%v)", r.Question)
		}
		return r, time.Since(start), err
	}
	if _, err := conn.Write(wire); err != nil {
		return nil, time.Since(start), err
	}
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	buf := *bp
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, time.Since(start), err
		}
		if n < 12 || binary.BigEndian.Uint16(buf) != id {
			continue
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:n]); err != nil {
			return nil, time.Since(start), fmt.Errorf("malformed answer: %w", err)
		}
		if !matches(r, q) {
			continue
		}
		return r, time.Since(start), nil
	}
}

// exchangeTCP writes one length-prefixed query and reads one answer (RFC
// 1035 §4.2.2, RFC 7766). The 16-bit length bounds what we read.
func exchangeTCP(conn net.Conn, wire []byte, id uint16) (*dns.Msg, error) {
	out := make([]byte, 2+len(wire))
	binary.BigEndian.PutUint16(out, uint16(len(wire)))
	copy(out[2:], wire)
	if _, err := conn.Write(out); err != nil {
		return nil, err
	}
	var l [2]byte
	if _, err := io.ReadFull(conn, l[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint16(l[:])
	if n < 12 {
		return nil, fmt.Errorf("malformed answer: %d-byte message", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, err
	}
	r := new(dns.Msg)
	if err := r.Unpack(buf); err != nil {
		return nil, fmt.Errorf("malformed answer: %w", err)
	}
	if r.Id != id {
		return nil, fmt.Errorf("answer with ID %d to query %d", r.Id, id)
	}
	return r, nil
}

// matches reports whether r answers q (RFC 5452 §4.1: ID, question name,
// type and class).
func matches(r *dns.Msg, q dns.Question) bool {
	if !r.Response || len(r.Question) != 1 {
		// Some servers answer FORMERR or NOTIMP without echoing the question.
		return r.Response && len(r.Question) == 0 &&
			r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError
	}
	rq := r.Question[0]
	return rq.Qtype == q.Qtype && rq.Qclass == q.Qclass && equalFold(rq.Name, q.Name)
}

// equalFold compares DNS names ASCII-case-insensitively (RFC 4343).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// isTimeout reports whether err is a deadline expiry.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
