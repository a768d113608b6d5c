package dnsq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

const zone = `
$ORIGIN example.
$TTL 300
@        SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS   ns
@        MX   20 MX2.Example.
@        MX   10 mx1
@        TXT  "v=spf1 " "-all"
quoted   TXT  "a \"quoted\" \\ word\009tab"
mx1      A    192.0.2.1
mx1      A    192.0.2.2
mx1      AAAA 2001:db8::1
mx2      CNAME alias
alias    CNAME mx1
loop1    CNAME loop2
loop2    CNAME loop1
out      CNAME target.other.
a.b.c    A    192.0.2.9
dangling CNAME gone
odd      MX   10 bad\000name.example.

$ORIGIN other.
@        SOA  ns.other. hostmaster.other. 1 3600 600 86400 60
target   A    198.51.100.7
back     CNAME out.example.

$ORIGIN 2.0.192.in-addr.arpa.
@        SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
1        PTR  MX1.example.
1        PTR  mail.example.
`

// newClient returns a client asking servers, with short timeouts.
func newClient(t *testing.T, servers ...string) *Client {
	t.Helper()
	c, err := New(Config{Servers: servers, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deadServer returns a loopback UDP address where nothing answers: a
// bound socket that never reads.
func deadServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.LocalAddr().String()
}

// closedPort returns a loopback UDP address nothing listens on, so queries
// get ICMP port unreachable (connection refused).
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

func TestLookupClassifiesEveryStatus(t *testing.T) {
	s := dnstest.New(t, zone)
	s.MustInject(t, "servfail.example.", "", dnstest.FaultServFail)
	s.MustInject(t, "refused.example.", "", dnstest.FaultRefused)
	s.MustInject(t, "notimp.example.", "", dnstest.FaultNotImp)
	s.MustInject(t, "drop.example.", "", dnstest.FaultDrop)
	test := func(addr string) {
		c := newClient(t, addr)
		ctx := context.Background()
		tests := []struct {
			lookup func() Result
			want   Status
		}{
			{func() Result { return c.LookupMX(ctx, "example.").Result }, StatusOK},
			{func() Result { return c.LookupA(ctx, "mx1.example").Result }, StatusOK},
			{func() Result { return c.LookupMX(ctx, "mx1.example.").Result }, StatusNoData},
			{func() Result { return c.LookupA(ctx, "b.c.example.").Result }, StatusNoData},
			{func() Result { return c.LookupA(ctx, "nope.example.").Result }, StatusNXDomain},
			{func() Result { return c.LookupA(ctx, "servfail.example.").Result }, StatusServFail},
			{func() Result { return c.LookupA(ctx, "refused.example.").Result }, StatusRefused},
			{func() Result { return c.LookupA(ctx, "notimp.example.").Result }, StatusError},
			{func() Result { return c.LookupA(ctx, "drop.example.").Result }, StatusTimeout},
		}
		for _, tt := range tests {
			res := tt.lookup()
			if res.Status != tt.want {
				t.Errorf("%s: status %s, want %s (err %v)", res.Name, res.Status, tt.want, res.Err)
			}
			if tt.want.Temporary() && res.Err == nil {
				t.Errorf("%s: status %s without Err", res.Name, res.Status)
			}
			if (tt.want == StatusOK || tt.want == StatusNoData || tt.want == StatusNXDomain) && (res.Server != addr || res.RTT <= 0) {
				t.Errorf("%s: server %q rtt %v, want %q and a positive RTT", res.Name, res.Server, res.RTT, addr)
			}
		}
	}
	t.Run("ipv4", func(t *testing.T) { test(s.Addr4()) })
	t.Run("ipv6", func(t *testing.T) { test(s.RequireIPv6(t)) })
}

func TestLookupReturnsRecordsInAnswerOrderLowerCased(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	ctx := context.Background()

	mx := c.LookupMX(ctx, "EXAMPLE")
	want := []MX{{20, "mx2.example."}, {10, "mx1.example."}}
	if !slices.Equal(mx.MX, want) {
		t.Errorf("MX = %v, want %v", mx.MX, want)
	}
	if mx.Name != "example." {
		t.Errorf("Name = %q, want example.", mx.Name)
	}
	a := c.LookupA(ctx, "mx1.example.")
	if fmt.Sprint(a.Addrs) != "[192.0.2.1 192.0.2.2]" {
		t.Errorf("A = %v", a.Addrs)
	}
	aaaa := c.LookupAAAA(ctx, "mx1.example.")
	if fmt.Sprint(aaaa.Addrs) != "[2001:db8::1]" || !aaaa.Addrs[0].Is6() {
		t.Errorf("AAAA = %v", aaaa.Addrs)
	}
	ptr := c.LookupPTR(ctx, netip.MustParseAddr("192.0.2.1"))
	if !slices.Equal(ptr.Names, []string{"mx1.example.", "mail.example."}) || ptr.Name != "1.2.0.192.in-addr.arpa." {
		t.Errorf("PTR %s = %v", ptr.Name, ptr.Names)
	}
	txt := c.LookupTXT(ctx, "example.")
	if !slices.Equal(txt.TXT, []string{"v=spf1 -all"}) {
		t.Errorf("TXT = %q, want the strings concatenated", txt.TXT)
	}
	txt = c.LookupTXT(ctx, "quoted.example.")
	if !slices.Equal(txt.TXT, []string{"a \"quoted\" \\ word\ttab"}) {
		t.Errorf("TXT = %q, want the raw bytes", txt.TXT)
	}
	odd := c.LookupMX(ctx, "odd.example.")
	if len(odd.MX) != 1 || odd.MX[0].Host != `bad\000name.example.` {
		t.Errorf("MX with a NUL byte = %v, want the \\000 escape kept", odd.MX)
	}
}

func TestLookupOverTCPWhenTheAnswerIsTruncated(t *testing.T) {
	var z strings.Builder
	z.WriteString("big.test. SOA ns.test. h.test. 1 1 1 1 1\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&z, "big.test. A 198.51.100.%d\n", i)
	}
	s := dnstest.New(t, z.String())
	s.MustInject(t, "small.big.test.", "", dnstest.FaultTruncate)
	test := func(addr string) {
		var trace bytes.Buffer
		c, err := New(Config{Servers: []string{addr}, Timeout: time.Second, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		a := c.LookupA(context.Background(), "big.test.")
		if a.Status != StatusOK || len(a.Addrs) != 100 {
			t.Fatalf("status %s with %d addresses, want all 100 (err %v)", a.Status, len(a.Addrs), a.Err)
		}
		if st := c.Stats(); st.TCPFallbacks != 1 || st.Queries != 2 {
			t.Errorf("stats %+v, want 1 TCP fallback in 2 queries", st)
		}
		lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], " udp ") || !strings.Contains(lines[0], " tc ") ||
			!strings.Contains(lines[1], " tcp ") || !strings.HasSuffix(lines[1], "NOERROR answers=100") {
			t.Errorf("trace:\n%s", trace.String())
		}
		nd := c.LookupA(context.Background(), "small.big.test.")
		if nd.Status != StatusNXDomain {
			t.Errorf("truncated NXDOMAIN: status %s, want nxdomain after TCP", nd.Status)
		}
	}
	t.Run("ipv4", func(t *testing.T) { test(s.Addr4()) })
	t.Run("ipv6", func(t *testing.T) { test(s.RequireIPv6(t)) })
}

func TestDroppedQueryIsBoundedByTheContextDeadline(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultDrop))
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 10 * time.Second, Attempts: 5})
	if err != nil {
		t.Fatal(err)
	}
	const deadline = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	res := c.LookupMX(ctx, "example.")
	elapsed := time.Since(start)
	if res.Status != StatusTimeout {
		t.Errorf("status %s, want timeout", res.Status)
	}
	if elapsed > deadline+300*time.Millisecond { // generous slack: a shared machine
		t.Errorf("lookup took %v, deadline was %v", elapsed, deadline)
	}
	var nae *NoAnswerError
	if !errors.As(res.Err, &nae) || !strings.HasPrefix(res.Err.Error(), "no DNS server answered: "+s.Addr4()+": ") {
		t.Errorf("Err = %v, want a NoAnswerError naming the server", res.Err)
	}
}

