package mta

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// research §2.4: X = mx1 with 0.501 (it comes first in the answer), Y the other.
func TestEximReproducesResearchWorkedExample(t *testing.T) {
	tests := []struct {
		name string
		set  []Assignment
		want string
		v6   string
	}{
		{"default", nil, "b1>b2>a1>a2>a3:501/1000 b2>b1>a2>a1>a3:499/1000", "1"},
		{"ipv4_prefer", sets("ipv4_prefer", "true"), "a1>b1>a2>b2>a3:501/1000 a2>b2>a1>b1>a3:499/1000", "0"},
		{"disable_ipv6", sets("disable_ipv6", "true"), "a1>a2>a3:501/1000 a2>a1>a3:499/1000", "0"},
		{"dns_ipv4_lookup matching the hosts", sets("dns_ipv4_lookup", "*.example.test"), "a1>a2>a3:501/1000 a2>a1>a3:499/1000", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := simulate(t, example(), Config{MTA: Exim, Set: tt.set}, Options{})
			if got := orderings(d); got != tt.want {
				t.Errorf("orderings = %s\nwant        %s", got, tt.want)
			}
			if d.PFirstIPv6Exact != tt.v6 {
				t.Errorf("P(first IPv6) = %s, want %s", d.PFirstIPv6Exact, tt.v6)
			}
		})
	}
}

// research §2.1 step 5 table: one bubble pass over hosts of one preference,
// each with one AAAA and one A, in step-2 order X, Y, Z, W.
func TestEximSingleSwapPassOrdersFamiliesAsTheResearchTable(t *testing.T) {
	mk := func(n int) Input {
		var xs []Exchange
		for i, h := range []string{"X", "Y", "Z", "W"}[:n] {
			xs = append(xs, host(10, h, "a"+string(rune('1'+i))+" b"+string(rune('1'+i))))
		}
		return domain(xs...)
	}
	tests := []struct {
		hosts      int
		prefer4    bool
		mostLikely string
	}{
		{2, false, "b1>b2>a1>a2"},
		{3, false, "b1>b2>a1>b3>a2>a3"},
		{4, false, "b1>b2>a1>b3>a2>b4>a3>a4"},
		{2, true, "a1>b1>a2>b2"},
		{3, true, "a1>b1>a2>b2>a3>b3"},
	}
	for _, tt := range tests {
		set := sets("ipv4_prefer", map[bool]string{true: "true", false: "false"}[tt.prefer4], "hosts_max_try", "10")
		d := simulate(t, mk(tt.hosts), Config{MTA: Exim, Set: set}, Options{})
		got := strings.SplitN(orderings(d), ":", 2)[0]
		if got != tt.mostLikely {
			t.Errorf("%d hosts ipv4_prefer=%v: most likely %s, want %s", tt.hosts, tt.prefer4, got, tt.mostLikely)
		}
	}
}

func TestEximDecisionsAndDuplicates(t *testing.T) {
	// research §2.1: duplicates removed, first occurrence kept.
	d := simulate(t, domain(host(10, "mx1", "a1"), host(20, "mx2", "a1 a2")), Config{MTA: Exim}, Options{})
	if got := orderings(d); got != "a1>a2:1" {
		t.Errorf("duplicate: %s", got)
	}
	tests := []struct {
		name   string
		in     Input
		action Action
	}{
		{"NXDOMAIN bounces without trying A records", Input{Domain: "x.test", MXStatus: LookupNXDomain, ImplicitMX: true, MX: []Exchange{host(0, "x.test", "a1")}}, ActionBounce},
		{"NODATA uses the implicit MX", Input{Domain: "x.test", MXStatus: LookupNoData, ImplicitMX: true, MX: []Exchange{host(0, "x.test", "a1")}}, ActionAttempt},
		{"SERVFAIL defers", Input{Domain: "x.test", MXStatus: LookupServFail}, ActionDefer},
		{"sole null MX bounces", Input{Domain: "x.test", MXStatus: LookupOK, NullMX: true}, ActionBounce},
		{"null MX mixed with others uses them", Input{Domain: "x.test", MXStatus: LookupOK, NullMX: true, MX: []Exchange{host(10, "mx1", "a1")}}, ActionAttempt},
		{"MX to an IP literal is refused by default", domain(Exchange{Preference: 10, Host: "192.0.2.1", IPLiteral: true, AStatus: LookupOK, A: host(0, "", "a1").A}), ActionBounce},
	}
	for _, tt := range tests {
		if d := simulate(t, tt.in, Config{MTA: Exim}, Options{}); d.Decision.Action != tt.action {
			t.Errorf("%s: %+v, want %s", tt.name, d.Decision, tt.action)
		}
	}
	lit := domain(Exchange{Preference: 10, Host: "192.0.2.1", IPLiteral: true, AStatus: LookupOK, A: host(0, "", "a1").A})
	if d := simulate(t, lit, Config{MTA: Exim, Set: sets("allow_mx_to_ip", "true")}, Options{}); d.Decision.Action != ActionAttempt {
		t.Errorf("allow_mx_to_ip: %+v", d.Decision)
	}
	// The local host as lowest MX freezes (self = freeze).
	if d := simulate(t, example(), Config{MTA: Exim, LocalAddrs: host(0, "", "a1").A}, Options{}); d.Decision.Action != ActionFreeze {
		t.Errorf("local lowest MX: %+v", d.Decision)
	}
}

