package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// failingWriter is stdout on a full disk or a closed pipe: every write
// fails with err, as *os.File reports it.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) {
	return 0, &os.PathError{Op: "write", Path: "/dev/stdout", Err: w.err}
}

// outputCommands are command lines of every command that writes a report,
// against in-process servers, each of which writes something to stdout.
func outputCommands(t *testing.T) [][]string {
	t.Helper()
	s := dnstest.NewHostileMail(t)
	srv, err := smtptest.Start(smtptest.Script{NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	port := fmt.Sprint(srv.Addr().Port())
	dns := []string{"--resolver", s.Addr4(), "--timeout", "5s"}
	return [][]string{
		{"version"},
		{"--help"},
		append([]string{"mx", "good.test"}, dns...),
		append([]string{"mx", "-o", "json", "good.test"}, dns...),
		append([]string{"check", "--dns-only", "good.test"}, dns...),
		append([]string{"check", "--dns-only", "-o", "jsonl", "good.test"}, dns...),
		append([]string{"check", "--dns-only", "-o", "junit", "good.test"}, dns...),
		append([]string{"simulate", "good.test"}, dns...),
		append([]string{"probe", "--port", port, "--no-starttls", "127.0.0.1"}, dns...),
		{"explain", "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown"},
		// cobra's completion command, whose script goes to the same stdout.
		{"completion", "bash"},
		{"completion", "zsh"},
	}
}

// runWithOut runs one command line in-process with stdout going to out.
func runWithOut(t *testing.T, out io.Writer, args ...string) (stderr string, code int) {
	t.Helper()
	var errOut bytes.Buffer
	f := &Factory{
		IO:          &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: &errOut},
		Global:      &GlobalOptions{},
		NewResolver: defaultResolver,
		Now:         demoClock,
	}
	code = RunWith(context.Background(), f, args)
	return errOut.String(), code
}

// A full disk is not bad usage: every command exits 74 (EX_IOERR) with
// the cause in one line, whatever verdict the report was going to carry.
func TestEveryCommandExitsIOErrorWithTheCauseWhenStdoutIsFull(t *testing.T) {
	for _, args := range outputCommands(t) {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stderr, code := runWithOut(t, failingWriter{syscall.ENOSPC}, args...)
			want := "mailcheck: writing the report: no space left on device\n"
			if code != ExitIOError || stderr != want {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, ExitIOError, want)
			}
		})
	}
}

// A reader that went away (`| head`) ends the run quietly, with the code
// a shell reports for a process killed by SIGPIPE.
func TestEveryCommandEndsQuietlyWhenStdoutIsAClosedPipe(t *testing.T) {
	for _, args := range outputCommands(t) {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			stderr, code := runWithOut(t, failingWriter{syscall.EPIPE}, args...)
			if code != ExitBrokenPipe || stderr != "" {
				t.Errorf("exit %d, stderr %q; want %d and nothing", code, stderr, ExitBrokenPipe)
			}
		})
	}
}

// A failure after part of the report was written (a disk that fills up
// during a bulk run) is the same failure: the report is incomplete. The
// disk fills in bytes, not in writes: a run writes its documents in as
// few writes as are ready together (render.CheckStream), so a count of
// writes would depend on the timing of the domains' answers.
func TestBulkCheckExitsIOErrorWhenTheDiskFillsUpMidway(t *testing.T) {
	s := dnstest.NewHostileMail(t)
	w := &fillingWriter{room: 1000} // the three documents take about 4 KB
	stderr, code := runWithOut(t, w, "check", "--dns-only", "-o", "jsonl", "--resolver", s.Addr4(), "--timeout", "5s",
		"good.test", "nodata.test", "servfail.test")
	if code != ExitIOError || !strings.Contains(stderr, "no space left on device") || w.written == 0 {
		t.Errorf("exit %d, stderr %q, %d bytes written", code, stderr, w.written)
	}
}

// fillingWriter takes room bytes, then fails with ENOSPC; a write that
// does not fit is written in part, as on a disk that fills up.
type fillingWriter struct{ room, written int }

func (w *fillingWriter) Write(p []byte) (int, error) {
	if left := w.room - w.written; len(p) > left {
		w.written += left
		return left, &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	}
	w.written += len(p)
	return len(p), nil
}

// A stdout that works is not affected by the wrapping: the verdict's
// exit code and the whole report come through.
func TestAWorkingStdoutKeepsTheVerdictsExitCode(t *testing.T) {
	s := dnstest.NewHostileMail(t)
	var out bytes.Buffer
	stderr, code := runWithOut(t, &out, "mx", "-o", "json", "--resolver", s.Addr4(), "--timeout", "5s", "nodata.test")
	if code != ExitFindings || stderr != "" || !strings.Contains(out.String(), `"domain": "nodata.test"`) {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr, out.String())
	}
}

// The real binary on a full device (Linux's /dev/full fails every write
// with ENOSPC).
func TestBinaryExitsIOErrorOnAFullDevice(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer full.Close()
	s := dnstest.NewHostileMail(t)
	for _, args := range [][]string{
		{"version"},
		{"mx", "--resolver", s.Addr4(), "--timeout", "5s", "nodata.test"},
	} {
		cmd := exec.Command(mailcheckBinary(t), args...)
		var errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = full, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitIOError ||
			errOut.String() != "mailcheck: writing the report: no space left on device\n" {
			t.Errorf("%v: %v, stderr %q; want exit %d with the cause", args, err, errOut.String(), ExitIOError)
		}
	}
}

// The real binary piped into `head -c1` dies of SIGPIPE like other Unix
// producers (a shell reports 141), without a word on stderr. The output
// (a megabyte) is far larger than a pipe's buffer, so the binary is still
// writing when head exits.
func TestBinaryPipedIntoHeadEndsQuietlyBySIGPIPE(t *testing.T) {
	head, err := exec.LookPath("head")
	if err != nil {
		t.Skip("head(1) is not installed")
	}
	bin := mailcheckBinary(t)
	var list strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&list, "not a domain %d\n", i)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(60*time.Second))
	defer cancel()
	producer := exec.CommandContext(ctx, bin, "check", "-o", "jsonl", "-f", "-")
	producer.Stdin = strings.NewReader(list.String())
	var errOut bytes.Buffer
	producer.Stdout, producer.Stderr = w, &errOut
	consumer := exec.CommandContext(ctx, head, "-c1")
	var got bytes.Buffer
	consumer.Stdin, consumer.Stdout = r, &got
	if err := producer.Start(); err != nil {
		t.Fatal(err)
	}
	if err := consumer.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	r.Close()
	if err := consumer.Wait(); err != nil {
		t.Fatalf("head: %v", err)
	}
	err = producer.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("mailcheck exited %v after head closed the pipe; want death by SIGPIPE", err)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
		t.Errorf("mailcheck: %v; want death by SIGPIPE", err)
	}
	if errOut.Len() != 0 || got.String() != "{" {
		t.Errorf("stderr %q, head read %q", errOut.String(), got.String())
	}
}
