package cli

import "io"

// IOStreams are the command's standard streams and what we know about the
// terminal behind them. Colour is decided once, here, never through globals.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	OutTTY bool // stdout is a terminal
	ErrTTY bool // stderr is a terminal
	// NoColorEnv is true when NO_COLOR is set to anything (https://no-color.org).
	NoColorEnv bool
}

// ColorEnabled reports whether stdout gets colour: a terminal, no NO_COLOR,
// no --no-color.
func (s *IOStreams) ColorEnabled(noColorFlag bool) bool {
	return s.OutTTY && !s.NoColorEnv && !noColorFlag
}

// outWriter is stdout as the commands see it: it remembers the first
// failed write, so that the exit code says the report is incomplete
// whichever renderer met the failure and whatever it made of it
// (outputExit). After a failure it writes nothing more.
type outWriter struct {
	w   io.Writer
	err error
}

func (o *outWriter) Write(p []byte) (int, error) {
	if o.err != nil {
		return 0, o.err
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.err = err
	}
	return n, err
}
