package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

var updateGolden = flag.Bool("update-check", false, "rewrite pkg/cli/testdata/check_*.golden")

// demoClock fixes the demo's clock so that certificate dates, and so the
// report, are the same on every run.
var demoClock = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// runInProcess runs mailcheck in-process with its own streams.
func runInProcess(t *testing.T, ctx context.Context, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:          &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut},
		Global:      &GlobalOptions{},
		NewResolver: defaultResolver,
		Now:         demoClock,
	}
	code := RunWith(ctx, f, args)
	return out.String(), errOut.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./pkg/cli -run %s -update-check)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update-check to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDemoTextReportMatchesGoldenAndFits80Columns(t *testing.T) {
	out, errOut, code := runInProcess(t, context.Background(), "", "demo")
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (the demo has failures); stderr: %s", code, errOut)
	}
	for i, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > 80 {
			t.Errorf("line %d is %d columns: %q", i+1, n, line)
		}
	}
	// Findings come grouped by severity, most severe first.
	fi, wi, ni := strings.Index(out, "Failures ("), strings.Index(out, "Warnings ("), strings.Index(out, "Notes (")
	if fi < 0 || wi < fi || ni < wi {
		t.Errorf("severity groups missing or out of order (%d, %d, %d)", fi, wi, ni)
	}
	golden(t, "check_demo.golden", out)
}

