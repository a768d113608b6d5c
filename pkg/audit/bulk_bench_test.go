package audit

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// inFlightZone is the bench harness's domain shape (scripts/bench/gen-bulk.sh):
// one exchange per domain with an A and an AAAA record, each IPv6 address
// unique with a PTR back to its exchange, the IPv4 addresses shared.
func inFlightZone(n int) string {
	var b strings.Builder
	for i := range 250 {
		fmt.Fprintf(&b, "%d.2.0.192.in-addr.arpa. PTR mx%d.bulk.test.\n", i+1, i)
	}
	for i := range n {
		v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 24), 13: byte(i >> 16), 14: byte(i >> 8), 15: byte(i)})
		fmt.Fprintf(&b, "d%d.bulk.test. MX 10 mx%d.bulk.test.\nmx%d.bulk.test. A 192.0.2.%d\nmx%d.bulk.test. AAAA %s\n%s PTR mx%d.bulk.test.\n",
			i, i, i, i%250+1, i, v6, addr.ReverseName(v6), i)
	}
	return b.String()
}

// BenchmarkCheckManyInFlight measures what one domain in flight costs:
// `check --dns-only` over 4 x concurrency domains against an in-process
// server that holds every answer for 20 ms, so that the pool stays full
// and each worker waits, as it does behind a real resolver. Reported: the
// peaks of the Go heap and of the goroutine stacks in use during the run,
// above what was in use before it (the server's zone lives in this
// process too), divided by the concurrency. The heap figure includes the
// garbage not yet collected, as a process's resident size does
// (docs/performance.md, "Memory per domain in flight"). On a loaded
// machine the server answers late and some lookups time out: every domain
// must have its document, and at least half of them their MX answer.
func BenchmarkCheckManyInFlight(b *testing.B) {
	for _, conc := range []int{100, 1000} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			n := 4 * conc
			s, err := dnstest.Start(inFlightZone(n), dnstest.WithoutQueryLog(), dnstest.WithDelay(20*time.Millisecond))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var list strings.Builder
			for i := range n {
				fmt.Fprintf(&list, "d%d.bulk.test\n", i)
			}
			var peak inUse
			var base runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&base)
			for b.Loop() {
				r, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: time.Second})
				if err != nil {
					b.Fatal(err)
				}
				c := &Checker{Resolver: func() (dnsq.Resolver, error) { return r, nil }, IPv4: true, IPv6: true, Timeout: 30 * time.Second}
				stop, done := make(chan struct{}), make(chan inUse)
				go sampleInUse(stop, done)
				var count, ok atomic.Int64
				err = c.CheckMany(context.Background(), Bulk{List: strings.NewReader(list.String()), Concurrency: conc},
					CheckRequest{DNSOnly: true}, func(d *document.Check) error {
						count.Add(1)
						if d.MXStatus == "ok" && len(d.MX) == 1 {
							ok.Add(1)
						}
						return nil
					})
				close(stop)
				m := <-done
				peak.heap, peak.stack = max(peak.heap, m.heap), max(peak.stack, m.stack)
				r.Close()
				if err != nil || count.Load() != int64(n) || ok.Load() < int64(n)/2 {
					b.Fatalf("err %v: %d documents (%d ok) for %d domains", err, count.Load(), ok.Load(), n)
				}
			}
			heap := float64(peak.heap-min(peak.heap, base.HeapInuse)) / float64(conc)
			stack := float64(peak.stack-min(peak.stack, base.StackInuse)) / float64(conc)
			b.ReportMetric(heap+stack, "B/in-flight-domain")
			b.ReportMetric(heap, "heap-B/in-flight-domain")
			b.ReportMetric(stack, "stack-B/in-flight-domain")
		})
	}
}

// inUse is the Go heap and the goroutine stacks in use, in bytes.
type inUse struct{ heap, stack uint64 }

// sampleInUse sends on done the most heap and the most stack in use seen
// every 5 ms until stop closes (each its own peak: their sum bounds the
// peak of both together from above).
func sampleInUse(stop <-chan struct{}, done chan<- inUse) {
	var m runtime.MemStats
	var most inUse
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			done <- most
			return
		case <-t.C:
			runtime.ReadMemStats(&m)
			most.heap, most.stack = max(most.heap, m.HeapInuse), max(most.stack, m.StackInuse)
		}
	}
}
