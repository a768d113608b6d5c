package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/exitcode"
	"github.com/mailcheck/mailcheck/pkg/internal/logtest"
)

// logsStart is the first time in the generated logs: the same year as
// demoClock, the clock of in-process runs, so that syslog times (which
// have no year) are read in the right one.
var logsStart = time.Date(demoClock().Year(), 11, 29, 8, 0, 0, 0, time.Local)

// writeGeneratedLog writes a generated Postfix log of n messages and
// returns its path and what it holds.
func writeGeneratedLog(t *testing.T, n int, gz bool) (string, logtest.Expected) {
	t.Helper()
	var buf bytes.Buffer
	x, err := logtest.Postfix(&buf, n, logsStart)
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	name := "mail.log"
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		data, name = z.Bytes(), "mail.log.1.gz"
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, x
}

type logsDoc struct {
	Lines        int64 `json:"lines"`
	Destinations []struct {
		Domain            string `json:"domain"`
		Verdict           string `json:"verdict"`
		Fix               string `json:"fix"`
		FallbackDelivered int    `json:"fallback_delivered"`
		Families          []struct {
			Family    string `json:"family"`
			Attempts  int    `json:"attempts"`
			Delivered int    `json:"delivered"`
			Deferred  int    `json:"deferred"`
			Bounced   int    `json:"bounced"`
		} `json:"families"`
	} `json:"destinations"`
}

