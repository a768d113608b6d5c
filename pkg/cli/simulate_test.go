package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// Flag parsing, apart from behaviour (STYLE.md 2).
func TestSimulateValidateRejectsBadFlagsWithUsageErrors(t *testing.T) {
	mainCF := map[string]string{
		"good.cf": "smtp_address_preference = ipv6\nsmtp_mx_address_limit = 3\n",
		"bad.cf":  "# ok\nsmtp_mx_address_limit = many\n",
	}
	read := func(name string) (io.ReadCloser, error) {
		s, ok := mainCF[name]
		if !ok {
			return nil, errors.New("open " + name + ": no such file or directory")
		}
		return io.NopCloser(strings.NewReader(s)), nil
	}
	base := func() *simulateOptions {
		return &simulateOptions{f: &Factory{Open: read}, SimulateInput: audit.SimulateInput{MTA: "postfix", MaxOrderings: 1000, SMTP: audit.SMTPInput{Port: 25, ConnectTimeout: time.Second, CommandTimeout: time.Second}}}
	}
	tests := []struct {
		name      string
		mod       func(o *simulateOptions)
		probeFlag bool
		want      string // "" = valid
	}{
		{name: "defaults", mod: func(o *simulateOptions) {}},
		{name: "exim with version", mod: func(o *simulateOptions) { o.MTA = "exim:4.89" }},
		{name: "unknown MTA", mod: func(o *simulateOptions) { o.MTA = "qmail" }, want: "--mta: unknown MTA"},
		{name: "bad version", mod: func(o *simulateOptions) { o.MTA = "postfix:x" }, want: "bad version"},
		{name: "good --set", mod: func(o *simulateOptions) { o.Set = []string{"smtp_address_preference=ipv4"} }},
		{name: "--set without =", mod: func(o *simulateOptions) { o.Set = []string{"smtp_address_preference"} }, want: "want name=value"},
		{name: "--set unknown name", mod: func(o *simulateOptions) { o.Set = []string{"smtp_bogus=1"} }, want: `no parameter "smtp_bogus"`},
		{name: "--set bad value", mod: func(o *simulateOptions) { o.Set = []string{"smtp_mx_address_limit=-1"} }, want: "smtp_mx_address_limit"},
		{name: "--set for exim", mod: func(o *simulateOptions) { o.MTA = "exim"; o.Set = []string{"ipv4_prefer=yes"} }},
		{name: "main.cf read", mod: func(o *simulateOptions) { o.MainCF = "good.cf" }},
		{name: "main.cf missing", mod: func(o *simulateOptions) { o.MainCF = "nope.cf" }, want: "--main-cf: open nope.cf"},
		{name: "main.cf bad value names file and line", mod: func(o *simulateOptions) { o.MainCF = "bad.cf" }, want: "bad.cf:2: smtp_mx_address_limit = many"},
		{name: "main.cf with exim", mod: func(o *simulateOptions) { o.MTA = "exim"; o.MainCF = "good.cf" }, want: "Postfix file"},
		{name: "max orderings 0", mod: func(o *simulateOptions) { o.MaxOrderings = 0 }, want: "--max-orderings"},
		{name: "bad port", mod: func(o *simulateOptions) { o.SMTP.Port = 70000 }, want: "--port"},
		{name: "probe and assume", mod: func(o *simulateOptions) { o.Probe = true; o.Assume = []string{"192.0.2.1=ok"} }, want: "exclude each other"},
		{name: "bad assume", mod: func(o *simulateOptions) { o.Assume = []string{"192.0.2.1=lost"} }, want: "unknown outcome"},
		{name: "assume not an address", mod: func(o *simulateOptions) { o.Assume = []string{"mx1=ok"} }, want: "not an IP address"},
		{name: "bad local address", mod: func(o *simulateOptions) { o.LocalAddress = []string{"here"} }, want: "--local-address"},
		{name: "local address with a zone", mod: func(o *simulateOptions) { o.LocalAddress = []string{"fe80::1%eth0"} }, want: "IPv6 zone"},
		{name: "probe flags without --probe", mod: func(o *simulateOptions) {}, probeFlag: true, want: "need --probe"},
		{name: "probe flags with --probe", mod: func(o *simulateOptions) { o.Probe = true }, probeFlag: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base()
			tt.mod(o)
			o.ProbeFlagsSet = tt.probeFlag
			err := o.validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ee *ExitError
			if err == nil || !errors.As(err, &ee) || ee.Code != ExitUsage || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want exit 2 with %q", err, tt.want)
			}
		})
	}
}

