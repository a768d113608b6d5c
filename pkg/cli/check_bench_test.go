package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// countingWriter counts JSON lines without keeping them.
type countingWriter struct{ lines atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines.Add(int64(strings.Count(string(p), "\n")))
	return len(p), nil
}

// BenchmarkCheckDNSOnlyBulk measures `check --dns-only -o jsonl -f -` over
// an in-process authoritative server: MX, A, AAAA, PTR and forward
// confirmation per domain. It reports domains/s, and the live heap
// sampled during the run above the heap in use before it (the server's
// zone): memory must stay flat as the list grows (the writer streams, the
// worker pool is fixed, the DNS cache is bounded); B/op divided by the
// domain count is the allocation per domain.
func BenchmarkCheckDNSOnlyBulk(b *testing.B) {
	for _, n := range []int{2000, 20000} {
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			s, err := dnstest.Start(bulkZone(n), dnstest.WithoutQueryLog())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			list := bulkList(n, false)
			// The server's zone lives in this process too: measure the
			// check's heap above what is in use before it starts.
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			b.ResetTimer()
			cpu0 := processCPU()
			var peak uint64
			for i := 0; i < b.N; i++ {
				out := &countingWriter{}
				f := &Factory{
					IO:          &IOStreams{In: strings.NewReader(list), Out: out, ErrOut: io.Discard},
					Global:      &GlobalOptions{},
					NewResolver: defaultResolver,
					Now:         time.Now,
				}
				stop := make(chan struct{})
				done := make(chan uint64)
				go func() {
					var m runtime.MemStats
					var max uint64
					t := time.NewTicker(20 * time.Millisecond)
					defer t.Stop()
					for {
						select {
						case <-stop:
							done <- max
							return
						case <-t.C:
							runtime.ReadMemStats(&m)
							if m.HeapInuse > max {
								max = m.HeapInuse
							}
						}
					}
				}()
				code := RunWith(context.Background(), f, []string{"check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "--ignore", "MC207", "-f", "-"})
				close(stop)
				if m := <-done; m > peak {
					peak = m
				}
				// Exit 3 is possible on a loaded machine (a lookup timed
				// out): still one whole line per domain.
				if (code != ExitOK && code != ExitUndetermined) || out.lines.Load() != int64(n) {
					b.Fatalf("exit %d, %d lines for %d domains", code, out.lines.Load(), n)
				}
			}
			// The machine may be shared: CPU time per domain (the check and
			// the in-process server together) says more than wall time.
			b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/(float64(n)*float64(b.N)), "cpu-µs/domain")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "domains/s")
			b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "check-heap-MB")
		})
	}
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
