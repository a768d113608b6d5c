package discover

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// benchDomain is a typical dual-stack domain: two MX hosts with one A and
// one AAAA each, every address with a forward-confirmed PTR. One Run asks
// 1 MX + 2x(A, AAAA) + 4 PTR + 4 forward = 13 questions.
func benchMock() *dnsq.Mock {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.org.": {{Preference: 10, Host: "mx1.example.org."}, {Preference: 20, Host: "mx2.example.org."}}},
		A:    map[string][]netip.Addr{},
		AAAA: map[string][]netip.Addr{},
		PTR:  map[string][]string{},
	}
	for i, h := range []string{"mx1.example.org.", "mx2.example.org."} {
		v4 := netip.MustParseAddr(fmt.Sprintf("192.0.2.%d", i+1))
		v6 := netip.MustParseAddr(fmt.Sprintf("2001:db8::%d", i+1))
		m.A[h], m.AAAA[h] = []netip.Addr{v4}, []netip.Addr{v6}
		m.PTR[v4.String()], m.PTR[v6.String()] = []string{h}, []string{h}
	}
	return m
}

// BenchmarkRunMock measures discovery's own cost (fan-out, memo, iprev,
// classification) with an in-memory resolver.
func BenchmarkRunMock(b *testing.B) {
	m := benchMock()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res := Run(ctx, m, "example.org", DefaultOptions())
		if len(res.MX) != 2 {
			b.Fatal("bad result")
		}
	}
}

// BenchmarkRunLoopback runs discovery over the real client against the
// in-process server on 127.0.0.1, with a fresh client (empty cache) per
// domain: 13 UDP exchanges per op, the critical path being
// MX -> A/AAAA -> PTR -> forward.
func BenchmarkRunLoopback(b *testing.B) {
	m := benchMock()
	var zone strings.Builder
	zone.WriteString("$TTL 300\nexample.org. MX 10 mx1.example.org.\nexample.org. MX 20 mx2.example.org.\n")
	for h, as := range m.A {
		fmt.Fprintf(&zone, "%s A %s\n", h, as[0])
		fmt.Fprintf(&zone, "%s AAAA %s\n", h, m.AAAA[h][0])
		fmt.Fprintf(&zone, "%s PTR %s\n", addr.ReverseName(as[0]), h)
		fmt.Fprintf(&zone, "%s PTR %s\n", addr.ReverseName(m.AAAA[h][0]), h)
	}
	s, err := dnstest.Start(zone.String(), dnstest.WithoutIPv6(), dnstest.WithoutQueryLog())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		res := Run(ctx, c, "example.org", DefaultOptions())
		if len(res.MX) != 2 || res.MX[1].Addresses[1].FCrDNS != "pass" {
			b.Fatalf("bad result: %+v", res)
		}
	}
}