func TestSimulateValidateBuildsTheModelConfig(t *testing.T) {
	o := &simulateOptions{f: &Factory{}, SimulateInput: audit.SimulateInput{MTA: "postfix:3.3.0", MaxOrderings: 5, SMTP: audit.SMTPInput{Port: 25, ConnectTimeout: time.Second, CommandTimeout: time.Second},
		Set: []string{"smtp_mx_address_limit = 2"}, LocalAddress: []string{"[2001:db8::9]"}, Assume: []string{"2001:db8::1=timeout"}}}
	if err := o.validate(); err != nil {
		t.Fatal(err)
	}
	cfg := o.req.Config
	if cfg.MTA != "postfix" || cfg.Version != "3.3.0" || len(cfg.Set) != 1 || cfg.Set[0].Value != "2" {
		t.Errorf("cfg = %+v", cfg)
	}
	if len(cfg.LocalAddrs) != 1 || cfg.LocalAddrs[0] != netip.MustParseAddr("2001:db8::9") {
		t.Errorf("local = %v", cfg.LocalAddrs)
	}
	if o.req.Assume[netip.MustParseAddr("2001:db8::1")] != "timeout" {
		t.Errorf("outcomes = %v", o.req.Assume)
	}
}

// The research's worked example domain (research §1.10).
const simulateZone = `
$TTL 300
example.test.      MX   10 mx1.example.test.
example.test.      MX   10 mx2.example.test.
example.test.      MX   20 mx3.example.test.
mx1.example.test.  A    192.0.2.1
mx1.example.test.  AAAA 2001:db8::1
mx2.example.test.  A    192.0.2.2
mx2.example.test.  AAAA 2001:db8::2
mx3.example.test.  A    192.0.2.3
null.test.         MX   0 .
xn--bcher-kva.example.test. MX 10 mx1.example.test.
nomx.test.         A    192.0.2.7
nomx.test.         AAAA 2001:db8::7
brokenaaaa.test.   MX   10 mx.brokenaaaa.test.
mx.brokenaaaa.test. A   192.0.2.8
mx.brokenaaaa.test. AAAA 2001:db8::8
`

func startSimulateZone(t *testing.T) *dnstest.Server {
	t.Helper()
	s := dnstest.New(t, simulateZone)
	s.MustInject(t, "mx.brokenaaaa.test.", "AAAA", dnstest.FaultServFail)
	s.MustInject(t, "dropped.test.", "MX", dnstest.FaultDrop)
	return s
}

// simulateJSON is the part of the document the tests read.
type simulateJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Domain        string `json:"domain"`
	AcceptsMail   bool   `json:"accepts_mail"`
	MTA           struct {
		Name     string `json:"name"`
		Version  string `json:"version"`
		Settings map[string]struct {
			Value  string `json:"value"`
			Source string `json:"source"`
		} `json:"settings"`
	} `json:"mta"`
	Decision struct {
		Action string `json:"action"`
		DSN    string `json:"dsn"`
	} `json:"decision"`
	Attempts []struct {
		Position    int     `json:"position"`
		IP          string  `json:"ip"`
		Family      string  `json:"family"`
		Host        string  `json:"host"`
		Preference  int     `json:"preference"`
		PFirst      float64 `json:"p_first"`
		PFirstExact string  `json:"p_first_exact"`
		PTried      float64 `json:"p_tried"`
	} `json:"attempts"`
	PFirstIPv6 float64 `json:"p_first_ipv6"`
	Orderings  []struct {
		Order       []string `json:"order"`
		Probability float64  `json:"probability"`
	} `json:"orderings"`
	OrderingsTotal              int     `json:"orderings_total"`
	OrderingsOmitted            int     `json:"orderings_omitted"`
	OrderingsOmittedProbability float64 `json:"orderings_omitted_probability"`
	FamilyPatterns              []struct {
		Families         string `json:"families"`
		ProbabilityExact string `json:"probability_exact"`
	} `json:"family_patterns"`
	Sample []string `json:"sample"`
	Replay *struct {
		Source          string  `json:"source"`
		PDelivered      float64 `json:"p_delivered"`
		PBounced        float64 `json:"p_bounced"`
		PDeliveredExact string  `json:"p_delivered_exact"`
		Suggestions     []struct {
			Setting    string  `json:"setting"`
			PDelivered float64 `json:"p_delivered"`
		} `json:"suggestions"`
	} `json:"replay"`
	Notes    []string `json:"notes"`
	Findings []any    `json:"findings"`
}

