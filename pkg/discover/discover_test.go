package discover

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/iprev"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

// hostsOf returns "pref host" for every exchange.
func hostsOf(r Result) string {
	var parts []string
	for _, e := range r.MX {
		parts = append(parts, fmt.Sprintf("%d %s", e.Preference, e.Host))
	}
	return strings.Join(parts, ", ")
}

func ipsOf(e Exchange) string {
	var parts []string
	for _, a := range e.Addresses {
		parts = append(parts, a.IP.String())
	}
	return strings.Join(parts, " ")
}

func run(t *testing.T, m *dnsq.Mock, domain string, opts Options) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Run(ctx, m, domain, opts)
}

func TestRunSortsByPreferenceKeepingAnswerOrderAndDuplicates(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {
			{Preference: 20, Host: "mx3.example.com."},
			{Preference: 10, Host: "mx2.example.com."},
			{Preference: 10, Host: "mx1.example.com."},
			{Preference: 30, Host: "mx1.example.com."},
		}},
		A: map[string][]netip.Addr{
			"mx1.example.com.": addrs("192.0.2.1", "192.0.2.11"),
			"mx2.example.com.": addrs("192.0.2.2"),
			"mx3.example.com.": addrs("192.0.2.3"),
		},
		AAAA: map[string][]netip.Addr{
			"mx1.example.com.": addrs("2001:db8::1"),
		},
	}
	res := run(t, m, "Example.COM", DefaultOptions())
	if res.Domain != "example.com" {
		t.Errorf("Domain = %q", res.Domain)
	}
	if res.MXStatus != dnsq.StatusOK || res.NullMX || res.ImplicitMX || res.NullMXMixed {
		t.Errorf("status %s null %v implicit %v mixed %v", res.MXStatus, res.NullMX, res.ImplicitMX, res.NullMXMixed)
	}
	if got, want := hostsOf(res), "10 mx2.example.com, 10 mx1.example.com, 20 mx3.example.com, 30 mx1.example.com"; got != want {
		t.Errorf("exchanges = %s, want %s", got, want)
	}
	mx1 := res.MX[1]
	if got, want := ipsOf(mx1), "192.0.2.1 192.0.2.11 2001:db8::1"; got != want {
		t.Errorf("mx1 addresses = %s, want A records then AAAA: %s", got, want)
	}
	if mx1.AStatus != dnsq.StatusOK || mx1.AAAAStatus != dnsq.StatusOK {
		t.Errorf("mx1 statuses A %s AAAA %s", mx1.AStatus, mx1.AAAAStatus)
	}
	if res.MX[0].AAAAStatus != dnsq.StatusNoData {
		t.Errorf("mx2 AAAA status = %s, want nodata", res.MX[0].AAAAStatus)
	}
	if ipsOf(res.MX[3]) != ipsOf(mx1) {
		t.Errorf("duplicate exchange has different addresses: %s vs %s", ipsOf(res.MX[3]), ipsOf(mx1))
	}
	for _, key := range []string{"MX example.com.", "A mx1.example.com.", "AAAA mx1.example.com.", "PTR 1.2.0.192.in-addr.arpa."} {
		if c := m.Calls(key); c != 1 {
			t.Errorf("%s asked %d times, want once", key, c)
		}
	}
}

func TestRunReportsNullMX(t *testing.T) {
	m := &dnsq.Mock{MX: map[string][]dnsq.MX{"example.com.": {{Preference: 0, Host: "."}}}}
	res := run(t, m, "example.com", DefaultOptions())
	if !res.NullMX || res.NullMXMixed || res.ImplicitMX {
		t.Errorf("null %v mixed %v implicit %v, want null only", res.NullMX, res.NullMXMixed, res.ImplicitMX)
	}
	if res.MX == nil || len(res.MX) != 0 {
		t.Errorf("MX = %#v, want empty and non-nil", res.MX)
	}
	if c := m.Calls("A example.com."); c != 0 {
		t.Errorf("null MX domain's A asked %d times", c)
	}
}

