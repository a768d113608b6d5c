package dnsq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// ednsSize is the UDP payload size we advertise: the DNS Flag Day 2020
// value, which avoids IP fragmentation on practically every path.
const ednsSize = 1232

// maxUDPAnswer is the largest UDP answer we read; a longer one is asked
// again over TCP. An answer can exceed what we advertised: a server that
// ignores EDNS0 or our size (or a middlebox that strips the OPT record) may
// send up to 65,507 bytes without TC. 4096 is the size RFC 6891 §6.2.5
// suggests starting from and BIND's default before DNS Flag Day 2020, so a
// server still configured that way is read in one exchange; a larger
// datagram is a server sending what no one asked for (in IP fragments),
// rare enough that one TCP exchange for it costs nothing. Reading every
// datagram into 64 KiB instead would cost that much per query in flight,
// about 64 MB at bulk mode's 1,000 lookups in flight.
const maxUDPAnswer = 4096

// udpBufSize is one byte more than maxUDPAnswer, so that a datagram that
// fills the buffer is known to be longer than maxUDPAnswer: the kernel
// silently drops what does not fit (recvmsg's MSG_TRUNC), and a cut
// message must not be read as a whole one.
const udpBufSize = maxUDPAnswer + 1

var udpBufs = sync.Pool{New: func() any { b := make([]byte, udpBufSize); return &b }}

// longAgo is a deadline in the past, used to interrupt a blocked read when
// the caller's context ends.
var longAgo = time.Unix(1, 0)

// exchangeErr words the error of a failed exchange: the
// caller's interruption as such, anything else as an *exchangeError.
//
//go:noinline
func exchangeErr(ctx context.Context, network string, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		// The read was interrupted by the caller, not by the server.
		return ctx.Err()
	}
	return &exchangeError{network: network, err: err}
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

// exchange sends the packed query wire (its ID already set) to server
// srv over network ("udp" or "tcp") and returns the answer. The deadline
// bounds the whole exchange; ctx cancellation interrupts it too. UDP
// answers with another ID or question are ignored (late answers to an
// earlier attempt, or spoofing attempts, RFC 5452 §4) and reading goes on
// until the deadline. Its caller words the error with exchangeErr, rather
// than through a wrapper whose frame would be on the stack of every
// lookup in flight.
func (c *Client) exchange(ctx context.Context, network string, srv int, wire []byte, q dns.Question, deadline time.Time) (*reply, time.Duration, error) {
	start := time.Now()
	if network == "tcp" {
		r, err := c.exchangeOverTCP(ctx, srv, wire, q, deadline)
		return r, time.Since(start), err
	}
	conn, stop, err := c.takeUDP(ctx, srv, deadline)
	if err != nil {
		return nil, time.Since(start), err
	}
	r, resent, err := exchangeUDP(ctx, conn, wire, q, deadline, c.retransmit)
	c.giveUDP(srv, conn, stop, resent, 1, err == nil)
	return r, time.Since(start), err
}

// takeUDP is a socket to server srv from its pool, dialed when the pool
// has none idle, with deadline set and ctx watched (stop ends the watch).
func (c *Client) takeUDP(ctx context.Context, srv int, deadline time.Time) (conn *pooledConn, stop func() bool, err error) {
	pool := &c.udp[srv]
	if conn = pool.get(); conn == nil {
		raw, err := c.dial(ctx, "udp", c.servers[srv], deadline)
		if err != nil {
			pool.put(nil, false)
			return nil, nil, err
		}
		conn = newPooledConn(raw)
	}
	_ = conn.SetDeadline(deadline)
	return conn, watch(ctx, conn), nil
}

// giveUDP ends takeUDP's watch and gives conn back to its pool after
// queries exchanges on it (each a use, maxUses), resent of them sent
// again. A socket that timed out may still receive the late answer; one
// interrupted by the caller has a deadline in the past: neither is used
// again (ok false, or stop reporting the interruption).
func (c *Client) giveUDP(srv int, conn *pooledConn, stop func() bool, resent, queries int, ok bool) {
	stopped := stop()
	c.retransmits.Add(int64(resent))
	conn.uses += queries - 1 // put counts one
	c.udp[srv].put(conn, ok && stopped)
}

// exchangeOverTCP is exchange over a TCP connection of its own. It is kept
// out of exchange's frame, which is on the stack of every UDP lookup for
// as long as it waits (docs/performance.md, "Memory per domain in
// flight"); TCP is the rare fallback.
//
//go:noinline
func (c *Client) exchangeOverTCP(ctx context.Context, srv int, wire []byte, q dns.Question, deadline time.Time) (*reply, error) {
	conn, err := c.dial(ctx, "tcp", c.servers[srv], deadline)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	defer watch(ctx, conn)()
	r, err := exchangeTCP(conn, wire, binary.BigEndian.Uint16(wire))
	if err == nil && !matches(r, q) {
		// RFC 7766 §7: over TCP the answer must match the query's ID
		// and question. Unlike a stray UDP datagram, it cannot be a
		// late answer to an earlier query: this connection carried
		// only this one.
		err = &AnswerError{Reason: "answer for another question"}
	}
	if err != nil {
		return nil, err
	}
	return replyOf(r), nil
}

