package dnsq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
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
func (c *Client) exchange(ctx context.Context, network string, srv int, wire []byte, q dns.Question, deadline time.Time) (*dns.Msg, time.Duration, error) {
	r, rtt, err := c.exchange1(ctx, network, srv, wire, q, deadline)
	switch {
	case err == nil:
	case errors.Is(ctx.Err(), context.Canceled):
		// The read was interrupted by the caller, not by the server.
		err = ctx.Err()
	default:
		err = &exchangeError{network: network, err: err}
	}
	return r, rtt, err
}

// exchangeError words a failed exchange for people: "connection refused
// (udp)" rather than "read udp 127.0.0.1:41234->127.0.0.1:53: recvfrom:
// connection refused". The cause stays available to errors.Is/As.
type exchangeError struct {
	network string
	err     error
}

func (e *exchangeError) Error() string {
	switch {
	case isTimeout(e.err):
		return "no answer in time (" + e.network + ")"
	case errors.Is(e.err, syscall.ECONNREFUSED):
		return "connection refused (" + e.network + "): no DNS server listens there"
	}
	msg := e.err.Error()
	var oe *net.OpError
	if errors.As(e.err, &oe) && oe.Err != nil {
		msg = oe.Err.Error()
	}
	return msg + " (" + e.network + ")"
}

func (e *exchangeError) Unwrap() error { return e.err }

func (c *Client) exchange1(ctx context.Context, network string, srv int, wire []byte, q dns.Question, deadline time.Time) (*dns.Msg, time.Duration, error) {
	start := time.Now()
	server, pool := c.servers[srv], &c.udp[srv]
	if network == "tcp" {
		conn, err := c.dial(ctx, network, server, deadline)
		if err != nil {
			return nil, time.Since(start), err
		}
		defer conn.Close()
		defer watch(ctx, conn)()
		r, err := exchangeTCP(conn, wire, binary.BigEndian.Uint16(wire))
		if err == nil && !matches(r, q) {
			err = errors.New("answer for another question")
		}
		return r, time.Since(start), err
	}
	conn := pool.get()
	if conn == nil {
		var err error
		if conn, err = c.dial(ctx, network, server, deadline); err != nil {
			return nil, time.Since(start), err
		}
	}
	_ = conn.SetDeadline(deadline)
	stop := watch(ctx, conn)
	r, err := exchangeUDP(conn, wire, q)
	stopped := stop()
	if err != nil || !stopped {
		// A socket that timed out may still receive the late answer;
		// one interrupted by the caller has a deadline in the past.
		conn.Close()
	} else {
		pool.put(conn)
	}
	return r, time.Since(start), err
}

// dial connects to server, bounded by deadline and ctx.
func (c *Client) dial(ctx context.Context, network, server string, deadline time.Time) (net.Conn, error) {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := c.dialer.DialContext(dctx, network, server)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(deadline)
	return conn, nil
}

// watch interrupts conn's I/O when ctx ends. The returned stop reports
// whether it did not (the connection is still usable).
func watch(ctx context.Context, conn net.Conn) (stop func() bool) {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() { _ = conn.SetDeadline(longAgo) })
}

// exchangeUDP writes one query and reads until the answer to it arrives.
func exchangeUDP(conn net.Conn, wire []byte, q dns.Question) (*dns.Msg, error) {
	id := binary.BigEndian.Uint16(wire)
	if _, err := conn.Write(wire); err != nil {
		return nil, err
	}
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	buf := *bp
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		if n < 12 || binary.BigEndian.Uint16(buf) != id {
			continue
		}
		r := new(dns.Msg)
		if err := r.Unpack(buf[:n]); err != nil {
			return nil, fmt.Errorf("malformed answer: %w", err)
		}
		if !matches(r, q) {
			continue
		}
		return r, nil
	}
}

// udpPool keeps connected UDP sockets for reuse: creating, connecting and
// closing a socket costs more system calls than the query itself, and bulk
// mode sends thousands of queries a second. Each socket serves at most
// maxUses queries, so the source port keeps changing (RFC 5452 §9.2 wants
// unpredictable ports as well as IDs), and only sockets whose last
// exchange ended cleanly come back.
type udpPool struct {
	mu   sync.Mutex
	idle []*pooledConn
}

type pooledConn struct {
	net.Conn
	uses int
}

const (
	maxIdlePerServer = 64
	maxUses          = 64
)

func (p *udpPool) get() net.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	pc := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return pc
}

func (p *udpPool) put(conn net.Conn) {
	pc, ok := conn.(*pooledConn)
	if !ok {
		pc = &pooledConn{Conn: conn}
	}
	pc.uses++
	p.mu.Lock()
	if pc.uses >= maxUses || len(p.idle) >= maxIdlePerServer {
		p.mu.Unlock()
		pc.Close()
		return
	}
	p.idle = append(p.idle, pc)
	p.mu.Unlock()
}

// close closes the idle sockets.
func (p *udpPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pc := range p.idle {
		pc.Close()
	}
	p.idle = nil
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