func TestCancelledContextStopsALookup(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultDrop))
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	res := c.LookupA(ctx, "mx1.example.")
	if el := time.Since(start); el > time.Second {
		t.Errorf("lookup took %v after a cancel at 100ms", el)
	}
	if res.Status != StatusError || !errors.Is(res.Err, context.Canceled) {
		t.Errorf("status %s err %v, want error wrapping context.Canceled", res.Status, res.Err)
	}
}

func TestRetriesMoveToTheNextServer(t *testing.T) {
	good := dnstest.New(t, zone)
	tests := []struct {
		name  string
		first func(t *testing.T) string
	}{
		{"after a timeout", deadServer},
		{"after connection refused", closedPort},
		{"after SERVFAIL", func(t *testing.T) string {
			return dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultServFail)).Addr4()
		}},
		{"after REFUSED", func(t *testing.T) string {
			return dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultRefused)).Addr4()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := tt.first(t)
			c := newClient(t, first, good.Addr4())
			res := c.LookupA(context.Background(), "mx1.example.")
			if res.Status != StatusOK || res.Server != good.Addr4() {
				t.Errorf("status %s from %q, want ok from %s (err %v)", res.Status, res.Server, good.Addr4(), res.Err)
			}
			if st := c.Stats(); st.Retries != 1 {
				t.Errorf("retries = %d, want 1", st.Retries)
			}
		})
	}
}

func TestRetriesTimeoutsInLaterRoundsButNotServFail(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultServFail))
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 100 * time.Millisecond, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res := c.LookupA(context.Background(), "mx1.example."); res.Status != StatusServFail {
		t.Errorf("status %s, want servfail", res.Status)
	}
	if n := s.TotalQueries(); n != 1 {
		t.Errorf("SERVFAIL server asked %d times, want once", n)
	}

	dead := deadServer(t)
	c, err = New(Config{Servers: []string{dead}, Timeout: 50 * time.Millisecond, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	res := c.LookupA(context.Background(), "mx1.example.")
	if res.Status != StatusTimeout {
		t.Errorf("status %s, want timeout", res.Status)
	}
	if st := c.Stats(); st.Queries != 3 || st.Timeouts != 3 || st.Retries != 2 {
		t.Errorf("stats %+v, want 3 queries, 3 timeouts, 2 retries", st)
	}
}

func TestUnreachableResolverSaysSo(t *testing.T) {
	addr := closedPort(t)
	c := newClient(t, addr)
	res := c.LookupMX(context.Background(), "example.")
	if res.Status != StatusError && res.Status != StatusTimeout {
		t.Fatalf("status %s, want error or timeout", res.Status)
	}
	want := "no DNS server answered: " + addr + ": "
	if res.Err == nil || !strings.HasPrefix(res.Err.Error(), want) {
		t.Errorf("Err = %v, want prefix %q", res.Err, want)
	}
}

func TestRetriesWithoutEDNSWhenTheServerAnswersFormErr(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("mx1.example.", "A", dnstest.FaultFormErr))
	c := newClient(t, s.Addr4())
	res := c.LookupA(context.Background(), "mx1.example.")
	if res.Status != StatusOK {
		t.Errorf("status %s, want ok after retrying without EDNS0 (err %v)", res.Status, res.Err)
	}
	if n := s.Queries("mx1.example.", "A"); n != 2 {
		t.Errorf("server saw %d queries, want 2 (with EDNS0, then without)", n)
	}
}

func TestCNAMEChainsAreFollowed(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	ctx := context.Background()
	tests := []struct {
		name   string
		status Status
		cnames []string
		addrs  string
	}{
		// Chain inside one answer.
		{"mx2.example.", StatusOK, []string{"alias.example.", "mx1.example."}, "[192.0.2.1 192.0.2.2]"},
		// Answer stops at an out-of-zone alias: the client asks for the target.
		{"out.example.", StatusOK, []string{"target.other."}, "[198.51.100.7]"},
		// Across answers both ways.
		{"back.other.", StatusOK, []string{"out.example.", "target.other."}, "[198.51.100.7]"},
		// Loop inside one answer.
		{"loop1.example.", StatusError, nil, "[]"},
		// RFC 6604 §3: the rcode is about the last name of the chain.
		{"dangling.example.", StatusNXDomain, []string{"gone.example."}, "[]"},
	}
	for _, tt := range tests {
		res := c.LookupA(ctx, tt.name)
		if res.Status != tt.status || fmt.Sprint(res.Addrs) != tt.addrs {
			t.Errorf("%s: status %s addrs %v, want %s %s (err %v)", tt.name, res.Status, res.Addrs, tt.status, tt.addrs, res.Err)
		}
		if tt.cnames != nil && !slices.Equal(res.CNAMEs, tt.cnames) {
			t.Errorf("%s: CNAMEs %v, want %v", tt.name, res.CNAMEs, tt.cnames)
		}
		if res.Name != tt.name {
			t.Errorf("%s: Name %q", tt.name, res.Name)
		}
	}
	if res := c.LookupA(ctx, "loop1.example."); !strings.Contains(fmt.Sprint(res.Err), "CNAME loop") {
		t.Errorf("loop: err %v, want it to say CNAME loop", res.Err)
	}
}

