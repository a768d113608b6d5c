package smtpprobe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

// Error is a failed probe step: which phase, the SMTP reply when there was
// one, and the cause. Match it with errors.As.
type Error struct {
	Phase     string // PhaseConnect, PhaseBanner, ...
	Code      int    // SMTP reply code, 0 when there was no reply
	Enhanced  string // enhanced status code (RFC 3463), e.g. "5.7.1"; empty when absent
	Line      string // the reply's last line, sanitised; empty when there was no reply
	Permanent bool   // a 5xx reply
	Err       error  // the cause; nil when the reply says it all
}

func (e *Error) Error() string {
	switch {
	case e.Code != 0 && e.Err != nil:
		return fmt.Sprintf("%s: %s: %v", e.Phase, e.Line, e.Err)
	case e.Code != 0:
		return fmt.Sprintf("%s: %s", e.Phase, e.Line)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", e.Phase, e.Err)
	}
	return e.Phase + ": failed"
}

func (e *Error) Unwrap() error { return e.Err }

// Errors for peers that do not speak SMTP within our bounds.
var (
	ErrLineTooLong  = errors.New("reply line too long")
	ErrTooManyLines = errors.New("too many reply lines")
	ErrTooMuchData  = errors.New("peer sent too much data")
	ErrMalformed    = errors.New("not an SMTP reply")
	ErrInterrupted  = errors.New("interrupted")
	// ErrDeadline says the run's own deadline (the context's; the CLI's
	// --timeout) ended a wait before the server had used up its connect
	// or command timeout: the probe says nothing about the server.
	ErrDeadline = errors.New("the run's deadline (--timeout) came first")
)

// waitError explains err, which ended a wait for what (a noun: "complete
// reply") of the given kind ("connect", "command") that began at start
// under limit, the timeout of that kind. A timeout is the server's fault only when limit ran out:
// when the run's own deadline (ctx) came first it wraps ErrDeadline, and
// when the run was cancelled it wraps ErrInterrupted. The socket deadline
// is the earlier of the two, so it may fire an instant before ctx itself
// reports done; the deadline's value, not ctx.Err, decides. Other errors
// are returned as they are.
func waitError(ctx context.Context, err error, start time.Time, kind string, limit time.Duration, what string) error {
	if err == nil || !isTimeout(err) && !errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	if d, ok := ctx.Deadline(); ok && d.Before(start.Add(limit)) {
		waited := time.Since(start).Round(time.Millisecond)
		return fmt.Errorf("%w: it ended the wait for the %s after %s, before the %s %s timeout: %v", ErrDeadline, what, waited, limit, kind, err)
	}
	return fmt.Errorf("no %s within the %s %s timeout: %w", what, limit, kind, err)
}

// isTimeout reports a deadline: ours (context) or the socket's.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isLocalRefusal reports errors that come from this host rather than from
// the path or the peer: no source address, a local firewall, no support
// for the family. They make the result inconclusive.
func isLocalRefusal(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EPERM) ||
		errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, ErrNoSource)
}

// isClosed reports a peer that went away: RST or EOF.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNABORTED)
}

// isNotSMTP reports a peer that spoke, but not SMTP within our bounds.
func isNotSMTP(err error) bool {
	return errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrTooManyLines) ||
		errors.Is(err, ErrTooMuchData) || errors.Is(err, ErrMalformed)
}

// dialStatus classifies a failed TCP connect.
func dialStatus(err error) Status {
	switch {
	case errors.Is(err, ErrDeadline):
		return StatusInconclusive
	case errors.Is(err, syscall.ECONNREFUSED):
		return StatusRefused
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return StatusUnreachable
	case isLocalRefusal(err):
		return StatusInconclusive
	case isTimeout(err), errors.Is(err, context.Canceled):
		return StatusTimeout
	case isClosed(err):
		return StatusReset
	}
	return StatusUnreachable
}

// sessionStatus classifies an error after the connection was up.
func sessionStatus(err error) Status {
	switch {
	case errors.Is(err, ErrDeadline):
		return StatusInconclusive
	case isNotSMTP(err):
		return StatusNotSMTP
	case isTimeout(err), errors.Is(err, ErrInterrupted), errors.Is(err, context.Canceled):
		return StatusTimeout
	case isClosed(err):
		return StatusReset
	}
	return StatusReset
}
