package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// Every command that reports findings gives the same exit code on the same
// hostile DNS: a domain none of whose addresses could be determined is 3,
// a definite failure is 1 (docs/exit-codes.md).
func TestEveryCommandAgreesOnHostileDNS(t *testing.T) {
	s := dnstest.NewHostileMail(t)
	srv, err := smtptest.Start(smtptest.Script{NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	port := fmt.Sprint(srv.Addr().Port())
	commands := map[string][]string{
		"mx":       {"mx"},
		"check":    {"check", "--port", port, "--no-starttls", "--ignore", "MC201"},
		"simulate": {"simulate"},
		"probe":    {"probe", "--port", port, "--no-starttls"},
	}
	cases := []struct {
		domain  string
		timeout string
		exit    int
		skip    string // a command whose verdict this case does not concern
	}{
		{"loop.test", "5s", ExitUndetermined, ""},
		{"long.test", "5s", ExitUndetermined, ""},
		{"servfail.test", "5s", ExitUndetermined, ""},
		{"dropped.test", "3s", ExitUndetermined, ""},
		// --timeout ends the DNS stage before any address is known.
		{"slow.test", "1s", ExitUndetermined, ""},
		{"nodata.test", "5s", ExitFindings, ""},
		// probe judges the servers it reaches, not the MX record.
		{"evil.test", "5s", ExitFindings, "probe"},
	}
	for _, c := range cases {
		for name, args := range commands {
			if name == c.skip {
				continue
			}
			t.Run(c.domain+"/"+name, func(t *testing.T) {
				t.Parallel()
				full := append(append(slices.Clone(args), "--resolver", s.Addr4(), "--timeout", c.timeout, "-o", "json"), c.domain)
				stdout, stderr, code := runMailcheckWith(t, binOptions{Timeout: 30 * time.Second}, full...)
				if code != c.exit {
					t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", full, code, c.exit, stdout, stderr)
				}
				if c.domain != "evil.test" {
					return
				}
				// The fail finding is the MX target itself (MC112), whatever
				// else the command saw.
				var doc struct {
					Findings []struct{ Code string } `json:"findings"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatalf("%v\n%s", err, stdout)
				}
				if !slices.ContainsFunc(doc.Findings, func(f struct{ Code string }) bool { return f.Code == "MC112" }) {
					t.Errorf("no MC112 in %s", stdout)
				}
			})
		}
	}
}

// An A-label that does not decode to a valid U-label ("xn--a" is Punycode
// for U+0080) is bad input for every command, before any query; check's
// bulk fast path for plain lower-case names included.
func TestEveryCommandRejectsAnInvalidALabel(t *testing.T) {
	for _, args := range [][]string{
		{"mx"}, {"check"}, {"check", "--dns-only"}, {"simulate"}, {"probe"},
	} {
		full := append(slices.Clone(args), "--resolver", "127.0.0.1:1", "xn--a.example")
		stdout, stderr, code := runMailcheck(t, full...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, `label "xn--a" is not a valid IDN A-label`) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", full, code, stdout, stderr)
		}
	}
}