func TestCNAMELoopAcrossServersEnds(t *testing.T) {
	// Two zones whose aliases point at each other, on one server that does
	// not chase out of zone: each answer holds one CNAME.
	s := dnstest.New(t, `
a.one. SOA ns.one. h.one. 1 1 1 1 1
x.a.one. CNAME y.b.two.
b.two. SOA ns.two. h.two. 1 1 1 1 1
y.b.two. CNAME x.a.one.
`)
	c := newClient(t, s.Addr4())
	done := make(chan Result, 2)
	// Two lookups at once from both ends must not wait on each other.
	go func() { done <- c.LookupA(context.Background(), "x.a.one.").Result }()
	go func() { done <- c.LookupA(context.Background(), "y.b.two.").Result }()
	for i := 0; i < 2; i++ {
		select {
		case res := <-done:
			if res.Status != StatusError || !strings.Contains(fmt.Sprint(res.Err), "CNAME loop") {
				t.Errorf("%s: status %s err %v, want a CNAME loop error", res.Name, res.Status, res.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("crossing CNAME lookups deadlocked")
		}
	}
}

func TestCNAMEChainLengthIsBounded(t *testing.T) {
	var z strings.Builder
	for i := 0; i < 12; i++ {
		// One zone per link so that every answer holds one CNAME.
		fmt.Fprintf(&z, "z%d. SOA ns. h. 1 1 1 1 1\nn.z%d. CNAME n.z%d.\n", i, i, i+1)
	}
	s := dnstest.New(t, z.String())
	c := newClient(t, s.Addr4())
	res := c.LookupA(context.Background(), "n.z0.")
	if res.Status != StatusError || !strings.Contains(fmt.Sprint(res.Err), "CNAME chain longer than") {
		t.Errorf("status %s err %v, want a chain-length error", res.Status, res.Err)
	}
}

func TestConcurrentLookupsOfOneNameSendOneQuery(t *testing.T) {
	s := dnstest.New(t, zone)
	s.Delay("mx1.example.", 50*time.Millisecond) // keep the first query in flight
	c := newClient(t, s.Addr4())
	const n = 50
	var wg sync.WaitGroup
	results := make([]AddrResult, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.LookupA(context.Background(), "MX1.example")
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.Status != StatusOK || len(r.Addrs) != 2 {
			t.Fatalf("lookup %d: %s %v", i, r.Status, r.Addrs)
		}
	}
	if q := s.Queries("mx1.example.", "A"); q != 1 {
		t.Errorf("server saw %d queries, want 1", q)
	}
	if st := c.Stats(); st.CacheHits != n-1 || st.Coalesced == 0 {
		t.Errorf("stats %+v, want %d cache hits, some coalesced", st, n-1)
	}
	// Negative answers are cached too.
	for range 3 {
		c.LookupA(context.Background(), "nope.example.")
		c.LookupMX(context.Background(), "mx1.example.")
	}
	if q := s.Queries("nope.example.", "A") + s.Queries("mx1.example.", "MX"); q != 2 {
		t.Errorf("negative answers asked %d times, want once each", q)
	}
}

func TestResultsDoNotShareMemoryWithTheCache(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	a := c.LookupA(context.Background(), "mx2.example.")
	a.Addrs[0] = netip.MustParseAddr("203.0.113.1")
	a.CNAMEs[0] = "changed."
	b := c.LookupA(context.Background(), "mx2.example.")
	if b.Addrs[0].String() != "192.0.2.1" || b.CNAMEs[0] != "alias.example." {
		t.Errorf("second lookup sees the first caller's changes: %v %v", b.Addrs, b.CNAMEs)
	}
}

func TestAWaiterWhoseLeaderGivesUpAsksItself(t *testing.T) {
	s := dnstest.New(t, zone)
	s.Delay("mx1.example.", 300*time.Millisecond)
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan AddrResult)
	go func() { done <- c.LookupA(short, "mx1.example.") }()
	time.Sleep(10 * time.Millisecond)
	res := c.LookupA(context.Background(), "mx1.example.")
	if res.Status != StatusOK {
		t.Errorf("patient caller got %s (err %v), want ok", res.Status, res.Err)
	}
	if r := <-done; r.Status != StatusTimeout {
		t.Errorf("impatient caller got %s, want timeout", r.Status)
	}
}

func TestCacheStaysWithinItsBound(t *testing.T) {
	var z strings.Builder
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&z, "h%d.test. A 192.0.2.1\n", i)
	}
	s := dnstest.New(t, z.String())
	c, err := New(Config{Servers: []string{s.Addr4()}, CacheSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 500; i++ {
		if r := c.LookupA(context.Background(), fmt.Sprintf("h%d.test.", i)); r.Status != StatusOK {
			t.Fatal(r.Status, r.Err)
		}
		if n := c.Stats().CacheEntries; n > 100 {
			t.Fatalf("after %d names the cache holds %d entries, bound 100", i+1, n)
		}
	}
	// Recent names are still cached, old ones were evicted.
	s.ResetCounts()
	c.LookupA(context.Background(), "h499.test.")
	c.LookupA(context.Background(), "h0.test.")
	if s.Queries("h499.test.", "A") != 0 || s.Queries("h0.test.", "A") != 1 {
		t.Errorf("h499 asked %d times, h0 %d times; want 0 and 1", s.Queries("h499.test.", "A"), s.Queries("h0.test.", "A"))
	}
}

func TestCacheKeepsSharedAnswersThroughAStreamOfNamesAskedOnce(t *testing.T) {
	var z strings.Builder
	z.WriteString("shared.test. A 192.0.2.2\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&z, "h%d.test. A 192.0.2.1\n", i)
	}
	s := dnstest.New(t, z.String())
	c, err := New(Config{Servers: []string{s.Addr4()}, CacheSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A bulk run: one name many domains share, among names asked once.
	for i := 0; i < 500; i++ {
		if i%50 == 0 { // further apart than the names asked once the cache holds
			c.LookupA(ctx, "shared.test.")
		}
		if r := c.LookupA(ctx, fmt.Sprintf("h%d.test.", i)); r.Status != StatusOK {
			t.Fatal(r.Status, r.Err)
		}
	}
	// Asked again 50 names later, after fresh evicted it: asked a second
	// time, and kept from then on.
	if q := s.Queries("shared.test.", "A"); q != 2 {
		t.Errorf("the shared name was asked %d times, want twice", q)
	}
	// Names asked once take at most an eighth of the bound.
	if n := c.Stats().CacheEntries; n > 100/8+1 {
		t.Errorf("the cache holds %d entries after 500 names asked once and one shared, want at most %d", n, 100/8+1)
	}
}

func TestCacheCanBeDisabled(t *testing.T) {
	s := dnstest.New(t, zone)
	c, err := New(Config{Servers: []string{s.Addr4()}, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	c.LookupA(context.Background(), "mx1.example.")
	c.LookupA(context.Background(), "mx1.example.")
	if q := s.Queries("mx1.example.", "A"); q != 2 {
		t.Errorf("server saw %d queries, want 2 without a cache", q)
	}
}

func TestADBitIsPassedThrough(t *testing.T) {
	s := dnstest.New(t, zone)
	s.SetAuthentic("mx1.example.", true)
	c := newClient(t, s.Addr4())
	if r := c.LookupA(context.Background(), "mx1.example."); !r.Authentic {
		t.Error("AD set by the server but Authentic false")
	}
	if r := c.LookupMX(context.Background(), "example."); r.Authentic {
		t.Error("AD clear but Authentic true")
	}
	// A chain is authentic only if every answer is.
	s.SetAuthentic("target.other.", true)
	if r := c.LookupA(context.Background(), "out.example."); r.Authentic {
		t.Error("chain through an unsigned answer reported Authentic")
	}
}

func TestTraceHasOneLinePerExchange(t *testing.T) {
	s := dnstest.New(t, zone)
	var trace bytes.Buffer
	c, err := New(Config{Servers: []string{s.Addr4()}, Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	c.LookupMX(context.Background(), "example.")
	c.LookupMX(context.Background(), "example.") // cached: no line
	c.LookupA(context.Background(), "nope.example.")
	lines := strings.Split(strings.TrimSuffix(trace.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("trace has %d lines, want 2:\n%s", len(lines), trace.String())
	}
	prefix := ";; MX example. @" + s.Addr4() + " udp "
	if !strings.HasPrefix(lines[0], prefix) || !strings.HasSuffix(lines[0], "ms NOERROR answers=2") {
		t.Errorf("line %q, want %q...ms NOERROR answers=2", lines[0], prefix)
	}
	if !strings.HasSuffix(lines[1], "NXDOMAIN answers=0") {
		t.Errorf("line %q", lines[1])
	}
}

func TestInvalidNamesFailWithoutAQuery(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	res := c.LookupA(context.Background(), strings.Repeat("a", 64)+".example.")
	if res.Status != StatusError || res.Err == nil {
		t.Errorf("status %s err %v, want error", res.Status, res.Err)
	}
	if r := c.LookupMX(context.Background(), "bücher.example."); r.Status != StatusError || !strings.Contains(fmt.Sprint(r.Err), "A-label") {
		t.Errorf("U-label: status %s err %v, want an error asking for the A-label", r.Status, r.Err)
	}
	if n := s.TotalQueries(); n != 0 {
		t.Errorf("%d queries sent for invalid names", n)
	}
}

func TestQueriesAdvertiseA1232ByteEDNSBuffer(t *testing.T) {
	// 40 A records make a ~700-byte answer: over the 512 bytes of plain
	// DNS, within the 1232 we advertise, so no TCP fallback is needed.
	var z strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&z, "mid.test. A 198.51.100.%d\n", i)
	}
	s := dnstest.New(t, z.String())
	c := newClient(t, s.Addr4())
	res := c.LookupA(context.Background(), "mid.test.")
	if res.Status != StatusOK || len(res.Addrs) != 40 {
		t.Fatalf("status %s, %d addresses", res.Status, len(res.Addrs))
	}
	if st := c.Stats(); st.TCPFallbacks != 0 {
		t.Errorf("TCP fallback for a 700-byte answer: the query did not advertise 1232 bytes")
	}
}

func TestUnreachableTellsNetworkFailuresFromServerAnswers(t *testing.T) {
	sf := dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultServFail))
	tests := []struct {
		name    string
		servers []string
		want    bool
	}{
		{"nothing listens", []string{closedPort(t)}, true},
		{"nothing answers", []string{deadServer(t)}, true},
		{"both", []string{closedPort(t), deadServer(t)}, true},
		{"a server says SERVFAIL", []string{deadServer(t), sf.Addr4()}, false},
	}
	for _, tt := range tests {
		c := newClient(t, tt.servers...)
		res := c.LookupMX(context.Background(), "example.")
		if got := Unreachable(res.Err); got != tt.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tt.name, res.Err, got, tt.want)
		}
	}
	if Unreachable(nil) || Unreachable(errors.New("other")) {
		t.Error("Unreachable true for an error that is not a NoAnswerError")
	}
}

func TestReverseLookupOfTheZeroAddressIsAnError(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	if r := c.LookupPTR(context.Background(), netip.Addr{}); r.Status != StatusError || r.Err == nil {
		t.Errorf("status %s err %v, want error", r.Status, r.Err)
	}
	if n := s.TotalQueries(); n != 0 {
		t.Errorf("%d queries sent", n)
	}
}

func TestAnExpiredContextIsNotAnUnreachableResolver(t *testing.T) {
	s := dnstest.New(t, zone)
	c := newClient(t, s.Addr4())
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	res := c.LookupMX(ctx, "example.")
	if res.Status != StatusTimeout || !errors.Is(res.Err, context.DeadlineExceeded) || Unreachable(res.Err) {
		t.Errorf("status %s err %v unreachable %v; want timeout from the context, not unreachable", res.Status, res.Err, Unreachable(res.Err))
	}
	if n := s.TotalQueries(); n != 0 {
		t.Errorf("%d queries sent after the deadline", n)
	}
}

// hostileServer answers every query first with a packet carrying another
// ID, then with one for another question, then with the right answer.
func hostileServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			req := new(dns.Msg)
			if req.Unpack(buf[:n]) != nil {
				continue
			}
			send := func(m *dns.Msg) {
				if b, err := m.Pack(); err == nil {
					_, _ = pc.WriteTo(b, from)
				}
			}
			wrongID := new(dns.Msg).SetReply(req)
			wrongID.Id ^= 1
			wrongID.Answer = []dns.RR{mustRR(t, req.Question[0].Name+" A 203.0.113.66")}
			send(wrongID)
			wrongQ := new(dns.Msg).SetReply(req)
			wrongQ.Question[0].Name = "other.example."
			wrongQ.Answer = []dns.RR{mustRR(t, "other.example. A 203.0.113.67")}
			send(wrongQ)
			good := new(dns.Msg).SetReply(req)
			good.RecursionAvailable = true
			good.Answer = []dns.RR{mustRR(t, req.Question[0].Name+" A 192.0.2.80")}
			send(good)
		}
	}()
	return pc.LocalAddr().String()
}

