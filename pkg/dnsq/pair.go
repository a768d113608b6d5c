package dnsq

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/miekg/dns"
)

// AddrPairer is a Resolver that can ask a name's A and AAAA records
// together and await both on its caller's goroutine, where two lookups
// need a goroutine each: in a bulk run every domain in flight holds one
// goroutine fewer, and a goroutine's stack is 8 KB there
// (docs/performance.md, "Round six").
type AddrPairer interface {
	// LookupAddrPair is LookupA into a and LookupAAAA into aaaa, with the
	// same results, both questions in flight at once.
	LookupAddrPair(ctx context.Context, name string, a, aaaa *AddrResult)
}

// LookupAddrPair implements AddrPairer. When this caller is the first to
// ask both questions (the cache has neither, and nobody is asking either),
// both queries go to the first server on one socket and are awaited
// together (askPair); each answer then goes through resolve as if its own
// first exchange had brought it, so a failure, a truncated answer or an
// alias is handled exactly as a lookup of its own would handle it. When
// both need more than that first exchange, they go on side by side.
// Otherwise (a cached answer, a question already being asked, no cache)
// each question is asked as LookupA and LookupAAAA ask it.
func (c *Client) LookupAddrPair(ctx context.Context, name string, a, aaaa *AddrResult) {
	name = Fqdn(name)
	if c.cache == nil || !ascii(name) || len(c.servers) == 0 {
		c.lookupAddrsApart(ctx, name, a, aaaa)
		return
	}
	ka, kb := cacheKey{name, dns.TypeA}, cacheKey{name, dns.TypeAAAA}
	ea, va, wa, la := c.cache.acquire(ka)
	eb, vb, wb, lb := c.cache.acquire(kb)
	var sa, sb *step
	if la && lb {
		sa, sb = c.resolvePair(ctx, name)
		c.settle(ctx, ka, ea, sa)
		c.settle(ctx, kb, eb, sb)
	} else {
		// What this caller leads first, then what it awaits: it never
		// waits while it leads a question (see cachedStep).
		if la {
			sa = c.resolve(ctx, name, dns.TypeA)
			c.settle(ctx, ka, ea, sa)
		}
		if lb {
			sb = c.resolve(ctx, name, dns.TypeAAAA)
			c.settle(ctx, kb, eb, sb)
		}
		if !la {
			sa = c.awaitOrAsk(ctx, name, dns.TypeA, ea, va, wa)
		}
		if !lb {
			sb = c.awaitOrAsk(ctx, name, dns.TypeAAAA, eb, vb, wb)
		}
	}
	c.finishPair(ctx, name, sa, sb, a, aaaa)
}

// ascii reports whether name is all ASCII (lookupInto refuses the rest).
func ascii(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lookupAddrsApart is LookupAddrPair as two lookups, side by side.
func (c *Client) lookupAddrsApart(ctx context.Context, name string, a, aaaa *AddrResult) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		*a = c.LookupA(ctx, name)
	}()
	*aaaa = c.LookupAAAA(ctx, name)
	<-done
}

// awaitOrAsk is cachedStep for a question whose entry its caller already
// acquired without leading it.
func (c *Client) awaitOrAsk(ctx context.Context, name string, qtype uint16, e *cacheEntry, val *step, wait <-chan struct{}) *step {
	if st, ok := c.await(ctx, name, e, val, wait); ok {
		return st
	}
	return c.cachedStep(ctx, name, qtype)
}

// finishPair turns the first steps of the two lookups into their results,
// as lookupInto and LookupAddrInto do; CNAME chains are followed side by
// side when both answers are aliases.
func (c *Client) finishPair(ctx context.Context, name string, sa, sb *step, a, aaaa *AddrResult) {
	finish := func(st *step, qtype uint16, out *AddrResult) {
		if st.next == "" {
			out.Result = st.res
			out.CNAMEs = slices.Clone(out.CNAMEs) // the cached step is shared
		} else {
			st = c.follow(ctx, name, qtype, st, &out.Result)
		}
		out.Addrs = slices.Clone(st.addrs)
	}
	if sa.next != "" && sb.next != "" {
		done := make(chan struct{})
		go func() {
			defer close(done)
			finish(sa, dns.TypeA, a)
		}()
		finish(sb, dns.TypeAAAA, aaaa)
		<-done
		return
	}
	finish(sa, dns.TypeA, a)
	finish(sb, dns.TypeAAAA, aaaa)
}

