package dnsq

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

var queryIDs = regexp.MustCompile(`\b(ID|query) [0-9]+`)

const pairZone = `
$ORIGIN example.
$TTL 300
@        SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS   ns
both     A    192.0.2.1
both     A    192.0.2.2
both     AAAA 2001:db8::1
v4only   A    192.0.2.3
v6only   AAAA 2001:db8::3
alias    CNAME both
far      CNAME target.other.
loop1    CNAME loop2
loop2    CNAME loop1

$ORIGIN other.
@        SOA  ns.other. hostmaster.other. 1 3600 600 86400 60
target   A    198.51.100.7
target   AAAA 2001:db8:7::7
`

// addrResultText is what a lookup's result says, for comparing two
// lookups: everything but the round-trip time and the random query IDs
// some errors quote.
func addrResultText(r AddrResult) string {
	err := ""
	if r.Err != nil {
		err = queryIDs.ReplaceAllString(r.Err.Error(), "$1 N")
	}
	return fmt.Sprintf("name=%s status=%s server=%s ad=%v cnames=%v addrs=%v err=%q",
		r.Name, r.Status, r.Server, r.Authentic, r.CNAMEs, r.Addrs, err)
}

// LookupAddrPair answers as LookupA and LookupAAAA do, whatever the
// server does to either question: every fault the test server knows, on
// the A question, the AAAA question or both, for names with both
// families, one, none, and aliases, with a second server behind the
// first.
func TestLookupAddrPairAnswersAsTwoLookupsUnderEveryFault(t *testing.T) {
	faults := []dnstest.Fault{dnstest.FaultNone, dnstest.FaultServFail, dnstest.FaultRefused, dnstest.FaultDrop,
		dnstest.FaultTruncate, dnstest.FaultNotImp, dnstest.FaultFormErr, dnstest.FaultBogus, dnstest.FaultMalformed,
		dnstest.FaultOversize, dnstest.FaultTCPTruncated, dnstest.FaultTCPTruncatedRecords, dnstest.FaultTCPWrongID,
		dnstest.FaultTCPWrongQuestion, dnstest.FaultTruncateCut, dnstest.FaultShort, dnstest.FaultWrongType}
	names := []string{"both.example", "v4only.example.", "v6only.example.", "none.example.", "alias.example.",
		"far.example.", "loop1.example."}
	type setup struct{ onA, onAAAA dnstest.Fault }
	var setups []setup
	for _, f := range faults {
		setups = append(setups, setup{f, dnstest.FaultNone}, setup{dnstest.FaultNone, f}, setup{f, f})
	}
	// Both questions failing, differently, on the one server.
	setups = append(setups, setup{dnstest.FaultServFail, dnstest.FaultRefused}, setup{dnstest.FaultTruncate, dnstest.FaultDrop},
		setup{dnstest.FaultDrop, dnstest.FaultTruncate}, setup{dnstest.FaultFormErr, dnstest.FaultServFail},
		setup{dnstest.FaultMalformed, dnstest.FaultTruncate}, setup{dnstest.FaultWrongType, dnstest.FaultShort})
	good := dnstest.New(t, pairZone)
	ctx := context.Background()
	for n, su := range setups {
		if su.onA == dnstest.FaultNone && su.onAAAA == dnstest.FaultNone && n > 0 {
			continue
		}
		for _, behind := range []bool{true, false} {
			t.Run(fmt.Sprintf("A:%s,AAAA:%s,second server:%v", su.onA, su.onAAAA, behind), func(t *testing.T) {
				t.Parallel()
				first := dnstest.New(t, pairZone)
				for _, name := range names {
					if su.onA != dnstest.FaultNone {
						first.MustInject(t, name, "A", su.onA)
					}
					if su.onAAAA != dnstest.FaultNone {
						first.MustInject(t, name, "AAAA", su.onAAAA)
					}
				}
				servers := []string{first.Addr4()}
				if behind {
					servers = append(servers, good.Addr4())
				}
				client := func() *Client {
					c, err := New(Config{Servers: servers, Timeout: 250 * time.Millisecond, Attempts: 1})
					if err != nil {
						t.Fatal(err)
					}
					return c
				}
				for _, name := range names {
					apart := client()
					wantA, wantB := apart.LookupA(ctx, name), apart.LookupAAAA(ctx, name)
					var gotA, gotB AddrResult
					client().LookupAddrPair(ctx, name, &gotA, &gotB, nil)
					if g, w := addrResultText(gotA), addrResultText(wantA); g != w {
						t.Errorf("%s A:\n pair  %s\n apart %s", name, g, w)
					}
					if g, w := addrResultText(gotB), addrResultText(wantB); g != w {
						t.Errorf("%s AAAA:\n pair  %s\n apart %s", name, g, w)
					}
				}
			})
		}
	}
}