// dial connects to server, bounded by deadline and ctx, on a goroutine of
// its own. The standard library's dial path is about 2.5 KB of frames;
// on top of a lookup's own (about 5 KB from a bulk worker's top to here)
// it would pass the 8 KB of a goroutine's stack, and the runtime would
// double the stack to 16 KB and keep it that way for as long as the
// worker lives: for every worker of a bulk run, since each dials a socket
// whenever the pool has none idle (docs/performance.md, "Memory per domain
// in flight"). A socket is dialed once for up to maxUses queries, so the
// goroutine costs little.
func (c *Client) dial(ctx context.Context, network, server string, deadline time.Time) (net.Conn, error) {
	type dialed struct {
		conn net.Conn
		err  error
	}
	done := make(chan dialed, 1)
	go func() {
		conn, err := c.dialHere(ctx, network, server, deadline)
		done <- dialed{conn, err}
	}()
	d := <-done
	return d.conn, d.err
}

// dialHere is dial on the calling goroutine.
func (c *Client) dialHere(ctx context.Context, network, server string, deadline time.Time) (net.Conn, error) {
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

// exchangeUDP writes one query and reads until the answer to it arrives
// or deadline passes. A query unanswered after every (if not 0) is sent
// again, the same bytes on the same socket, each time about twice as long
// after the last: a datagram lost on the way (a server's full receive
// queue drops it without a word) then costs a few seconds, not the whole
// exchange, which may be up to 10 seconds. RFC 1035 §4.2.1 wants the
// retransmission interval at least 2 to 5 seconds and RFC 1536 §1 an
// exponential back-off; since the ID and question are those of the first
// send, an answer to either is the answer. Each wait is stretched by a
// random part of up to half of it, so that the queries a full queue
// dropped together (a bulk run's first burst) do not come back together
// and fill it again. resent counts the repeats.
// An answer that was cut, by our buffer or by a server that set TC and
// stopped mid-record, comes back as an *AnswerError with truncated set:
// RFC 2181 §9 says to ignore a truncated answer and ask over TCP.
func exchangeUDP(ctx context.Context, conn *pooledConn, wire []byte, q dns.Question, deadline time.Time, every time.Duration) (r *reply, resent int, err error) {
	id := binary.BigEndian.Uint16(wire)
	if _, err := conn.Write(wire); err != nil {
		return nil, 0, err
	}
	next := deadline
	if every > 0 {
		next = time.Now().Add(jitter(every))
	}
	for {
		if next.Before(deadline) {
			readUntil(ctx, conn, next)
		}
		b, err := conn.readDatagram()
		if err != nil {
			if !next.Before(deadline) || !isTimeout(err) || ctx.Err() != nil {
				return nil, resent, err
			}
			if _, err := conn.Write(wire); err != nil {
				return nil, resent, err
			}
			resent++
			every *= 2
			if next = time.Now().Add(jitter(every)); !next.Before(deadline) {
				readUntil(ctx, conn, deadline)
			}
			continue
		}
		r, ours, err := answerIn(b, id, q)
		if ours {
			return r, resent, err
		}
	}
}

// readUntil sets conn's read deadline to t, or in the past when ctx has
// ended: watch may have set its deadline in the past before this one
// replaced it.
func readUntil(ctx context.Context, conn *pooledConn, t time.Time) {
	_ = conn.SetReadDeadline(t)
	if ctx.Err() != nil {
		_ = conn.SetReadDeadline(longAgo)
	}
}

// jitter is d stretched by a random part of up to half of it.
func jitter(d time.Duration) time.Duration {
	return d + rand.N(d/2+1)
}

// answerIn reads the datagram b as the answer to the query id for q.
// ours is false for a datagram that is not that answer (another ID or
// question: a late answer to an earlier attempt, or a spoofing attempt,
// RFC 5452 §4), which the caller skips.
func answerIn(b []byte, id uint16, q dns.Question) (r *reply, ours bool, err error) {
	if len(b) < 12 || binary.BigEndian.Uint16(b) != id {
		return nil, false, nil
	}
	if len(b) <= maxUDPAnswer {
		if r, ok := readReply(b, q); ok {
			return r, true, nil
		}
	}
	if len(b) > maxUDPAnswer {
		if !rawMatches(b, q) {
			return nil, false, nil
		}
		return nil, true, &AnswerError{Reason: fmt.Sprintf("answer longer than %d bytes without TC", maxUDPAnswer), truncated: true}
	}
	m := new(dns.Msg)
	if err := m.Unpack(b); err != nil {
		if b[2]&flagTC != 0 && rawMatches(b, q) {
			// RFC 1035 §4.1.1, RFC 2181 §9: a truncated answer may
			// end anywhere, even inside a record.
			return nil, true, &AnswerError{Reason: "truncated answer that does not parse", truncated: true}
		}
		return nil, true, &AnswerError{Reason: "malformed answer: " + err.Error(), Err: err}
	}
	if !matches(m, q) {
		return nil, false, nil
	}
	if !m.Truncated && short(m, b) {
		// Cut at a record boundary without TC, by the server or on
		// the way: what is left parses, but it is not the answer.
		return nil, true, &AnswerError{Reason: "answer shorter than its header says", truncated: true}
	}
	return replyOf(m), true, nil
}

// short reports whether the NOERROR or NXDOMAIN answer r, unpacked from b,
// holds fewer entries than its header counts. miekg/dns stops quietly at
// the end of the message, so an answer cut after its question would read
// as NODATA; answers with other rcodes are failures whatever they hold
// (and some servers send REFUSED as a bare header).
func short(r *dns.Msg, b []byte) bool {
	if r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError {
		return false
	}
	return len(r.Question) < int(binary.BigEndian.Uint16(b[4:])) ||
		len(r.Answer) < int(binary.BigEndian.Uint16(b[6:])) ||
		len(r.Ns) < int(binary.BigEndian.Uint16(b[8:])) ||
		len(r.Extra) < int(binary.BigEndian.Uint16(b[10:]))
}

// Header flag bits in the third octet of a message (RFC 1035 §4.1.1).
const (
	flagQR = 0x80
	flagTC = 0x02
)

// rawMatches is matches for a message that cannot be unpacked: it reads
// only the header and the question, which come first and are short.
func rawMatches(b []byte, q dns.Question) bool {
	_, ok := afterQuestion(b, q)
	return ok
}

// afterQuestion reads the header and the question of b: ok is true when b
// is a response whose one question is q, and end is then where the
// answer section starts.
func afterQuestion(b []byte, q dns.Question) (end int, ok bool) {
	if len(b) < 12 || b[2]&flagQR == 0 || binary.BigEndian.Uint16(b[4:]) != 1 {
		return 0, false
	}
	name, off, err := dns.UnpackDomainName(b, 12)
	if err != nil || off+4 > len(b) {
		return 0, false
	}
	ok = binary.BigEndian.Uint16(b[off:]) == q.Qtype && binary.BigEndian.Uint16(b[off+2:]) == q.Qclass &&
		equalFold(name, q.Name)
	return off + 4, ok
}

// udpPool keeps connected UDP sockets for reuse: creating, connecting and
// closing a socket costs more system calls than the query itself, and bulk
// mode sends thousands of queries a second. Each socket serves at most
// maxUses queries, so the source port keeps changing (RFC 5452 §9.2 wants
// unpredictable ports as well as IDs), and only sockets whose last
// exchange ended cleanly come back. The pool keeps as many idle sockets as
// were ever busy at once (at least minIdle): a bulk run with hundreds of
// lookups in flight would otherwise close most sockets after one query
// when its lookups end together and dial them again when the next ones
// start, about twice the dials of a socket per maxUses queries (measured:
// 916 dials for 30,000 queries at 256 domains in flight with a fixed cap
// of 64). The sockets kept are those that were open at that peak anyway.
type udpPool struct {
	mu   sync.Mutex
	idle []*pooledConn
	busy int // sockets handed out by get (or to be dialed) and not yet put back
	peak int // the most busy at once so far
}

type pooledConn struct {
	net.Conn
	uses int
	rd   datagramReader
}

func newPooledConn(conn net.Conn) *pooledConn {
	pc := &pooledConn{Conn: conn}
	pc.rd.init(conn)
	return pc
}

const (
	minIdle = 64
	maxUses = 64
)

// get returns an idle socket, or nil when the caller is to dial one; either
// way the caller gives it back through put.
func (p *udpPool) get() *pooledConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.busy++
	p.peak = max(p.peak, p.busy)
	if len(p.idle) == 0 {
		return nil
	}
	pc := p.idle[len(p.idle)-1]
	p.idle = p.idle[:len(p.idle)-1]
	return pc
}

