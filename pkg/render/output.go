package render

import (
	"io"

	"github.com/mailcheck/mailcheck/pkg/document"
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
// none came (Begin), and the progress bar (nil: none) advances with each.
type CheckStream struct {
	W        CheckWriter
	Progress *Progress
	begun    bool
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
	if err := s.Begin(); err != nil {
		return err
	}
	s.Progress.Add()
	return s.W.Write(r)
}