func TestRunFlagsNullMXMixedWithOtherRecords(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {
			{Preference: 0, Host: "."},
			{Preference: 10, Host: "mx.example.com."},
		}},
		A: map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
	}
	res := run(t, m, "example.com", DefaultOptions())
	if res.NullMX || !res.NullMXMixed {
		t.Errorf("null %v mixed %v, want mixed only", res.NullMX, res.NullMXMixed)
	}
	if got := hostsOf(res); got != "10 mx.example.com" {
		t.Errorf("exchanges = %s, want the non-null record", got)
	}
}

func TestRunUsesImplicitMXWhenThereAreNoMXRecords(t *testing.T) {
	m := &dnsq.Mock{
		A:    map[string][]netip.Addr{"example.com.": addrs("192.0.2.7")},
		AAAA: map[string][]netip.Addr{"example.com.": addrs("2001:db8::7")},
	}
	res := run(t, m, "example.com.", DefaultOptions())
	if res.MXStatus != dnsq.StatusNoData || !res.ImplicitMX {
		t.Fatalf("status %s implicit %v, want nodata and implicit", res.MXStatus, res.ImplicitMX)
	}
	if got := hostsOf(res); got != "0 example.com" {
		t.Errorf("exchanges = %s, want the domain itself at preference 0", got)
	}
	if got := ipsOf(res.MX[0]); got != "192.0.2.7 2001:db8::7" {
		t.Errorf("addresses = %s", got)
	}
}

func TestRunDoesNotInventAddressesForANonexistentDomain(t *testing.T) {
	m := &dnsq.Mock{}
	res := run(t, m, "nope.example", DefaultOptions())
	if res.MXStatus != dnsq.StatusNXDomain || res.ImplicitMX || len(res.MX) != 0 {
		t.Errorf("status %s implicit %v mx %v, want nxdomain, no exchanges", res.MXStatus, res.ImplicitMX, res.MX)
	}
	if c := m.Calls("A nope.example.") + m.Calls("AAAA nope.example."); c != 0 {
		t.Errorf("address lookups for a nonexistent domain: %d", c)
	}
}

func TestRunRecordsATemporaryMXFailureAndStops(t *testing.T) {
	m := &dnsq.Mock{
		A:    map[string][]netip.Addr{"example.com.": addrs("192.0.2.7")},
		Fail: map[string]dnsq.Status{"MX example.com.": dnsq.StatusServFail},
	}
	res := run(t, m, "example.com", DefaultOptions())
	if res.MXStatus != dnsq.StatusServFail || res.ImplicitMX || len(res.MX) != 0 {
		t.Errorf("status %s implicit %v mx %v", res.MXStatus, res.ImplicitMX, res.MX)
	}
	if !strings.Contains(res.MXError, "servfail") {
		t.Errorf("MXError = %q", res.MXError)
	}
	if c := m.Calls("A example.com."); c != 0 {
		t.Error("a temporary MX failure fell back to the domain's address records")
	}
}

func TestRunRecordsTheDomainsAliasChain(t *testing.T) {
	m := &dnsq.Mock{
		CNAME: map[string]string{"example.com.": "hosted.example.net."},
		MX:    map[string][]dnsq.MX{"hosted.example.net.": {{Preference: 5, Host: "mx.example.net."}}},
		A:     map[string][]netip.Addr{"mx.example.net.": addrs("192.0.2.5")},
	}
	res := run(t, m, "example.com", DefaultOptions())
	if fmt.Sprint(res.MXCNAME) != "[hosted.example.net]" {
		t.Errorf("MXCNAME = %v", res.MXCNAME)
	}
	if hostsOf(res) != "5 mx.example.net" {
		t.Errorf("exchanges = %s", hostsOf(res))
	}
}