// resolvePair is resolve for name's A and AAAA questions, their first
// exchange made together (askPair).
func (c *Client) resolvePair(ctx context.Context, name string) (sa, sb *step) {
	qa := dns.Question{Name: name, Qtype: dns.TypeA, Qclass: dns.ClassINET}
	qb := dns.Question{Name: name, Qtype: dns.TypeAAAA, Qclass: dns.ClassINET}
	_, wa, errA := packQuery(qa, c.dnssecOK)
	_, wb, errB := packQuery(qb, c.dnssecOK)
	if errA != nil || errB != nil || ctx.Err() != nil {
		// resolve says why, or that the caller gave up.
		return c.resolve(ctx, name, dns.TypeA), c.resolve(ctx, name, dns.TypeAAAA)
	}
	fa, fb := c.askPair(ctx, [2]dns.Question{qa, qb}, [2][]byte{wa, wb})
	if fa.plain(qa) || fb.plain(qb) {
		// At most one needs more than its first exchange.
		return c.resolveFrom(ctx, name, dns.TypeA, &fa), c.resolveFrom(ctx, name, dns.TypeAAAA, &fb)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sa = c.resolveFrom(ctx, name, dns.TypeA, &fa)
	}()
	sb = c.resolveFrom(ctx, name, dns.TypeAAAA, &fb)
	<-done
	return sa, sb
}

// askPair is ask for two questions to the first server: both queries on
// one UDP socket, each answer matched to its query by ID and question,
// each retransmitted until answered (exchangePair); then each answer goes
// through the rest of ask on its own (afterUDP: counters, trace, TCP after
// truncation), the first's TCP exchange before the second's.
func (c *Client) askPair(ctx context.Context, q [2]dns.Question, wire [2][]byte) (fa, fb asked) {
	for k := range wire {
		binary.BigEndian.PutUint16(wire[k], uint16(rand.Uint32()))
	}
	if binary.BigEndian.Uint16(wire[0]) == binary.BigEndian.Uint16(wire[1]) {
		// Two queries with one ID could not be told apart by it.
		binary.BigEndian.PutUint16(wire[1], binary.BigEndian.Uint16(wire[0])+1)
	}
	r, rtt, err := c.exchangePair(ctx, 0, wire, q, c.deadline(ctx, len(c.servers)))
	fa.r, fa.rtt, fa.err = c.afterUDP(ctx, 0, q[0], wire[0], r[0], rtt[0], err[0])
	fb.r, fb.rtt, fb.err = c.afterUDP(ctx, 0, q[1], wire[1], r[1], rtt[1], err[1])
	return fa, fb
}

// exchangePair is exchange over UDP for two queries at once, on one
// pooled socket.
func (c *Client) exchangePair(ctx context.Context, srv int, wire [2][]byte, q [2]dns.Question, deadline time.Time) (r [2]*reply, rtt [2]time.Duration, err [2]error) {
	start := time.Now()
	pool := &c.udp[srv]
	conn := pool.get()
	if conn == nil {
		raw, e := c.dial(ctx, "udp", c.servers[srv], deadline)
		if e != nil {
			pool.put(nil, false)
			d := time.Since(start)
			return r, [2]time.Duration{d, d}, [2]error{e, e}
		}
		conn = newPooledConn(raw)
	}
	_ = conn.SetDeadline(deadline)
	stop := watch(ctx, conn)
	resent := exchangeUDPPair(ctx, conn, wire, q, deadline, c.retransmit, start, &r, &rtt, &err)
	stopped := stop()
	c.retransmits.Add(int64(resent))
	pool.put(conn, err[0] == nil && err[1] == nil && stopped)
	return r, rtt, err
}

// exchangeUDPPair is exchangeUDP for two queries on one socket: each
// datagram is matched to the query whose ID and question it answers
// (answerIn), the others skipped; an unanswered query is sent again every
// retransmission interval, the interval doubling each time, until the
// deadline. An answer's rtt is from start to its arrival; a query left
// unanswered gets the read's error.
func exchangeUDPPair(ctx context.Context, conn *pooledConn, wire [2][]byte, q [2]dns.Question, deadline time.Time, every time.Duration, start time.Time, r *[2]*reply, rtt *[2]time.Duration, errs *[2]error) (resent int) {
	var id [2]uint16
	var answered [2]bool
	fail := func(err error) {
		for k := range answered {
			if !answered[k] {
				errs[k], rtt[k] = err, time.Since(start)
			}
		}
	}
	for k := range wire {
		id[k] = binary.BigEndian.Uint16(wire[k])
		if _, err := conn.Write(wire[k]); err != nil {
			fail(err)
			return 0
		}
	}
	next := deadline
	if every > 0 {
		next = time.Now().Add(jitter(every))
	}
	for !answered[0] || !answered[1] {
		if next.Before(deadline) {
			readUntil(ctx, conn, next)
		}
		b, err := conn.readDatagram()
		if err != nil {
			if !next.Before(deadline) || !isTimeout(err) || ctx.Err() != nil {
				fail(err)
				return resent
			}
			for k := range wire {
				if answered[k] {
					continue
				}
				if _, err := conn.Write(wire[k]); err != nil {
					fail(err)
					return resent
				}
				resent++
			}
			every *= 2
			if next = time.Now().Add(jitter(every)); !next.Before(deadline) {
				readUntil(ctx, conn, deadline)
			}
			continue
		}
		for k := range wire {
			if answered[k] {
				continue
			}
			if reply, ours, err := answerIn(b, id[k], q[k]); ours {
				r[k], errs[k], rtt[k], answered[k] = reply, err, time.Since(start), true
				break
			}
		}
	}
	return resent
}
