// Package exitcode holds mailcheck's exit codes (docs/exit-codes.md), the
// same for every command, and the one mapping from a document and from a
// failed write to a code. pkg/cli returns them; render counts a bulk run
// with them.
package exitcode

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// The codes. Scripts rely on them: they are a contract.
const (
	OK           = 0   // nothing at or above the --fail-on threshold
	Findings     = 1   // findings at or above the threshold
	Usage        = 2   // bad usage or bad input
	Undetermined = 3   // could not determine: resolver unreachable, every probe inconclusive
	IOError      = 74  // writing the output failed (EX_IOERR, sysexits.h): the report is incomplete
	Interrupted  = 130 // SIGINT, after flushing what was complete
	BrokenPipe   = 141 // the reader of stdout went away (128 + SIGPIPE, as a shell reports it)
)

// Error carries an exit code out of a command. A nil Err means the
// command already said everything it had to say.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Of maps the error a command returned to the process exit code: an
// *Error's code, bad usage for any other error, OK for none.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Usage
}

// For is the one mapping from a document to an exit code, for every
// command (DESIGN.md "Exit codes"): bad input 2; findings at or above
// failOn 1 (a definite bad result is 1, not 3); else could not determine
// 3; else 0.
func For(doc document.Judged, failOn report.Severity) int {
	o := doc.Outcome()
	switch {
	case o.BadInput:
		return Usage
	case report.AtLeast(o.Findings, failOn):
		return Findings
	case o.Undetermined:
		return Undetermined
	}
	return OK
}

// Worse combines exit codes over a bulk run: bad input, then findings,
// then undetermined, then OK.
func Worse(a, b int) int {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

func rank(code int) int {
	switch code {
	case Usage:
		return 3
	case Findings:
		return 2
	case Undetermined:
		return 1
	}
	return 0
}

// ForWriteError maps a failed write on stdout to the exit code and the
// message for stderr (empty: say nothing). It decides over whatever the
// command returned, since a report cut short is not the verdict it was
// going to carry.
//
// A reader that went away (`mailcheck check -f big.txt | head`) is the
// reader's choice, not a fault: Unix tools end quietly then. The binary
// normally never gets here, because Go's runtime lets the process die of
// SIGPIPE when a write to fd 1 fails with EPIPE, which a shell reports as
// 141; when the write reports EPIPE instead (another writer, or SIGPIPE
// ignored by the parent), the exit code is that same 141, so that
// `set -o pipefail` scripts see one code either way. Any other failure
// (a full disk: ENOSPC; an I/O error) is 74, EX_IOERR, with the cause.
func ForWriteError(err error) (code int, msg string) {
	if errors.Is(err, syscall.EPIPE) {
		return BrokenPipe, ""
	}
	cause := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		// "no space left on device" rather than "write /dev/stdout: ...":
		// the file is the user's redirection, the cause is what to fix.
		cause = errno.Error()
	}
	return IOError, "writing the report: " + cause
}
