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
