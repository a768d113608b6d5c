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
// checked against); a domain that finds the probe under way waits for it,
// within its own deadline, and one that comes later gets the result,
// marked Reused. A probe cut short by its own domain's deadline is not
// shared: the next domain probes again.
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
	r    smtpprobe.Result // the shared copy (shareable), read after done
	ok   bool             // the probe ended on its own: shared
	elem *list.Element    // in probeMemo.done once finished and kept
}

func newProbeMemo(probe func(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result, max int) *probeMemo {
	return &probeMemo{probe: probe, max: max, calls: map[probeKey]*probeCall{}}
}

// Probe is Stages.Probe through the memo.
func (m *probeMemo) Probe(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
	k := probeKey{strings.ToLower(strings.TrimSuffix(host, ".")), ip}
	for {
		m.mu.Lock()
		c, found := m.calls[k]
		if !found {
			c = &probeCall{done: make(chan struct{})}
			m.calls[k] = c
			m.mu.Unlock()
			return m.lead(ctx, k, c, host, ip)
		}
		if c.elem != nil {
			m.done.MoveToFront(c.elem)
		}
		m.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			// This domain's deadline came first: its own probe ends at
			// once and says so as a probe cut short does.
			return m.probe(ctx, host, ip)
		}
		if c.ok {
			r := shareable(c.r)
			r.Reused = true
			if host != "" {
				r.Host = host // as this domain's exchange spells it
			}
			return r
		}
		// Cut short by the other domain's deadline and forgotten: ask again.
	}
}

// lead probes k for the domains waiting on c and keeps the result when it
// may be shared.
func (m *probeMemo) lead(ctx context.Context, k probeKey, c *probeCall, host string, ip netip.Addr) smtpprobe.Result {
	r := m.probe(ctx, host, ip)
	ok := ctx.Err() == nil && !r.DeadlineReached()
	m.mu.Lock()
	if ok {
		c.r, c.ok = shareable(r), true
		c.elem = m.done.PushFront(k)
		for m.done.Len() > m.max {
			old := m.done.Back()
			m.done.Remove(old)
			delete(m.calls, old.Value.(probeKey))
		}
	} else {
		delete(m.calls, k)
	}
	m.mu.Unlock()
	close(c.done)
	return r
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
