package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A list without a single domain checked nothing, which must not pass as
// a run that found nothing: exit 2, one line on stderr, nothing on stdout.
func TestCheckWithAnEmptyListSaysThereWasNothingToCheck(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	comments := filepath.Join(dir, "comments.txt")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(comments, []byte("# domains to check\n\n   \n# example.org is not ready yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, stdin string
		args        []string
		names       string // how the message names the list
	}{
		{"an empty file", "", []string{"-f", empty}, "-f " + empty},
		{"comments and blank lines only", "", []string{"-f", comments}, "-f " + comments},
		{"/dev/null", "", []string{"-f", os.DevNull}, "-f " + os.DevNull},
		{"empty stdin", "", []string{"-f", "-"}, "the standard input"},
		{"stdin of comments", "# nothing\n\n", []string{"-f", "-"}, "the standard input"},
	}
	for _, c := range cases {
		for _, format := range []string{"text", "json", "jsonl", "junit"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				args := append([]string{"check", "--dns-only", "--resolver", "127.0.0.1:1", "-o", format}, c.args...)
				out, errOut, code := runInProcess(t, context.Background(), c.stdin, args...)
				want := "mailcheck: nothing to check: " + c.names + " has no domains (only blank lines and comments)\n"
				if code != ExitUsage || out != "" || errOut != want {
					t.Errorf("exit %d, stdout %q, stderr %q; want %d, nothing and %q", code, out, errOut, ExitUsage, want)
				}
			})
		}
	}
}

// An empty list beside domains given as arguments is no error: the
// arguments are checked.
func TestCheckWithArgumentsAndAnEmptyListChecksTheArguments(t *testing.T) {
	out, errOut, code := runInProcess(t, context.Background(), "",
		"check", "--dns-only", "--resolver", "127.0.0.1:1", "--timeout", "1s", "-o", "jsonl", "-f", "-", "example.org")
	if code != ExitUndetermined || !strings.Contains(out, `"domain":"example.org"`) {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 and example.org's document", code, out, errOut)
	}
}

// --concurrency has an upper bound (audit.MaxConcurrency): beyond it is a
// usage error before any lookup, quick and without allocating anything
// sized by the flag; at the bound the run goes ahead.
func TestCheckConcurrencyAboveTheBoundIsAUsageError(t *testing.T) {
	for _, n := range []string{"10001", "10000000", "9223372036854775807"} {
		start := time.Now()
		out, errOut, code := runInProcess(t, context.Background(), "",
			"check", "--dns-only", "--resolver", "127.0.0.1:1", "--concurrency", n, "example.org")
		want := "mailcheck: --concurrency must be at most 10000, got " + n
		if code != ExitUsage || out != "" || !strings.HasPrefix(errOut, want) {
			t.Errorf("--concurrency %s: exit %d, stdout %q, stderr %q; want 2 and %q", n, code, out, errOut, want)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("--concurrency %s: refused after %s", n, d)
		}
	}
	_, errOut, code := runInProcess(t, context.Background(), "",
		"check", "--dns-only", "--resolver", "127.0.0.1:1", "--timeout", "1s", "--concurrency", "10000", "example.org")
	if code != ExitUndetermined {
		t.Errorf("--concurrency 10000: exit %d, stderr %q; want 3 (the resolver does not answer)", code, errOut)
	}
}
