package mta

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// bigDomain has n dual-stack exchanges at one preference plus a backup.
func bigDomain(n int) Input {
	var xs []Exchange
	for i := 0; i < n; i++ {
		xs = append(xs, Exchange{Preference: 10, Host: "mx", AStatus: LookupOK, AAAAStatus: LookupOK,
			A:    []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})},
			AAAA: []netip.Addr{netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})}})
	}
	xs = append(xs, host(20, "backup", "a3"))
	return domain(xs...)
}

// The default simulation of the research example, as check runs it.
func BenchmarkSimulatePostfixDefault(b *testing.B) {
	in := example()
	for b.Loop() {
		if _, err := Simulate(in, Config{}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSimulatePostfixReplayWithSuggestions(b *testing.B) {
	in := example()
	out := outcomes("b1", "timeout", "b2", "rcpt_5xx")
	for b.Loop() {
		if _, err := Simulate(in, Config{}, Options{Outcomes: out}); err != nil {
			b.Fatal(err)
		}
	}
}

// 20 dual-stack exchanges (41 addresses): exact with balance and limit 5.
func BenchmarkSimulatePostfixFortyAddresses(b *testing.B) {
	in := bigDomain(20)
	for b.Loop() {
		if _, err := Simulate(in, Config{}, Options{MaxOrderings: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSimulateEximDefault(b *testing.B) {
	in := example()
	for b.Loop() {
		if _, err := Simulate(in, Config{MTA: Exim}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// 41 addresses with limit 30 and balance: the family patterns number
// C(30,15)-ish, so the distribution is estimated (and says so) instead of
// walked, while the replay, which stops at the first delivery, stays exact.
// The bound is only "finishes", not a speed measurement.
func TestPostfixHugeBalancedListsAreEstimatedNotWalked(t *testing.T) {
	start := time.Now()
	d := simulate(t, bigDomain(20), Config{Set: sets("smtp_mx_address_limit", "30")}, Options{Outcomes: outcomes("a3", "timeout")})
	if d.Exact || d.FamilyPatternsComplete || d.Replay == nil || !d.Replay.Exact {
		t.Errorf("exact=%v patterns complete=%v replay=%+v", d.Exact, d.FamilyPatternsComplete, d.Replay)
	}
	if d.PFirstIPv6Exact != "1/2" {
		t.Errorf("P(first IPv6) = %v, want exactly 1/2 even when the rest is estimated", d.PFirstIPv6Exact)
	}
	if el := time.Since(start); el > 60*time.Second {
		t.Errorf("took %v", el)
	}
}

// hostileDomain is n exchanges at one preference with 4 A and 4 AAAA records
// each, all in documentation ranges (the IPv4 ones repeat after 192 hosts:
// there are only 768 such addresses).
func hostileDomain(n int) Input {
	v4 := [][3]byte{{192, 0, 2}, {198, 51, 100}, {203, 0, 113}}
	xs := make([]Exchange, 0, n)
	for i := 0; i < n; i++ {
		x := Exchange{Preference: 10, Host: fmt.Sprintf("mx%d.example.test", i), AStatus: LookupOK, AAAAStatus: LookupOK}
		for j := 0; j < 4; j++ {
			k := (i*4 + j) % 768
			net := v4[k/256]
			x.A = append(x.A, netip.AddrFrom4([4]byte{net[0], net[1], net[2], byte(k % 256)}))
			x.AAAA = append(x.AAAA, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 8), 13: byte(i), 15: byte(j + 1)}))
		}
		xs = append(xs, x)
	}
	return domain(xs...)
}

// One thousand equal-preference exchanges with four addresses per family,
// per MTA, with the CLI's default cap on listed orderings.
func BenchmarkSimulateThousandHosts(b *testing.B) {
	in := hostileDomain(1000)
	for _, name := range []string{Postfix, Exim, OpenSMTPD, Sendmail} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Simulate(in, Config{MTA: name}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
