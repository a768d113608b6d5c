package maillog

import (
	"bytes"
	"context"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/logtest"
)

// BenchmarkReadGeneratedPostfixLog measures log lines per second over a
// generated Postfix log (every line kind a busy relay writes, about a
// third of them delivery attempts): `go test -bench ReadGenerated
// ./pkg/maillog/`.
func BenchmarkReadGeneratedPostfixLog(b *testing.B) {
	var buf bytes.Buffer
	x, err := logtest.Postfix(&buf, 20_000, logStart)
	if err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Read(context.Background(), []Input{{Name: "mail.log", R: bytes.NewReader(data)}}, Options{Year: 2026}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(x.Lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
