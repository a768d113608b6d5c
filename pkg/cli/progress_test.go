package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressRedrawsAtMostEveryTenthOfASecondAndErasesItself(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var b bytes.Buffer
	p := newProgress(&b, clock)
	p.Add(1) // first: drawn
	for range 9 {
		now = now.Add(5 * time.Millisecond)
		p.Add(1) // within 100 ms of the last draw: not drawn
	}
	now = now.Add(time.Second)
	p.Add(1) // drawn, with a rate: 11 in 1.045 s
	p.Finish()
	got := b.String()
	if n := strings.Count(got, "\r"); n != 3 {
		t.Errorf("%d carriage returns in %q, want 2 draws and 1 erase", n, got)
	}
	if !strings.Contains(got, "checking: 1 domains\x1b[K") || !strings.Contains(got, "checking: 11 domains, 11/s\x1b[K") {
		t.Errorf("draws %q: want the count, and the rate after half a second", got)
	}
	if !strings.HasSuffix(got, "\r\x1b[K") {
		t.Errorf("%q does not end by erasing the line", got)
	}
	b.Reset()
	q := newProgress(&b, clock)
	q.Finish()
	if b.Len() != 0 {
		t.Errorf("Finish without a draw wrote %q", b.String())
	}
}