// The two questions go out on one socket and their answers are told apart
// by ID: the server sees both from one source port, once each.
func TestLookupAddrPairAsksBothOnOneSocket(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	var tr strings.Builder
	c, err := New(Config{Servers: []string{srv.Addr4()}, Timeout: 300 * time.Millisecond, Attempts: 1, Trace: &tr})
	if err != nil {
		t.Fatal(err)
	}
	var a, aaaa AddrResult
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa, nil)
	if a.Status != StatusOK || len(a.Addrs) != 2 || aaaa.Status != StatusOK || len(aaaa.Addrs) != 1 {
		t.Fatalf("A %s %v, AAAA %s %v: want both answered", a.Status, a.Addrs, aaaa.Status, aaaa.Addrs)
	}
	if n, m := srv.Queries("both.example.", "A"), srv.Queries("both.example.", "AAAA"); n != 1 || m != 1 {
		t.Errorf("the server saw %d A and %d AAAA queries, want one each", n, m)
	}
	if st := c.Stats(); st.Queries != 2 || st.Retransmits != 0 {
		t.Errorf("stats %+v: want 2 queries, no retransmission", st)
	}
	if idle := len(c.udp[0].idle); idle != 1 || c.udp[0].idle[0].uses != 2 {
		t.Errorf("%d sockets in the pool after the pair, want the one both queries used, with two uses", idle)
	}
	if lines := strings.Count(tr.String(), "\n"); lines != 2 {
		t.Errorf("trace has %d lines, want one per question:\n%s", lines, tr.String())
	}
}

// A question already answered is not asked again, and one another caller
// is asking is awaited rather than asked: the pair then asks only the
// other question.
func TestLookupAddrPairUsesTheCacheAndCoalesces(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	srv.Delay("both.example.", 100*time.Millisecond)
	c := newClient(t, srv.Addr4())
	ctx := context.Background()
	if r := c.LookupA(ctx, "both.example."); r.Status != StatusOK {
		t.Fatalf("LookupA: %s", r.Status)
	}
	var a, aaaa AddrResult
	c.LookupAddrPair(ctx, "both.example.", &a, &aaaa, nil)
	if n, m := srv.Queries("both.example.", "A"), srv.Queries("both.example.", "AAAA"); n != 1 || m != 1 {
		t.Errorf("after a cached A: the server saw %d A and %d AAAA queries, want one each", n, m)
	}
	if a.Status != StatusOK || aaaa.Status != StatusOK {
		t.Errorf("A %s, AAAA %s", a.Status, aaaa.Status)
	}

	c2 := newClient(t, srv.Addr4())
	srv.ResetCounts()
	done := make(chan AddrResult)
	go func() { done <- c2.LookupAAAA(ctx, "both.example.") }()
	time.Sleep(20 * time.Millisecond) // the AAAA is in flight, delayed by the server
	c2.LookupAddrPair(ctx, "both.example.", &a, &aaaa, nil)
	other := <-done
	if n, m := srv.Queries("both.example.", "A"), srv.Queries("both.example.", "AAAA"); n != 1 || m != 1 {
		t.Errorf("with the AAAA in flight: the server saw %d A and %d AAAA queries, want one each", n, m)
	}
	if addrResultText(aaaa) != addrResultText(other) || a.Status != StatusOK {
		t.Errorf("coalesced AAAA %s, the other caller's %s; A %s", addrResultText(aaaa), addrResultText(other), a.Status)
	}
	if c2.Stats().Coalesced != 1 {
		t.Errorf("coalesced %d, want 1", c2.Stats().Coalesced)
	}
}

// A lost datagram is sent again, for the question that lost it only.
func TestLookupAddrPairResendsWhatIsUnanswered(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	srv.MustInject(t, "both.example.", "AAAA", dnstest.FaultDrop)
	c, err := New(Config{Servers: []string{srv.Addr4()}, Timeout: 400 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.retransmit = 50 * time.Millisecond
	var a, aaaa AddrResult
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa, nil)
	if a.Status != StatusOK || aaaa.Status != StatusTimeout {
		t.Errorf("A %s, AAAA %s: want ok and timeout", a.Status, aaaa.Status)
	}
	if n, m := srv.Queries("both.example.", "A"), srv.Queries("both.example.", "AAAA"); n != 1 || m < 2 {
		t.Errorf("the server saw %d A and %d AAAA queries: want the A once and the AAAA sent again", n, m)
	}
}

// The caller's deadline ends the pair as it ends a lookup.
func TestLookupAddrPairEndsWithItsContext(t *testing.T) {
	srv := dnstest.New(t, pairZone, dnstest.WithFault("", "", dnstest.FaultDrop))
	c := newClient(t, srv.Addr4())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	var a, aaaa AddrResult
	c.LookupAddrPair(ctx, "both.example.", &a, &aaaa, nil)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v after a 50 ms deadline", d)
	}
	if !a.Status.Temporary() || !aaaa.Status.Temporary() {
		t.Errorf("A %s, AAAA %s: want temporary failures", a.Status, aaaa.Status)
	}
}