func TestDemoReportsEachPlantedFault(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), "", "demo", "-o", "json")
	if code != ExitFindings {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		SchemaVersion int    `json:"schema_version"`
		Domain        string `json:"domain"`
		Sandbox       bool   `json:"sandbox"`
		Findings      []struct {
			Code, Severity, Subject, Message, Fix string
		} `json:"findings"`
		Probes     []map[string]any `json:"probes"`
		PFirstIPv6 *float64         `json:"p_first_ipv6"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || doc.Domain != "demo.example" || !doc.Sandbox || len(doc.Probes) != 3 || doc.PFirstIPv6 == nil {
		t.Errorf("document: %+v", doc)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Code] = f.Subject
		if f.Fix == "" || f.Message == "" {
			t.Errorf("finding without message or fix: %+v", f)
		}
	}
	want := map[string]string{
		"MC210": "2001:db8:10::10",  // IPv6 address without PTR
		"MC406": "mx1.demo.example", // EHLO name differs across families
		"MC410": "demo.example",     // backup MX IPv4 only
		"MC310": "198.51.100.20",    // backup's expired certificate
	}
	for code, subj := range want {
		if got[code] != subj {
			t.Errorf("finding %s about %q missing (got %v)", code, subj, got)
		}
	}
	for _, code := range []string{"MC207", "MC201"} {
		if _, ok := got[code]; ok {
			t.Errorf("the sandbox's own addresses raised %s", code)
		}
	}
}

func TestDemoJUnitIsXMLWithOneSuiteAndFailuresAtTheThreshold(t *testing.T) {
	type tc struct {
		Name    string `xml:"name,attr"`
		Failure *struct {
			Type string `xml:"type,attr"`
		} `xml:"failure"`
		Skipped *struct{} `xml:"skipped"`
	}
	type suites struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []tc   `xml:"testcase"`
		} `xml:"testsuite"`
	}
	parse := func(args ...string) suites {
		out, _, _ := runInProcess(t, context.Background(), "", append([]string{"demo", "-o", "junit"}, args...)...)
		var s suites
		if err := xml.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("not XML: %v\n%s", err, out)
		}
		if len(s.Suites) != 1 || s.Suites[0].Name != "demo.example" {
			t.Fatalf("suites: %+v", s.Suites)
		}
		return s
	}
	s := parse()
	failed := map[string]bool{}
	for _, c := range s.Suites[0].Cases {
		if c.Failure != nil {
			failed[c.Name[:5]] = true
		}
	}
	// The demo's failures: mx2's expired certificate, mx1's DANE over IPv6.
	if len(failed) != 2 || !failed["MC310"] || !failed["MC702"] || s.Suites[0].Failures != 2 {
		t.Errorf("--fail-on fail: failures %v", failed)
	}
	if s.Suites[0].Tests < 30 || s.Suites[0].Tests != len(s.Suites[0].Cases) {
		t.Errorf("tests=%d cases=%d: want one testcase per code checked", s.Suites[0].Tests, len(s.Suites[0].Cases))
	}
	s = parse("--fail-on", "warn", "--ignore", "MC310", "--ignore", "MC702")
	failed = map[string]bool{}
	skipped := 0
	for _, c := range s.Suites[0].Cases {
		if c.Failure != nil {
			failed[c.Name[:5]] = true
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if !failed["MC210"] || !failed["MC406"] || !failed["MC713"] || failed["MC310"] || failed["MC410"] || skipped != 2 {
		t.Errorf("--fail-on warn --ignore MC310 --ignore MC702: failures %v, skipped %d", failed, skipped)
	}
}

func TestDemoMarkdownHasVerdictAndFindingTable(t *testing.T) {
	out, _, code := runInProcess(t, context.Background(), "", "demo", "-o", "markdown")
	if code != ExitFindings {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"## mailcheck: demo.example (FAIL)", "| Severity | Code | Subject | Finding | Fix |", "| ❌ fail | MC310 | 198.51.100.20 |", "`2001:db8:10::10`"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 6 && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 7 {
			t.Errorf("table row with a stray pipe: %q", line)
		}
	}
}

func TestDemoIgnoreAndFailOnDecideTheExitCode(t *testing.T) {
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"demo"}, ExitFindings},
		{[]string{"demo", "--ignore", "MC310"}, ExitFindings}, // MC702 still fails
		{[]string{"demo", "--ignore", "MC310", "--ignore", "MC702"}, ExitOK},
		{[]string{"demo", "--ignore", "mc310", "--ignore", "mc702", "--fail-on", "warn"}, ExitFindings},
		{[]string{"demo", "--ignore", "MC310", "--ignore", "MC702", "--ignore", "MC210", "--ignore", "MC406", "--ignore", "MC713", "--fail-on", "warn"}, ExitOK},
		{[]string{"demo", "--ignore", "MC999"}, ExitUsage},
		{[]string{"demo", "--fail-on", "info"}, ExitUsage},
		{[]string{"demo", "-o", "yaml"}, ExitUsage},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, errOut, code := runInProcess(t, context.Background(), "", c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, errOut)
			}
		})
	}
}

func TestCheckRejectsBadInputWithExitTwo(t *testing.T) {
	cases := [][]string{
		{"check"},
		{"check", "-"},
		{"check", "192.0.2.1"},
		{"check", "exa mple.org"},
		{"check", "--fail-on", "bogus", "example.org"},
		{"check", "--ignore", "MC000", "example.org"},
		{"check", "--concurrency", "0", "example.org"},
		{"check", "--port", "0", "example.org"},
		{"check", "--source4", "2001:db8::1", "example.org"},
		{"check", "--set", "no_such_parameter=1", "example.org"},
		{"check", "--require-starttls", "--no-starttls", "example.org"},
		{"check", "--require-starttls", "--dns-only", "example.org"},
		{"check", "--expect-ptr-suffix", ".example.org", "--no-rdns", "example.org"},
		{"check", "-f", "/nonexistent/list.txt"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, errOut, code := runInProcess(t, context.Background(), "", args...)
			if code != ExitUsage || out != "" || !strings.HasPrefix(errOut, "mailcheck: ") {
				t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

// bulkZone serves n domains d0.bulk.test ... each with its own MX host
// holding an IPv4 address (shared by groups of domains, as hosting does)
// and a unique IPv6 address, both forward-confirmed: MX, A, AAAA, two PTR
// and two forward queries per domain, most of them not cacheable.
func bulkZone(n int) string {
	var b strings.Builder
	for i := 0; i < 250; i++ {
		fmt.Fprintf(&b, "%d.2.0.192.in-addr.arpa. PTR mx%d.bulk.test.\n", i+1, i)
	}
	for i := 0; i < n; i++ {
		v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		fmt.Fprintf(&b, "d%d.bulk.test. MX 10 mx%d.bulk.test.\nmx%d.bulk.test. A 192.0.2.%d\nmx%d.bulk.test. AAAA %s\n%s PTR mx%d.bulk.test.\n",
			i, i, i, i%250+1, i, v6, addr.ReverseName(v6), i)
	}
	return b.String()
}

func bulkList(n int, dups bool) string {
	var b strings.Builder
	b.WriteString("# bulk list\n\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "d%d.bulk.test\n", i)
		if dups && i%100 == 0 {
			fmt.Fprintf(&b, "D%d.bulk.test.  # the same domain again\n", i)
		}
	}
	return b.String()
}

func TestCheckBulkStreamsEveryDomainExactlyOnceAsWholeJSONLines(t *testing.T) {
	const n = 3000
	s := dnstest.New(t, bulkZone(n), dnstest.WithoutQueryLog())
	out, errOut, code := runInProcess(t, context.Background(), bulkList(n, true),
		"check", "--resolver", s.Addr4(), "--dns-only", "--concurrency", "64", "-o", "jsonl", "--ignore", "MC207", "-f", "-")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr: %s", code, errOut)
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc struct {
			SchemaVersion int    `json:"schema_version"`
			Domain        string `json:"domain"`
			MX            []struct {
				Addresses []struct {
					FCrDNS string `json:"fcrdns"`
				} `json:"addresses"`
			} `json:"mx"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("line is not a JSON document: %v: %q", err, sc.Text())
		}
		if doc.SchemaVersion != 1 || len(doc.MX) != 1 || len(doc.MX[0].Addresses) != 2 {
			t.Fatalf("incomplete document: %s", sc.Text())
		}
		// FCrDNS passes for the IPv6 address; the IPv4 one's PTR names
		// the first host of its group (the rest fail, as shared hosting does).
		if doc.MX[0].Addresses[1].FCrDNS != "pass" {
			t.Fatalf("IPv6 forward confirmation: %s", sc.Text())
		}
		seen[doc.Domain]++
	}
	if len(seen) != n {
		t.Fatalf("%d distinct domains written, want %d", len(seen), n)
	}
	for d, c := range seen {
		if c != 1 {
			t.Errorf("%s written %d times", d, c)
		}
	}
}