// checkCounts compares a logs document with what the generated log holds,
// exactly: every destination and family, nothing more.
func checkCounts(t *testing.T, doc logsDoc, x logtest.Expected, lines int) {
	t.Helper()
	if doc.Lines != int64(lines) {
		t.Errorf("lines %d, want %d", doc.Lines, lines)
	}
	got := map[string]map[string]logtest.Counts{}
	for _, d := range doc.Destinations {
		got[d.Domain] = map[string]logtest.Counts{}
		for _, f := range d.Families {
			got[d.Domain][f.Family] = logtest.Counts{Attempts: f.Attempts, Delivered: f.Delivered, Deferred: f.Deferred, Bounced: f.Bounced}
		}
	}
	want := map[string]map[string]logtest.Counts{}
	for d, fams := range x.Dest {
		want[d] = map[string]logtest.Counts{}
		for f, c := range fams {
			want[d][f] = *c
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts\n got %v\nwant %v", got, want)
	}
}

func TestLogsCountsExactlyWhatTheGeneratedLogHolds(t *testing.T) {
	path, x := writeGeneratedLog(t, 1000, false)
	out, errOut, code := runInProcess(t, context.Background(), "", "logs", "-o", "json", path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc logsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, doc, x, x.Lines)
	gmail := doc.Destinations[0]
	if gmail.Domain != "gmail.com" || gmail.FallbackDelivered != x.FallbackDelivered ||
		!strings.HasPrefix(gmail.Verdict, "gmail.com: 400 of 400 attempts over IPv6 failed, mostly (200) 550 5.7.1") ||
		!strings.Contains(gmail.Verdict, "0 of 400 over IPv4 failed") || !strings.Contains(gmail.Fix, "PTR record for 2001:db8::25") {
		t.Errorf("gmail.com: %+v", gmail)
	}
}

func TestLogsReadsRotatedGzipAndPlainFilesInOrderAndFilters(t *testing.T) {
	old, x1 := writeGeneratedLog(t, 200, true)
	cur, _ := writeGeneratedLog(t, 200, false)
	out, errOut, code := runInProcess(t, context.Background(), "", "logs", "-o", "json", old, cur)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc logsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, fams := range x1.Dest {
		for _, c := range fams {
			c.Attempts, c.Delivered, c.Deferred, c.Bounced = 2*c.Attempts, 2*c.Delivered, 2*c.Deferred, 2*c.Bounced
		}
	}
	checkCounts(t, doc, x1, 2*x1.Lines)

	out, _, _ = runInProcess(t, context.Background(), "", "logs", "-o", "json", "--domain", "EXAMPLE.net", cur)
	doc = logsDoc{}
	json.Unmarshal([]byte(out), &doc)
	if len(doc.Destinations) != 1 || doc.Destinations[0].Domain != "example.net" {
		t.Errorf("--domain: %+v", doc.Destinations)
	}
	// --since a day after the log began keeps nothing of it.
	out, _, _ = runInProcess(t, context.Background(), "", "logs", "-o", "json", "--since", logsStart.AddDate(0, 0, 1).Format("2006-01-02"), cur)
	doc = logsDoc{}
	json.Unmarshal([]byte(out), &doc)
	if len(doc.Destinations) != 0 {
		t.Errorf("--since after the log: %+v", doc.Destinations)
	}
}

func TestLogsTextAndMarkdownSayTheVerdict(t *testing.T) {
	path, _ := writeGeneratedLog(t, 100, false)
	out, _, code := runInProcess(t, context.Background(), "", "logs", path)
	if code != ExitOK || !strings.Contains(out, "gmail.com: 40 of 40 attempts over IPv6 failed") || !strings.Contains(out, "Fix: Publish a PTR record for 2001:db8::25") {
		t.Errorf("text, exit %d:\n%s", code, out)
	}
	out, _, code = runInProcess(t, context.Background(), "", "logs", "-o", "markdown", path)
	if code != ExitOK || !strings.Contains(out, "| gmail.com | IPv6 | 40 | 0 | 20 | 20 |") {
		t.Errorf("markdown, exit %d:\n%s", code, out)
	}
}

func TestLogsFlagsAreValidatedBeforeAnythingIsRead(t *testing.T) {
	var got *logsOptions
	run := func(args ...string) error {
		got = nil
		f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, Global: &GlobalOptions{Format: "text"}, Now: demoClock}
		cmd := newCmdLogs(f, func(o *logsOptions) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		return cmd.Execute()
	}
	if err := run("--since", "24h", "--domain", "Gmail.COM.", "a.log", "b.log"); err != nil || got == nil {
		t.Fatalf("valid flags: %v", err)
	}
	if !got.since.Equal(demoClock().Add(-24*time.Hour)) || got.domain != "gmail.com" || len(got.Files) != 2 {
		t.Errorf("since %v domain %q files %v", got.since, got.domain, got.Files)
	}
	for _, bad := range [][]string{{}, {"-", "a.log"}, {"--since", "yesterday", "a.log"}, {"--since", "-5h", "a.log"}, {"--domain", "a b", "a.log"}} {
		if err := run(bad...); exitcode.Of(err) != ExitUsage || got != nil {
			t.Errorf("%v: %v, want a usage error before running", bad, err)
		}
	}
}

// TestLogsBinaryCountsADualStackPostfixLogExactly runs the built binary,
// without a lab, on a realistic generated log: a dual-stack Postfix host
// whose mail to gmail.com is rejected over IPv6 (Gmail's 550 5.7.1 PTR
// reply) and delivered over IPv4, with deferrals, fallbacks and an
// unreachable IPv6 destination around it.
func TestLogsBinaryCountsADualStackPostfixLogExactly(t *testing.T) {
	path, x := writeGeneratedLog(t, 2000, false)
	out, errOut, code := runMailcheck(t, "logs", "-o", "json", path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc logsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, doc, x, x.Lines)
	gmail := doc.Destinations[0]
	// 2000 messages cycle through five cases: 400 rejected over IPv6, 400
	// delivered over IPv4, 400 deferred over IPv6 then delivered over IPv4.
	if gmail.Domain != "gmail.com" || gmail.FallbackDelivered != 400 ||
		!strings.HasPrefix(gmail.Verdict, "gmail.com: 800 of 800 attempts over IPv6 failed, mostly (400) 550 5.7.1") ||
		!strings.HasSuffix(gmail.Verdict, "(requireptr); 0 of 800 over IPv4 failed.") {
		t.Errorf("gmail.com: %+v", gmail)
	}
	if !strings.Contains(gmail.Fix, "PTR record for 2001:db8::25") || !strings.Contains(gmail.Fix, "transport_maps `gmail.com smtp4:`") {
		t.Errorf("fix: %s", gmail.Fix)
	}
}

func TestLogsBinaryExitCodes(t *testing.T) {
	path, x := writeGeneratedLog(t, 50, true)
	data, _ := os.ReadFile(path)
	out, errOut, code := runMailcheckWith(t, binOptions{Stdin: bytes.NewReader(data)}, "logs", "-o", "json", "-")
	if code != ExitOK {
		t.Fatalf("logs - (gzip on stdin): exit %d: %s", code, errOut)
	}
	var doc logsDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, doc, x, x.Lines)
	if _, errOut, code := runMailcheck(t, "logs", filepath.Join(t.TempDir(), "missing.log")); code != ExitUsage || !strings.Contains(errOut, "missing.log") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
	broken := filepath.Join(t.TempDir(), "broken.gz")
	os.WriteFile(broken, data[:len(data)/2], 0o644)
	if out, errOut, code := runMailcheck(t, "logs", broken); code != ExitUsage || !strings.Contains(errOut, "broken.gz") || !strings.Contains(out, "Read ") {
		t.Errorf("truncated gzip: exit %d, stderr %q, stdout %q", code, errOut, out)
	}
	if _, _, code := runMailcheck(t, "logs"); code != ExitUsage {
		t.Errorf("no file: exit %d", code)
	}
}

