package audit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// fakeProbes counts the probes made per host and address and answers each
// with its number, so that a shared result can be told from a new one.
type fakeProbes struct {
	mu    sync.Mutex
	made  map[string]int
	total atomic.Int32
	// gate, when not nil, holds every probe until it is closed.
	gate chan struct{}
	// cut, when set, makes a probe end as one cut by its context.
	cut func(host string, n int) bool
}

func (f *fakeProbes) probe(ctx context.Context, host string, ip netip.Addr) smtpprobe.Result {
	f.mu.Lock()
	if f.made == nil {
		f.made = map[string]int{}
	}
	f.made[host+" "+ip.String()]++
	n := f.made[host+" "+ip.String()]
	f.mu.Unlock()
	f.total.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
		}
	}
	r := smtpprobe.Result{Host: host, IP: ip, Status: smtpprobe.StatusOK, Banner: fmt.Sprintf("probe %d", n),
		Extensions: []string{"PIPELINING"}, ExtensionsTLS: []string{}, EarlyTalk: []string{},
		TLS: &smtpprobe.TLSInfo{Version: "TLS1.3", CertNames: []string{host}}}
	// As the prober says it: a deadline cuts a probe short (inconclusive),
	// a cancellation interrupts it.
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		r.Status, r.Err = smtpprobe.StatusTimeout, smtpprobe.ErrInterrupted
	case ctx.Err() != nil || f.cut != nil && f.cut(host, n):
		r.Status, r.Err = smtpprobe.StatusInconclusive, smtpprobe.ErrDeadline
	}
	return r
}

// waitProbes waits until the fake has started n probes.
func (f *fakeProbes) waitProbes(n int32) {
	for f.total.Load() < n {
		time.Sleep(time.Millisecond)
	}
}

// kept is how many calls the memo holds, under way or finished.
func (m *probeMemo) kept() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// waitingFor is how many domains wait for the probe of host and ip.
func (m *probeMemo) waitingFor(host string, ip netip.Addr) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.calls[probeKey{host, ip}]; c != nil {
		return c.waiting
	}
	return 0
}

var (
	ipA = netip.MustParseAddr("192.0.2.25")
	ipB = netip.MustParseAddr("2001:db8::25")
)

func TestProbeMemoProbesEachNameAndAddressOnce(t *testing.T) {
	var f fakeProbes
	m := newProbeMemo(f.probe, 16)
	ctx := context.Background()

	first := m.Probe(ctx, "mx.provider.test", ipA)
	again := m.Probe(ctx, "MX.Provider.test.", ipA)
	if first.Reused || !again.Reused {
		t.Errorf("reused: first %v, again %v; want false, true", first.Reused, again.Reused)
	}
	if again.Banner != first.Banner || again.Host != "MX.Provider.test." {
		t.Errorf("again: banner %q host %q; want %q and the caller's spelling", again.Banner, again.Host, first.Banner)
	}
	// Another address, or another name at the same address (another SNI,
	// another name for the certificate), is probed on its own.
	if r := m.Probe(ctx, "mx.provider.test", ipB); r.Reused {
		t.Error("another address was not probed")
	}
	if r := m.Probe(ctx, "mx.other.test", ipA); r.Reused {
		t.Error("another name at the same address was not probed")
	}
	if got := f.total.Load(); got != 3 {
		t.Errorf("%d probes made, want 3", got)
	}
}

