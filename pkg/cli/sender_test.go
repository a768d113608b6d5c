package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

func senderPTR(ip, name string) string {
	return fmt.Sprintf("%s PTR %s\n", addr.ReverseName(netip.MustParseAddr(ip)), name)
}

// senderZone: 2001:db8:1::25 and 192.0.2.25 are a healthy dual-stack
// sender of example.org; 2001:db8:1::26 has no PTR; 2001:db8:1::27's PTR
// name has only an A record. No SOA: the server answers for every name.
var senderZone = `
$TTL 300
example.org.          TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8:1::25 ~all"
_dmarc.example.org.   TXT "v=DMARC1; p=none; rua=mailto:d@example.org"
mail.example.org.     A    192.0.2.25
mail.example.org.     AAAA 2001:db8:1::25
v4only.example.org.   A    192.0.2.27
dyn.example.org.      AAAA 2001:db8:1::28
bl.example.           TXT  "zone"
perm.example.         TXT  "v=spf1 frobnicate:x -all"
_dmarc.perm.example.  TXT  "v=DMARC1; p=none"
_dmarc.perm.example.  TXT  "v=DMARC1; p=reject"
` + senderPTR("2001:db8:1::25", "mail.example.org.") +
	senderPTR("192.0.2.25", "mail.example.org.") +
	senderPTR("2001:db8:1::27", "v4only.example.org.") +
	senderPTR("2001:db8:1::28", "2001-db8-1--28.dyn.example.org.") +
	"2001-db8-1--28.dyn.example.org. AAAA 2001:db8:1::28\n" +
	strings.Replace(addr.ReverseName(netip.MustParseAddr("2001:db8:1::28")), "ip6.arpa.", "bl.example.", 1) + " A 127.0.0.3\n"

func startSenderZone(t *testing.T, opts ...dnstest.Option) *dnstest.Server {
	t.Helper()
	return dnstest.New(t, senderZone, opts...)
}

func TestSenderReportsIPv6WithoutPTRAndExitsOne(t *testing.T) {
	s := startSenderZone(t)
	out, errOut, code := runInProcess(t, context.Background(), "", "sender", "-o", "json", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::26", "--domain", "example.org", "--helo", "mail.example.org")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1; stderr %s", code, errOut)
	}
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Senders       []struct {
			IP        string `json:"ip"`
			FCrDNS    string `json:"fcrdns"`
			Receivers struct {
				Gmail     struct{ Action, Reply string } `json:"gmail"`
				Microsoft struct {
					Action       string `json:"action"`
					EnhancedCode string `json:"enhanced_code"`
				} `json:"microsoft"`
			} `json:"receivers"`
			SPF struct{ Result, Mechanism string } `json:"spf"`
		} `json:"senders"`
		Findings []struct{ Code, Severity, Fix string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || len(doc.Senders) != 1 {
		t.Fatalf("doc %+v", doc)
	}
	sd := doc.Senders[0]
	if sd.FCrDNS != "none" || sd.Receivers.Gmail.Action != "reject" || sd.Receivers.Microsoft.EnhancedCode != "5.7.25" {
		t.Errorf("sender %+v", sd)
	}
	if sd.SPF.Result != "softfail" || sd.SPF.Mechanism != "~all" {
		t.Errorf("spf %+v", sd.SPF)
	}
	var got []string
	for _, f := range doc.Findings {
		got = append(got, f.Code)
	}
	for _, want := range []string{"MC601", "MC609", "MC613", "MC619"} {
		if !slices.Contains(got, want) {
			t.Errorf("findings %v lack %s", got, want)
		}
	}
}

func TestSenderTextNamesTheFixAndTheReceiversReply(t *testing.T) {
	s := startSenderZone(t)
	out, _, code := runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::27", "--domain", "example.org")
	if code != ExitFindings {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"2001:db8:1::27  ipv6  documentation  given with --ip",
		"PTR        v4only.example.org",
		"Gmail      REJECT 550 5.7.1",
		"does not meet IPv6 sending guidelines regarding PTR records and authentication",
		"Microsoft  DEFER 450 4.7.26",
		"v4only.example.org. AAAA 2001:db8:1::27",
		`example.org. TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8:1::25 ip6:2001:db8:1::27 ~all"`,
		"smtp_address_preference = ipv4",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSenderHealthyDualStackSenderExitsZero(t *testing.T) {
	s := startSenderZone(t)
	out, errOut, code := runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::25", "--ip", "192.0.2.25", "--domain", "example.org", "--helo", "mail.example.org",
		"--ignore", "MC607")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s%s", code, out, errOut)
	}
	if strings.Count(out, "ACCEPT") != 4 {
		t.Errorf("want four ACCEPT verdicts:\n%s", out)
	}
	// p=none is an info finding: exit 1 only with --fail-on info, which does
	// not exist; --fail-on warn still passes without the MC607 warning.
	_, _, code = runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::25", "--domain", "example.org", "--fail-on", "warn", "--ignore", "MC607")
	if code != ExitOK {
		t.Errorf("--fail-on warn: exit %d, want 0", code)
	}
	_, _, code = runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::25", "--domain", "example.org", "--fail-on", "warn")
	if code != ExitFindings {
		t.Errorf("--fail-on warn with the documentation warning: exit %d, want 1", code)
	}
}