// TestDocsJSONDescribesTheLogsFields keeps docs/json.md's logs section
// equal to what the command writes.
func TestDocsJSONDescribesTheLogsFields(t *testing.T) {
	path, _ := writeGeneratedLog(t, 100, false)
	// More distinct replies than are kept, for replies_other.
	var many strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&many, "Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C%02X: to=<a@example.org>, relay=mx.example.org[192.0.2.1]:25, dsn=4.0.0, status=deferred (host mx.example.org[192.0.2.1] said: 450 try again %c%c)\n", i, 'a'+i%26, 'a'+i/26)
	}
	other := filepath.Join(t.TempDir(), "many.log")
	if err := os.WriteFile(other, []byte(many.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, context.Background(), "", "logs", "-o", "json", path, other)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	produced := map[string]bool{}
	jsonPaths("", doc, produced)
	documented := map[string]bool{}
	for _, m := range docFieldRow.FindAllStringSubmatch(docSection(t, "../../docs/json.md", "logs"), -1) {
		documented[m[1]] = true
	}
	undocumented, unproduced := fieldDiff(produced, documented)
	if len(undocumented) > 0 {
		t.Errorf("logs writes fields docs/json.md does not document: %v", undocumented)
	}
	if len(unproduced) > 0 {
		t.Errorf("docs/json.md documents logs fields this run did not produce: %v", unproduced)
	}
}

func TestLogsStripsTerminalEscapesFromTheLog(t *testing.T) {
	line := "Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4D: to=<a@ex\x1b[2Jample.com>, relay=mx\x1b]0;owned\x07.example.com[2001:db8::1]:25, dsn=5.7.1, status=bounced (host mx[2001:db8::1] said: 550 5.7.1 \x1b[31mno PTR\x07 for [2001:db8::25])\n"
	path := filepath.Join(t.TempDir(), "hostile.log")
	if err := os.WriteFile(path, []byte(strings.Repeat(line, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "markdown"} {
		out, _, code := runInProcess(t, context.Background(), "", "logs", "-o", format, path)
		if code != ExitOK || !strings.Contains(out, "3 of 3 attempts over IPv6 failed") {
			t.Errorf("%s: exit %d:\n%s", format, code, out)
		}
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s: an escape sequence reached the output: %q", format, out)
		}
	}
}
