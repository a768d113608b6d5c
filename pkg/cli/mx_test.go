package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// mxZone holds one domain per shape mx reports. There is no SOA, so the
// test server answers for every name, reverse names included. Addresses are
// documentation addresses (a warn finding each, never a failure).
const mxZone = `
$TTL 300
example.org.              MX    10 mx1.example.org.
example.org.              MX    20 mx2.example.org.
mx1.example.org.          A     192.0.2.1
mx1.example.org.          AAAA  2001:db8::1
mx2.example.org.          A     192.0.2.2
1.2.0.192.in-addr.arpa.   PTR   mx1.example.org.
2.2.0.192.in-addr.arpa.   PTR   mx2.example.org.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR mx1.example.org.

null.example.org.         MX    0 .

implicit.example.org.     A     198.51.100.7

alias.example.org.        MX    10 mail.alias.example.org.
mail.alias.example.org.   CNAME mx1.example.org.

literal.example.org.      MX    10 192.0.2.9.

mixed.example.org.        MX    0 .
mixed.example.org.        MX    10 mx1.example.org.

broken.example.org.       MX    10 mx.broken.example.org.
xn--bcher-kva.example.org. MX    10 mx1.example.org.

mx.broken.example.org.    A     203.0.113.5
mx.broken.example.org.    AAAA  2001:db8::5
5.113.0.203.in-addr.arpa. PTR   elsewhere.example.net.
elsewhere.example.net.    A     203.0.113.99
`

func startMXZone(t *testing.T) *dnstest.Server {
	t.Helper()
	s := dnstest.New(t, mxZone)
	s.MustInject(t, "mx.broken.example.org.", "AAAA", dnstest.FaultServFail)
	s.MustInject(t, "dropped.example.org.", "MX", dnstest.FaultDrop)
	return s
}