func mustRR(t *testing.T, s string) dns.RR {
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Error(err)
	}
	return rr
}

func TestAnswersWithAnotherIDOrQuestionAreIgnored(t *testing.T) {
	c := newClient(t, hostileServer(t))
	for _, name := range []string{"one.example.", "two.example."} { // the second reuses the socket
		res := c.LookupA(context.Background(), name)
		if res.Status != StatusOK || fmt.Sprint(res.Addrs) != "[192.0.2.80]" {
			t.Errorf("%s: %s %v (err %v), want only the matching answer 192.0.2.80", name, res.Status, res.Addrs, res.Err)
		}
	}
}

func TestALateAnswerDoesNotAnswerTheNextQuestion(t *testing.T) {
	s := dnstest.New(t, zone)
	s.Delay("mx1.example.", 300*time.Millisecond)
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 100 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.LookupA(context.Background(), "mx1.example."); r.Status != StatusTimeout {
		t.Fatalf("status %s, want timeout", r.Status)
	}
	time.Sleep(300 * time.Millisecond) // the late answer arrives now
	for range 5 {
		r := c.LookupA(context.Background(), fmt.Sprintf("h%d.example.", rand.IntN(1e6)))
		if r.Status != StatusNXDomain || len(r.Addrs) != 0 {
			t.Errorf("status %s addrs %v, want nxdomain with no addresses", r.Status, r.Addrs)
		}
	}
}

