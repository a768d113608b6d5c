package discover

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/iprev"
)

// A zone exercising discovery end to end over the real client: no SOA, so
// the server answers for every name (reverse names included).
const clientZone = `
$TTL 300
example.             MX    20 mx2.example.
example.             MX    10 mx1.example.
example.             MX    30 alias.example.
mx1.example.         A     192.0.2.1
mx1.example.         AAAA  2001:db8::1
mx2.example.         A     192.0.2.2
mx2.example.         AAAA  2001:db8::2
alias.example.       CNAME mx1.example.
1.2.0.192.in-addr.arpa.   PTR mx1.example.
2.2.0.192.in-addr.arpa.   PTR wrong.example.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mx1.example.
wrong.example.       A     192.0.2.99
null.example.        MX    0 .
mixed.example.       MX    0 .
mixed.example.       MX    10 mx1.example.
implicit.example.    A     192.0.2.7
literal.example.     MX    10 192.0.2.8.
`

func clientFor(t *testing.T, s *dnstest.Server) dnsq.Resolver {
	t.Helper()
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRunOverTheRealClient(t *testing.T) {
	s := dnstest.New(t, clientZone)
	s.MustInject(t, "mx2.example.", "AAAA", dnstest.FaultServFail)
	r := clientFor(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	res := Run(ctx, r, "example", DefaultOptions())
	if res.MXStatus != dnsq.StatusOK || res.MXServer == "" {
		t.Fatalf("MX status %s server %q", res.MXStatus, res.MXServer)
	}
	if got := hostsOf(res); got != "10 mx1.example, 20 mx2.example, 30 alias.example" {
		t.Errorf("exchanges = %s", got)
	}
	type row struct {
		host, ip string
		fcrdns   iprev.Status
	}
	var got []row
	for _, e := range res.MX {
		for _, a := range e.Addresses {
			got = append(got, row{e.Host, a.IP.String(), a.FCrDNS})
		}
	}
	want := []row{
		{"mx1.example", "192.0.2.1", iprev.StatusPass},
		{"mx1.example", "2001:db8::1", iprev.StatusPass},
		{"mx2.example", "192.0.2.2", iprev.StatusFail},
		{"alias.example", "192.0.2.1", iprev.StatusPass},
		{"alias.example", "2001:db8::1", iprev.StatusPass},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("addresses:\n got %v\nwant %v", got, want)
	}
	if mx2 := res.MX[1]; mx2.AAAAStatus != dnsq.StatusServFail {
		t.Errorf("mx2 AAAA = %s, want servfail", mx2.AAAAStatus)
	}
	if al := res.MX[2]; fmt.Sprint(al.CNAME) != "[mx1.example]" {
		t.Errorf("alias CNAME = %v", al.CNAME)
	}
	// The client and discovery together ask each question once.
	for _, q := range []struct{ name, typ string }{
		{"mx1.example.", "A"}, {"mx1.example.", "AAAA"}, {"1.2.0.192.in-addr.arpa.", "PTR"},
	} {
		if n := s.Queries(q.name, q.typ); n != 1 {
			t.Errorf("%s %s asked %d times, want 1", q.typ, q.name, n)
		}
	}
}

func TestRunOverTheRealClientForEachMXShape(t *testing.T) {
	s := dnstest.New(t, clientZone)
	r := clientFor(t, s)
	tests := []struct {
		domain string
		check  func(t *testing.T, res Result)
	}{
		{"null.example", func(t *testing.T, res Result) {
			if !res.NullMX || len(res.MX) != 0 {
				t.Errorf("null %v mx %v", res.NullMX, res.MX)
			}
		}},
		{"mixed.example", func(t *testing.T, res Result) {
			if res.NullMX || !res.NullMXMixed || hostsOf(res) != "10 mx1.example" {
				t.Errorf("null %v mixed %v mx %s", res.NullMX, res.NullMXMixed, hostsOf(res))
			}
		}},
		{"implicit.example", func(t *testing.T, res Result) {
			if !res.ImplicitMX || res.MXStatus != dnsq.StatusNoData || hostsOf(res) != "0 implicit.example" || ipsOf(res.MX[0]) != "192.0.2.7" {
				t.Errorf("implicit %v status %s mx %s", res.ImplicitMX, res.MXStatus, hostsOf(res))
			}
		}},
		{"nope.example", func(t *testing.T, res Result) {
			if res.MXStatus != dnsq.StatusNXDomain || res.ImplicitMX || len(res.MX) != 0 {
				t.Errorf("status %s implicit %v", res.MXStatus, res.ImplicitMX)
			}
		}},
		{"literal.example", func(t *testing.T, res Result) {
			if len(res.MX) != 1 || !res.MX[0].IPLiteral || ipsOf(res.MX[0]) != "192.0.2.8" {
				t.Errorf("mx %+v", res.MX)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tc.check(t, Run(ctx, r, tc.domain, DefaultOptions()))
		})
	}
}

func TestRunReportsAnUnansweredMXQueryAsTimeoutWithinTheDeadline(t *testing.T) {
	s := dnstest.New(t, clientZone)
	s.MustInject(t, "example.", "MX", dnstest.FaultDrop)
	r := clientFor(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	res := Run(ctx, r, "example", DefaultOptions())
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %s", el)
	}
	if res.MXStatus != dnsq.StatusTimeout || res.MXError == "" {
		t.Errorf("status %s error %q, want timeout with an explanation", res.MXStatus, res.MXError)
	}
}

// pairCounter is the real client with its pairs counted.
type pairCounter struct {
	*dnsq.Client
	pairs atomic.Int32
}

func (p *pairCounter) LookupAddrPair(ctx context.Context, name string, a, aaaa *dnsq.AddrResult, ready func(bool)) {
	p.pairs.Add(1)
	p.Client.LookupAddrPair(ctx, name, a, aaaa, ready)
}

// Without a Found callback (nothing to probe) an exchange's A and AAAA are
// asked as a pair, and discovery finds exactly what it finds with one:
// for every domain of the zone, with faults on either family.
func TestDiscoveryWithoutFoundPairsTheAddressQuestionsAndFindsTheSame(t *testing.T) {
	s := dnstest.New(t, clientZone)
	s.MustInject(t, "mx2.example.", "AAAA", dnstest.FaultServFail)
	s.MustInject(t, "alias.example.", "A", dnstest.FaultTruncate)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, domain := range []string{"example", "null.example", "mixed.example", "implicit.example", "literal.example", "nxdomain.example"} {
		paired := &pairCounter{Client: clientFor(t, s).(*dnsq.Client)}
		got := Run(ctx, paired, domain, DefaultOptions())
		opts := DefaultOptions()
		opts.Found = func(string, []netip.Addr) {}
		want := Run(ctx, clientFor(t, s), domain, opts)
		if g, w := resultText(got), resultText(want); g != w {
			t.Errorf("%s:\n paired %s\n apart  %s", domain, g, w)
		}
		exchanges := 0
		for _, x := range got.MX {
			if !x.IPLiteral {
				exchanges++
			}
		}
		if int(paired.pairs.Load()) != exchanges {
			t.Errorf("%s: %d pairs asked for %d named exchanges", domain, paired.pairs.Load(), exchanges)
		}
	}
}

// resultText is a discovery's result without its round-trip times.
func resultText(r Result) string {
	b, err := json.Marshal(r)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
