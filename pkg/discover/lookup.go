package discover

import (
	"context"
	"net/netip"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// onceResolver wraps the caller's Resolver for one Run: every (type, name)
// is asked at most once, concurrent askers of the same question share one
// answer, and at most limit lookups are in flight. Discovery asks the same
// question more than once by nature (two MX records naming one host, a PTR
// name that is also an exchange, two addresses sharing a PTR name); this
// keeps that from reaching the network even when the Resolver has no cache
// of its own, and bounds the fan-out without bounding the goroutines that
// wait (a goroutine holds a slot only while its own query runs, so nested
// lookups cannot deadlock; a pair of questions asked together holds one).
type onceResolver struct {
	r    dnsq.Resolver
	sem  chan struct{}
	mx   flights[dnsq.MXResult]
	a    flights[dnsq.AddrResult]
	aaaa flights[dnsq.AddrResult]
	ptr  flights[dnsq.NameResult]
	txt  flights[dnsq.TXTResult]
}

func newOnceResolver(r dnsq.Resolver, limit int) *onceResolver {
	if limit < 1 {
		limit = 1
	}
	return &onceResolver{r: r, sem: make(chan struct{}, limit)}
}

// flights memoises one lookup type by key. A run asks a handful of
// questions of each type (one MX, an A and AAAA per exchange, a PTR per
// address), so they are kept in a slice searched in order rather than a
// map: in a bulk run every domain in flight has its own, and a map and a
// channel per question cost about a kilobyte a domain.
type flights[T any] struct {
	mu    sync.Mutex
	calls []*flight[T]
}

type flight[T any] struct {
	key    string
	done   chan struct{} // made by the first caller that has to wait
	landed bool          // val is set
	val    T
}

// join returns the flight for key and whether the caller leads it: the
// leader asks, sets val and calls land; the others call wait. The
// lookups below ask in their own frames rather than through a closure
// handed to a generic helper: each frame between a goroutine and its
// socket read stays on its stack while the answer is awaited
// (docs/performance.md, "Memory per domain in flight").
func (f *flights[T]) join(key string) (*flight[T], bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.key == key {
			return c, false
		}
	}
	c := &flight[T]{key: key}
	f.calls = append(f.calls, c)
	return c, true
}

// wait returns once c's leader has landed it.
func (f *flights[T]) wait(c *flight[T]) {
	f.mu.Lock()
	if c.landed {
		f.mu.Unlock()
		return
	}
	if c.done == nil {
		c.done = make(chan struct{})
	}
	done := c.done
	f.mu.Unlock()
	<-done
}

// land tells c's waiters that val is set.
func (f *flights[T]) land(c *flight[T]) {
	f.mu.Lock()
	c.landed = true
	if c.done != nil {
		close(c.done)
	}
	f.mu.Unlock()
}

