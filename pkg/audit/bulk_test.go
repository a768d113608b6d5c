package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
)

func TestParseDomainNormalisesWhatUsersPaste(t *testing.T) {
	for in, want := range map[string][2]string{
		"example.org":              {"example.org", "example.org"},
		"Example.ORG.":             {"example.org", "example.org"},
		" postmaster@example.org ": {"example.org", "example.org"},
		"bücher.example":           {"xn--bcher-kva.example", "bücher.example"},
	} {
		a, u, err := ParseDomain(in)
		if err != nil || a != want[0] || u != want[1] {
			t.Errorf("ParseDomain(%q) = %q, %q, %v; want %q", in, a, u, err, want)
		}
	}
	for _, bad := range []string{"-", "", "a..b", "-a.example", "a-.example", "[2001:db8::1]", "192.0.2.1", strings.Repeat("a", 64) + ".org"} {
		if _, _, err := ParseDomain(bad); err == nil {
			t.Errorf("ParseDomain(%q) accepted", bad)
		}
	}
}

func TestDefaultHELOUsesOnlyFullyQualifiedHostNames(t *testing.T) {
	tests := []struct{ host, want string }{
		{"mail.example.net", "mail.example.net"},
		{"Mail.Example.NET.", "mail.example.net"},
		{"laptop", ""},
		{"box.localdomain", ""},
		{"bad_name!.example", ""},
	}
	for _, tt := range tests {
		got := DefaultHELO(tt.host)
		if got != tt.want {
			t.Errorf("DefaultHELO(%q) = %q, want %q", tt.host, got, tt.want)
		}
	}
}

// slowMX is a resolver whose MX lookups take a while and count how many
// run at once: the number of domains being checked concurrently.
type slowMX struct {
	*dnsq.Mock
	delay    func(name string) time.Duration
	gate     chan struct{} // when set, lookups also wait for it to close
	inFlight atomic.Int32
	peak     atomic.Int32
	mxCalls  atomic.Int32
}

func (r *slowMX) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	r.mxCalls.Add(1)
	n := r.inFlight.Add(1)
	defer r.inFlight.Add(-1)
	for p := r.peak.Load(); n > p && !r.peak.CompareAndSwap(p, n); p = r.peak.Load() {
	}
	select {
	case <-time.After(r.delay(name)):
	case <-ctx.Done():
	}
	if r.gate != nil {
		select {
		case <-r.gate:
		case <-ctx.Done():
		}
	}
	return r.Mock.LookupMX(ctx, name)
}

// openAt opens the gate once n lookups wait at it (or the test's time is
// up: the lookups then end at the Checker's deadline, short of n).
func (r *slowMX) openAt(n int32) {
	r.gate = make(chan struct{})
	go func() {
		defer close(r.gate)
		for end := time.Now().Add(5 * time.Second); r.inFlight.Load() < n && time.Now().Before(end); {
			time.Sleep(time.Millisecond)
		}
	}()
}

// bulkDomains are n domains d0.example ... each with one IPv4 exchange.
func bulkDomains(n int) (*dnsq.Mock, []string) {
	m := &dnsq.Mock{MX: map[string][]dnsq.MX{}, A: map[string][]netip.Addr{}}
	var names []string
	for i := range n {
		d := fmt.Sprintf("d%d.example", i)
		m.MX[d+"."] = []dnsq.MX{{Preference: 10, Host: "mx." + d + "."}}
		m.A["mx."+d+"."] = []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})}
		names = append(names, d)
	}
	return m, names
}

func bulkChecker(r dnsq.Resolver) *Checker {
	return &Checker{Resolver: func() (dnsq.Resolver, error) { return r, nil }, IPv4: true, IPv6: true, Timeout: 5 * time.Second}
}

var dnsOnly = CheckRequest{DNSOnly: true, NoRDNS: true}