// A question that fails fast goes on to the next server at once, not
// after the other question's first exchange has timed out: the trace
// shows A answered by the second server before AAAA's timeout at the
// first.
func TestLookupAddrPairFailureGoesOnWithoutWaitingForTheOther(t *testing.T) {
	first := dnstest.New(t, pairZone)
	first.MustInject(t, "both.example.", "A", dnstest.FaultServFail)
	first.MustInject(t, "both.example.", "AAAA", dnstest.FaultDrop)
	second := dnstest.New(t, pairZone)
	var tr lockedBuilder
	c, err := New(Config{Servers: []string{first.Addr4(), second.Addr4()}, Timeout: 300 * time.Millisecond, Attempts: 1, Trace: &tr})
	if err != nil {
		t.Fatal(err)
	}
	var a, aaaa AddrResult
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa, nil)
	if a.Status != StatusOK || aaaa.Status != StatusOK {
		t.Fatalf("A %s, AAAA %s: want both answered by the second server", a.Status, aaaa.Status)
	}
	lines := strings.Split(tr.String(), "\n")
	aSecond, aaaaTimeout := -1, -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, ";; A both.example. @"+second.Addr4()):
			aSecond = i
		case strings.HasPrefix(l, ";; AAAA both.example. @"+first.Addr4()) && strings.Contains(l, "timeout"):
			aaaaTimeout = i
		}
	}
	if aSecond < 0 || aaaaTimeout < 0 || aSecond > aaaaTimeout {
		t.Errorf("A at the second server is line %d, AAAA's timeout at the first line %d: want A first\n%s", aSecond, aaaaTimeout, tr.String())
	}
}

// lockedBuilder is a strings.Builder for the trace, which lookups write
// from several goroutines.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Pairs and single lookups of the same names, all at once, crossing in
// every order (one pair leading A while another leads AAAA): all end, and
// every answer is then in the cache.
func TestLookupAddrPairsAndLookupsCrossingAllEnd(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	for _, n := range []string{"both.example.", "v4only.example.", "v6only.example."} {
		srv.Delay(n, 20*time.Millisecond)
	}
	c := newClient(t, srv.Addr4())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	names := []string{"both.example.", "v4only.example.", "v6only.example."}
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := names[(i/3)%len(names)]
			switch i % 3 {
			case 0:
				var a, aaaa AddrResult
				c.LookupAddrPair(ctx, name, &a, &aaaa, nil)
			case 1:
				c.LookupA(ctx, name)
			default:
				c.LookupAAAA(ctx, name)
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the lookups did not all end within 10 s")
	}
	hits := c.Stats().CacheHits
	for _, name := range names {
		var a, aaaa AddrResult
		c.LookupAddrPair(ctx, name, &a, &aaaa, nil)
		if a.Status.Temporary() || aaaa.Status.Temporary() {
			t.Errorf("%s: A %s, AAAA %s", name, a.Status, aaaa.Status)
		}
	}
	if got := c.Stats().CacheHits - hits; got != 2*int64(len(names)) {
		t.Errorf("%d cache hits for %d questions asked again: some entry was left unsettled", got, 2*len(names))
	}
}

// Each result is handed over before the other is final: A's, at the
// latest, once the AAAA query's first exchange has ended (here: timed
// out) and before AAAA goes on, so that the caller can go on with IPv4.
func TestLookupAddrPairHandsEachResultOverWhenItIsIn(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	srv.MustInject(t, "both.example.", "AAAA", dnstest.FaultDrop)
	c := newClient(t, srv.Addr4())
	var a, aaaa AddrResult
	var order []string
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa, func(v6 bool) {
		switch {
		case v6:
			order = append(order, "AAAA "+string(aaaa.Status))
		default:
			order = append(order, fmt.Sprintf("A %s, AAAA then %q", a.Status, aaaa.Status))
		}
	})
	if want := []string{`A ok, AAAA then ""`, "AAAA timeout"}; strings.Join(order, "; ") != strings.Join(want, "; ") {
		t.Errorf("ready calls %q, want %q", order, want)
	}
}

// A plain answer held for the other query is handed over when a
// retransmission interval passes without that query's answer, not only
// when its exchange ends: here A's result before AAAA is sent again.
func TestLookupAddrPairHandsAHeldResultOverAtTheFirstRetransmission(t *testing.T) {
	srv := dnstest.New(t, pairZone)
	srv.MustInject(t, "both.example.", "AAAA", dnstest.FaultDrop)
	c, err := New(Config{Servers: []string{srv.Addr4()}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.retransmit = 50 * time.Millisecond
	var a, aaaa AddrResult
	sentAtA := -1
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa, func(v6 bool) {
		if !v6 {
			sentAtA = srv.Queries("both.example.", "AAAA")
		}
	})
	if a.Status != StatusOK || aaaa.Status != StatusTimeout {
		t.Fatalf("A %s, AAAA %s: want ok and timeout", a.Status, aaaa.Status)
	}
	if sentAtA != 1 {
		t.Errorf("A was handed over after %d AAAA queries, want 1 (at the first retransmission, before the second)", sentAtA)
	}
	if n := srv.Queries("both.example.", "AAAA"); n < 3 {
		t.Errorf("%d AAAA queries in all: the retransmissions went on after A was handed over", n)
	}
}
