package cli

import (
	"fmt"
	"io"
	"time"
)

// progress is the bulk check's one-line counter on a terminal's stderr:
// "checking: 1234 domains, 456/s", redrawn in place at most every
// progressEvery and erased by Finish, so nothing of it stays in a scrollback
// or reaches a pipe (the caller creates one only for a terminal). The total
// is unknown (a list may be streamed), so it shows a count and a rate, not
// a bar. One goroutine uses it.
type progress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	n           int
	drawn       bool
}

const progressEvery = 100 * time.Millisecond

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, now: now, start: now()}
}

// Add counts k more domains done.
func (p *progress) Add(k int) {
	p.n += k
	t := p.now()
	if p.drawn && t.Sub(p.last) < progressEvery {
		return
	}
	p.last = t
	p.drawn = true
	line := fmt.Sprintf("checking: %d domains", p.n)
	if secs := t.Sub(p.start).Seconds(); secs >= 0.5 {
		line += fmt.Sprintf(", %.0f/s", float64(p.n)/secs)
	}
	// Carriage return, the line, erase to the end of the line (ECMA-48 EL).
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// Finish erases the line, if one was drawn.
func (p *progress) Finish() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
