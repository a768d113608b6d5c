package audit

import (
	"container/list"
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// maxSharedProbes is how many finished probes a run keeps for the domains
// still to come. A provider's exchanges are asked for again and again in
// a bulk run and stay; the probe of an exchange no other domain names is
// dropped after this many newer ones. Each kept probe holds its
// certificate chain (the DANE and MTA-STS verdicts of every domain that
// shares it need it): a few KB to a few tens of KB.
const maxSharedProbes = 256

// probeMemo shares SMTP probes between the domains of one run. Mail
// providers serve thousands of domains from the same exchanges: a bulk
// check of their customers' domains that probed every exchange address
// for every domain would open as many connections to the same server as
// the list has domains on that provider, minutes apart, and meet the
// provider's connection-rate limits (421 replies) as if the servers were
// failing. Each exchange name and address is probed once per run (the
// name is part of the key: it is the SNI and the name the certificate is
// checked against), and every domain that asks for it gets that probe,
// marked Reused but for the domain that started it.
//
// The probe is no one domain's: it runs on a goroutine of its own until it
// ends on its own terms (the prober's connect and command timeouts) or no
// domain waits for it any more, and each domain waits for it within its
// own deadline. So a domain near its deadline that happens to start a
// provider's probe cuts it short for nobody else. A probe cancelled
// because nobody waited, or interrupted, is not shared: the domains still
// waiting, and the next ones, probe again. Whatever else it found (a
// refused connection, a 421, a server that timed out) is the server's
// answer at that moment and is shared like a success.
type probeMemo struct {
	probe func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result
	max   int

	mu    sync.Mutex
	calls map[probeKey]*probeCall
	done  list.List // finished calls, most recently used first (values: probeKey)
}

type probeKey struct {
	host string // lower case, no trailing dot
	ip   netip.Addr
}

// probeCall is one probe, under way until done is closed.
type probeCall struct {
	done chan struct{}
	// Read after done: the result, and whether it was cancelled (nobody
	// waited, or an interrupt: the waiters ask again).
	r         smtpprobe.Result
	cancelled bool
	elem      *list.Element // in probeMemo.done once finished and kept
	// waiting counts the domains waiting for done; stop ends the probe
	// when the last of them leaves before it, and is dropped once the
	// probe is over, with the context of the domain that started it
	// (both under probeMemo.mu).
	waiting int
	stop    context.CancelFunc
}

func newProbeMemo(probe func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result, max int) *probeMemo {
	return &probeMemo{probe: probe, max: max, calls: map[probeKey]*probeCall{}}
}

// Probe is Stages.Probe through the memo.
func (m *probeMemo) Probe(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
	if ctx.Err() != nil {
		return m.probe(ctx, host, ip) // cut at once, in the prober's words
	}
	k := probeKey{strings.ToLower(strings.TrimSuffix(host, ".")), ip}
	for {
		m.mu.Lock()
		c, found := m.calls[k]
		if !found {
			// Nothing of ctx but its values: the probe's end is its own
			// or the last waiting domain's.
			pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
			c = &probeCall{done: make(chan struct{}), stop: stop}
			m.calls[k] = c
			go m.run(pctx, k, c, host, ip)
		} else if c.elem != nil {
			m.done.MoveToFront(c.elem)
		}
		c.waiting++
		m.mu.Unlock()
		select {
		case <-c.done:
			m.leave(c)
		case <-ctx.Done():
			m.leave(c)
			// This domain's deadline came first: its own probe ends at
			// once and says so as a probe cut short does.
			return m.probe(ctx, host, ip)
		}
		if !c.cancelled {
			r := shareable(c.r)
			if found {
				r.Reused = true
				if host != "" {
					r.Host = host // as this domain's exchange spells it
				}
			}
			return r
		}
		// Cancelled (every domain waiting for it had left) or interrupted:
		// ask again, as this domain's deadline allows (another domain's
		// leaving must end the next probe before this loop turns again).
	}
}

// run makes c's probe of k and keeps the result when it may be shared.
func (m *probeMemo) run(ctx context.Context, k probeKey, c *probeCall, host string, ip netip.Addr) {
	r := m.probe(ctx, host, ip)
	m.mu.Lock()
	c.r, c.cancelled = r, ctx.Err() != nil
	// A probe cut by a deadline is given to those waiting but not kept
	// (the probe's context has none, so the prober does not cut it).
	if !c.cancelled && !r.DeadlineReached() {
		c.elem = m.done.PushFront(k)
		for m.done.Len() > m.max {
			old := m.done.Back()
			m.done.Remove(old)
			delete(m.calls, old.Value.(probeKey))
		}
	} else {
		delete(m.calls, k)
	}
	stop := c.stop
	c.stop = nil
	m.mu.Unlock()
	stop()
	close(c.done)
}

// leave ends one domain's wait for c, and c's probe when nobody else is
// waiting for it.
func (m *probeMemo) leave(c *probeCall) {
	m.mu.Lock()
	c.waiting--
	if c.waiting == 0 && c.stop != nil {
		c.stop()
	}
	m.mu.Unlock()
}

// shareable is a copy of r that shares nothing a domain's judging may
// change: its slices and the TLS details. The chain's certificates are only
// read (and the chain dropped by setting the field); the DANE verdict,
// which the judging sets, is not yet there.
func shareable(r smtpprobe.Result) smtpprobe.Result {
	r.PTR = slices.Clone(r.PTR)
	r.Extensions = slices.Clone(r.Extensions)
	r.ExtensionsTLS = slices.Clone(r.ExtensionsTLS)
	r.EarlyTalk = slices.Clone(r.EarlyTalk)
	if r.TLS != nil {
		t := *r.TLS
		t.CertNames = slices.Clone(t.CertNames)
		r.TLS = &t
	}
	return r
}
