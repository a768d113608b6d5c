package smtpprobe

import (
	"context"
	"crypto/x509"
	"runtime"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

func TestProbeOfA2MiBLineUsesBoundedMemory(t *testing.T) {
	srv := start(t, smtptest.Script{Behavior: smtptest.LongLine})
	// New starts loading the system's trust roots on a goroutine of its
	// own (about a megabyte of allocations); loaded here first, so that
	// they are not counted as the probe's whenever that goroutine runs
	// during the measurement.
	_, _ = x509.SystemCertPool()
	p := New(Options{Port: int(srv.Addr().Port()), HELO: "c.test"})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := p.Probe(context.Background(), Target{IP: srv.Addr().Addr()})
	runtime.ReadMemStats(&after)
	if res.Status != StatusNotSMTP {
		t.Fatalf("status %s", res.Status)
	}
	// The fake server itself allocates its 64 KiB chunk twice; the probe
	// holds a 2 KiB line buffer. Reading the whole 2 MiB would blow this.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("probe allocated %d bytes for a 2 MiB line", alloc)
	}
}

func benchmarkProbe(b *testing.B, s smtptest.Script, noTLS bool) {
	srv, err := smtptest.Start(s)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	p := New(Options{Port: int(srv.Addr().Port()), HELO: "c.test", NoStartTLS: noTLS,
		RootCAs: smtptest.CertPool(srv.Certificate())})
	tgt := Target{Host: "mx.test", IP: srv.Addr().Addr()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := p.Probe(context.Background(), tgt); r.Status != StatusOK {
			b.Fatalf("status %s: %s", r.Status, r.Error)
		}
	}
}

// BenchmarkProbeLoopback measures one full probe (connect, greeting, EHLO,
// QUIT) against a loopback fake server: the client's own overhead.
func BenchmarkProbeLoopback(b *testing.B) {
	benchmarkProbe(b, smtptest.Script{NoTLS: true}, true)
}

// BenchmarkProbeLoopbackSTARTTLS adds STARTTLS, the handshake, certificate
// verification and the second EHLO.
func BenchmarkProbeLoopbackSTARTTLS(b *testing.B) {
	benchmarkProbe(b, smtptest.Script{}, false)
}

// BenchmarkProbeAll16 probes 16 addresses (one server) with limit 16.
func BenchmarkProbeAll16(b *testing.B) {
	srv, err := smtptest.Start(smtptest.Script{NoTLS: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	p := New(Options{Port: int(srv.Addr().Port()), HELO: "c.test"})
	targets := make([]Target, 16)
	for i := range targets {
		targets[i] = Target{Host: "mx.test", IP: srv.Addr().Addr()}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, r := range p.ProbeAll(context.Background(), targets, 16) {
			if r.Status != StatusOK {
				b.Fatalf("status %s: %s", r.Status, r.Error)
			}
		}
	}
}
