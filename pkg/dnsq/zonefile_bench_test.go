package dnsq

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkLoadZoneMillion loads a zone file of one million records (A,
// AAAA, MX and TXT for 250,000 hosts) and reports the time per load and
// the heap the loaded zone holds. Run it alone:
//
//	go test -run - -bench LoadZoneMillion -benchtime 1x ./pkg/dnsq/
func BenchmarkLoadZoneMillion(b *testing.B) {
	path := filepath.Join(b.TempDir(), "big.zone")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n")
	for i := 0; i < 250_000; i++ {
		fmt.Fprintf(w, "h%d A 198.51.%d.%d\nh%d AAAA 2001:db8::%x:%x\nh%d MX 10 mx%d\nh%d TXT \"v=spf1 ip4:192.0.2.%d -all\"\n",
			i, i>>8&0xff, i&0xff, i, i>>16, i&0xffff, i, i%7, i, i&0xff)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		z, err := LoadZone(path, "")
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if z.Records() != 1_000_001 {
			b.Fatalf("%d records", z.Records())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-held")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-allocated")
		runtime.KeepAlive(z)
	}
}
