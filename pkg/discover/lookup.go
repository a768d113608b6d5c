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
// lookups cannot deadlock).
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

// flights memoises one lookup type by key.
type flights[T any] struct {
	mu    sync.Mutex
	calls map[string]*flight[T]
}

type flight[T any] struct {
	done chan struct{}
	val  T
}

// do returns the answer for key, running ask once for all callers.
func (f *flights[T]) do(key string, ask func() T) T {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flight[T]{}
	}
	if c, ok := f.calls[key]; ok {
		f.mu.Unlock()
		<-c.done
		return c.val
	}
	c := &flight[T]{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	c.val = ask()
	close(c.done)
	return c.val
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

func (o *onceResolver) release() { <-o.sem }

func (o *onceResolver) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	name = dnsq.Fqdn(name)
	return o.mx.do(name, func() dnsq.MXResult {
		if !o.acquire(ctx) {
			return dnsq.MXResult{Result: ended(ctx, name)}
		}
		defer o.release()
		return o.r.LookupMX(ctx, name)
	})
}

// lookupAddr asks for name's A records, or with v6 its AAAA records.
func (o *onceResolver) lookupAddr(ctx context.Context, name string, v6 bool) dnsq.AddrResult {
	name = dnsq.Fqdn(name)
	f := &o.a
	if v6 {
		f = &o.aaaa
	}
	return f.do(name, func() dnsq.AddrResult {
		if !o.acquire(ctx) {
			return dnsq.AddrResult{Result: ended(ctx, name)}
		}
		defer o.release()
		if v6 {
			return o.r.LookupAAAA(ctx, name)
		}
		return o.r.LookupA(ctx, name)
	})
}

func (o *onceResolver) LookupA(ctx context.Context, name string) dnsq.AddrResult {
	return o.lookupAddr(ctx, name, false)
}

func (o *onceResolver) LookupAAAA(ctx context.Context, name string) dnsq.AddrResult {
	return o.lookupAddr(ctx, name, true)
}

func (o *onceResolver) LookupPTR(ctx context.Context, ip netip.Addr) dnsq.NameResult {
	return o.ptr.do(ip.String(), func() dnsq.NameResult {
		if !o.acquire(ctx) {
			return dnsq.NameResult{Result: ended(ctx, addr.ReverseName(ip))}
		}
		defer o.release()
		return o.r.LookupPTR(ctx, ip)
	})
}

func (o *onceResolver) LookupTXT(ctx context.Context, name string) dnsq.TXTResult {
	name = dnsq.Fqdn(name)
	return o.txt.do(name, func() dnsq.TXTResult {
		if !o.acquire(ctx) {
			return dnsq.TXTResult{Result: ended(ctx, name)}
		}
		defer o.release()
		return o.r.LookupTXT(ctx, name)
	})
}

var _ dnsq.Resolver = (*onceResolver)(nil)