func TestRunFlagsAnMXTargetThatIsACNAME(t *testing.T) {
	m := &dnsq.Mock{
		MX:    map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mail.example.com."}}},
		CNAME: map[string]string{"mail.example.com.": "real.example.net."},
		A:     map[string][]netip.Addr{"real.example.net.": addrs("192.0.2.8")},
	}
	res := run(t, m, "example.com", DefaultOptions())
	ex := res.MX[0]
	if ex.Host != "mail.example.com" {
		t.Errorf("Host = %q, want the MX target as published", ex.Host)
	}
	if fmt.Sprint(ex.CNAME) != "[real.example.net]" {
		t.Errorf("CNAME = %v, want the alias chain", ex.CNAME)
	}
	if ipsOf(ex) != "192.0.2.8" {
		t.Errorf("addresses = %s", ipsOf(ex))
	}
}

func TestRunUsesAnIPLiteralMXTargetWithoutLookingItUp(t *testing.T) {
	m := &dnsq.Mock{MX: map[string][]dnsq.MX{"example.com.": {
		{Preference: 10, Host: "192.0.2.9"},
		{Preference: 20, Host: "2001:db8::9"},
	}}}
	res := run(t, m, "example.com", DefaultOptions())
	for i, want := range []string{"192.0.2.9", "2001:db8::9"} {
		ex := res.MX[i]
		if !ex.IPLiteral {
			t.Errorf("%s: IPLiteral false", ex.Host)
		}
		if ex.Host != want || ipsOf(ex) != want {
			t.Errorf("host %q addresses %q, want %s", ex.Host, ipsOf(ex), want)
		}
		if ex.AStatus != dnsq.StatusSkipped || ex.AAAAStatus != dnsq.StatusSkipped {
			t.Errorf("%s: statuses A %s AAAA %s, want skipped", ex.Host, ex.AStatus, ex.AAAAStatus)
		}
		if c := m.Calls("A "+want+".") + m.Calls("AAAA "+want+"."); c != 0 {
			t.Errorf("%s looked up as a name %d times", want, c)
		}
	}
	// -4 drops the IPv6 literal's address.
	res = run(t, m, "example.com", Options{IPv4: true, RDNS: true})
	if len(res.MX[1].Addresses) != 0 {
		t.Errorf("-4 kept an IPv6 literal: %s", ipsOf(res.MX[1]))
	}
}

func TestRunKeepsARecordsWhenAAAAFails(t *testing.T) {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A:    map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
		AAAA: map[string][]netip.Addr{"mx.example.com.": addrs("2001:db8::1")},
		Fail: map[string]dnsq.Status{"AAAA mx.example.com.": dnsq.StatusServFail},
	}
	ex := run(t, m, "example.com", DefaultOptions()).MX[0]
	if ex.AStatus != dnsq.StatusOK || ex.AAAAStatus != dnsq.StatusServFail {
		t.Errorf("A %s AAAA %s, want ok and servfail", ex.AStatus, ex.AAAAStatus)
	}
	if ipsOf(ex) != "192.0.2.1" {
		t.Errorf("addresses = %s, want the A record", ipsOf(ex))
	}
	if !strings.Contains(ex.AAAAError, "servfail") || ex.AError != "" {
		t.Errorf("AError %q AAAAError %q", ex.AError, ex.AAAAError)
	}
}

func TestRunSkipsTheFamilyNotWanted(t *testing.T) {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A:    map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
		AAAA: map[string][]netip.Addr{"mx.example.com.": addrs("2001:db8::1")},
	}
	tests := []struct {
		name        string
		opts        Options
		wantA       dnsq.Status
		wantAAAA    dnsq.Status
		wantIPs     string
		skippedType string
	}{
		{"-4", Options{IPv4: true, RDNS: true}, dnsq.StatusOK, dnsq.StatusSkipped, "192.0.2.1", "AAAA"},
		{"-6", Options{IPv6: true, RDNS: true}, dnsq.StatusSkipped, dnsq.StatusOK, "2001:db8::1", "A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := m.Calls(tc.skippedType + " mx.example.com.")
			ex := run(t, m, "example.com", tc.opts).MX[0]
			if ex.AStatus != tc.wantA || ex.AAAAStatus != tc.wantAAAA {
				t.Errorf("A %s AAAA %s, want %s %s", ex.AStatus, ex.AAAAStatus, tc.wantA, tc.wantAAAA)
			}
			if ipsOf(ex) != tc.wantIPs {
				t.Errorf("addresses = %s, want %s", ipsOf(ex), tc.wantIPs)
			}
			if m.Calls(tc.skippedType+" mx.example.com.") != before {
				t.Errorf("%s asked although skipped", tc.skippedType)
			}
		})
	}
}