// put ends the use of what get returned: pc (nil if the dial failed) is
// kept for another query if reusable and not worn out, closed otherwise.
func (p *udpPool) put(pc *pooledConn, reusable bool) {
	p.mu.Lock()
	p.busy--
	if pc == nil {
		p.mu.Unlock()
		return
	}
	pc.uses++
	if !reusable || pc.uses >= maxUses || len(p.idle) >= max(minIdle, p.peak) {
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
		return nil, &AnswerError{Reason: fmt.Sprintf("malformed answer: %d-byte message", n)}
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return nil, err
	}
	r := new(dns.Msg)
	if err := r.Unpack(buf); err != nil {
		return nil, &AnswerError{Reason: "malformed answer: " + err.Error(), Err: err}
	}
	if r.Id != id {
		// RFC 7766 §7: clients match answers to queries by ID.
		return nil, &AnswerError{Reason: fmt.Sprintf("answer with ID %d to query %d", r.Id, id)}
	}
	if short(r, buf) {
		return nil, &AnswerError{Reason: "answer shorter than its header says"}
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

// readDatagramBlocking is readDatagram through conn.Read: the udpBufs
// buffer is held while it waits.
func readDatagramBlocking(conn net.Conn) ([]byte, error) {
	bp := udpBufs.Get().(*[]byte)
	defer udpBufs.Put(bp)
	n, err := conn.Read(*bp)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), (*bp)[:n]...), nil
}