func TestCheckBulkReportsBadLinesInPlaceAndExitsTwo(t *testing.T) {
	s := dnstest.New(t, bulkZone(2))
	out, _, code := runInProcess(t, context.Background(), "d0.bulk.test\n192.0.2.1\nd1.bulk.test\n",
		"check", "--resolver", s.Addr4(), "--dns-only", "--concurrency", "64", "-o", "jsonl", "--ignore", "MC207", "-f", "-")
	if code != ExitUsage {
		t.Errorf("exit %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(out, `"input":"192.0.2.1","error":`) {
		t.Errorf("output:\n%s", out)
	}
}

func TestCheckBulkInterruptedWritesNothingHalfDone(t *testing.T) {
	const n = 500
	s := dnstest.New(t, bulkZone(n), dnstest.WithDelay(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	out, _, code := runInProcess(t, ctx, bulkList(n, false),
		"check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "--concurrency", "4", "-f", "-")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if out == "" || len(lines) >= n {
		t.Fatalf("%d lines: the interrupt did not stop the run midway", len(lines))
	}
	for _, l := range lines {
		var doc map[string]any
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc["partial"] != false {
			t.Fatalf("bad line after interrupt: %q (%v)", l, err)
		}
	}
}

// ---- end to end on the built binary, against loopback DNS and SMTP ----

// e2eDomain serves one domain whose MX has 127.0.0.1 and ::1 (when the
// host has IPv6 loopback), with forward-confirmed PTRs.
type e2eDomain struct {
	dns  *dnstest.Server
	port int
}

func startE2E(t *testing.T, v4, v6 smtptest.Script, withIPv6 bool) e2eDomain {
	t.Helper()
	zone := `ok.test.   MX 10 mx.ok.test.
mx.ok.test. A 127.0.0.1
1.0.0.127.in-addr.arpa. PTR mx.ok.test.
`
	var port int
	if withIPv6 {
		if !smtptest.IPv6Available() {
			t.Skip("no IPv6 loopback")
		}
		zone += "mx.ok.test. AAAA ::1\n" + addr.ReverseName(netip.IPv6Loopback()) + " PTR mx.ok.test.\n"
		s4, s6, err := smtptest.StartPair(v4, v6)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s4.Close(); s6.Close() })
		port = int(s4.Addr().Port())
	} else {
		s4, err := smtptest.Start(v4)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s4.Close() })
		port = int(s4.Addr().Port())
	}
	return e2eDomain{dns: dnstest.New(t, zone), port: port}
}

