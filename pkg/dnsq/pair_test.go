package dnsq

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

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
// lookups: everything but the round-trip time.
func addrResultText(r AddrResult) string {
	err := ""
	if r.Err != nil {
		err = r.Err.Error()
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
	good := dnstest.New(t, pairZone)
	ctx := context.Background()
	for _, su := range setups {
		if su.onA == dnstest.FaultNone && su.onAAAA == dnstest.FaultNone && su != setups[0] {
			continue
		}
		t.Run(fmt.Sprintf("A:%s,AAAA:%s", su.onA, su.onAAAA), func(t *testing.T) {
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
			client := func() *Client {
				c, err := New(Config{Servers: []string{first.Addr4(), good.Addr4()}, Timeout: 150 * time.Millisecond, Attempts: 1})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			for _, name := range names {
				apart := client()
				wantA, wantB := apart.LookupA(ctx, name), apart.LookupAAAA(ctx, name)
				var gotA, gotB AddrResult
				client().LookupAddrPair(ctx, name, &gotA, &gotB)
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
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa)
	if a.Status != StatusOK || len(a.Addrs) != 2 || aaaa.Status != StatusOK || len(aaaa.Addrs) != 1 {
		t.Fatalf("A %s %v, AAAA %s %v: want both answered", a.Status, a.Addrs, aaaa.Status, aaaa.Addrs)
	}
	if n, m := srv.Queries("both.example.", "A"), srv.Queries("both.example.", "AAAA"); n != 1 || m != 1 {
		t.Errorf("the server saw %d A and %d AAAA queries, want one each", n, m)
	}
	if st := c.Stats(); st.Queries != 2 || st.Retransmits != 0 {
		t.Errorf("stats %+v: want 2 queries, no retransmission", st)
	}
	if idle := len(c.udp[0].idle); idle != 1 {
		t.Errorf("%d sockets in the pool after the pair, want the one both queries used", idle)
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
	c.LookupAddrPair(ctx, "both.example.", &a, &aaaa)
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
	c2.LookupAddrPair(ctx, "both.example.", &a, &aaaa)
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
	c.LookupAddrPair(context.Background(), "both.example.", &a, &aaaa)
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
	c.LookupAddrPair(ctx, "both.example.", &a, &aaaa)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v after a 50 ms deadline", d)
	}
	if !a.Status.Temporary() || !aaaa.Status.Temporary() {
		t.Errorf("A %s, AAAA %s: want temporary failures", a.Status, aaaa.Status)
	}
}
