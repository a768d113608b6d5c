package mta

import (
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// bigDomain has n dual-stack exchanges at one preference plus a backup.
func bigDomain(n int) Input {
	var xs []Exchange
	for i := 0; i < n; i++ {
		xs = append(xs, Exchange{Preference: 10, Host: "mx", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
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
