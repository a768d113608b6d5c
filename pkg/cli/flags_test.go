package cli

import (
	"context"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sandbox"
)

// These tests parse flags through each command's runF, apart from what
// the command does: nothing is looked up, probed or printed.

func flagFactory() *Factory {
	return &Factory{
		IO:     &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
		Global: &GlobalOptions{Format: "text", Timeout: time.Second},
		Open: func(name string) (io.ReadCloser, error) {
			return nil, errors.New("open " + name + ": no such file")
		},
	}
}

// parse runs cmd with args and returns runF's options (nil when RunE
// failed before calling it) and the error.
func parse[O any](t *testing.T, newCmd func(*Factory, func(*O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	var got *O
	cmd := newCmd(flagFactory(), func(o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(context.Background())
	return got, err
}

func TestMXFlagsNameTheDomainAsTyped(t *testing.T) {
	o, err := parse(t, newCmdMX, "User@Example.ORG.")
	if err != nil || o.Domain != "User@Example.ORG." {
		t.Fatalf("opts %+v, err %v", o, err)
	}
}

func TestProbeFlagsFillTheSharedSMTPGroup(t *testing.T) {
	o, err := parse(t, newCmdProbe, "--port", "2525", "--helo", "client.example", "--no-starttls", "--source6", "2001:db8::9", "192.0.2.25")
	if err != nil {
		t.Fatal(err)
	}
	if o.Target != "192.0.2.25" || o.Port != 2525 || o.HELO != "client.example" || !o.NoStartTLS || o.Source6 != "2001:db8::9" || o.Concurrency != 16 {
		t.Errorf("opts %+v", o)
	}
	if o.ConnectTimeout != 10*time.Second || o.CommandTimeout != 20*time.Second {
		t.Errorf("timeouts %s, %s; want the defaults 10s, 20s", o.ConnectTimeout, o.CommandTimeout)
	}
}

func TestSimulateFlagsBuildTheCheckerRequest(t *testing.T) {
	o, err := parse(t, newCmdSimulate, "--mta", "exim:4.96", "--seed", "7", "--assume", "2001:db8::1=timeout", "--max-orderings", "5", "example.org")
	if err != nil {
		t.Fatal(err)
	}
	r := o.req
	if r.Config.MTA != "exim" || r.Config.Version != "4.96" || r.Seed == nil || *r.Seed != 7 || r.MaxOrderings != 5 || r.Probe {
		t.Errorf("request %+v", r)
	}
	if r.Assume[netip.MustParseAddr("2001:db8::1")] != "timeout" {
		t.Errorf("assume %v", r.Assume)
	}
	if _, err := parse(t, newCmdSimulate, "--helo", "x.example", "example.org"); err == nil || !strings.Contains(err.Error(), "need --probe") {
		t.Errorf("--helo without --probe: %v", err)
	}
}

func TestCheckFlagsBuildTheCheckerRequest(t *testing.T) {
	o, err := parse(t, newCmdCheck, "--fail-on", "warn", "--ignore", "mc207", "--ignore", "MC207", "--expect-mx", "MX1.Example.ORG.",
		"--require-starttls", "--sender", "--set", "smtp_address_preference=ipv4", "example.org", "example.net")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Domains, []string{"example.org", "example.net"}) || o.failOn != report.SeverityWarn || !slices.Equal(o.ignored, []string{"MC207"}) {
		t.Errorf("domains %v, fail-on %q, ignored %v", o.Domains, o.failOn, o.ignored)
	}
	r := o.req
	if !r.Ignore["MC207"] || !r.Sender || !r.Expect.STARTTLS || !slices.Equal(r.Expect.MX, []string{"mx1.example.org"}) || len(r.MTA.Set) != 1 || r.SMTP.Port != 25 {
		t.Errorf("request %+v", r)
	}
	if o.Concurrency != 32 {
		t.Errorf("concurrency %d, want the default 32", o.Concurrency)
	}
	if o, _ := parse(t, newCmdCheck, "--dns-only", "example.org"); o == nil || o.Concurrency != 256 || !o.req.DNSOnly {
		t.Errorf("--dns-only: %+v", o)
	}
}

func TestSenderFlagsBuildTheAuditOptions(t *testing.T) {
	o, err := parse(t, newCmdSender, "--ip", "[2001:db8::25]", "--ip", "IPv6:2001:db8::26", "--domain", "Example.ORG", "--helo", "mail.example.org", "--ignore", "MC607")
	if err != nil {
		t.Fatal(err)
	}
	a := o.req.Options
	if len(a.IPs) != 2 || a.IPs[0] != netip.MustParseAddr("2001:db8::25") || a.Domain != "example.org" || a.HELO != "mail.example.org" || !o.ignore["MC607"] {
		t.Errorf("audit options %+v, ignore %v", a, o.ignore)
	}
}

func TestExplainFlagsKeepTheTextAsGiven(t *testing.T) {
	o, err := parse(t, newCmdExplain, "--no-checks", "--domain", "example.org", "550", "5.7.1", "rejected")
	if err != nil || !o.NoChecks || o.Domain != "example.org" || strings.Join(o.Args, " ") != "550 5.7.1 rejected" {
		t.Fatalf("opts %+v, err %v", o, err)
	}
}

func TestDemoFlagsCheckTheSandboxDomain(t *testing.T) {
	o, err := parse(t, newCmdDemo, "--fail-on", "warn", "--ignore", "MC310")
	if err != nil || !slices.Equal(o.Domains, []string{sandbox.Domain}) || o.failOn != report.SeverityWarn || !o.ignore["MC310"] {
		t.Fatalf("opts %+v, err %v", o, err)
	}
}

// --fail-on and --ignore are one flag group: every command that takes
// them refuses a bad value the same way, before running.
func TestFindingFlagsAreParsedAlikeByEveryCommand(t *testing.T) {
	check := func(name string, err error, ran bool) {
		t.Helper()
		var ee *ExitError
		if ran || !errors.As(err, &ee) || ee.Code != ExitUsage || err.Error() != `--fail-on "info": use warn or fail` {
			t.Errorf("%s: ran %v, err %v", name, ran, err)
		}
	}
	o1, err := parse(t, newCmdCheck, "--fail-on", "info", "example.org")
	check("check", err, o1 != nil)
	o2, err := parse(t, newCmdDemo, "--fail-on", "info")
	check("demo", err, o2 != nil)
	o3, err := parse(t, newCmdSender, "--fail-on", "info")
	check("sender", err, o3 != nil)
}

// --main-cf is read through the Factory, in one place, by every command
// that takes it.
func TestMainCFIsReadThroughTheFactory(t *testing.T) {
	for _, args := range [][]string{
		{"--main-cf", "nope.cf", "example.org"},
	} {
		if _, err := parse(t, newCmdCheck, args...); err == nil || err.Error() != "--main-cf: open nope.cf: no such file" {
			t.Errorf("check: %v", err)
		}
		if _, err := parse(t, newCmdSimulate, args...); err == nil || err.Error() != "--main-cf: open nope.cf: no such file" {
			t.Errorf("simulate: %v", err)
		}
	}
}

func TestVersionTakesNoArguments(t *testing.T) {
	if o, err := parse(t, newCmdVersion); err != nil || o == nil {
		t.Fatalf("opts %+v, err %v", o, err)
	}
	if o, err := parse(t, newCmdVersion, "extra"); err == nil || o != nil {
		t.Errorf("an argument was accepted: %v", err)
	}
}