func TestRunReportsEveryFCrDNSStatus(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A: map[string][]netip.Addr{
			"mx.example.com.":    addrs("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"),
			"other.example.com.": addrs("192.0.2.99"),
		},
		PTR: map[string][]string{
			"192.0.2.1": {"mx.example.com."},    // pass
			"192.0.2.2": {"other.example.com."}, // fail: maps elsewhere
			// 192.0.2.3: no PTR -> none
			"192.0.2.4": {"flaky.example.com."}, // temperror
			"192.0.2.5": {"not a name."},        // permerror
		},
		Fail: map[string]dnsq.Status{"A flaky.example.com.": dnsq.StatusTimeout},
	}
	ex := run(t, m, "example.com", DefaultOptions()).MX[0]
	want := []struct {
		fcrdns    iprev.Status
		ptrStatus dnsq.Status
		ptr       string
		errSet    bool
	}{
		{iprev.StatusPass, dnsq.StatusOK, "[mx.example.com]", false},
		{iprev.StatusFail, dnsq.StatusOK, "[other.example.com]", false},
		{iprev.StatusNone, dnsq.StatusNXDomain, "[]", false},
		{iprev.StatusTempError, dnsq.StatusOK, "[flaky.example.com]", true},
		{iprev.StatusPermError, dnsq.StatusOK, "[not a name]", true},
	}
	if len(ex.Addresses) != len(want) {
		t.Fatalf("%d addresses", len(ex.Addresses))
	}
	for i, w := range want {
		a := ex.Addresses[i]
		if a.FCrDNS != w.fcrdns || a.PTRStatus != w.ptrStatus || fmt.Sprint(a.PTR) != w.ptr || (a.PTRError != "") != w.errSet {
			t.Errorf("%s: fcrdns %s ptr_status %s ptr %v err %q; want %s %s %s err %v",
				a.IP, a.FCrDNS, a.PTRStatus, a.PTR, a.PTRError, w.fcrdns, w.ptrStatus, w.ptr, w.errSet)
		}
	}
	if fmt.Sprint(ex.Addresses[0].Confirmed) != "[mx.example.com]" {
		t.Errorf("Confirmed = %v", ex.Addresses[0].Confirmed)
	}
}

func TestRunWithoutRDNSAsksNoPTR(t *testing.T) {
	m := &dnsq.Mock{
		MX:  map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A:   map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
		PTR: map[string][]string{"192.0.2.1": {"mx.example.com."}},
	}
	a := run(t, m, "example.com", Options{IPv4: true, IPv6: true}).MX[0].Addresses[0]
	if a.PTRStatus != dnsq.StatusSkipped || a.FCrDNS != iprev.StatusSkipped {
		t.Errorf("ptr_status %s fcrdns %s, want skipped", a.PTRStatus, a.FCrDNS)
	}
	if m.Calls("PTR 1.2.0.192.in-addr.arpa.") != 0 {
		t.Error("PTR asked without RDNS")
	}
}

func TestRunClassifiesEveryAddress(t *testing.T) {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A:    map[string][]netip.Addr{"mx.example.com.": addrs("127.0.0.1", "10.1.2.3")},
		AAAA: map[string][]netip.Addr{"mx.example.com.": addrs("::ffff:192.0.2.1", "fd00::1")},
	}
	ex := run(t, m, "example.com", DefaultOptions()).MX[0]
	var got []string
	for _, a := range ex.Addresses {
		got = append(got, a.Family+"/"+string(a.Class))
	}
	if want := "ipv4/loopback ipv4/private ipv6/ipv4_mapped ipv6/ula"; strings.Join(got, " ") != want {
		t.Errorf("classes = %v, want %s", got, want)
	}
}