func TestAReferralSaysTheServerIsNotARecursiveResolver(t *testing.T) {
	// What an authoritative server for example. answers about a child zone
	// it delegates: no AA, no RA, NS records in the authority section.
	r := new(dns.Msg).SetQuestion("host.child.example.", dns.TypeA)
	r.Response = true
	r.Ns = []dns.RR{mustRR(t, "child.example. NS ns.child.example.")}
	st := &step{res: Result{Name: "host.child.example."}}
	(&Client{}).classify(st, replyOf(r), "192.0.2.53:53", time.Millisecond, dns.TypeA)
	if st.res.Status != StatusError || !strings.Contains(fmt.Sprint(st.res.Err), "not a recursive resolver") {
		t.Errorf("status %s err %v, want an error naming the referral", st.res.Status, st.res.Err)
	}
	r.RecursionAvailable = true // a resolver that found nothing: NODATA
	st = &step{res: Result{Name: "host.child.example."}}
	(&Client{}).classify(st, replyOf(r), "192.0.2.53:53", time.Millisecond, dns.TypeA)
	if st.res.Status != StatusNoData {
		t.Errorf("status %s, want nodata", st.res.Status)
	}
}

func TestServFailCarriesTheExtendedDNSError(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("mx1.example.", "A", dnstest.FaultBogus))
	var trace bytes.Buffer
	c, err := New(Config{Servers: []string{s.Addr4()}, Trace: &trace})
	if err != nil {
		t.Fatal(err)
	}
	res := c.LookupA(context.Background(), "mx1.example.")
	if res.Status != StatusServFail {
		t.Fatalf("status %s, want servfail", res.Status)
	}
	var re *RcodeError
	if !errors.As(res.Err, &re) || re.Extended == nil || re.Extended.Code != 6 || re.Extended.Name != "DNSSEC Bogus" {
		t.Fatalf("err %v, want an RcodeError with EDE 6 DNSSEC Bogus", res.Err)
	}
	if want := "no usable DNS answer: " + s.Addr4() + ": SERVFAIL, extended error 6: DNSSEC Bogus (signature expired)"; res.Err.Error() != want {
		t.Errorf("err %q, want %q", res.Err, want)
	}
	if !strings.Contains(trace.String(), "SERVFAIL ede=6 answers=0") {
		t.Errorf("trace %q, want the EDE code", trace.String())
	}
}