func collect(t *testing.T, c *Checker, in Bulk) []*document.Check {
	t.Helper()
	var got []*document.Check
	if err := c.CheckMany(context.Background(), in, dnsOnly, func(d *document.Check) error {
		got = append(got, d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestCheckManyChecksNoMoreDomainsAtOnceThanConcurrency(t *testing.T) {
	m, names := bulkDomains(8)
	r := &slowMX{Mock: m, delay: func(string) time.Duration { return time.Millisecond }}
	r.openAt(3)
	got := collect(t, bulkChecker(r), Bulk{Args: names, Concurrency: 3})
	if len(got) != 8 {
		t.Fatalf("%d documents for 8 domains", len(got))
	}
	if p := r.peak.Load(); p != 3 {
		t.Errorf("%d domains checked at once, want 3 (--concurrency)", p)
	}
}

// A --concurrency far above the list's length costs nothing: workers
// start as domains arrive, and no buffer is sized by the flag.
func TestCheckManyWithAHugeConcurrencyStartsOneWorkerPerDomain(t *testing.T) {
	m, names := bulkDomains(3)
	r := &slowMX{Mock: m, delay: func(string) time.Duration { return 0 }}
	r.openAt(3)
	got := collect(t, bulkChecker(r), Bulk{Args: names, Concurrency: math.MaxInt})
	if len(got) != 3 || r.peak.Load() != 3 {
		t.Errorf("%d documents, %d at once; want 3 and 3", len(got), r.peak.Load())
	}
}

func TestCheckManyEmitsInInputOrderEachDomainOnceAndBadLinesInPlace(t *testing.T) {
	m, names := bulkDomains(4)
	// The first domain is the slowest: input order must wait for it.
	r := &slowMX{Mock: m, delay: func(name string) time.Duration {
		if name == "d0.example" || name == "d0.example." {
			return 80 * time.Millisecond
		}
		return 0
	}}
	list := "D1.Example.\n# a comment\nd2.example\nnot a domain!\nd3.example\n"
	got := collect(t, bulkChecker(r), Bulk{Args: []string{names[0], names[1]}, List: strings.NewReader(list), Concurrency: 4, InOrder: true})
	var order []string
	for _, d := range got {
		if d.Error != "" {
			order = append(order, "error:"+d.Input)
			continue
		}
		order = append(order, d.Domain)
	}
	want := []string{"d0.example", "d1.example", "d2.example", "error:not a domain!", "d3.example"}
	if !slices.Equal(order, want) {
		t.Errorf("emitted %v, want %v", order, want)
	}
	if n := r.mxCalls.Load(); n != 4 {
		t.Errorf("%d MX lookups for 4 distinct domains", n)
	}
}

// heldMX is a resolver whose MX lookup of d0.example waits for release:
// the slow domain at the head of an input-order run.
type heldMX struct {
	*dnsq.Mock
	release chan struct{}
	mxCalls atomic.Int32
}

func (r *heldMX) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	r.mxCalls.Add(1)
	if name == "d0.example." {
		select {
		case <-r.release:
		case <-ctx.Done():
		}
	}
	return r.Mock.LookupMX(ctx, name)
}

func TestCheckManyInInputOrderHoldsBackFewerThanTwiceConcurrencyDocumentsBehindASlowDomain(t *testing.T) {
	m, names := bulkDomains(40)
	r := &heldMX{Mock: m, release: make(chan struct{})}
	const concurrency = 2
	var got []string
	done := make(chan error)
	go func() {
		done <- bulkChecker(r).CheckMany(context.Background(), Bulk{Args: names, Concurrency: concurrency, InOrder: true}, dnsOnly,
			func(d *document.Check) error {
				got = append(got, d.Domain)
				return nil
			})
	}()
	// The window is d0 plus the domains checked while it waits: with
	// nothing bounding it, all 40 would be checked and held.
	const window = 2 * concurrency
	for end := time.Now().Add(5 * time.Second); r.mxCalls.Load() < window && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := r.mxCalls.Load(); n != window {
		t.Errorf("%d domains started while the first waited, want %d", n, window)
	}
	close(r.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, names) {
		t.Errorf("emitted %v, want every domain in input order", got)
	}
}

func TestCheckManyStopsCheckingWhenTheWriterFails(t *testing.T) {
	m, names := bulkDomains(100)
	r := &slowMX{Mock: m, delay: func(string) time.Duration { return time.Millisecond }}
	broken := errors.New("broken pipe")
	err := bulkChecker(r).CheckMany(context.Background(), Bulk{Args: names, Concurrency: 2}, dnsOnly,
		func(*document.Check) error { return broken })
	if !errors.Is(err, broken) {
		t.Fatalf("err %v, want the writer's", err)
	}
	if n := r.mxCalls.Load(); n > 10 {
		t.Errorf("%d domains checked after the writer failed on the first", n)
	}
}

type failingReader struct{ lines string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.lines == "" {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, f.lines)
	f.lines = f.lines[n:]
	return n, nil
}

func TestCheckManyReportsAnUnreadableListAfterCheckingWhatItRead(t *testing.T) {
	m, _ := bulkDomains(2)
	var got int
	err := bulkChecker(m).CheckMany(context.Background(), Bulk{List: &failingReader{lines: "d0.example\nd1.example\n"}, Concurrency: 2}, dnsOnly,
		func(*document.Check) error { got++; return nil })
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err %v, want an InputError", err)
	}
	if got != 2 {
		t.Errorf("%d documents emitted, want the 2 domains read", got)
	}
}

// A list of comments and blank lines, without arguments, checked nothing:
// CheckMany says so rather than returning as from a clean run. A bad line
// is input, not nothing: it is emitted and no ErrNoDomains follows.
func TestCheckManyWithoutASingleDomainReturnsErrNoDomains(t *testing.T) {
	m, _ := bulkDomains(1)
	for _, c := range []struct {
		list string
		want error
		docs int
	}{
		{"", ErrNoDomains, 0},
		{"# only a comment\n\n  \t\n", ErrNoDomains, 0},
		{"not a domain\n", nil, 1},
	} {
		var got int
		err := bulkChecker(m).CheckMany(context.Background(), Bulk{List: strings.NewReader(c.list), Concurrency: 2}, dnsOnly,
			func(*document.Check) error { got++; return nil })
		if !errors.Is(err, c.want) || got != c.docs {
			t.Errorf("list %q: err %v and %d documents, want %v and %d", c.list, err, got, c.want, c.docs)
		}
	}
}

// afterFlush holds the MX lookup of domain dI until I documents have been
// flushed: a run that left a finished document in its writer's buffer while
// it waited for the next domain would never finish.
type afterFlush struct {
	*dnsq.Mock
	flushed chan int // the number flushed so far, after each Idle
	seen    int
}

func (r *afterFlush) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	var i int
	if _, err := fmt.Sscanf(name, "d%d.example.", &i); err != nil {
		panic(name)
	}
	for r.seen < i {
		select {
		case r.seen = <-r.flushed:
		case <-ctx.Done():
			return r.Mock.LookupMX(ctx, name)
		}
	}
	return r.Mock.LookupMX(ctx, name)
}

func TestCheckManyFlushesWhenTheNextDocumentIsNotReady(t *testing.T) {
	m, names := bulkDomains(5)
	r := &afterFlush{Mock: m, flushed: make(chan int, len(names))}
	var emitted, flushed []string
	idle := func() error {
		flushed = append(flushed, emitted[len(flushed):]...)
		r.flushed <- len(flushed)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := bulkChecker(r).CheckMany(ctx, Bulk{Args: names, Concurrency: 1, Idle: idle}, dnsOnly,
		func(d *document.Check) error {
			emitted = append(emitted, d.Domain)
			return nil
		})
	if err != nil || ctx.Err() != nil {
		t.Fatalf("err %v, ctx %v: the run waited for a domain with a document unflushed", err, ctx.Err())
	}
	if !slices.Equal(flushed, names) {
		t.Errorf("flushed %v, want %v", flushed, names)
	}
}

// Documents ready together are emitted together: Idle comes once there is
// nothing more to emit, not after each one, and its error ends the run.
func TestEmitInOrderCallsIdleOnlyWhenNothingIsReady(t *testing.T) {
	for _, inOrder := range []bool{false, true} {
		results := make(chan bulkResult, 3)
		for _, i := range []int{1, 0, 2} {
			results <- bulkResult{idx: i, rep: &document.Check{Input: fmt.Sprint(i)}}
		}
		close(results)
		var log []string
		err := emitInOrder(results, inOrder, func(d *document.Check) error {
			log = append(log, d.Input)
			return nil
		}, func() error {
			log = append(log, "idle")
			return nil
		})
		want := []string{"1", "0", "2", "idle"}
		if inOrder {
			want = []string{"0", "1", "2", "idle"}
		}
		if err != nil || !slices.Equal(log, want) {
			t.Errorf("inOrder %v: %v, %v; want %v", inOrder, log, err, want)
		}
	}
	broken := errors.New("broken pipe")
	results := make(chan bulkResult, 2)
	results <- bulkResult{idx: 0, rep: &document.Check{}}
	results <- bulkResult{idx: 1, rep: &document.Check{}}
	close(results)
	err := emitInOrder(results, false, func(*document.Check) error { return nil }, func() error { return broken })
	if !errors.Is(err, broken) {
		t.Errorf("err %v, want Idle's", err)
	}
}
