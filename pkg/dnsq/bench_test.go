package dnsq

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

const benchDomains = 20000

var benchZone = sync.OnceValue(func() string {
	var z strings.Builder
	z.WriteString("test. SOA ns.test. h.test. 1 3600 600 86400 60\n")
	for i := 0; i < benchDomains; i++ {
		fmt.Fprintf(&z, "d%d.test. MX 10 mx.d%d.test.\nmx.d%d.test. A 192.0.2.%d\nmx.d%d.test. AAAA 2001:db8::%x\n",
			i, i, i, i%250+1, i, i+1)
	}
	return z.String()
})

// TestMain doubles as the out-of-process server for
// BenchmarkResolverClientOnly: with DNSQ_BENCH_SERVER=1 the test binary
// serves the benchmark zone, prints its address and exits when its stdin
// closes.
func TestMain(m *testing.M) {
	if os.Getenv("DNSQ_BENCH_SERVER") != "1" {
		os.Exit(m.Run())
	}
	s, err := dnstest.Start(benchZone(), dnstest.WithoutQueryLog(), dnstest.WithoutIPv6())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(s.Addr4())
	_, _ = io.Copy(io.Discard, os.Stdin)
	s.Close()
	os.Exit(0)
}

// startServerProcess runs the benchmark server in a child process so that
// the CPU time measured is the client's alone.
func startServerProcess(b *testing.B) string {
	exe, err := os.Executable()
	if err != nil {
		b.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "DNSQ_BENCH_SERVER=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("benchmark server: %v", err)
	}
	return strings.TrimSpace(line)
}

// BenchmarkResolverClientOnly is BenchmarkResolverAgainstDNSTest with the
// server in another process: cpu-µs/domain is then the client's cost for
// MX + A + AAAA of one domain, the figure bulk throughput depends on.
func BenchmarkResolverClientOnly(b *testing.B) {
	benchDomainLookups(b, startServerProcess(b))
}

// BenchmarkResolverAgainstDNSTest measures the client doing what bulk mode
// does for each domain: MX, then A and AAAA of the exchange, every name a
// cache miss, from parallel goroutines, against the in-process server on
// loopback (which shares the CPU). It reports domains/s.
func BenchmarkResolverAgainstDNSTest(b *testing.B) {
	s, err := dnstest.Start(benchZone(), dnstest.WithoutQueryLog(), dnstest.WithoutIPv6())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	benchDomainLookups(b, s.Addr4())
}

func benchDomainLookups(b *testing.B, server string) {
	c, err := New(Config{Servers: []string{server}, CacheSize: 4096})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.SetParallelism(32) // bulk mode keeps many lookups in flight
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := next.Add(1) % benchDomains
			d := fmt.Sprintf("d%d.test.", i)
			mx := c.LookupMX(ctx, d)
			if mx.Status != StatusOK {
				b.Errorf("MX %s: %s %v", d, mx.Status, mx.Err)
				return
			}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); c.LookupA(ctx, mx.MX[0].Host) }()
			go func() { defer wg.Done(); c.LookupAAAA(ctx, mx.MX[0].Host) }()
			wg.Wait()
		}
	})
	b.StopTimer()
	// The machine may be shared: CPU time per domain (client and server
	// together) says more than wall time.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/domain")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "domains/s")
	st := c.Stats()
	b.ReportMetric(float64(st.Queries)/float64(b.N), "queries/domain")
}

// BenchmarkCachedLookup measures a cache hit: the cost every repeated
// question (shared MX hosts, FCrDNS of a PTR name just seen) pays.
func BenchmarkCachedLookup(b *testing.B) {
	s, err := dnstest.Start(benchZone(), dnstest.WithoutQueryLog(), dnstest.WithoutIPv6())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := New(Config{Servers: []string{s.Addr4()}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c.LookupA(ctx, "mx.d1.test.")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := c.LookupA(ctx, "mx.d1.test."); r.Status != StatusOK {
				b.Error(r.Status)
				return
			}
		}
	})
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