// slowResolver delays every lookup and records how many run at once.
type slowResolver struct {
	dnsq.Resolver
	delay         time.Duration
	inFlight, max atomic.Int32
}

func (s *slowResolver) enter() func() {
	n := s.inFlight.Add(1)
	for {
		m := s.max.Load()
		if n <= m || s.max.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(s.delay)
	return func() { s.inFlight.Add(-1) }
}

func (s *slowResolver) LookupA(ctx context.Context, n string) dnsq.AddrResult {
	defer s.enter()()
	return s.Resolver.LookupA(ctx, n)
}

func (s *slowResolver) LookupAAAA(ctx context.Context, n string) dnsq.AddrResult {
	defer s.enter()()
	return s.Resolver.LookupAAAA(ctx, n)
}

func (s *slowResolver) LookupPTR(ctx context.Context, ip netip.Addr) dnsq.NameResult {
	defer s.enter()()
	return s.Resolver.LookupPTR(ctx, ip)
}

func TestRunBoundsLookupsInFlight(t *testing.T) {
	m := &dnsq.Mock{MX: map[string][]dnsq.MX{}, A: map[string][]netip.Addr{}}
	var mxs []dnsq.MX
	for i := range 40 {
		h := fmt.Sprintf("mx%d.example.com.", i)
		mxs = append(mxs, dnsq.MX{Preference: uint16(i), Host: h})
		m.A[h] = addrs(fmt.Sprintf("192.0.2.%d", i+1))
	}
	m.MX["example.com."] = mxs
	s := &slowResolver{Resolver: m, delay: 2 * time.Millisecond}
	res := Run(context.Background(), s, "example.com", Options{IPv4: true, IPv6: true, RDNS: true, Concurrency: 4})
	if len(res.MX) != 40 {
		t.Fatalf("%d exchanges", len(res.MX))
	}
	if got := s.max.Load(); got > 4 || got < 2 {
		t.Errorf("max lookups in flight = %d, want between 2 and the limit 4", got)
	}
	for i, ex := range res.MX {
		if want := fmt.Sprintf("192.0.2.%d", i+1); ipsOf(ex) != want {
			t.Errorf("exchange %d: %s, want %s (order must follow the input)", i, ipsOf(ex), want)
		}
	}
}

func TestRunReturnsWithinTheDeadlineWhenLookupsHang(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {{Preference: 10, Host: "mx.example.com."}}},
		A:  map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
	}
	h := &hangingResolver{Resolver: m}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := Run(ctx, h, "example.com", Options{IPv4: true, IPv6: true, RDNS: true, Concurrency: 4})
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Run took %s after a 100ms deadline", el)
	}
	ex := res.MX[0]
	if ex.AStatus != dnsq.StatusOK || ex.AAAAStatus != dnsq.StatusTimeout {
		t.Errorf("A %s AAAA %s, want ok and timeout", ex.AStatus, ex.AAAAStatus)
	}
}

// hangingResolver never answers AAAA before the context ends.
type hangingResolver struct{ dnsq.Resolver }

func (h *hangingResolver) LookupAAAA(ctx context.Context, n string) dnsq.AddrResult {
	<-ctx.Done()
	return dnsq.AddrResult{Result: dnsq.Result{Name: n, Status: dnsq.StatusTimeout, Err: ctx.Err()}}
}

func TestHostResolvesOneName(t *testing.T) {
	m := &dnsq.Mock{
		A:    map[string][]netip.Addr{"smtp.example.com.": addrs("192.0.2.1")},
		AAAA: map[string][]netip.Addr{"smtp.example.com.": addrs("2001:db8::1")},
	}
	ex := Host(context.Background(), m, "smtp.example.com", 0, DefaultOptions())
	if ex.Host != "smtp.example.com" || ipsOf(ex) != "192.0.2.1 2001:db8::1" {
		t.Errorf("host %s addresses %s", ex.Host, ipsOf(ex))
	}
	lit := Host(context.Background(), m, "[192.0.2.44]", 0, DefaultOptions())
	if !lit.IPLiteral || ipsOf(lit) != "192.0.2.44" {
		t.Errorf("bracketed literal: literal %v addresses %s", lit.IPLiteral, ipsOf(lit))
	}
}