func TestSenderFamilyFlagsSelectTheAddresses(t *testing.T) {
	s := startSenderZone(t)
	out, _, _ := runInProcess(t, context.Background(), "", "sender", "-4", "-o", "json", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::25", "--ip", "192.0.2.25")
	var rep struct {
		Senders []struct {
			IP string `json:"ip"`
		} `json:"senders"`
		Excluded []string `json:"excluded"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(rep.Senders) != 1 || rep.Senders[0].IP != "192.0.2.25" || len(rep.Excluded) != 1 || rep.Excluded[0] != "2001:db8:1::25" {
		t.Errorf("-4 with an IPv6 and an IPv4 --ip: want the IPv4 one checked and the IPv6 one listed as excluded:\n%s", out)
	}
	text, _, _ := runInProcess(t, context.Background(), "", "sender", "-4", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::25", "--ip", "192.0.2.25")
	if !strings.Contains(text, "Not checked") || !strings.Contains(text, "2001:db8:1::25") {
		t.Errorf("the text report does not say which address -4 left out:\n%s", text)
	}
	_, errOut, code := runInProcess(t, context.Background(), "", "sender", "-6", "--resolver", s.Addr4(), "--ip", "192.0.2.25")
	if code != ExitUsage || !strings.Contains(errOut, "no --ip address is IPv6") {
		t.Errorf("-6 with only an IPv4 --ip: exit %d, stderr %q; want a usage error", code, errOut)
	}
}

func TestSenderDNSBLIsOptInAndReportsTheSlash64(t *testing.T) {
	s := startSenderZone(t)
	out, _, code := runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(),
		"--ip", "2001:db8:1::28", "--dnsbl", "--dnsbl-zone", "bl.example")
	if code != ExitFindings || !strings.Contains(out, "listed on bl.example") || !strings.Contains(out, "2001:db8:1::/64") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	s.ResetCounts()
	runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(), "--ip", "2001:db8:1::28")
	q := strings.Replace(addr.ReverseName(netip.MustParseAddr("2001:db8:1::28")), "ip6.arpa.", "bl.example.", 1)
	if n := s.Queries(q, "A"); n != 0 {
		t.Errorf("%d blocklist queries without --dnsbl", n)
	}
}

func TestSenderReadsMainCF(t *testing.T) {
	s := startSenderZone(t)
	dir := t.TempDir()
	cf := filepath.Join(dir, "main.cf")
	if err := os.WriteFile(cf, []byte("myhostname = mail.example.org\n# comment\ninet_protocols = ipv6\nsmtp_bind_address6 = 2001:db8:1::25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, context.Background(), "", "sender", "-o", "json", "--resolver", s.Addr4(),
		"--main-cf", cf, "--domain", "example.org", "--ignore", "MC607")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{`"origin": "main.cf"`, `"ip": "2001:db8:1::25"`, `"smtp_bind_address6": "2001:db8:1::25"`,
		`"name": "mail.example.org"`, `"MC624"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

func TestSenderRejectsBadInputWithExitTwo(t *testing.T) {
	s := startSenderZone(t)
	cases := [][]string{
		{"--ip", "not-an-ip"},
		{"--ip", "fe80::1%eth0"},
		{"--ip", "192.0.2.1", "--fail-on", "info"},
		{"--ip", "192.0.2.1", "--ignore", "MC999"},
		{"--ip", "192.0.2.1", "--main-cf", "/nonexistent/main.cf"},
		{"--ip", "192.0.2.1", "--dnsbl-zone", "bl.example"},
		{"--ip", "192.0.2.1", "--helo", "two words"},
		{"--ip", "192.0.2.1", "--domain", "-"},
		{"--ip", "192.0.2.1", "-o", "junit"},
		{"example.org"},
	}
	for _, c := range cases {
		args := append([]string{"sender", "--resolver", s.Addr4()}, c...)
		_, errOut, code := runInProcess(t, context.Background(), "", args...)
		if code != ExitUsage || !strings.HasPrefix(errOut, "mailcheck: ") {
			t.Errorf("%v: exit %d, stderr %q", c, code, errOut)
		}
	}
}

func TestSenderExitsThreeWhenTheResolverDoesNotAnswer(t *testing.T) {
	s := startSenderZone(t, dnstest.WithFault("", "", dnstest.FaultDrop))
	_, _, code := runInProcess(t, context.Background(), "", "sender", "--resolver", s.Addr4(), "--timeout", "3s",
		"--ip", "2001:db8:1::25", "--ignore", "MC607", "--ignore", "MC603")
	if code != ExitUndetermined {
		t.Errorf("exit %d, want 3", code)
	}
}

const gmailLogLine = `Nov 29 10:12:01 mail postfix/smtp[21977]: 4F1A2B3C4D: to=<alice@gmail.com>, relay=gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b]:25, delay=1.4, delays=0.05/0.01/0.32/1, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b] said: 550-5.7.1 [2001:db8:1::27      12] Our system has detected that this message does 550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information 550 5.7.1 . o12si1234567wrq.55 - gsmtp (in reply to end of DATA command))`

func TestExplainRunsTheImpliedChecksOnTheExtractedAddress(t *testing.T) {
	s := startSenderZone(t)
	out, errOut, code := runInProcess(t, context.Background(), "", "explain", "--resolver", s.Addr4(),
		"--domain", "example.org", gmailLogLine)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Recognised: Gmail IPv6 sending guidelines",
		"From       2001:db8:1::27",
		"in reply to end of DATA",
		"PTR        v4only.example.org",
		"MC602",
		"v4only.example.org. AAAA 2001:db8:1::27",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainWithoutChecksSaysWhatItWouldCheckAndAsksNothing(t *testing.T) {
	s := startSenderZone(t)
	out, _, code := runInProcess(t, context.Background(), "", "explain", "--resolver", s.Addr4(), "--no-checks", "-o", "json", gmailLogLine)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["recognised"] != true || doc["rule"] != "gmail-ipv6-ptr-auth" || doc["sender_ip"] != "2001:db8:1::27" ||
		doc["checks_run"] != false || !strings.Contains(fmt.Sprint(doc["checks_note"]), "the PTR record of 2001:db8:1::27") {
		t.Errorf("doc %v", doc)
	}
	if n := s.TotalQueries(); n != 0 {
		t.Errorf("%d DNS queries with --no-checks", n)
	}
}

func TestExplainReadsStandardInputAndBoundsIt(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), gmailLogLine+"\n", "explain", "--no-checks", "-")
	if code != ExitOK || !strings.Contains(out, "Recognised: Gmail") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	big := gmailLogLine + "\n" + strings.Repeat("x", 1<<20)
	out, errOut, code := runInProcess(t, context.Background(), big, "explain", "--no-checks", "-")
	if code != ExitOK || !strings.Contains(errOut, "only the first") || !strings.Contains(out, "Recognised: Gmail") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestExplainSaysNotRecognisedAndExitsZero(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), "", "explain", "--no-checks",
		"552 5.3.4 message too big for mx.example.com, from 192.0.2.1")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Not recognised.", "Codes seen 552 5.3.4", "Addresses  192.0.2.1", "Hosts      mx.example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainRejectsBadUsageWithExitTwo(t *testing.T) {
	for _, c := range [][]string{{}, {"-", "more"}, {"   "}, {"--domain", "-", "550 5.7.1 x"}, {"-o", "junit", "550 5.7.1 x"}} {
		_, errOut, code := runInProcess(t, context.Background(), "", append([]string{"explain"}, c...)...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, stderr %q", c, code, errOut)
		}
	}
}

func TestExplainStripsTerminalEscapesFromTheBounce(t *testing.T) {
	out, _, _ := runInProcess(t, context.Background(), "", "explain", "--no-checks",
		"550-5.7.1 [2001:db8::1] \x1b]0;owned\x07does not meet IPv6 sending guidelines \x1b[2J - gsmtp")
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("escape sequence reached the output: %q", out)
	}
}

func TestSenderAndExplainBinaryExitCodes(t *testing.T) {
	s := startSenderZone(t)
	_, _, code := runMailcheck(t, "sender", "--resolver", s.Addr4(), "--ip", "2001:db8:1::26")
	if code != ExitFindings {
		t.Errorf("sender, address without PTR: exit %d, want 1", code)
	}
	_, _, code = runMailcheck(t, "sender", "--resolver", s.Addr4(), "--ip", "2001:db8:1::25", "--ignore", "MC607")
	if code != ExitOK {
		t.Errorf("sender, healthy address: exit %d, want 0", code)
	}
	_, _, code = runMailcheck(t, "sender", "--ip", "nope")
	if code != ExitUsage {
		t.Errorf("sender --ip nope: exit %d, want 2", code)
	}
	out, _, code := runMailcheckWith(t, binOptions{Stdin: strings.NewReader(gmailLogLine)}, "explain", "--resolver", s.Addr4(), "-")
	if code != ExitOK || !strings.Contains(out, "MC602") {
		t.Errorf("explain -: exit %d\n%s", code, out)
	}
	_, _, code = runMailcheck(t, "explain", "hello there")
	if code != ExitOK {
		t.Errorf("explain of unrecognised text: exit %d, want 0", code)
	}
	_, _, code = runMailcheck(t, "explain")
	if code != ExitUsage {
		t.Errorf("explain without text: exit %d, want 2", code)
	}
}

// TestDocsJSONDescribesTheSenderAndExplainFields keeps docs/json.md's
// sender and explain sections equal to what the commands write.
func TestDocsJSONDescribesTheSenderAndExplainFields(t *testing.T) {
	s := startSenderZone(t)
	s.MustInject(t, addr.ReverseName(netip.MustParseAddr("2001:db8:1::29")), "PTR", dnstest.FaultServFail)
	dir := t.TempDir()
	cf := filepath.Join(dir, "main.cf")
	if err := os.WriteFile(cf, []byte("inet_protocols = all\nsmtp_bind_address = 192.0.2.25\nsmtp_bind_address6 = 2001:db8:1::25\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	collect := func(produced map[string]bool, args ...string) {
		out, errOut, code := runInProcess(t, context.Background(), "", append(args, "-o", "json", "--resolver", s.Addr4())...)
		if code == ExitUsage {
			t.Fatalf("%v: exit 2: %s", args, errOut)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		jsonPaths("", doc, produced)
	}
	compare := func(section string, produced map[string]bool) {
		documented := map[string]bool{}
		for _, m := range docFieldRow.FindAllStringSubmatch(docSection(t, "../../docs/json.md", section), -1) {
			documented[m[1]] = true
		}
		undocumented, unproduced := fieldDiff(produced, documented)
		if len(undocumented) > 0 {
			t.Errorf("%s: fields written but not in docs/json.md: %v", section, undocumented)
		}
		if len(unproduced) > 0 {
			t.Errorf("%s: fields in docs/json.md that no test run produced: %v", section, unproduced)
		}
	}

	sent := map[string]bool{}
	collect(sent, "sender", "--ip", "2001:db8:1::25", "--ip", "2001:db8:1::26", "--ip", "2001:db8:1::28",
		"--ip", "10.0.0.1", "--ip", "2001:db8:1::29", "--domain", "example.org", "--helo", "mail.example.org",
		"--dnsbl", "--dnsbl-zone", "bl.example", "--main-cf", cf)
	collect(sent, "sender", "--ip", "2001:db8:1::26", "--domain", "perm.example")
	collect(sent, "sender", "-6", "--ip", "2001:db8:1::26", "--ip", "192.0.2.25")
	// lookup_paths: a described host (its routes follow from its
	// addresses) toward a dual-stack name (an implicit MX).
	collect(sent, "sender", "--ip", "2001:db8:1::25", "--domain", "mail.example.org", "--source-addr", "192.0.2.99/24", "--source-addr", "2001:db8:1::99/64")
	compare("sender", sent)

	expl := map[string]bool{}
	collect(expl, "explain", gmailLogLine)
	collect(expl, "explain", "--no-checks", `Nov 29 13:00:00 mx postfix/smtpd[999]: NOQUEUE: reject: RCPT from unknown[2001:db8:44::2]: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [2001:db8:44::2]; from=<frank@example.org> to=<gina@example.com> proto=ESMTP helo=<mail.example.org>`)
	collect(expl, "explain", "552 5.3.4 too big, see mx.example.com 192.0.2.1")
	for _, name := range []string{"postfix-two-recipients.eml", "forwarded-log.eml", "forwarded-smtpd-log.eml"} {
		collect(expl, "explain", "--no-checks", filepath.Join("testdata", "explain", name))
	}
	// "sender" is the sender document, documented in its own section.
	for p := range expl {
		if strings.HasPrefix(p, "sender.") {
			delete(expl, p)
		}
	}
	compare("explain", expl)
}