func (d e2eDomain) args(extra ...string) []string {
	return append([]string{"check", "--resolver", d.dns.Addr4(), "--port", fmt.Sprint(d.port), "--no-starttls",
		"--ignore", "MC201", "--timeout", "20s"}, append(extra, "ok.test")...)
}

func TestCheckBinaryExitCodes(t *testing.T) {
	good := smtptest.Script{BannerName: "mx.ok.test"}
	otherName := smtptest.Script{BannerName: "mx.ok.test", EHLOName: "other.ok.test"}

	t.Run("pass exits 0", func(t *testing.T) {
		d := startE2E(t, good, good, true)
		out, errOut, code := runMailcheck(t, d.args()...)
		if code != ExitOK || !strings.Contains(out, "nothing at or above --fail-on fail") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("warn exits 0 with --fail-on fail and 1 with --fail-on warn", func(t *testing.T) {
		d := startE2E(t, good, otherName, true)
		out, _, code := runMailcheck(t, d.args("--fail-on", "fail")...)
		if code != ExitOK || !strings.Contains(out, "MC406") {
			t.Fatalf("--fail-on fail: exit %d\n%s", code, out)
		}
		if _, _, code := runMailcheck(t, d.args("--fail-on", "warn")...); code != ExitFindings {
			t.Fatalf("--fail-on warn: exit %d", code)
		}
	})
	t.Run("fail exits 1", func(t *testing.T) {
		closed, err := smtptest.ClosedPort("tcp4")
		if err != nil {
			t.Fatal(err)
		}
		d := startE2E(t, good, good, false)
		d.port = int(closed.Port())
		out, _, code := runMailcheck(t, d.args("-o", "json")...)
		if code != ExitFindings || !strings.Contains(out, `"MC305"`) || !strings.Contains(out, `"MC301"`) {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("expectations not met are findings", func(t *testing.T) {
		d := startE2E(t, good, good, false)
		out, _, code := runMailcheck(t, d.args("--expect-mx", "mx2.ok.test", "--expect-ptr-suffix", "example.net", "-o", "jsonl")...)
		if code != ExitFindings || !strings.Contains(out, `"MC111"`) || !strings.Contains(out, `"MC216"`) {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
	t.Run("bad input exits 2", func(t *testing.T) {
		_, errOut, code := runMailcheck(t, "check", "-")
		if code != ExitUsage || !strings.Contains(errOut, "-f -") {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("resolver silent exits 3", func(t *testing.T) {
		out, _, code := runMailcheck(t, "check", "--resolver", silentDNS(t), "--timeout", "3s", "ok.test")
		if code != ExitUndetermined || !strings.Contains(out, "could not determine") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
}

func TestCheckBinaryInterruptExits130WithWholeLines(t *testing.T) {
	bin := mailcheckBinary(t)
	const n = 2000
	s := dnstest.New(t, bulkZone(n), dnstest.WithDelay(10*time.Millisecond), dnstest.WithoutQueryLog())
	cmd := exec.Command(bin, "check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "--concurrency", "8", "-f", "-")
	cmd.Stdin = strings.NewReader(bulkList(n, false))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// SIGINT once the first document is out, so that the run is midway.
	var out bytes.Buffer
	br := bufio.NewReader(stdout)
	first, err := br.ReadString('\n')
	out.WriteString(first)
	if err != nil {
		t.Fatalf("no first line: %v; stderr: %s", err, errOut.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	io.Copy(&out, br)
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != ExitInterrupted {
		t.Fatalf("exit %d (%v), want 130", code, err)
	}
	text := out.String()
	if text == "" || !strings.HasSuffix(text, "\n") {
		t.Fatalf("output empty or cut mid-line: %q; stderr: %s", text, errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) >= n {
		t.Fatalf("all %d domains written: the interrupt came too late to test anything", n)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line is not whole JSON: %q", l)
		}
	}
}

func TestDocsJSONDescribesTheCheckFields(t *testing.T) {
	produced := map[string]bool{}
	out, _, _ := runInProcess(t, context.Background(), "", "demo", "-o", "json")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc {
		produced[k] = true
	}
	s := dnstest.New(t, bulkZone(1))
	out, _, _ = runInProcess(t, context.Background(), "User@D0.bulk.test.\nnot a domain\n", "check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "-f", "-")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		for k := range d {
			produced[k] = true
		}
	}
	// --sender finds this host's source addresses with a UDP connect, which
	// sends nothing; its DNS questions go to the test server.
	out, _, _ = runInProcess(t, context.Background(), "", "check", "--resolver", silentDNS(t), "--timeout", "1s", "--dns-only", "--sender", "-o", "json", "ok.test")
	doc = nil
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for k := range doc {
		produced[k] = true
	}
	for k := range compareLiveFields(t) {
		produced[k] = true
	}
	// The simulation's fields are the simulate document's, documented with it.
	simFields := map[string]bool{}
	rt := reflect.TypeOf(mta.Document{})
	for i := 0; i < rt.NumField(); i++ {
		simFields[strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	check := docSection(t, "../../docs/json.md", "check")
	own := map[string]bool{}
	for _, m := range docFieldRow.FindAllStringSubmatch(check, -1) {
		own[m[1]] = true
	}
	mx := map[string]bool{}
	for _, m := range docFieldRow.FindAllStringSubmatch(docSection(t, "../../docs/json.md", "mx"), -1) {
		mx[m[1]] = true
	}
	simulate := docSection(t, "../../docs/json.md", "simulate")
	for k := range produced {
		if !own[k] && !mx[k] && !simFields[k] && !strings.Contains(check, "`"+k+"`") && !strings.Contains(simulate, "`"+k+"`") {
			t.Errorf("check writes %q, which docs/json.md documents nowhere", k)
		}
	}
	for k := range own {
		if !produced[k] {
			t.Errorf("docs/json.md's check section documents %q, which no test run produced", k)
		}
	}
}

// silentDNS is a DNS server that never answers.
func silentDNS(t *testing.T) string {
	return dnstest.New(t, "x.test. A 192.0.2.1\n", dnstest.WithFault("", "", dnstest.FaultDrop)).Addr4()
}

func TestCheckBulkProgressGoesToAStderrTerminalOnly(t *testing.T) {
	s := dnstest.New(t, bulkZone(50))
	run := func(errTTY bool) (string, string) {
		var out, errOut bytes.Buffer
		f := &Factory{
			IO:     &IOStreams{In: strings.NewReader(bulkList(50, false)), Out: &out, ErrOut: &errOut, ErrTTY: errTTY},
			Global: &GlobalOptions{}, NewResolver: defaultResolver, Now: time.Now,
		}
		if code := RunWith(context.Background(), f, []string{"check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "-f", "-"}); code == ExitUsage {
			t.Fatalf("exit 2: %s", errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, errOut := run(true)
	if !strings.Contains(errOut, "checking") {
		t.Errorf("no progress on a terminal: %q", errOut)
	}
	if strings.Contains(out, "checking") || strings.Count(out, "\n") != 50 {
		t.Errorf("progress leaked into stdout or lines missing: %d lines", strings.Count(out, "\n"))
	}
	if _, errOut := run(false); errOut != "" {
		t.Errorf("progress written to a non-terminal: %q", errOut)
	}
}

// blackholeDialer connects the IPv4 address to a loopback SMTP server and
// never answers for IPv6, like a firewall that drops SYNs.
type blackholeDialer struct{ v4 netip.AddrPort }

func (d blackholeDialer) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	if raddr.Addr().Is4() {
		var nd net.Dialer
		return nd.DialContext(ctx, "tcp", d.v4.String())
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

type everyRoute struct{}

func (everyRoute) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	return dst, nil
}

func TestCheckBlackholedIPv6CostsOneConnectTimeoutAndIsReported(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.hole.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dns := dnstest.New(t, `hole.test. MX 10 mx.hole.test.
mx.hole.test. A 192.0.2.10
mx.hole.test. AAAA 2001:db8::10
10.2.0.192.in-addr.arpa. PTR mx.hole.test.
`+addr.ReverseName(netip.MustParseAddr("2001:db8::10"))+` PTR mx.hole.test.
`)
	var out, errOut bytes.Buffer
	f := &Factory{
		IO:     &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Global: &GlobalOptions{}, NewResolver: defaultResolver, Now: time.Now,
		Dialer: blackholeDialer{v4: srv.Addr()}, Routes: everyRoute{},
	}
	const connectTimeout = 400 * time.Millisecond
	begin := time.Now()
	code := RunWith(context.Background(), f, []string{"check", "--resolver", dns.Addr4(), "--connect-timeout", connectTimeout.String(),
		"--no-starttls", "--ignore", "MC207", "-o", "json", "hole.test"})
	elapsed := time.Since(begin)
	if code != ExitFindings {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	// Probes run concurrently: the dead address costs its connect timeout
	// once, never a sum (generous slack for a loaded machine).
	if elapsed > connectTimeout+3*time.Second {
		t.Errorf("check took %s with a %s connect timeout", elapsed, connectTimeout)
	}
	var doc struct {
		Findings []struct{ Code, Subject, Message string }
		Replay   struct {
			PDelivered float64 `json:"p_delivered"`
		} `json:"replay"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		got[f.Code] = f.Message
	}
	for _, code := range []string{"MC301", "MC404", "MC411", "MC501"} {
		if _, ok := got[code]; !ok {
			t.Errorf("missing %s in %v", code, got)
		}
	}
	if !strings.Contains(got["MC501"], "probability 50%") {
		t.Errorf("MC501 should say Postfix starts over IPv6 half the time: %q", got["MC501"])
	}
	if doc.Replay.PDelivered != 1 {
		t.Errorf("replay: delivered %v, want 1 (the IPv4 address answers)", doc.Replay.PDelivered)
	}
}

func TestCheckNoRDNSAsksNoPTRAndSaysSo(t *testing.T) {
	const n = 20
	s := dnstest.New(t, bulkZone(n))
	ptrQueries := func() int {
		q := 0
		for i := 0; i < n; i++ {
			v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i)})
			q += s.Queries(addr.ReverseName(v6), "PTR")
			q += s.Queries(addr.ReverseName(netip.AddrFrom4([4]byte{192, 0, 2, byte(i%250 + 1)})), "PTR")
		}
		return q
	}
	run := func(extra ...string) []map[string]any {
		args := append([]string{"check", "--resolver", s.Addr4(), "--dns-only", "-o", "jsonl", "-f", "-"}, extra...)
		out, errOut, code := runInProcess(t, context.Background(), bulkList(n, false), args...)
		if code == ExitUsage {
			t.Fatalf("exit 2: %s", errOut)
		}
		var docs []map[string]any
		for line := range strings.Lines(out) {
			var d map[string]any
			if err := json.Unmarshal([]byte(line), &d); err != nil {
				t.Fatalf("%v: %q", err, line)
			}
			docs = append(docs, d)
		}
		return docs
	}
	run()
	if ptrQueries() == 0 {
		t.Fatal("control run without --no-rdns asked no PTR: the counter does not see them")
	}
	s.ResetCounts()
	docs := run("--no-rdns")
	if q := ptrQueries(); q != 0 {
		t.Errorf("--no-rdns asked %d PTR queries", q)
	}
	if len(docs) != n {
		t.Fatalf("%d documents, want %d", len(docs), n)
	}
	for _, d := range docs {
		b, _ := json.Marshal(d)
		txt := string(b)
		if !strings.Contains(txt, `"code":"MC907"`) || strings.Contains(txt, `"code":"MC21`) {
			t.Fatalf("want MC907 and no reverse-DNS finding: %s", txt)
		}
		if !strings.Contains(txt, `"ptr_status":"skipped"`) || !strings.Contains(txt, `"fcrdns":"skipped"`) {
			t.Fatalf("addresses do not say their reverse DNS was skipped: %s", txt)
		}
	}
}