func TestMXBinaryPrintsTheTableAndExitsZero(t *testing.T) {
	s := startMXZone(t)
	stdout, stderr, code := runMailcheck(t, "mx", "--resolver", s.Addr4(), "example.org")
	if code != ExitOK {
		t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
	for _, want := range []string{
		"example.org  2 exchanges, 3 addresses (2 IPv4, 1 IPv6)",
		"PREF  EXCHANGE",
		"10    mx1.example.org  ipv4    192.0.2.1 (documentation)    mx1.example.org  pass",
		"ipv6    2001:db8::1 (documentation)  mx1.example.org  pass",
		"20    mx2.example.org  ipv4    192.0.2.2 (documentation)    mx2.example.org  pass",
		"ipv6    no AAAA record",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("color escape in output to a pipe")
	}
}

func TestMXBinaryExplainsEachMXShape(t *testing.T) {
	s := startMXZone(t)
	tests := []struct {
		domain string
		code   int
		want   []string
	}{
		{"null.example.org", ExitOK, []string{"null MX (RFC 7505): it accepts no mail"}},
		{"implicit.example.org", ExitOK, []string{"has no MX records", "implicit MX, RFC 5321 §5.1", "0     implicit.example.org  ipv4    198.51.100.7"}},
		{"nope.example.org", ExitFindings, []string{"does not exist (NXDOMAIN)", "MC102"}},
		{"alias.example.org", ExitOK, []string{"mail.alias.example.org *", "is an alias (CNAME) for mx1.example.org", "Postfix and Exim follow it"}},
		{"literal.example.org", ExitFindings, []string{"192.0.2.9 *", "is an IP address, not a host name", "allow_mx_to_ip"}},
		{"mixed.example.org", ExitFindings, []string{"null MX beside other MX records", "RFC 7505 §3"}},
		{"broken.example.org", ExitOK, []string{"AAAA lookup servfail", "elsewhere.example.net  fail"}},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			stdout, stderr, code := runMailcheck(t, "mx", "--no-color", "--resolver", s.Addr4(), tc.domain)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}

func TestMXBinaryAcceptsWhatPeoplePaste(t *testing.T) {
	s := startMXZone(t)
	tests := []struct {
		arg     string
		domain  string
		unicode string
	}{
		{"Example.ORG.", "example.org", ""},
		{"postmaster@example.org", "example.org", ""},
		{"https://example.org/contact", "example.org", ""},
		{"bücher.example.org", "xn--bcher-kva.example.org", "bücher.example.org"},
		{"xn--bcher-kva.example.org", "xn--bcher-kva.example.org", "bücher.example.org"},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			stdout, stderr, code := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), tc.arg)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			var doc struct {
				Domain        string `json:"domain"`
				DomainUnicode string `json:"domain_unicode"`
				MX            []any  `json:"mx"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Domain != tc.domain || doc.DomainUnicode != tc.unicode || len(doc.MX) == 0 {
				t.Errorf("domain %q unicode %q mx %d, want %q %q and exchanges", doc.Domain, doc.DomainUnicode, len(doc.MX), tc.domain, tc.unicode)
			}
		})
	}
	text, _, _ := runMailcheck(t, "mx", "--resolver", s.Addr4(), "bücher.example.org")
	if !strings.HasPrefix(text, "xn--bcher-kva.example.org (bücher.example.org)") {
		t.Errorf("text does not show both forms:\n%s", text)
	}
}

func TestMXBinaryRejectsBadInputWithExitTwo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no domain", []string{"mx"}, "needs a DOMAIN"},
		{"two domains", []string{"mx", "a.example", "b.example"}, "needs a DOMAIN"},
		{"stdin dash", []string{"mx", "-"}, "-"},
		{"empty", []string{"mx", ""}, "empty"},
		{"spaces", []string{"mx", "bad domain.example"}, "bad domain.example"},
		{"ip literal", []string{"mx", "192.0.2.1"}, "probe"},
		{"both families", []string{"mx", "-4", "-6", "example.org"}, "-4 and -6"},
		{"format", []string{"mx", "-o", "xml", "example.org"}, "--format"},
		{"bad resolver", []string{"mx", "--resolver", "not a server", "example.org"}, "--resolver"},
		{"unknown flag", []string{"mx", "--bogus", "example.org"}, "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runMailcheck(t, tc.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, "mailcheck: ") || !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr = %q, want a message mentioning %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing on bad input", stdout)
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Errorf("stderr shows a crash: %s", stderr)
			}
		})
	}
}

func TestMXBinaryExitsThreeWhenTheResolverDoesNotAnswer(t *testing.T) {
	s := startMXZone(t)
	mailcheckBinary(t) // build first: the clock is for the run alone
	start := time.Now()
	stdout, stderr, code := runMailcheck(t, "mx", "--timeout", "2s", "--resolver", s.Addr4(), "dropped.example.org")
	if code != ExitUndetermined {
		t.Errorf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %s with --timeout 2s", el)
	}
	// MC904 (no usable MX answer) is what decides exit 3. Whether the run's
	// deadline (MC903) or the resolver's own retry budget ran out first is
	// a race between two 2-second clocks, so MC903 is not required.
	if !strings.Contains(stdout, "MX lookup timeout") || !strings.Contains(stdout, "MC904") {
		t.Errorf("stdout does not say the MX lookup got no answer:\n%s", stdout)
	}
}

func TestMXBinaryWritesJSONWithSchemaVersion(t *testing.T) {
	s := startMXZone(t)
	stdout, stderr, code := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), "example.org")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	var doc struct {
		SchemaVersion *int   `json:"schema_version"`
		Domain        string `json:"domain"`
		NullMX        *bool  `json:"null_mx"`
		ImplicitMX    *bool  `json:"implicit_mx"`
		MXStatus      string `json:"mx_status"`
		MX            []struct {
			Preference int    `json:"preference"`
			Host       string `json:"host"`
			AStatus    string `json:"a_status"`
			AAAAStatus string `json:"aaaa_status"`
			Addresses  []struct {
				IP     string   `json:"ip"`
				Family string   `json:"family"`
				PTR    []string `json:"ptr"`
				FCrDNS string   `json:"fcrdns"`
			} `json:"addresses"`
		} `json:"mx"`
		Findings []map[string]any `json:"findings"`
	}
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if dec.More() {
		t.Error("more than one JSON document")
	}
	if doc.SchemaVersion == nil || *doc.SchemaVersion != 1 {
		t.Errorf("schema_version = %v, want 1", doc.SchemaVersion)
	}
	if doc.Domain != "example.org" || doc.NullMX == nil || *doc.NullMX || doc.ImplicitMX == nil || *doc.ImplicitMX || doc.MXStatus != "ok" {
		t.Errorf("header fields wrong: %+v", doc)
	}
	if len(doc.MX) != 2 || doc.MX[0].Host != "mx1.example.org" || doc.MX[1].AAAAStatus != "nodata" {
		t.Fatalf("mx = %+v", doc.MX)
	}
	a := doc.MX[0].Addresses
	if len(a) != 2 || a[0].IP != "192.0.2.1" || a[0].Family != "ipv4" || a[1].Family != "ipv6" ||
		a[0].FCrDNS != "pass" || len(a[0].PTR) != 1 || a[0].PTR[0] != "mx1.example.org" {
		t.Errorf("addresses = %+v", a)
	}
	if doc.Findings == nil {
		t.Error("findings is missing or null, want an array")
	}
}

func TestMXBinaryMarksTheSkippedFamily(t *testing.T) {
	s := startMXZone(t)
	stdout, _, code := runMailcheck(t, "mx", "-4", "-o", "json", "--resolver", s.Addr4(), "example.org")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout, `"aaaa_status": "skipped"`) || strings.Contains(stdout, `"family": "ipv6"`) {
		t.Errorf("-4 output still has IPv6:\n%s", stdout)
	}
	text, _, _ := runMailcheck(t, "mx", "-6", "--resolver", s.Addr4(), "example.org")
	if !strings.Contains(text, "IPv4 not checked (-6).") || strings.Contains(text, "192.0.2.1") {
		t.Errorf("-6 text output:\n%s", text)
	}
}

func TestMXBinaryColorsOnlyATerminalWithoutNoColor(t *testing.T) {
	s := startMXZone(t)
	args := []string{"mx", "--resolver", s.Addr4(), "example.org"}
	tests := []struct {
		name  string
		env   []string
		extra []string
		color bool
	}{
		{"terminal", nil, nil, true},
		{"terminal with --no-color", nil, []string{"--no-color"}, false},
		{"terminal with NO_COLOR", []string{"NO_COLOR=1"}, nil, false},
		{"terminal with empty NO_COLOR", []string{"NO_COLOR="}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, code := runMailcheckWith(t, binOptions{TTY: true, Env: tc.env}, append(tc.extra, args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "mx1.example.org") {
				t.Fatalf("no report on the terminal:\n%q", out)
			}
			if got := strings.Contains(out, "\x1b["); got != tc.color {
				t.Errorf("color = %v, want %v:\n%q", got, tc.color, out)
			}
		})
	}
}

// In-process: the same command through RunWith, with a fake resolver, for
// what the binary cannot show cheaply.

func runMXInProcess(t *testing.T, r dnsq.Resolver, ios *IOStreams, args ...string) int {
	t.Helper()
	f := &Factory{
		IO:          ios,
		Global:      &GlobalOptions{},
		NewResolver: func(*GlobalOptions, io.Writer) (dnsq.Resolver, error) { return r, nil },
		Now:         time.Now,
	}
	return RunWith(context.Background(), f, append([]string{"mx"}, args...))
}

func TestMXColorFollowsTheStreams(t *testing.T) {
	m := &dnsq.Mock{}
	tests := []struct {
		name    string
		tty     bool
		noColor bool
		flag    bool
		color   bool
	}{
		{"terminal", true, false, false, true},
		{"pipe", false, false, false, false},
		{"NO_COLOR", true, true, false, false},
		{"--no-color", true, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, OutTTY: tc.tty, NoColorEnv: tc.noColor}
			args := []string{"example.org"}
			if tc.flag {
				args = append([]string{"--no-color"}, args...)
			}
			runMXInProcess(t, m, ios, args...)
			if got := strings.Contains(out.String(), "\x1b["); got != tc.color {
				t.Errorf("color = %v, want %v:\n%q", got, tc.color, out.String())
			}
		})
	}
}

func TestMXInterruptedRunExits130AfterWritingTheReport(t *testing.T) {
	m := &dnsq.Mock{MX: map[string][]dnsq.MX{"example.org.": {{Preference: 10, Host: "mx.example.org."}}}}
	var out, errOut bytes.Buffer
	ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	f := &Factory{
		IO: ios, Global: &GlobalOptions{}, Now: time.Now,
		NewResolver: func(*GlobalOptions, io.Writer) (dnsq.Resolver, error) { return m, nil },
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if SIGINT arrived at once
	code := RunWith(ctx, f, []string{"mx", "example.org"})
	if code != ExitInterrupted {
		t.Errorf("exit %d, want 130", code)
	}
	if !strings.Contains(out.String(), "example.org") {
		t.Errorf("nothing written before exiting:\n%s", out.String())
	}
}

func TestMXBinaryTracesQueriesOnStderrWithVerbose(t *testing.T) {
	s := startMXZone(t)
	stdout, stderr, code := runMailcheck(t, "mx", "-v", "--resolver", s.Addr4(), "example.org")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, q := range []string{"MX example.org.", "A mx1.example.org.", "AAAA mx1.example.org.", "PTR 1.2.0.192.in-addr.arpa."} {
		if !strings.Contains(stderr, q) {
			t.Errorf("trace lacks %q:\n%s", q, stderr)
		}
	}
	if strings.Contains(stdout, ";; ") {
		t.Errorf("trace leaked into stdout:\n%s", stdout)
	}
}

func TestMXBinaryOutputIsDeterministic(t *testing.T) {
	s := startMXZone(t)
	first, _, _ := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), "example.org")
	for range 3 {
		again, _, _ := runMailcheck(t, "mx", "-o", "json", "--resolver", s.Addr4(), "example.org")
		if again != first {
			t.Fatalf("two runs differ:\n%s\n---\n%s", first, again)
		}
	}
}
