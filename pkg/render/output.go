package render

import (
	"io"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/exitcode"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Output is stdout as the commands see it: it remembers the first failed
// write, so that the exit code can say the report is incomplete whichever
// writer met the failure and whatever it made of it. After a failure it
// writes nothing more.
type Output struct {
	W   io.Writer
	Err error // the first failed write's error
}

func (o *Output) Write(p []byte) (int, error) {
	if o.Err != nil {
		return 0, o.Err
	}
	n, err := o.W.Write(p)
	if err != nil {
		o.Err = err
	}
	return n, err
}

// Logs writes the mail-log summary in format: json, markdown, or text.
func Logs(format string, w io.Writer, st *Styles, doc *document.Logs) error {
	switch format {
	case "json":
		return JSON(w, doc)
	case "markdown":
		return LogsMarkdown(w, doc)
	}
	return LogsText(w, st, doc)
}

// CheckStream drives a CheckWriter through a run whose reports arrive one
// at a time: the output begins before the first report, or at the end when
// none came (Begin), the progress bar (nil: none) advances with each, and
// the summary counts each report by its exit code at FailOn
// (exitcode.For), the worst code over the run deciding the run's.
type CheckStream struct {
	W        CheckWriter
	Progress *Progress
	FailOn   report.Severity
	// Flush (nil: none) writes out what W's writer buffers; Idle and End
	// call it.
	Flush func() error
	// Err is the first failed write: the run stops there, and the error
	// the run then returns is this one.
	Err   error
	sum   CheckSummary
	begun bool
}

// Begin begins the output, once.
func (s *CheckStream) Begin() error {
	if s.begun {
		return nil
	}
	s.begun = true
	return s.W.Begin()
}

// Write writes one report, beginning the output first if need be.
func (s *CheckStream) Write(r *document.Check) error {
	if s.Err != nil {
		return s.Err
	}
	code := exitcode.For(r, s.FailOn)
	s.sum.Domains++
	switch code {
	case exitcode.Findings:
		s.sum.Failed++
	case exitcode.Undetermined:
		s.sum.Undetermined++
	case exitcode.Usage:
		s.sum.BadInput++
	}
	s.sum.ExitCode = exitcode.Worse(s.sum.ExitCode, code)
	s.Progress.Add()
	if s.Err = s.Begin(); s.Err == nil {
		s.Err = s.W.Write(r)
	}
	return s.Err
}

// Idle writes out what is buffered, when the run has nothing more to
// write for now (audit.Bulk.Idle).
func (s *CheckStream) Idle() error {
	if s.Err == nil && s.Flush != nil {
		s.Err = s.Flush()
	}
	return s.Err
}

// End ends the output with the summary and returns the run's exit code:
// 130 when interrupted, 2 when the list could not be read to its end
// (badInput), else the worst of the reports'. The error is the first
// failed write.
func (s *CheckStream) End(interrupted, badInput bool) (int, error) {
	s.Progress.Finish()
	s.sum.Interrupted = interrupted
	switch {
	case interrupted:
		s.sum.ExitCode = exitcode.Interrupted
	case badInput:
		s.sum.ExitCode = exitcode.Usage
	}
	if s.Err == nil {
		s.Err = s.Begin()
	}
	if err := s.W.End(s.sum); s.Err == nil {
		s.Err = err
	}
	_ = s.Idle() // sets s.Err
	return s.sum.ExitCode, s.Err
}