// ptrGate holds every PTR lookup until the gate opens.
type ptrGate struct {
	dnsq.Resolver
	open chan struct{}
}

func (g *ptrGate) LookupPTR(ctx context.Context, ip netip.Addr) dnsq.NameResult {
	select {
	case <-g.open:
	case <-ctx.Done():
	}
	return g.Resolver.LookupPTR(ctx, ip)
}

func TestRunReportsAddressesToFoundBeforeReverseDNS(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {
			{Preference: 10, Host: "mx.example.com."},
			{Preference: 20, Host: "192.0.2.77"},
		}},
		A:    map[string][]netip.Addr{"mx.example.com.": addrs("192.0.2.1")},
		AAAA: map[string][]netip.Addr{"mx.example.com.": addrs("2001:db8::1")},
		PTR:  map[string][]string{"192.0.2.1": {"mx.example.com."}},
	}
	g := &ptrGate{Resolver: m, open: make(chan struct{})}
	var mu sync.Mutex
	found := map[string]bool{}
	opts := DefaultOptions()
	opts.Found = func(host string, ips []netip.Addr) {
		mu.Lock()
		defer mu.Unlock()
		for _, ip := range ips {
			found[host+" "+ip.String()] = true
		}
		if len(found) == 3 {
			close(g.open) // every address known while every PTR lookup is still held
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res := Run(ctx, g, "example.com", opts)
	for _, k := range []string{"mx.example.com 192.0.2.1", "mx.example.com 2001:db8::1", "192.0.2.77 192.0.2.77"} {
		if !found[k] {
			t.Errorf("Found never heard of %s (got %v)", k, found)
		}
	}
	if ctx.Err() != nil {
		t.Fatal("Found was not called before reverse DNS finished (the run waited for its deadline)")
	}
	if a := res.MX[0].Addresses[0]; a.FCrDNS != iprev.StatusPass {
		t.Errorf("fcrdns after the gate opened = %s, want pass", a.FCrDNS)
	}
}

func TestRunDoesNotFlagAnAliasedDomainAsACNAMEdMXTarget(t *testing.T) {
	m := &dnsq.Mock{
		CNAME: map[string]string{"example.com.": "web.example.net."},
		A:     map[string][]netip.Addr{"web.example.net.": addrs("192.0.2.80")},
	}
	res := run(t, m, "example.com", DefaultOptions())
	if !res.ImplicitMX || fmt.Sprint(res.MXCNAME) != "[web.example.net]" {
		t.Fatalf("implicit %v mx_cname %v", res.ImplicitMX, res.MXCNAME)
	}
	if ex := res.MX[0]; len(ex.CNAME) != 0 || ipsOf(ex) != "192.0.2.80" {
		t.Errorf("implicit exchange cname %v addresses %s, want no cname flag and the alias target's address", ex.CNAME, ipsOf(ex))
	}
}

func TestRunFlagsAnMXTargetThatIsNotAHostName(t *testing.T) {
	m := &dnsq.Mock{
		MX: map[string][]dnsq.MX{"example.com.": {
			{Preference: 10, Host: "-mx.example.com."},
			{Preference: 20, Host: "mx_2.example.com."},
			{Preference: 30, Host: "192.0.2.1"},
		}},
		A: map[string][]netip.Addr{"-mx.example.com.": addrs("192.0.2.10")},
	}
	res := run(t, m, "example.com", DefaultOptions())
	for i, want := range []bool{true, false, false} {
		if got := res.MX[i].InvalidName; got != want {
			t.Errorf("%s: InvalidName = %v, want %v", res.MX[i].Host, got, want)
		}
	}
	if ipsOf(res.MX[0]) != "192.0.2.10" {
		t.Errorf("an invalid name is still looked up: addresses %q", ipsOf(res.MX[0]))
	}
}