func TestProbeMemoWaitersShareTheProbeUnderWay(t *testing.T) {
	f := fakeProbes{gate: make(chan struct{})}
	m := newProbeMemo(f.probe, 16)
	const domains = 20
	results := make([]smtpprobe.Result, domains)
	var wg sync.WaitGroup
	for i := range domains {
		wg.Go(func() { results[i] = m.Probe(context.Background(), "mx.provider.test", ipA) })
	}
	// Let every domain reach the memo before the probe ends.
	f.waitProbes(1)
	time.Sleep(20 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	if got := f.total.Load(); got != 1 {
		t.Fatalf("%d probes made for %d domains at once, want 1", got, domains)
	}
	fresh := 0
	for _, r := range results {
		if !r.Reused {
			fresh++
		}
		if r.Banner != "probe 1" {
			t.Errorf("banner %q, want the one probe's", r.Banner)
		}
	}
	if fresh != 1 {
		t.Errorf("%d results not marked reused, want 1 (the probe's own)", fresh)
	}
}

func TestProbeMemoDoesNotKeepACutProbe(t *testing.T) {
	// The fake's first probe ends cut short, while a second domain waits:
	// both get it, as it happened; it is not kept for the next domain.
	f := fakeProbes{gate: make(chan struct{}), cut: func(_ string, n int) bool { return n == 1 }}
	m := newProbeMemo(f.probe, 16)
	first := make(chan smtpprobe.Result)
	go func() { first <- m.Probe(context.Background(), "mx.provider.test", ipA) }()
	f.waitProbes(1)
	second := make(chan smtpprobe.Result)
	go func() { second <- m.Probe(context.Background(), "mx.provider.test", ipA) }()
	for m.waitingFor("mx.provider.test", ipA) < 2 {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	for _, r := range []smtpprobe.Result{<-first, <-second} {
		if !r.DeadlineReached() || r.Banner != "probe 1" {
			t.Errorf("waiting: cut %v, banner %q; want the cut probe", r.DeadlineReached(), r.Banner)
		}
	}
	if r := m.Probe(context.Background(), "mx.provider.test", ipA); r.Reused || r.DeadlineReached() || r.Banner != "probe 2" {
		t.Errorf("next: reused %v cut %v banner %q; want a probe of its own", r.Reused, r.DeadlineReached(), r.Banner)
	}
	if got := f.total.Load(); got != 2 {
		t.Errorf("%d probes made, want 2", got)
	}
	// A domain whose deadline has passed gets its own cut probe at once.
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	if r := m.Probe(ctx, "mx.provider.test", ipA); r.Reused || !r.DeadlineReached() {
		t.Errorf("ended context: reused %v, cut %v; want its own cut probe", r.Reused, r.DeadlineReached())
	}
}

// A kept probe does not keep the context (and its values) of the domain
// that started it.
func TestProbeMemoKeepsNoDomainsContext(t *testing.T) {
	var f fakeProbes
	m := newProbeMemo(f.probe, 16)
	type key struct{}
	w := func() weak.Pointer[[1 << 16]byte] {
		v := new([1 << 16]byte)
		m.Probe(context.WithValue(context.Background(), key{}, v), "mx.test", ipA)
		return weak.Make(v)
	}()
	runtime.GC()
	runtime.GC()
	if w.Value() != nil {
		t.Error("the memo keeps the context of the domain that started a probe")
	}
	if m.kept() != 1 {
		t.Errorf("%d probes kept, want 1", m.kept())
	}
}

// The domain that starts a probe near its deadline leaves at its
// deadline; the probe goes on for the others, who get it whole.
func TestProbeMemoProbeOutlivesTheDeadlineOfTheDomainThatStartedIt(t *testing.T) {
	f := fakeProbes{gate: make(chan struct{})}
	m := newProbeMemo(f.probe, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	started := make(chan smtpprobe.Result)
	go func() { started <- m.Probe(ctx, "mx.slow.test", ipA) }()
	f.waitProbes(1)
	other := make(chan smtpprobe.Result)
	go func() { other <- m.Probe(context.Background(), "mx.slow.test", ipA) }()
	if r := <-started; !r.DeadlineReached() {
		t.Errorf("the starting domain past its deadline: cut %v, want cut", r.DeadlineReached())
	}
	for m.waitingFor("mx.slow.test", ipA) < 1 {
		time.Sleep(time.Millisecond)
	}
	close(f.gate)
	if r := <-other; r.DeadlineReached() || !r.Reused || r.Banner != "probe 1" {
		t.Errorf("the other domain: cut %v reused %v banner %q; want the whole probe, reused", r.DeadlineReached(), r.Reused, r.Banner)
	}
	if r := m.Probe(context.Background(), "mx.slow.test", ipA); !r.Reused || r.Banner != "probe 1" {
		t.Errorf("later: reused %v banner %q; want the probe kept", r.Reused, r.Banner)
	}
}

// When every domain waiting for a probe has left, the probe is cancelled
// and not kept: the next domain probes again.
func TestProbeMemoCancelsAProbeNobodyWaitsFor(t *testing.T) {
	f := fakeProbes{gate: make(chan struct{})}
	m := newProbeMemo(f.probe, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if r := m.Probe(ctx, "mx.slow.test", ipA); !r.DeadlineReached() {
		t.Fatalf("cut %v, want cut", r.DeadlineReached())
	}
	// The fake returns once its context ends: the probe was cancelled.
	for start := time.Now(); m.kept() != 0; time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the probe nobody waits for was not cancelled")
		}
	}
	close(f.gate)
	if r := m.Probe(context.Background(), "mx.slow.test", ipA); r.Reused || r.Banner == "probe 1" || r.Status != smtpprobe.StatusOK {
		t.Errorf("after the cancelled probe: reused %v banner %q status %s; want a probe of its own", r.Reused, r.Banner, r.Status)
	}
}

func TestProbeMemoKeepsTheMostRecentlyUsed(t *testing.T) {
	var f fakeProbes
	m := newProbeMemo(f.probe, 2)
	ctx := context.Background()
	m.Probe(ctx, "a.test", ipA)
	m.Probe(ctx, "b.test", ipA)
	m.Probe(ctx, "a.test", ipA) // a used again: b is now the oldest
	m.Probe(ctx, "c.test", ipA) // b dropped
	if r := m.Probe(ctx, "a.test", ipA); !r.Reused {
		t.Error("the most recently used probe was dropped")
	}
	if r := m.Probe(ctx, "b.test", ipA); r.Reused {
		t.Error("the least recently used probe was kept past the limit")
	}
	if n := m.kept(); n > 2 {
		t.Errorf("%d calls kept; want at most 2", n)
	}
}

func TestProbeMemoResultsShareNothingAJudgingChanges(t *testing.T) {
	var f fakeProbes
	m := newProbeMemo(f.probe, 16)
	ctx := context.Background()
	for _, r := range []smtpprobe.Result{m.Probe(ctx, "mx.test", ipA), m.Probe(ctx, "mx.test", ipA)} {
		r.Extensions[0] = "CHANGED"
		r.TLS.Version = "CHANGED"
		r.TLS.CertNames[0] = "CHANGED"
	}
	r := m.Probe(ctx, "mx.test", ipA)
	if r.Extensions[0] != "PIPELINING" || r.TLS.Version != "TLS1.3" || r.TLS.CertNames[0] != "mx.test" {
		t.Errorf("a domain's change reached the shared probe: %v %+v", r.Extensions, *r.TLS)
	}
}
