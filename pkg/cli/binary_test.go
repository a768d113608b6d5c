package cli

// Binary-level tests: build cmd/mailcheck once per test run and run it as a
// user would, asserting stdout, stderr and the exit code. Every command's
// end-to-end tests use runMailcheck; the build happens on first use, so a
// run of unit tests alone (-run TestSomethingElse) does not pay for it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	binDir   string // removed by TestMain after the run
	binOnce  sync.Once
	binPath  string
	binError error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailcheck-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "binary tests:", err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mailcheckBinary returns the path of the built binary, building it once.
func mailcheckBinary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("binary tests are skipped with -short")
	}
	binOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binError = fmt.Errorf("the go tool is not on PATH: %v", err)
			return
		}
		out := filepath.Join(binDir, "mailcheck")
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(5*time.Minute))
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", out, "github.com/mailcheck/mailcheck/cmd/mailcheck")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			binError = fmt.Errorf("go build: %v\n%s", err, stderr.String())
			return
		}
		binPath = out
	})
	if binError != nil {
		t.Fatal(binError)
	}
	return binPath
}

// binOptions tune one run of the binary.
type binOptions struct {
	Stdin   io.Reader
	Env     []string      // added to the environment, "KEY=value"
	Timeout time.Duration // kill the process after this (default 60s)
	// TTY runs the binary under script(1) so that stdout is a terminal
	// (color tests); the test is skipped when script is not installed.
	// Stdout and stderr then arrive merged, with CRLF line ends.
	TTY bool
}

// runMailcheck runs the built binary with args and returns what it wrote
// and its exit code. NO_COLOR is removed from the environment so results do
// not depend on the developer's shell.
func runMailcheck(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runMailcheckWith(t, binOptions{}, args...)
}

// runMailcheckWith is runMailcheck with stdin, extra environment, a
// timeout or a terminal.
func runMailcheckWith(t testing.TB, o binOptions, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	bin := mailcheckBinary(t)
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(timeout))
	defer cancel()

	var cmd *exec.Cmd
	if o.TTY {
		script, err := exec.LookPath("script")
		if err != nil {
			t.Skip("script(1) is not installed: cannot give the binary a terminal")
		}
		quoted := make([]string, 0, len(args)+1)
		for _, a := range append([]string{bin}, args...) {
			quoted = append(quoted, shellQuote(a))
		}
		cmd = exec.CommandContext(ctx, script, "-qec", strings.Join(quoted, " "), "/dev/null")
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Env = append(withoutEnv(os.Environ(), "NO_COLOR"), o.Env...)
	cmd.Stdin = o.Stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("mailcheck %s: killed after %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), timeout, out.String(), errOut.String())
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("mailcheck %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func TestBinaryRunsAndReportsItsVersion(t *testing.T) {
	stdout, stderr, code := runMailcheck(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "mailcheck ") || stderr != "" {
		t.Errorf("version: code %d stdout %q stderr %q", code, stdout, stderr)
	}
}
