package dnsq

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync"
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
	// same results, both questions in flight at once. ready, when not
	// nil, is called for each as soon as its result is written (with
	// false for a, true for aaaa), perhaps on another goroutine, so that
	// the caller can go on with one family while the other is awaited;
	// LookupAddrPair returns after both calls.
	LookupAddrPair(ctx context.Context, name string, a, aaaa *AddrResult, ready func(v6 bool))
}

// LookupAddrPair implements AddrPairer. When this caller is the first to
// ask both questions (the cache has neither, and nobody is asking either),
// both queries go to the first server on one socket and are awaited
// together (exchangePair). Each answer goes on as soon as it is in, as if
// a lookup of its own had made that first exchange (resolveFrom): a
// plain answer is taken at once, a failure, a truncated answer or one to
// doubt goes on to TCP or the next server on a goroutine of its own while
// the other query is still awaited, and each question's cache entry is
// settled when its own answer is final. Otherwise (a cached answer, a
// question already being asked, no cache) each question is asked as
// LookupA and LookupAAAA ask it.
func (c *Client) LookupAddrPair(ctx context.Context, name string, a, aaaa *AddrResult, ready func(v6 bool)) {
	name = Fqdn(name)
	out := [2]*AddrResult{a, aaaa}
	if ready == nil {
		ready = func(bool) {}
	}
	if c.cache == nil || !ascii(name) || len(c.servers) == 0 {
		c.lookupAddrsApart(ctx, name, out, ready)
		return
	}
	k := [2]cacheKey{{name, dns.TypeA}, {name, dns.TypeAAAA}}
	var e [2]*cacheEntry
	var val [2]*step
	var wait [2]<-chan struct{}
	var lead [2]bool
	for i := range k {
		e[i], val[i], wait[i], lead[i] = c.cache.acquire(k[i])
	}
	if lead[0] && lead[1] {
		c.resolvePair(ctx, name, e, out, ready)
		return
	}
	// What this caller leads first, then what it awaits: it never waits
	// while it leads a question (see cachedStep).
	for i := range k {
		if lead[i] {
			c.resolveLed(ctx, k[i], e[i], out[i], ready, i == 1)
		}
	}
	for i := range k {
		if !lead[i] {
			st := c.awaitOrAsk(ctx, name, k[i].qtype, e[i], val[i], wait[i])
			c.finishAddr(ctx, name, k[i].qtype, st, out[i])
			ready(i == 1)
		}
	}
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
func (c *Client) lookupAddrsApart(ctx context.Context, name string, out [2]*AddrResult, ready func(v6 bool)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		*out[0] = c.LookupA(ctx, name)
		ready(false)
	}()
	*out[1] = c.LookupAAAA(ctx, name)
	ready(true)
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

// finishAddr turns st, the first step of name's lookup, into its result
// out, as lookupInto and LookupA do, following a CNAME chain.
func (c *Client) finishAddr(ctx context.Context, name string, qtype uint16, st *step, out *AddrResult) {
	if st.next == "" {
		out.Result = st.res
		out.CNAMEs = slices.Clone(out.CNAMEs) // the cached step is shared
	} else {
		st = c.follow(ctx, name, qtype, st, &out.Result)
	}
	out.Addrs = slices.Clone(st.addrs)
}

// resolveLed resolves the question k whose cache entry e its caller
// leads, settles e, writes the result to out and hands it over.
func (c *Client) resolveLed(ctx context.Context, k cacheKey, e *cacheEntry, out *AddrResult, ready func(v6 bool), v6 bool) {
	st := c.resolve(ctx, k.name, k.qtype)
	c.settle(ctx, k, e, st)
	c.finishAddr(ctx, k.name, k.qtype, st, out)
	ready(v6)
}

// resolvePair is resolve for name's A and AAAA questions, whose cache
// entries e its caller leads, their first exchange made together
// (exchangePair); it settles each entry as its answer is final, and
// writes each result and calls ready as LookupAddrPair says.
func (c *Client) resolvePair(ctx context.Context, name string, e [2]*cacheEntry, out [2]*AddrResult, ready func(v6 bool)) {
	q := [2]dns.Question{{Name: name, Qtype: dns.TypeA, Qclass: dns.ClassINET}, {Name: name, Qtype: dns.TypeAAAA, Qclass: dns.ClassINET}}
	var wire [2][]byte
	var errs [2]error
	_, wire[0], errs[0] = packQuery(q[0], c.dnssecOK)
	_, wire[1], errs[1] = packQuery(q[1], c.dnssecOK)
	if errs[0] != nil || errs[1] != nil || ctx.Err() != nil {
		// resolve says why, or that the caller gave up.
		for i := range q {
			c.resolveLed(ctx, cacheKey{name, q[i].Qtype}, e[i], out[i], ready, i == 1)
		}
		return
	}
	for i := range wire {
		binary.BigEndian.PutUint16(wire[i], uint16(rand.Uint32()))
	}
	if binary.BigEndian.Uint16(wire[0]) == binary.BigEndian.Uint16(wire[1]) {
		// Two queries with one ID could not be told apart by it.
		binary.BigEndian.PutUint16(wire[1], binary.BigEndian.Uint16(wire[0])+1)
	}
	pr := &pairRun{c: c, ctx: ctx, q: q, wire: wire, e: e, out: out, ready: ready}
	c.exchangePair(ctx, 0, pr, c.deadline(ctx, len(c.servers)))
	pr.wg.Wait()
}

// pairRun is one resolvePair: what its questions' continuations need, in
// one allocation.
type pairRun struct {
	c     *Client
	ctx   context.Context
	q     [2]dns.Question // the name's A and AAAA questions
	wire  [2][]byte
	e     [2]*cacheEntry
	out   [2]*AddrResult
	ready func(v6 bool)
	wg    sync.WaitGroup
	// exchanged: the query's first exchange has ended; held: its result
	// is written but not yet handed over (goOn).
	exchanged, held [2]bool
	// last is the outcome of the query that ended the exchange, handed to
	// goOn once the socket is back in the pool (exchangePair).
	last struct {
		i   int
		r   *reply
		rtt time.Duration
		err error
	}
}

// goOn takes question i's first exchange as resolve would have, settles
// its entry and writes its result: here when the answer ends the
// question, on a goroutine when more exchanges are to come (the next
// server, TCP, an alias to chase), so that neither question waits for the
// other. A result ready here is handed over once the other query's first
// exchange has ended too, or a retransmission interval has passed without
// its answer (release): both answers usually come in together, and
// whatever the caller starts with the first (discovery: its reverse DNS,
// on a goroutine) need not overlap the wait for the second; when the
// second is slow, the first is handed over while it is still awaited.
func (pr *pairRun) goOn(i int, r *reply, rtt time.Duration, err error) {
	pr.exchanged[i] = true
	pr.release()
	if !(&asked{r: r, err: err}).plain(pr.q[i]) {
		pr.wg.Add(1)
		go func() {
			defer pr.wg.Done()
			pr.rest(i, pr.first(i, r, rtt, err))
		}()
		return
	}
	switch st := pr.first(i, r, rtt, err); {
	case st.next != "":
		pr.wg.Add(1)
		go func() {
			defer pr.wg.Done()
			pr.rest(i, st)
		}()
	case pr.exchanged[1-i]:
		pr.rest(i, st)
	default:
		pr.c.finishAddr(pr.ctx, pr.q[i].Name, pr.q[i].Qtype, st, pr.out[i])
		pr.held[i] = true
	}
}

// release hands over a result goOn holds.
func (pr *pairRun) release() {
	for i := range pr.held {
		if pr.held[i] {
			pr.held[i] = false
			pr.ready(i == 1)
		}
	}
}

// first is question i's resolve from its first exchange on, its cache
// entry settled.
func (pr *pairRun) first(i int, r *reply, rtt time.Duration, err error) *step {
	var f asked
	f.r, f.rtt, f.err = pr.c.afterUDP(pr.ctx, 0, pr.q[i], pr.wire[i], r, rtt, err)
	q := pr.q[i]
	st := pr.c.resolveFrom(pr.ctx, q.Name, q.Qtype, &f)
	pr.c.settle(pr.ctx, cacheKey{q.Name, q.Qtype}, pr.e[i], st)
	return st
}

// rest writes question i's result and hands it over.
func (pr *pairRun) rest(i int, st *step) {
	pr.c.finishAddr(pr.ctx, pr.q[i].Name, pr.q[i].Qtype, st, pr.out[i])
	pr.ready(i == 1)
}

// answered is exchangeUDPPair's report of query i: the query that ends
// the exchange (final) waits in last for the socket to be back in the
// pool, so that what goOn starts (the other family's reverse DNS) can
// have it.
func (pr *pairRun) answered(i int, r *reply, rtt time.Duration, err error, final bool) {
	if final {
		pr.last.i, pr.last.r, pr.last.rtt, pr.last.err = i, r, rtt, err
		return
	}
	pr.goOn(i, r, rtt, err)
}

// exchangePair is exchange over UDP for pr's two queries at once, on one
// pooled socket, reporting each to pr as soon as its answer is in or its
// exchange has failed.
func (c *Client) exchangePair(ctx context.Context, srv int, pr *pairRun, deadline time.Time) {
	start := time.Now()
	conn, stop, err := c.takeUDP(ctx, srv, deadline)
	if err != nil {
		d := time.Since(start)
		pr.goOn(0, nil, d, err)
		pr.goOn(1, nil, d, err)
		return
	}
	resent, ok := exchangeUDPPair(ctx, conn, pr, deadline, c.retransmit, start)
	c.giveUDP(srv, conn, stop, resent, 2, ok)
	pr.goOn(pr.last.i, pr.last.r, pr.last.rtt, pr.last.err)
}

// exchangeUDPPair is exchangeUDP for two queries on one socket: each
// datagram is matched to the query whose ID and question it answers
// (answerIn), the others skipped; a query still unanswered is sent again
// every retransmission interval, the interval doubling each time, until
// the deadline. pr hears of each query once (answered), as its answer
// comes in (rtt from start) or its exchange fails, with final set for the
// query that ends the exchange; ok is false when a query failed, as
// exchangeUDP's error keeps a socket from being reused.
func exchangeUDPPair(ctx context.Context, conn *pooledConn, pr *pairRun, deadline time.Time, every time.Duration, start time.Time) (resent int, ok bool) {
	wire, q := &pr.wire, &pr.q
	var id [2]uint16
	var over [2]bool
	ok = true
	end := func(i int, r *reply, err error) {
		over[i] = true
		ok = ok && err == nil
		pr.answered(i, r, time.Since(start), err, over[0] && over[1])
	}
	for i := range wire {
		id[i] = binary.BigEndian.Uint16(wire[i])
		if _, err := conn.Write(wire[i]); err != nil {
			end(i, nil, err)
		}
	}
	next := deadline
	if every > 0 {
		next = time.Now().Add(jitter(every))
	}
	for !over[0] || !over[1] {
		if next.Before(deadline) {
			readUntil(ctx, conn, next)
		}
		b, err := conn.readDatagram()
		if err != nil {
			if !next.Before(deadline) || !isTimeout(err) || ctx.Err() != nil {
				for i := range over {
					if !over[i] {
						end(i, nil, err)
					}
				}
				return resent, ok
			}
			// One query is still unanswered a retransmission interval
			// on: hand over a result held for it (goOn) rather than
			// wait for its exchange to end.
			pr.release()
			for i := range wire {
				if over[i] {
					continue
				}
				if _, err := conn.Write(wire[i]); err != nil {
					end(i, nil, err)
					continue
				}
				resent++
			}
			every *= 2
			if next = time.Now().Add(jitter(every)); !next.Before(deadline) {
				readUntil(ctx, conn, deadline)
			}
			continue
		}
		for i := range wire {
			if over[i] {
				continue
			}
			if r, ours, err := answerIn(b, id[i], q[i]); ours {
				end(i, r, err)
				break
			}
		}
	}
	return resent, ok
}