func decodeSimulate(t *testing.T, out string) simulateJSON {
	t.Helper()
	var d simulateJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	return d
}

func TestSimulateBinaryPrintsTheResearchExampleAsJSON(t *testing.T) {
	s := startSimulateZone(t)
	stdout, stderr, code := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "-o", "json", "--max-orderings", "5", "--seed", "3", "example.test")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	d := decodeSimulate(t, stdout)
	if d.SchemaVersion != 1 || d.Domain != "example.test" || !d.AcceptsMail || d.MTA.Name != "postfix" || d.MTA.Version != "3.7.11" {
		t.Errorf("header = %+v", d)
	}
	if d.MTA.Settings["smtp_address_preference"].Value != "any" || d.MTA.Settings["smtp_address_preference"].Source != "default" {
		t.Errorf("settings = %+v", d.MTA.Settings)
	}
	if len(d.Attempts) != 5 || d.PFirstIPv6 != 0.5 {
		t.Fatalf("attempts %d, p_first_ipv6 %v", len(d.Attempts), d.PFirstIPv6)
	}
	for _, a := range d.Attempts {
		want := 0.25
		if a.Host == "mx3.example.test" {
			want = 0
		}
		if a.PFirst != want || a.PTried != 1 {
			t.Errorf("%s: p_first %v p_tried %v", a.IP, a.PFirst, a.PTried)
		}
	}
	if d.OrderingsTotal != 24 || len(d.Orderings) != 5 || d.OrderingsOmitted != 19 {
		t.Errorf("orderings: total %d listed %d omitted %d", d.OrderingsTotal, len(d.Orderings), d.OrderingsOmitted)
	}
	if len(d.FamilyPatterns) != 6 || d.FamilyPatterns[0].ProbabilityExact != "1/6" {
		t.Errorf("patterns = %+v", d.FamilyPatterns)
	}
	if len(d.Sample) != 5 || d.Sample[4] != "192.0.2.3" {
		t.Errorf("sample = %v", d.Sample)
	}
	again, _, _ := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "-o", "json", "--max-orderings", "5", "--seed", "3", "example.test")
	if strings.Join(decodeSimulate(t, again).Sample, " ") != strings.Join(d.Sample, " ") {
		t.Error("the same seed gave another sample")
	}
	if d.Findings == nil {
		t.Error("findings missing (want [])")
	}
}

func TestSimulateBinaryTextShowsTableOrderingsAndSettings(t *testing.T) {
	s := startSimulateZone(t)
	stdout, _, code := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "--set", "smtp_address_preference=ipv6", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stdout)
	}
	for _, want := range []string{
		"example.test  as Postfix 3.7.11 would deliver to it",
		"5 candidate addresses, every one is tried if earlier ones fail.",
		"P(first attempt is IPv6) = 1",
		"POS  PREF  EXCHANGE          ADDRESS      FAMILY  P(FIRST)     P(TRIED)",
		"1/4 (25.0%)      66444  2001:db8::1 > 2001:db8::2 > 192.0.2.1 > 192.0.2.2 > 192.0.2.3",
		"smtp_address_preference = ipv6  [--set]",
		"smtp_mx_address_limit = 5  [default for Postfix 3.7.11]",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestSimulateBinaryExplainsDomainsThatTakeNoAttempt(t *testing.T) {
	s := startSimulateZone(t)
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"null.test"}, "Postfix 3.7.11 bounces the message before any connection (5.1.0): Domain null.test does not accept mail (nullMX)", ExitOK},
		// A domain that does not exist is a definite failure (MC102), as mx and check say.
		{[]string{"--mta", "exim", "nonexistent.test"}, "Exim 4.96 bounces the message before any connection: Unrouteable address", ExitFindings},
		{[]string{"nomx.test"}, "2 candidate addresses", ExitOK},
		{[]string{"brokenaaaa.test"}, "Postfix silently uses its A records only", ExitOK},
	}
	for _, tt := range tests {
		stdout, stderr, code := runMailcheck(t, append([]string{"simulate", "--resolver", s.Addr4()}, tt.args...)...)
		if code != tt.code || !strings.Contains(stdout, tt.want) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, tt.want, stdout, stderr)
		}
	}
}

