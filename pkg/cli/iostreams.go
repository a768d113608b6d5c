package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

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

// SystemStreams returns the process's streams.
func SystemStreams() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In:         os.Stdin,
		Out:        os.Stdout,
		ErrOut:     os.Stderr,
		OutTTY:     isTerminal(os.Stdout),
		ErrTTY:     isTerminal(os.Stderr),
		NoColorEnv: noColor,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// ColorEnabled reports whether stdout gets colour: a terminal, no NO_COLOR,
// no --no-color.
func (s *IOStreams) ColorEnabled(noColorFlag bool) bool {
	return s.OutTTY && !s.NoColorEnv && !noColorFlag
}