// acquire takes a slot, or reports false when the context ends first.
func (o *onceResolver) acquire(ctx context.Context) bool {
	select {
	case o.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// ended is the result of a lookup that never got a slot: the context's end,
// reported as a timeout. It is built outside the lookups' frames, which are
// on the stack of every lookup for as long as it waits (docs/performance.md,
// "Memory per domain in flight").
//
//go:noinline
func ended(ctx context.Context, name string) dnsq.Result {
	return dnsq.Result{Name: name, Status: dnsq.StatusTimeout, Err: ctx.Err()}
}

// endedInto is ended written to res, for a lookup whose frame would
// otherwise hold the result while another branch of it waits.
//
//go:noinline
func endedInto(ctx context.Context, name string, res *dnsq.Result) {
	*res = ended(ctx, name)
}

func (o *onceResolver) release() { <-o.sem }

// The lookups return their results through named results: a result
// copied into a local first takes as much room again in the frame, which
// is on the stack while the answer is awaited.

func (o *onceResolver) LookupMX(ctx context.Context, name string) (out dnsq.MXResult) {
	name = dnsq.Fqdn(name)
	c, leader := o.mx.join(name)
	if !leader {
		o.mx.wait(c)
		return c.val
	}
	if o.acquire(ctx) {
		c.val = o.r.LookupMX(ctx, name)
		o.release()
	} else {
		endedInto(ctx, name, &c.val.Result)
	}
	o.mx.land(c)
	return c.val
}

// lookupAddr asks for name's A records, or with v6 its AAAA records, and
// writes the answer to out.
func (o *onceResolver) lookupAddr(ctx context.Context, name string, v6 bool, out *dnsq.AddrResult) {
	name = dnsq.Fqdn(name)
	f := &o.a
	if v6 {
		f = &o.aaaa
	}
	c, leader := f.join(name)
	if !leader {
		f.wait(c)
		*out = c.val
		return
	}
	o.leadAddr(ctx, name, v6, c)
	*out = c.val
}

// leadAddr asks the question of c, a flight its caller leads, and lands
// it.
func (o *onceResolver) leadAddr(ctx context.Context, name string, v6 bool, c *flight[dnsq.AddrResult]) {
	f := &o.a
	if v6 {
		f = &o.aaaa
	}
	switch {
	case !o.acquire(ctx):
		endedInto(ctx, name, &c.val.Result)
	case v6:
		c.val = o.r.LookupAAAA(ctx, name)
		o.release()
	default:
		c.val = o.r.LookupA(ctx, name)
		o.release()
	}
	f.land(c)
}

// LookupAddrPair implements dnsq.AddrPairer. When this run asks both
// questions first and its resolver pairs them, the pair takes one slot of
// the run's limit (one exchange for two questions, more only when one
// fails); when it asks both first otherwise, they are asked side by side
// as two lookups; when another branch of the run is asking one of them,
// this caller asks what it leads first and then awaits the other (it
// never waits while it leads, so two pairs cannot wait on each other).
// Each flight lands, and ready hears of it, as soon as its answer is in.
func (o *onceResolver) LookupAddrPair(ctx context.Context, name string, a, aaaa *dnsq.AddrResult, ready func(v6 bool)) {
	name = dnsq.Fqdn(name)
	if ready == nil {
		ready = func(bool) {}
	}
	fl := [2]*flights[dnsq.AddrResult]{&o.a, &o.aaaa}
	out := [2]*dnsq.AddrResult{a, aaaa}
	var c [2]*flight[dnsq.AddrResult]
	var lead [2]bool
	for i := range fl {
		c[i], lead[i] = fl[i].join(name)
	}
	give := func(i int) {
		*out[i] = c[i].val
		ready(i == 1)
	}
	landed := func(i int) {
		fl[i].land(c[i])
		give(i)
	}
	p, pairs := o.r.(dnsq.AddrPairer)
	switch {
	case lead[0] && lead[1] && pairs:
		if !o.acquire(ctx) {
			for i := range c {
				endedInto(ctx, name, &c[i].val.Result)
				landed(i)
			}
			return
		}
		p.LookupAddrPair(ctx, name, &c[0].val, &c[1].val, func(v6 bool) {
			if v6 {
				landed(1)
			} else {
				landed(0)
			}
		})
		o.release()
	case lead[0] && lead[1]:
		done := make(chan struct{})
		go func() {
			defer close(done)
			o.leadAddr(ctx, name, false, c[0])
			give(0)
		}()
		o.leadAddr(ctx, name, true, c[1])
		give(1)
		<-done
	default:
		for i := range c {
			if lead[i] {
				o.leadAddr(ctx, name, i == 1, c[i])
				give(i)
			}
		}
		for i := range c {
			if !lead[i] {
				fl[i].wait(c[i])
				give(i)
			}
		}
	}
}

func (o *onceResolver) LookupA(ctx context.Context, name string) (out dnsq.AddrResult) {
	o.lookupAddr(ctx, name, false, &out)
	return out
}

func (o *onceResolver) LookupAAAA(ctx context.Context, name string) (out dnsq.AddrResult) {
	o.lookupAddr(ctx, name, true, &out)
	return out
}

func (o *onceResolver) LookupPTR(ctx context.Context, ip netip.Addr) (out dnsq.NameResult) {
	c, leader := o.ptr.join(ip.String())
	if !leader {
		o.ptr.wait(c)
		return c.val
	}
	if o.acquire(ctx) {
		c.val = o.r.LookupPTR(ctx, ip)
		o.release()
	} else {
		endedInto(ctx, addr.ReverseName(ip), &c.val.Result)
	}
	o.ptr.land(c)
	return c.val
}

func (o *onceResolver) LookupTXT(ctx context.Context, name string) dnsq.TXTResult {
	name = dnsq.Fqdn(name)
	c, leader := o.txt.join(name)
	if !leader {
		o.txt.wait(c)
		return c.val
	}
	if o.acquire(ctx) {
		c.val = o.r.LookupTXT(ctx, name)
		o.release()
	} else {
		endedInto(ctx, name, &c.val.Result)
	}
	o.txt.land(c)
	return c.val
}

var _ dnsq.Resolver = (*onceResolver)(nil)