func TestSimulateBinaryExitsTwoOnBadSettingsAndThreeWhenDNSDoesNotAnswer(t *testing.T) {
	s := startSimulateZone(t)
	_, stderr, code := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "--set", "smtp_mx_address_limit=lots", "example.test")
	if code != ExitUsage || !strings.Contains(stderr, "--set: smtp_mx_address_limit = lots") {
		t.Errorf("bad --set: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runMailcheck(t, "simulate", "--resolver", s.Addr4(), "-")
	if code != ExitUsage {
		t.Errorf("'-' as domain: exit %d, stderr %q", code, stderr)
	}
	stdout, _, code := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "--timeout", "2s", "dropped.test")
	if code != ExitUndetermined || !strings.Contains(stdout, "defers the message") {
		t.Errorf("dropped MX query: exit %d\n%s", code, stdout)
	}
}

func TestSimulateBinaryReplaysAssumedOutcomesAndSuggests(t *testing.T) {
	s := startSimulateZone(t)
	stdout, _, code := runMailcheck(t, "simulate", "--resolver", s.Addr4(), "-o", "json",
		"--assume", "2001:db8::1=rcpt_5xx", "--assume", "2001:db8::2=rcpt_5xx", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	d := decodeSimulate(t, stdout)
	if d.Replay == nil || d.Replay.Source != "assumed" || d.Replay.PDeliveredExact != "1/2" || d.Replay.PBounced != 0.5 {
		t.Fatalf("replay = %+v", d.Replay)
	}
	if len(d.Replay.Suggestions) == 0 || d.Replay.Suggestions[0].Setting != "smtp_address_preference = ipv4" || d.Replay.Suggestions[0].PDelivered != 1 {
		t.Errorf("suggestions = %+v", d.Replay.Suggestions)
	}
}

// --probe measures each address on loopback: the IPv6 server greets 554,
// the IPv4 one accepts. Postfix skips a 5xx greeting by default.
func TestSimulateBinaryProbesAndReplaysMeasuredOutcomes(t *testing.T) {
	port := startDualStack(t, smtptest.Script{NoTLS: true}, smtptest.Script{NoTLS: true, Greeting: []string{"554 5.7.1 no thanks"}})
	zone := "$TTL 300\nloop.test. MX 10 mx.loop.test.\nmx.loop.test. A 127.0.0.1\nmx.loop.test. AAAA ::1\n"
	s := dnstest.New(t, zone)
	args := []string{"simulate", "--resolver", s.Addr4(), "-o", "json", "--probe", "--port", port, "--connect-timeout", "3s", "loop.test"}
	stdout, stderr, code := runMailcheck(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	d := decodeSimulate(t, stdout)
	if d.Replay == nil || d.Replay.Source != "measured" || d.Replay.PDelivered != 1 {
		t.Fatalf("replay = %+v", d.Replay)
	}
	stdout, _, _ = runMailcheck(t, append(args[:len(args)-1], "--set", "smtp_skip_5xx_greeting=no", "loop.test")...)
	if d := decodeSimulate(t, stdout); d.Replay == nil || d.Replay.PBounced != 0.5 {
		t.Errorf("skip_5xx=no: replay = %+v", d.Replay)
	}
}

// In-process with the mock resolver: -4 leaves the model without IPv6.
func TestSimulateWithIPv4OnlySeesNoIPv6(t *testing.T) {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.test.": {{Preference: 10, Host: "mx1.example.test."}}},
		A:    map[string][]netip.Addr{"mx1.example.test.": {netip.MustParseAddr("192.0.2.1")}},
		AAAA: map[string][]netip.Addr{"mx1.example.test.": {netip.MustParseAddr("2001:db8::1")}},
	}
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:          &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Global:      &GlobalOptions{},
		NewResolver: func(*GlobalOptions, io.Writer) (dnsq.Resolver, error) { return m, nil },
		Now:         time.Now,
	}
	code := RunWith(context.Background(), f, []string{"simulate", "-4", "-o", "json", "example.test"})
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	d := decodeSimulate(t, out.String())
	if len(d.Attempts) != 1 || d.Attempts[0].Family != "ipv4" || d.PFirstIPv6 != 0 {
		t.Errorf("attempts = %+v", d.Attempts)
	}
	if m.Calls("AAAA mx1.example.test.") != 0 {
		t.Error("AAAA asked despite -4")
	}
}

