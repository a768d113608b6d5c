package cli

import (
	"errors"
	"fmt"
)

// Exit codes, the same for every command (docs/exit-codes.md).
const (
	ExitOK           = 0   // nothing at or above the --fail-on threshold
	ExitFindings     = 1   // findings at or above the threshold
	ExitUsage        = 2   // bad usage or bad input
	ExitUndetermined = 3   // could not determine: resolver unreachable, every probe inconclusive
	ExitInterrupted  = 130 // SIGINT, after flushing what was complete
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
