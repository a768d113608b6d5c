package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/exitcode"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Exit codes, the same for every command (docs/exit-codes.md; pkg/exitcode).
const (
	ExitOK           = exitcode.OK
	ExitFindings     = exitcode.Findings
	ExitUsage        = exitcode.Usage
	ExitUndetermined = exitcode.Undetermined
	ExitIOError      = exitcode.IOError
	ExitInterrupted  = exitcode.Interrupted
	ExitBrokenPipe   = exitcode.BrokenPipe
)

// ExitError carries an exit code out of a command's run function
// (exitcode.Error).
type ExitError = exitcode.Error

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

// finish ends a one-document command: 130 when interrupted (after the
// document was written), else the document's exit code.
func finish(ctx context.Context, doc document.Judged, failOn report.Severity) error {
	if ctx.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	return silentExit(exitcode.For(doc, failOn))
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