func TestEximHostsMaxTryAddsTheFirstAddressOfEachFurtherMXGroup(t *testing.T) {
	in := domain(host(10, "mx1", "a1 b1 b2 b3"), host(10, "mx2", "a2 b4"), host(20, "mx3", "a3"), host(30, "mx4", "a4"))
	d := simulate(t, in, Config{MTA: Exim}, Options{})
	for _, o := range d.Orderings {
		if len(o.Order) != 7 || nameOf(o.Order[5]) != "a3" || nameOf(o.Order[6]) != "a4" {
			t.Fatalf("ordering %v: want 5 addresses at preference 10, then a3 and a4", o.Order)
		}
	}
	if d.AddressLimit != 5 {
		t.Errorf("address limit %d", d.AddressLimit)
	}
}

// Exim's random keys give a tie to the earlier answer: the exact weights
// agree with drawing the keys.
func TestEximSamplingAgreesWithExactWeights(t *testing.T) {
	in := domain(host(10, "mx1", "a1 b1"), host(10, "mx2", "b2"), host(10, "mx3", "a3 b3"))
	d := simulate(t, in, Config{MTA: Exim}, Options{})
	em := &eximModel{s: mustSettings(t, Exim, Config{})}
	pl := em.plan(in)
	rng := rand.New(rand.NewPCG(3, 5))
	counts := map[string]int{}
	const n = 30000
	for i := 0; i < n; i++ {
		var ips []string
		for _, c := range pl.sample(rng) {
			ips = append(ips, pl.cands[c].IP.String())
		}
		counts[strings.Join(ips, ">")]++
	}
	for _, o := range d.Orderings {
		got := float64(counts[strings.Join(o.Order, ">")]) / n
		sigma := sqrt(o.Probability * (1 - o.Probability) / n)
		if diff := got - o.Probability; diff > 5*sigma+1e-9 || -diff > 5*sigma+1e-9 {
			t.Errorf("%v: sampled %.4f, exact %.4f", o.Order, got, o.Probability)
		}
	}
}

