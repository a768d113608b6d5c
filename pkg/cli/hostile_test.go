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

// hostileCLIZone: each domain leaves its addresses unknown in its own way,
// or publishes an MX target that is not a host name. The faults are
// injected by startHostileCLI. No SOA: the server answers for every name.
const hostileCLIZone = `
$TTL 300
loop.test.           MX 10 mx.loop.test.
mx.loop.test.        CNAME a.loop.test.
a.loop.test.         CNAME mx.loop.test.
long.test.           MX 10 c0.long.test.
c0.long.test.        CNAME c1.long.test.
c1.long.test.        CNAME c2.long.test.
c2.long.test.        CNAME c3.long.test.
c3.long.test.        CNAME c4.long.test.
c4.long.test.        CNAME c5.long.test.
c5.long.test.        CNAME c6.long.test.
c6.long.test.        CNAME c7.long.test.
c7.long.test.        CNAME c8.long.test.
c8.long.test.        CNAME c9.long.test.
c9.long.test.        CNAME c10.long.test.
c10.long.test.       A     127.0.0.1
servfail.test.       MX 10 mx.servfail.test.
mx.servfail.test.    A     127.0.0.1
dropped.test.        MX 10 mx.dropped.test.
mx.dropped.test.     A     127.0.0.1
slow.test.           MX 10 mx.slow.test.
mx.slow.test.        A     127.0.0.1
nodata.test.         MX 10 mx.nodata.test.
mx.nodata.test.      TXT   "no address here"
evil.test.           MX 10 mx\000evil.evil.test.
mx\000evil.evil.test. A    127.0.0.1
`

func startHostileCLI(t *testing.T) *dnstest.Server {
	t.Helper()
	s := dnstest.New(t, hostileCLIZone)
	for _, typ := range []string{"A", "AAAA"} {
		s.MustInject(t, "mx.servfail.test.", typ, dnstest.FaultServFail)
		s.MustInject(t, "mx.dropped.test.", typ, dnstest.FaultDrop)
	}
	s.Delay("mx.slow.test.", 30*time.Second)
	return s
}

// Every command that reports findings gives the same exit code on the same
// hostile DNS: a domain none of whose addresses could be determined is 3,
// a definite failure is 1 (docs/exit-codes.md).
func TestEveryCommandAgreesOnHostileDNS(t *testing.T) {
	s := startHostileCLI(t)
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
