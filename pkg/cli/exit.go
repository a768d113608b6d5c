package cli

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Exit codes, the same for every command (docs/exit-codes.md).
const (
	ExitOK           = 0   // nothing at or above the --fail-on threshold
	ExitFindings     = 1   // findings at or above the threshold
	ExitUsage        = 2   // bad usage or bad input
	ExitUndetermined = 3   // could not determine: resolver unreachable, every probe inconclusive
	ExitIOError      = 74  // writing the output failed (EX_IOERR, sysexits.h): the report is incomplete
	ExitInterrupted  = 130 // SIGINT, after flushing what was complete
	ExitBrokenPipe   = 141 // the reader of stdout went away (128 + SIGPIPE, as a shell reports it)
)

// ExitError carries an exit code out of a command's run function. A nil Err
// means the command already said everything it had to say.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// usageErr wraps a bad-input error so Main exits 2 with the message on stderr.
func usageErr(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// undetermined wraps an error that made the verdict impossible (exit 3).
func undetermined(err error) error {
	return &ExitError{Code: ExitUndetermined, Err: err}
}

// silentExit makes Main exit with code and print nothing more.
func silentExit(code int) error {
	if code == ExitOK {
		return nil
	}
	return &ExitError{Code: code}
}

// outputExit maps a failed write on stdout to the exit code and the
// message for stderr (empty: say nothing). It decides over whatever the
// command returned, since a report cut short is not the verdict it was
// going to carry, and it is the one place this is decided for every
// command.
//
// A reader that went away (`mailcheck check -f big.txt | head`) is the
// reader's choice, not a fault: Unix tools end quietly then. The binary
// normally never gets here, because Go's runtime lets the process die of
// SIGPIPE when a write to fd 1 fails with EPIPE, which a shell reports as
// 141; when the write reports EPIPE instead (another writer, or SIGPIPE
// ignored by the parent), the exit code is that same 141, so that
// `set -o pipefail` scripts see one code either way. Any other failure
// (a full disk: ENOSPC; an I/O error) is 74, EX_IOERR, with the cause.
func outputExit(err error) (code int, msg string) {
	if errors.Is(err, syscall.EPIPE) {
		return ExitBrokenPipe, ""
	}
	cause := err.Error()
	var errno syscall.Errno
	if errors.As(err, &errno) {
		// "no space left on device" rather than "write /dev/stdout: ...":
		// the file is the user's redirection, the cause is what to fix.
		cause = errno.Error()
	}
	return ExitIOError, "writing the report: " + cause
}

// exitCode maps an error returned by a command to the process exit code.
func exitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUsage
}

// docExit is the one mapping from a document to an exit code, for every
// command (DESIGN.md "Exit codes"): bad input 2; findings at or above
// failOn 1 (a definite bad result is 1, not 3); else could not determine
// 3; else 0.
func docExit(doc document.Judged, failOn report.Severity) int {
	o := doc.Outcome()
	switch {
	case o.BadInput:
		return ExitUsage
	case report.AtLeast(o.Findings, failOn):
		return ExitFindings
	case o.Undetermined:
		return ExitUndetermined
	}
	return ExitOK
}

// finish ends a one-document command: 130 when interrupted (after the
// document was written), else the document's exit code.
func finish(ctx context.Context, doc document.Judged, failOn report.Severity) error {
	if ctx.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	return silentExit(docExit(doc, failOn))
}

// worseExit combines exit codes over a bulk run: bad input, then findings,
// then undetermined, then OK.
func worseExit(a, b int) int {
	rank := map[int]int{ExitUsage: 3, ExitFindings: 2, ExitUndetermined: 1}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// commandErr passes an error that already carries its exit code (the
// resolver's) and makes any other one bad input (an audit.RequestError as
// it is).
func commandErr(err error) error {
	var ee *ExitError
	var mc *audit.MainCFError
	var re *audit.RequestError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.As(err, &re):
		return &ExitError{Code: ExitUsage, Err: err}
	case errors.As(err, &mc):
		return usageErr("--main-cf: %v", mc.Err)
	}
	return usageErr("%v", err)
}