// docs/json.md's simulate section documents exactly the fields simulate
// writes (the same check as for mx).
func TestDocsJSONDescribesExactlyTheFieldsSimulateWrites(t *testing.T) {
	s := startSimulateZone(t)
	produced := map[string]bool{}
	for _, args := range [][]string{
		{"--seed", "1", "--assume", "2001:db8::1=rcpt_5xx", "example.test"},
		{"--assume", "2001:db8::1=timeout", "--mta", "exim", "example.test"},
		{"null.test"},
		{"xn--bcher-kva.example.test"},
		{"--mta", "getaddrinfo", "--gai-conf", "my-gai.conf", "--source-addr", "2001:db8:ff::10/64", "example.test"},
		{"--mta", "go", "example.test"},
		{"--set", "smtp_host_lookup=native", "example.test"},
		{"--mta", "getaddrinfo", "--gai-conf", "bad-gai.conf", "example.test"}, // warnings_omitted
	} {
		var out, errOut bytes.Buffer
		ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
		// The getaddrinfo inputs are a fake host's (gaiflags_test.go).
		f := NewFactory(ios)
		f.Open = gaiFiles(map[string]string{
			"my-gai.conf":  "scopev4 ::ffff:169.254.0.0 2\nprecedence ::ffff:0:0/96 100\n",
			"bad-gai.conf": strings.Repeat("x\n", mta.MaxGAIConfWarnings+1),
		})
		f.SenderRoutes = dualStackHost
		f.HostAddrs = func() ([]mta.GAIHostAddr, error) { return nil, nil }
		code := RunWith(context.Background(), f, append([]string{"simulate", "-o", "json", "--resolver", s.Addr4()}, args...))
		if code == ExitUsage {
			t.Fatalf("simulate %v: exit 2: %s", args, errOut.String())
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("simulate %v: %v\n%s", args, err, out.String())
		}
		jsonPaths("", doc, produced)
	}
	// The TLS-policy replay needs listeners to probe (simulate_tls_test.go).
	resolver, port := startDANEDomain(t, nil)
	out, errOut, code := runInProcess(t, context.Background(), "", "simulate", "-o", "json", "--resolver", resolver, "--probe", "--port", port,
		"--set", "smtp_tls_security_level=dane", "--set", "smtp_dns_support_level=dnssec", "dane.test")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code == ExitUsage {
		t.Fatalf("simulate at dane: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	jsonPaths("", doc, produced)
	// Settings are keyed by parameter name: document the shape once.
	for p := range produced {
		if strings.HasPrefix(p, "mta.settings.") {
			delete(produced, p)
			rest := strings.SplitN(strings.TrimPrefix(p, "mta.settings."), ".", 2)
			if len(rest) == 2 {
				produced["mta.settings.NAME."+rest[1]] = true
			} else {
				produced["mta.settings.NAME"] = true
			}
		}
		if strings.HasPrefix(p, "replay.outcomes.") {
			delete(produced, p)
			produced["replay.outcomes.ADDR"] = true
		}
	}
	section := docSection(t, "../../docs/json.md", "simulate")
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Za-z0-9_.\\[\\]]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	undocumented, unproduced := fieldDiff(produced, documented)
	if len(undocumented) > 0 {
		t.Errorf("simulate writes fields docs/json.md does not document: %v", undocumented)
	}
	if len(unproduced) > 0 {
		t.Errorf("docs/json.md documents simulate fields the test did not produce: %v", unproduced)
	}

	// The example is valid JSON that uses documented fields only.
	for p := range exampleFields(t, section, "simulate") {
		q := regexp.MustCompile(`^mta\.settings\.[a-z_.]+?(\.value|\.source)?$`).ReplaceAllString(p, "mta.settings.NAME$1")
		q = regexp.MustCompile(`^replay\.outcomes\..*$`).ReplaceAllString(q, "replay.outcomes.ADDR")
		if !documented[q] {
			t.Errorf("the simulate example uses an undocumented field %s", p)
		}
	}
}
