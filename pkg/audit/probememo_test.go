package audit

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	if ctx.Err() != nil || f.cut != nil && f.cut(host, n) {
		r.Status, r.Err = smtpprobe.StatusInconclusive, smtpprobe.ErrDeadline
	}
	return r
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
	for f.total.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
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

func TestProbeMemoDoesNotShareAProbeCutByItsDeadline(t *testing.T) {
	f := fakeProbes{cut: func(_ string, n int) bool { return n == 1 }}
	m := newProbeMemo(f.probe, 16)
	if r := m.Probe(context.Background(), "mx.provider.test", ipA); !r.DeadlineReached() {
		t.Fatal("the fake's first probe was not cut")
	}
	r := m.Probe(context.Background(), "mx.provider.test", ipA)
	if r.Reused || r.DeadlineReached() || r.Banner != "probe 2" {
		t.Errorf("after a cut probe: reused %v, cut %v, banner %q; want a probe of its own", r.Reused, r.DeadlineReached(), r.Banner)
	}
	// Nor one whose domain's context ended under it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := m.Probe(ctx, "mx.late.test", ipA); r.Reused || !r.DeadlineReached() {
		t.Fatalf("ended context: reused %v, cut %v", r.Reused, r.DeadlineReached())
	}
	if r := m.Probe(context.Background(), "mx.late.test", ipA); r.Reused || r.DeadlineReached() {
		t.Errorf("after an ended context: reused %v, cut %v; want a probe of its own", r.Reused, r.DeadlineReached())
	}
}

func TestProbeMemoWaiterLeavesAtItsOwnDeadline(t *testing.T) {
	f := fakeProbes{gate: make(chan struct{})}
	m := newProbeMemo(f.probe, 16)
	lead := make(chan smtpprobe.Result)
	go func() { lead <- m.Probe(context.Background(), "mx.slow.test", ipA) }()
	for f.total.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	r := m.Probe(ctx, "mx.slow.test", ipA)
	if r.Reused || !r.DeadlineReached() {
		t.Errorf("waiter past its deadline: reused %v, cut %v; want its own probe, cut", r.Reused, r.DeadlineReached())
	}
	close(f.gate)
	if r := <-lead; r.DeadlineReached() {
		t.Error("the leading probe was cut by the waiter's deadline")
	}
	if r := m.Probe(context.Background(), "mx.slow.test", ipA); !r.Reused || r.Banner != "probe 1" {
		t.Errorf("after the lead: reused %v banner %q; want the lead's probe", r.Reused, r.Banner)
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
	if len(m.calls) > 2 || m.done.Len() > 2 {
		t.Errorf("%d calls, %d finished kept; want at most 2", len(m.calls), m.done.Len())
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