func mustSettings(t *testing.T, mta string, cfg Config) Settings {
	t.Helper()
	s, err := resolveSettings(mta, DefaultVersions[mta], cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// research §3 worked example: each host's addresses in libasr's family
// order; the two equal-preference hosts in either order (the order their
// lookups complete, which the lab finds varying).
func TestOpenSMTPDOrdersFamiliesByRelease(t *testing.T) {
	tests := []struct {
		version, want, v6 string
	}{
		{"7.8.0p1", "b1>a1>b2>a2>a3:1/2 b2>a2>b1>a1>a3:1/2", "1"},
		{"7.5.0p0", "b1>a1>b2>a2>a3:1/2 b2>a2>b1>a1>a3:1/2", "1"},
		{"7.4.0p1", "a1>b1>a2>b2>a3:1/2 a2>b2>a1>b1>a3:1/2", "0"},
		{"openbsd", "a1>b1>a2>b2>a3:1/2 a2>b2>a1>b1>a3:1/2", "0"},
		{"6.8.0p2", "b1>a1>b2>a2>a3:1/2 b2>a2>b1>a1>a3:1/2", "1"},
	}
	for _, tt := range tests {
		d := simulate(t, example(), Config{MTA: OpenSMTPD, Version: tt.version}, Options{})
		if got := orderings(d); got != tt.want || d.PFirstIPv6Exact != tt.v6 {
			t.Errorf("%s: %s (P v6 %s), want %s (%s)", tt.version, got, d.PFirstIPv6Exact, tt.want, tt.v6)
		}
	}
	if d := simulate(t, Input{Domain: "x.test", MXStatus: LookupRefused}, Config{MTA: OpenSMTPD}, Options{}); d.Decision.Action != ActionBounce {
		t.Errorf("REFUSED MX: %+v, want a permanent failure", d.Decision)
	}
	if d := simulate(t, domain(host(10, "mx1", "")), Config{MTA: OpenSMTPD}, Options{}); d.Decision.Action != ActionDefer {
		t.Errorf("no address: %+v, want tempfail", d.Decision)
	}
}

// mta.c inserts each host's addresses when its lookup completes, after
// every entry of equal or better preference: with three equal-preference
// hosts all six orders of the hosts are possible, each host's addresses
// stay together, and the backup comes last.
func TestOpenSMTPDTakesEqualPreferenceHostsInLookupCompletionOrder(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"), host(10, "mx2.example.test", "a2"), host(10, "mx3.example.test", "b3"), host(20, "mx4.example.test", "a3"))
	d := simulate(t, in, Config{MTA: OpenSMTPD, Version: "6.8.0p2"}, Options{})
	want := "b1>a1>a2>b3>a3:1/6 b1>a1>b3>a2>a3:1/6 a2>b1>a1>b3>a3:1/6 a2>b3>b1>a1>a3:1/6 b3>b1>a1>a2>a3:1/6 b3>a2>b1>a1>a3:1/6"
	if got := orderings(d); got != want {
		t.Errorf("orderings = %s\nwant        %s", got, want)
	}
	if d.PFirstIPv6Exact != "2/3" {
		t.Errorf("P(first IPv6) = %s, want 2/3 (mx1 or mx3 first)", d.PFirstIPv6Exact)
	}
}

// getaddrinfo_async.c addrconfig_setup: AI_ADDRCONFIG counts no loopback
// and no IPv6 link-local address, so a host whose only IPv6 addresses are
// those asks for A records only; a global IPv6 address (even a ULA) brings
// the AAAA records back. Routes play no part.
func TestOpenSMTPDAsksForNoAAAAWithoutAnIPv6AddressBeyondLinkLocal(t *testing.T) {
	hostWith := func(addrs ...string) *NativeEnv {
		env := &NativeEnv{}
		for _, a := range addrs {
			env.Host.Addrs = append(env.Host.Addrs, GAIHostAddr{Prefix: netip.MustParsePrefix(a), IfIndex: 2})
		}
		return env
	}
	in := domain(host(10, "mx1.example.test", "a1 b1"), host(20, "mx3.example.test", "a3"))
	tests := []struct {
		name string
		env  *NativeEnv
		want string
	}{
		{"link-local and loopback IPv6 only", hostWith("127.0.0.1/8", "::1/128", "192.0.2.1/24", "fe80::1/64"), "a1>a3:1"},
		{"a ULA", hostWith("127.0.0.1/8", "192.0.2.1/24", "fd00::1/64"), "b1>a1>a3:1"},
		{"IPv6 only", hostWith("127.0.0.1/8", "::1/128", "2001:db8::1/64"), "b1:1"},
		{"another IPv4 loopback address counts", hostWith("127.0.0.2/8", "2001:db8::1/64"), "b1>a1>a3:1"},
		{"host unknown", nil, "b1>a1>a3:1"},
	}
	for _, tt := range tests {
		d := simulate(t, in, Config{MTA: OpenSMTPD, Version: "6.8.0p2", Native: tt.env}, Options{})
		if got := orderings(d); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	d := simulate(t, domain(host(10, "mx1.example.test", "b1")), Config{MTA: OpenSMTPD, Native: hostWith("192.0.2.1/24", "fe80::1/64")}, Options{})
	if d.Decision.Action != ActionDefer {
		t.Errorf("an IPv6-only MX on a host without IPv6: %+v, want OpenSMTPD's tempfail", d.Decision)
	}
}

// research §4: per host, IPv6 then IPv4; equal-preference hosts in a
// random order.
func TestSendmailTriesEachHostsIPv6ThenIPv4(t *testing.T) {
	d := simulate(t, example(), Config{MTA: Sendmail}, Options{})
	want := "b1>a1>b2>a2>a3:1/2 b2>a2>b1>a1>a3:1/2"
	if got := orderings(d); got != want {
		t.Errorf("orderings = %s, want %s", got, want)
	}
	broken := example()
	broken.MX[0].AAAAStatus = LookupServFail
	broken.MX[0].AAAA = nil
	d = simulate(t, broken, Config{MTA: Sendmail}, Options{})
	if got := orderings(d); got != "b2>a2>a3:1" {
		t.Errorf("AAAA SERVFAIL skips the host: %s", got)
	}
	d = simulate(t, broken, Config{MTA: Sendmail, Set: sets("WorkAroundBrokenAAAA", "true")}, Options{})
	if got := orderings(d); got != "a1>b2>a2>a3:1/2 b2>a2>a1>a3:1/2" {
		t.Errorf("WorkAroundBrokenAAAA: %s", got)
	}
	if d := simulate(t, Input{Domain: "x.test", MXStatus: LookupOK, NullMX: true, MX: []Exchange{host(10, "mx1", "a1")}}, Config{MTA: Sendmail}, Options{}); d.Decision.Action != ActionAttempt {
		t.Errorf("null MX with others: %+v", d.Decision)
	}
}

func TestEximFallsBackToSamplingAndSendmailStaysExactWhenHostsAreTooMany(t *testing.T) {
	var xs []Exchange
	for i := 0; i < 12; i++ {
		xs = append(xs, Exchange{Preference: 10, Host: "mx" + string(rune('a'+i)), AStatus: LookupOK, AAAAStatus: LookupNoData,
			A: []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})}})
	}
	start := time.Now()
	d := simulate(t, domain(xs...), Config{MTA: Exim}, Options{Outcomes: map[netip.Addr]Outcome{}})
	if d.Exact || d.Replay == nil || d.Replay.Exact {
		t.Errorf("exim: exact=%v replay=%+v, want estimates marked inexact", d.Exact, d.Replay)
	}
	// 12 hosts, each first with about 1/12.
	for _, a := range d.Attempts {
		if a.PFirst < 0.06 || a.PFirst > 0.11 {
			t.Errorf("exim: %s first with %v", a.IP, a.PFirst)
		}
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("exim took %v", el)
	}
	// Sendmail's uniform host order has closed forms: 12! orderings, each
	// host first with exactly 1/12, the replay walked exactly.
	d = simulate(t, domain(xs...), Config{MTA: Sendmail}, Options{Outcomes: map[netip.Addr]Outcome{}})
	if !d.Exact || d.Replay == nil || !d.Replay.Exact || d.OrderingsTotal.String() != "479001600" {
		t.Errorf("sendmail: exact=%v total=%v replay=%+v, want exact", d.Exact, d.OrderingsTotal, d.Replay)
	}
	for _, a := range d.Attempts {
		if a.PFirstExact != "1/12" || a.PTriedExact != "1" {
			t.Errorf("sendmail: %s first with %s, tried with %s", a.IP, a.PFirstExact, a.PTriedExact)
		}
	}
}

// getmxrr()'s mxrand() would put mx1, mx2, mx3 (short names) in that
// order for 47% of its seeds, but deliver() re-sorts equal preferences by
// random() keys (parse_hostsignature), so every order has 1/6, and the
// note says why.
func TestSendmailOrdersEqualPreferencesByRandomKeysNotByTheNameHash(t *testing.T) {
	in := domain(host(10, "mx1.mx.test", "a1"), host(10, "mx2.mx.test", "a2"), host(10, "mx3.mx.test", "a3"))
	d := simulate(t, in, Config{MTA: Sendmail}, Options{})
	if len(d.Orderings) != 6 {
		t.Fatalf("orderings %s, want all 6", orderings(d))
	}
	for _, o := range d.Orderings {
		if o.ProbabilityExact != "1/6" {
			t.Errorf("ordering %v has %s, want 1/6", o.Order, o.ProbabilityExact)
		}
	}
	notes := strings.Join(d.Notes, " ")
	if !strings.Contains(notes, "parse_hostsignature") || !strings.Contains(notes, "not getaddrinfo") {
		t.Errorf("notes %q do not say where the order comes from", notes)
	}
}