func TestRoundsOverTheServersBackOff(t *testing.T) {
	// Connection refused fails at once: without a backoff, three rounds
	// would spin in microseconds.
	c, err := New(Config{Servers: []string{closedPort(t)}, Timeout: time.Second, Attempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := c.LookupA(context.Background(), "mx1.example.")
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("3 rounds took %v, want at least the 100ms + 200ms backoff", el)
	}
	if st := c.Stats(); st.Queries != 3 || res.Status != StatusError {
		t.Errorf("status %s after %d queries, want error after 3", res.Status, st.Queries)
	}
}

func TestADeadFirstServerLeavesTimeForTheNextUnderAShortDeadline(t *testing.T) {
	good := dnstest.New(t, zone)
	c, err := New(Config{Servers: []string{deadServer(t), good.Addr4()}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	res := c.LookupA(ctx, "mx1.example.")
	if res.Status != StatusOK || res.Server != good.Addr4() {
		t.Errorf("status %s from %q (err %v), want ok from the second server within the deadline", res.Status, res.Server, res.Err)
	}
}

func TestAMalformedAnswerMovesToTheNextServer(t *testing.T) {
	bad := dnstest.New(t, zone, dnstest.WithFault("", "", dnstest.FaultMalformed))
	good := dnstest.New(t, zone)
	c := newClient(t, bad.Addr4())
	res := c.LookupA(context.Background(), "mx1.example.")
	if res.Status != StatusError || !strings.Contains(fmt.Sprint(res.Err), "malformed answer") {
		t.Errorf("status %s err %v, want an error saying the answer was malformed", res.Status, res.Err)
	}
	c = newClient(t, bad.Addr4(), good.Addr4())
	if res := c.LookupA(context.Background(), "mx1.example."); res.Status != StatusOK {
		t.Errorf("status %s (err %v), want ok from the second server", res.Status, res.Err)
	}
}

func TestAnAuthoritativeOnlyServerIsReportedAsNotARecursiveResolver(t *testing.T) {
	s := dnstest.New(t, `
example.           SOA  ns.example. h.example. 1 1 1 1 1
child.example.     NS   ns.child.example.
ns.child.example.  A    192.0.2.54
`)
	c := newClient(t, s.Addr4())
	res := c.LookupMX(context.Background(), "child.example.")
	if res.Status != StatusError || !strings.Contains(fmt.Sprint(res.Err), "not a recursive resolver") {
		t.Errorf("status %s err %v, want an error saying the server only refers", res.Status, res.Err)
	}
}

func TestAnAnswerLongerThanTheReadBufferIsAskedAgainOverTCP(t *testing.T) {
	// 300 TXT records make an answer of about 5 KB, which a server that
	// ignores our 1232-byte EDNS0 size sends over UDP without TC.
	var z strings.Builder
	z.WriteString("big.test. SOA ns.test. h.test. 1 1 1 1 1\n")
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&z, "big.test. TXT \"record %03d\"\n", i)
	}
	s := dnstest.New(t, z.String(), dnstest.WithFault("big.test.", "TXT", dnstest.FaultOversize))
	test := func(addr string) {
		var trace bytes.Buffer
		c, err := New(Config{Servers: []string{addr}, Timeout: time.Second, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		res := c.LookupTXT(context.Background(), "big.test.")
		if res.Status != StatusOK || len(res.TXT) != 300 {
			t.Fatalf("status %s with %d records (err %v), want all 300 over TCP", res.Status, len(res.TXT), res.Err)
		}
		if st := c.Stats(); st.TCPFallbacks != 1 || st.Queries != 2 {
			t.Errorf("stats %+v, want 1 TCP fallback in 2 queries", st)
		}
		lines := strings.Split(strings.TrimSpace(trace.String()), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], " udp ") || !strings.Contains(lines[0], "longer than 4096 bytes") ||
			!strings.Contains(lines[1], " tcp ") || !strings.HasSuffix(lines[1], "NOERROR answers=300") {
			t.Errorf("trace:\n%s", trace.String())
		}
	}
	t.Run("ipv4", func(t *testing.T) { test(s.Addr4()) })
	t.Run("ipv6", func(t *testing.T) { test(s.RequireIPv6(t)) })
}

func TestTheReadBufferHoldsAnAnswerOfExactly4096BytesAndNoMore(t *testing.T) {
	// answer returns a zone whose TXT answer for fit.test. is size bytes
	// long on the wire (compressed, with the server's OPT record): 200-byte
	// strings, then one whose length makes up the rest.
	answer := func(size int) string {
		m := new(dns.Msg).SetQuestion("fit.test.", dns.TypeTXT)
		m.Compress = true
		m.SetEdns0(1232, false)
		var z strings.Builder
		add := func(txt string) {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "fit.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{txt}})
			fmt.Fprintf(&z, "fit.test. TXT %q\n", txt)
		}
		// A record is a name pointer, type, class, TTL and length (12
		// bytes), then the string's length byte and the string.
		for m.Len()+2*(12+1+200) <= size {
			add(strings.Repeat("x", 200))
		}
		add(strings.Repeat("y", size-m.Len()-12-1))
		if m.Len() != size {
			t.Fatalf("built a %d-byte answer, want %d", m.Len(), size)
		}
		return z.String()
	}
	for _, tt := range []struct {
		size int
		tcp  bool
	}{{maxUDPAnswer, false}, {maxUDPAnswer + 1, true}} {
		s := dnstest.New(t, answer(tt.size), dnstest.WithFault("fit.test.", "TXT", dnstest.FaultOversize))
		c := newClient(t, s.Addr4())
		res := c.LookupTXT(context.Background(), "fit.test.")
		if res.Status != StatusOK || (c.Stats().TCPFallbacks == 1) != tt.tcp {
			t.Errorf("%d bytes: status %s (err %v) after %d TCP fallbacks, want ok, over TCP: %v",
				tt.size, res.Status, res.Err, c.Stats().TCPFallbacks, tt.tcp)
		}
	}
}

func TestATruncatedAnswerThatDoesNotParseIsAskedAgainOverTCP(t *testing.T) {
	s := dnstest.New(t, zone, dnstest.WithFault("mx1.example.", "A", dnstest.FaultTruncateCut))
	test := func(addr string) {
		c := newClient(t, addr)
		res := c.LookupA(context.Background(), "mx1.example.")
		if res.Status != StatusOK || len(res.Addrs) != 2 || c.Stats().TCPFallbacks != 1 {
			t.Errorf("status %s with %v (err %v) after %d TCP fallbacks, want both addresses over TCP",
				res.Status, res.Addrs, res.Err, c.Stats().TCPFallbacks)
		}
	}
	t.Run("ipv4", func(t *testing.T) { test(s.Addr4()) })
	t.Run("ipv6", func(t *testing.T) { test(s.RequireIPv6(t)) })
}

func TestRepliesNoCorrectServerSendsAreServerErrorsNotFacts(t *testing.T) {
	tests := []struct {
		fault dnstest.Fault
		qtype string
		want  string // in the error
	}{
		{dnstest.FaultTCPTruncated, "A", "truncated (TC) answer where nothing needs truncating (tcp)"},
		{dnstest.FaultTCPTruncatedRecords, "A", "truncated (TC) answer where nothing needs truncating (tcp)"},
		{dnstest.FaultTCPWrongID, "A", "answer with ID"},
		{dnstest.FaultTCPWrongQuestion, "A", "answer for another question (tcp)"},
		{dnstest.FaultShort, "A", "answer shorter than its header says (tcp)"},
		{dnstest.FaultWrongType, "AAAA", "answer holds TXT records, not the AAAA asked for"},
		{dnstest.FaultWrongType, "TXT", "answer holds A records, not the TXT asked for"},
	}
	good := dnstest.New(t, zone)
	for _, tt := range tests {
		t.Run(tt.fault.String()+" "+tt.qtype, func(t *testing.T) {
			bad := dnstest.New(t, zone, dnstest.WithFault("", "", tt.fault))
			test := func(addr string) {
				lookup := func(c *Client) Result {
					if tt.qtype == "TXT" {
						return c.LookupTXT(context.Background(), "example.").Result
					}
					if tt.qtype == "AAAA" {
						return c.LookupAAAA(context.Background(), "mx1.example.").Result
					}
					return c.LookupA(context.Background(), "mx1.example.").Result
				}
				res := lookup(newClient(t, addr))
				if res.Status != StatusError || !res.Status.Temporary() || !strings.Contains(fmt.Sprint(res.Err), tt.want) {
					t.Errorf("status %s err %v, want error (temporary) saying %q", res.Status, res.Err, tt.want)
				}
				var ae *AnswerError
				if !errors.As(res.Err, &ae) || Unreachable(res.Err) || !strings.HasPrefix(res.Err.Error(), "no usable DNS answer: ") {
					t.Errorf("err %v, want an AnswerError from a server that answered", res.Err)
				}
				if res := lookup(newClient(t, addr, good.Addr4())); res.Status != StatusOK || res.Server != good.Addr4() {
					t.Errorf("with a good second server: status %s from %s (err %v), want ok from it", res.Status, res.Server, res.Err)
				}
			}
			t.Run("ipv4", func(t *testing.T) { test(bad.Addr4()) })
			t.Run("ipv6", func(t *testing.T) { test(bad.RequireIPv6(t)) })
		})
	}
}

func TestNXDomainWithTheRecordsAskedForIsAServerError(t *testing.T) {
	q := dns.Question{Name: "mx1.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET}
	r := new(dns.Msg)
	r.Rcode = dns.RcodeNameError
	r.Answer = []dns.RR{mustRR(t, "MX1.example. A 192.0.2.1")}
	if err := contradiction(replyOf(r), q); err == nil || err.Error() != "NXDOMAIN with A records for the name" {
		t.Errorf("contradiction = %v, want NXDOMAIN with A records", err)
	}
	// RFC 6604 §3: NXDOMAIN at the end of a CNAME chain is a fact, and
	// RRSIGs or unrelated records beside nothing of the asked type are
	// still NODATA.
	r.Answer = []dns.RR{mustRR(t, "mx1.example. CNAME gone.example.")}
	if err := contradiction(replyOf(r), q); err != nil {
		t.Errorf("NXDOMAIN after a CNAME: %v", err)
	}
	r.Rcode = dns.RcodeSuccess
	r.Answer = []dns.RR{mustRR(t, "other.example. TXT x"),
		mustRR(t, "mx1.example. RRSIG A 8 2 300 20300101000000 20200101000000 1 example. AAAA")}
	if err := contradiction(replyOf(r), q); err != nil {
		t.Errorf("unrelated TXT and an RRSIG: %v, want NODATA to stand", err)
	}
	r.Answer = []dns.RR{mustRR(t, "mx1.example. CNAME a.example."), mustRR(t, "a.example. MX 10 b.example.")}
	if err := contradiction(replyOf(r), q); err == nil {
		t.Error("an MX record at the end of the CNAME chain of an A question passed")
	}
}

func TestEachExchangeWaitsAShareOfTheDeadlineBetweenTimeoutAnd10s(t *testing.T) {
	c, err := New(Config{Servers: []string{"192.0.2.53", "192.0.2.54", "192.0.2.55"}, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		left     time.Duration // until the caller's deadline; 0: none
		servers  int           // still to ask in this round
		wantWait time.Duration
	}{
		{0, 1, 2 * time.Second},                       // no deadline: Timeout
		{20 * time.Second, 1, 5 * time.Second},        // a quarter of what is left
		{60 * time.Second, 1, 10 * time.Second},       // at most 10s
		{4 * time.Second, 1, 2 * time.Second},         // at least Timeout
		{time.Second, 1, time.Second},                 // never past the deadline
		{20 * time.Second, 3, 5 * time.Second},        // the share is smaller than the servers' share
		{6 * time.Second, 3, 2 * time.Second},         // the servers share what is left
		{3 * time.Second, 2, 1500 * time.Millisecond}, // even below Timeout
		{600 * time.Millisecond, 3, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		ctx := context.Background()
		if tt.left > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, tt.left)
			defer cancel()
		}
		got := time.Until(c.deadline(ctx, tt.servers))
		if d := got - tt.wantWait; d > 0 || d < -50*time.Millisecond {
			t.Errorf("%v left, %d servers: an exchange waits %v, want %v", tt.left, tt.servers, got.Round(time.Millisecond), tt.wantWait)
		}
	}
	long, err := New(Config{Servers: []string{"192.0.2.53"}, Timeout: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if got := time.Until(long.deadline(ctx, 1)); got > 15*time.Second || got < 14*time.Second {
		t.Errorf("Timeout 15s under a minute: an exchange waits %v, want the configured 15s above the 10s cap", got)
	}
}

func TestASlowResolverIsWaitedForWhenTheDeadlineAllows(t *testing.T) {
	t.Parallel()
	s := dnstest.New(t, zone, dnstest.WithDelay(3*time.Second))
	tests := []struct {
		name     string
		addr     string
		deadline time.Duration
		want     Status
	}{
		{"ipv4, 20s deadline", s.Addr4(), 20 * time.Second, StatusOK},
		{"ipv6, 20s deadline", s.Addr6(), 20 * time.Second, StatusOK},
		// Each exchange waits the 2s floor; the second ends at the deadline.
		{"ipv4, 4s deadline", s.Addr4(), 4 * time.Second, StatusTimeout},
	}
	// The lookups run at once: each takes seconds.
	var wg sync.WaitGroup
	for _, tt := range tests {
		if tt.addr == "" {
			continue // no IPv6 loopback here
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := New(Config{Servers: []string{tt.addr}}) // the default Timeout, 2s
			if err != nil {
				t.Error(err)
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.deadline)
			defer cancel()
			start := time.Now()
			res := c.LookupA(ctx, "mx1.example.")
			elapsed := time.Since(start)
			if res.Status != tt.want {
				t.Errorf("%s: status %s (err %v), want %s", tt.name, res.Status, res.Err, tt.want)
			}
			if elapsed > tt.deadline+500*time.Millisecond { // slack for a shared machine
				t.Errorf("%s: lookup took %v, past the deadline", tt.name, elapsed)
			}
		}()
	}
	wg.Wait()
}

func TestADeadResolverUsesLessThanHalfOfTheDeadline(t *testing.T) {
	t.Parallel()
	// Scaled down: a 50ms floor and a 2s deadline. Two rounds wait 500ms
	// (a quarter of 2s) and about 350ms (a quarter of what is left after
	// the 100ms backoff).
	c, err := New(Config{Servers: []string{deadServer(t)}, Timeout: 50 * time.Millisecond, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	const deadline = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	res := c.LookupA(ctx, "mx1.example.")
	elapsed := time.Since(start)
	if res.Status != StatusTimeout || c.Stats().Queries != 2 {
		t.Errorf("status %s after %d queries, want timeout after 2", res.Status, c.Stats().Queries)
	}
	if elapsed < 800*time.Millisecond || elapsed > deadline/2+200*time.Millisecond {
		t.Errorf("a dead resolver took %v of a %v deadline, want about 950ms: more than the 50ms floor twice, less than half", elapsed, deadline)
	}
}

// lossyServer answers on 127.0.0.1 only from the given datagram on (1 is
// the first), as a server whose receive queue dropped the ones before, and
// records every datagram it got.
func lossyServer(t *testing.T, answerFrom int) (addr string, got func() [][]byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	var mu sync.Mutex
	var seen [][]byte
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, append([]byte(nil), buf[:n]...))
			count := len(seen)
			mu.Unlock()
			if count < answerFrom {
				continue
			}
			q := new(dns.Msg)
			if q.Unpack(buf[:n]) != nil {
				continue
			}
			r := new(dns.Msg)
			r.SetReply(q)
			rr, _ := dns.NewRR(q.Question[0].Name + " 300 IN A 192.0.2.7")
			r.Answer = append(r.Answer, rr)
			b, _ := r.Pack()
			_, _ = pc.WriteTo(b, from)
		}
	}()
	return pc.LocalAddr().String(), func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// lossyClient is a client of one lossyServer, with one attempt per
// question and a first repeat after retransmit.
func lossyClient(t *testing.T, answerFrom int, timeout, retransmit time.Duration) (c *Client, got func() [][]byte) {
	t.Helper()
	addr, got := lossyServer(t, answerFrom)
	c, err := New(Config{Servers: []string{addr}, Timeout: timeout, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.retransmit = retransmit
	return c, got
}

func TestALostQueryIsSentAgainWithinItsExchangeWithBackOff(t *testing.T) {
	c, got := lossyClient(t, 3, 5*time.Second, 40*time.Millisecond)
	start := time.Now()
	res := c.LookupA(context.Background(), "lost.example.")
	took := time.Since(start)
	if res.Status != StatusOK || len(res.Addrs) != 1 {
		t.Fatalf("status %s, addrs %v (err %v), want the answer to the third send", res.Status, res.Addrs, res.Err)
	}
	sent := got()
	if len(sent) != 3 {
		t.Fatalf("the server got %d datagrams, want 3 (the query and two repeats)", len(sent))
	}
	for i, b := range sent[1:] {
		if !bytes.Equal(b, sent[0]) {
			t.Errorf("repeat %d differs from the first send: a repeat is the same query, same ID", i+1)
		}
	}
	// Sent again after 40-60ms, then after 80-120ms more: the back-off
	// doubles, each wait stretched by up to half.
	if took < 120*time.Millisecond || took > 4*time.Second {
		t.Errorf("answered after %v, want 120 to 180ms (40-60ms + 80-120ms of waiting)", took)
	}
	if st := c.Stats(); st.Retransmits != 2 || st.Queries != 1 || st.Retries != 0 || st.Timeouts != 0 {
		t.Errorf("stats %+v, want 2 retransmits within 1 exchange, no retry, no timeout", st)
	}
}

func TestNoRepeatOnceTheExchangeDeadlineIsNearerThanTheNextRepeat(t *testing.T) {
	c, got := lossyClient(t, 1000, 300*time.Millisecond, 100*time.Millisecond)
	res := c.LookupA(context.Background(), "lost.example.")
	if res.Status != StatusTimeout {
		t.Fatalf("status %s, want timeout", res.Status)
	}
	// At 100-150ms, then 200-300ms later (past 300ms: the deadline) no more.
	if n := len(got()); n != 2 {
		t.Errorf("the server got %d datagrams within a 300ms exchange, want 2 (the query, one repeat at 100ms)", n)
	}
	if st := c.Stats(); st.Retransmits != 1 || st.Timeouts != 1 {
		t.Errorf("stats %+v, want 1 retransmit and the exchange timed out", st)
	}
}

func TestNoRepeatAfterTheCallerGaveUp(t *testing.T) {
	c, got := lossyClient(t, 1000, 5*time.Second, 150*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(60*time.Millisecond, cancel)
	start := time.Now()
	res := c.LookupA(ctx, "lost.example.")
	if res.Err == nil || time.Since(start) > time.Second {
		t.Fatalf("status %s after %v, want an error soon after the cancel at 60ms", res.Status, time.Since(start))
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(got()); n != 1 {
		t.Errorf("the server got %d datagrams, want 1: nothing is sent after the caller gave up", n)
	}
}

// TestABurstOfLookupsKeepsItsSocketsForTheNext: the UDP pool keeps as
// many idle sockets as were busy at once, so a second burst of as many
// lookups dials none (with a fixed cap of 64 it dialed all but 64 again),
// and a socket still serves at most maxUses queries.
func TestABurstOfLookupsKeepsItsSocketsForTheNext(t *testing.T) {
	s, err := dnstest.Start(zone, dnstest.WithoutQueryLog(), dnstest.WithDelay(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: 5 * time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	dialed := 0
	c.dialer.Control = func(string, string, syscall.RawConn) error {
		mu.Lock()
		dialed++
		mu.Unlock()
		return nil
	}
	const burst = 150
	next := 0
	lookups := func() int {
		var wg sync.WaitGroup
		for range burst {
			name := fmt.Sprintf("n%d.example.", next)
			next++
			wg.Go(func() {
				if r := c.LookupA(context.Background(), name); r.Status != StatusNXDomain {
					t.Errorf("%s: %v %v", name, r.Status, r.Err)
				}
			})
		}
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return dialed
	}
	first := lookups()
	if first < minIdle+1 || first > burst {
		t.Fatalf("the first burst of %d lookups dialed %d sockets; the test needs more than %d in flight at once", burst, first, minIdle)
	}
	if again := lookups() - first; again != 0 {
		t.Errorf("a second burst of %d lookups dialed %d sockets, want 0 (the first burst's %d were kept)", burst, again, first)
	}
	pool := &c.udp[0]
	state := func() (idle, busy, topUses int) {
		pool.mu.Lock()
		defer pool.mu.Unlock()
		if len(pool.idle) > 0 {
			topUses = pool.idle[len(pool.idle)-1].uses
		}
		return len(pool.idle), pool.busy, topUses
	}
	idle, busy, top := state()
	if idle != first || busy != 0 || top < 2 {
		t.Errorf("after the bursts: %d idle sockets, want the %d that were busy at once; %d still counted busy; the top one served %d queries",
			idle, first, busy, top)
	}
	// The socket on top of the pool, one query short of maxUses, serves
	// the next lookup and is then closed, not kept.
	pool.mu.Lock()
	pool.idle[len(pool.idle)-1].uses = maxUses - 1
	pool.mu.Unlock()
	if r := c.LookupA(context.Background(), fmt.Sprintf("n%d.example.", next)); r.Status != StatusNXDomain {
		t.Fatalf("%v %v", r.Status, r.Err)
	}
	if idle2, busy2, _ := state(); idle2 != idle-1 || busy2 != 0 {
		t.Errorf("after a worn-out socket's last query: %d idle, want %d; %d busy", idle2, idle-1, busy2)
	}
	mu.Lock()
	defer mu.Unlock()
	if again := dialed - first; again != 0 {
		t.Errorf("one lookup with %d sockets idle dialed %d", idle, again)
	}
}

// TestAFailedDialIsNotCountedBusy: a lookup whose socket could not be
// dialed gives its place back in the pool's count, so the count (and the
// number of idle sockets kept) follows the sockets really in use.
func TestAFailedDialIsNotCountedBusy(t *testing.T) {
	s, err := dnstest.Start(zone, dnstest.WithoutQueryLog())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := New(Config{Servers: []string{s.Addr4()}, Timeout: time.Second, Attempts: 1, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.dialer.Control = func(string, string, syscall.RawConn) error { return errors.New("no sockets today") }
	for range 3 {
		if r := c.LookupA(context.Background(), "mx1.example."); r.Status == StatusOK {
			t.Fatal("a lookup succeeded with every dial failing")
		}
	}
	pool := &c.udp[0]
	pool.mu.Lock()
	busy, idle := pool.busy, len(pool.idle)
	pool.mu.Unlock()
	if busy != 0 || idle != 0 {
		t.Errorf("after 3 failed dials: %d counted busy, %d idle; want 0 and 0", busy, idle)
	}
	c.dialer.Control = nil
	if r := c.LookupA(context.Background(), "mx1.example."); r.Status != StatusOK {
		t.Errorf("once dials work again: %v %v", r.Status, r.Err)
	}
}
