package render

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress is the progress line of a bulk check on a terminal's stderr:
// domains done and the rate, cleared when the run ends. A nil *Progress
// shows nothing, so callers need no branch for runs without one.
type Progress struct{ bar *progressbar.ProgressBar }

// NewProgress starts a progress line on w (a terminal).
func NewProgress(w io.Writer) *Progress {
	return &Progress{bar: progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("checking"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("domains"),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		// No spinner ticker: for a bar of unknown length the library
		// starts a goroutine that reads the bar's state without its
		// lock (a data race, v3.19.1); the bar still advances on Add.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)}
}

// Add counts one domain done.
func (p *Progress) Add() {
	if p != nil {
		_ = p.bar.Add(1)
	}
}

// Finish clears the line.
func (p *Progress) Finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}
