package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/report"
)

type baselineLine struct {
	Domain   string           `json:"domain"`
	Findings []report.Finding `json:"findings"`
	Resolved []report.Finding `json:"resolved"`
}

func readJSONL(t *testing.T, out string) map[string]baselineLine {
	t.Helper()
	docs := map[string]baselineLine{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d baselineLine
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		docs[d.Domain] = d
	}
	return docs
}

func TestBaselineGateIgnoresKnownFindingsInBulkAndFailsOnNewOnes(t *testing.T) {
	const n = 40
	before := dnstest.New(t, bulkZone(n), dnstest.WithoutQueryLog())
	list := bulkList(n, false)
	bulk := func(resolver string, extra ...string) (string, string, int) {
		args := append([]string{"check", "--resolver", resolver, "--dns-only", "-o", "jsonl", "--fail-on", "warn", "-f", "-"}, extra...)
		return runInProcess(t, context.Background(), list, args...)
	}
	// Documentation addresses and shared PTRs: warnings everywhere.
	first, errOut, code := bulk(before.Addr4())
	if code != ExitFindings {
		t.Fatalf("the first run exits %d, want 1 (warnings at --fail-on warn): %s", code, errOut)
	}
	baseline := filepath.Join(t.TempDir(), "baseline.jsonl")
	if err := os.WriteFile(baseline, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := bulk(before.Addr4(), "--baseline", baseline)
	if code != ExitOK {
		t.Fatalf("nothing changed, yet exit %d: %s", code, errOut)
	}
	for d, doc := range readJSONL(t, out) {
		for _, f := range doc.Findings {
			if f.Delta != "known" {
				t.Errorf("%s: %s is %q in an unchanged run", d, f.Code, f.Delta)
			}
		}
		if len(doc.Resolved) != 0 {
			t.Errorf("%s: resolved = %v, want none", d, doc.Resolved)
		}
	}

	// d5's MX now names a host without addresses.
	changed := strings.Replace(bulkZone(n), "d5.bulk.test. MX 10 mx5.bulk.test.", "d5.bulk.test. MX 10 gone.bulk.test.", 1)
	after := dnstest.New(t, changed, dnstest.WithoutQueryLog())
	out, errOut, code = bulk(after.Addr4(), "--baseline", baseline)
	if code != ExitFindings {
		t.Fatalf("a new failure, yet exit %d: %s", code, errOut)
	}
	docs := readJSONL(t, out)
	if len(docs) != n {
		t.Fatalf("%d documents, want %d", len(docs), n)
	}
	for d, doc := range docs {
		for _, f := range doc.Findings {
			if f.Delta == "new" && d != "d5.bulk.test" {
				t.Errorf("%s: %s %s is new, yet only d5 changed", d, f.Code, f.Subject)
			}
		}
	}
	var d5New []report.Finding
	for _, f := range docs["d5.bulk.test"].Findings {
		if f.Delta == "new" {
			d5New = append(d5New, f)
		}
	}
	if !report.AtLeast(d5New, report.SeverityFail) {
		t.Errorf("d5's new findings have no failure: %+v", d5New)
	}
	if len(docs["d5.bulk.test"].Resolved) == 0 {
		t.Errorf("d5 lost mx5's findings, yet resolved is empty")
	}
}

func TestBaselineReadsAJSONArrayAndRefusesWhatIsNotAReport(t *testing.T) {
	s := dnstest.New(t, bulkZone(3), dnstest.WithoutQueryLog())
	args := []string{"check", "--resolver", s.Addr4(), "--dns-only", "--fail-on", "warn", "d0.bulk.test", "d1.bulk.test"}
	first, _, _ := runInProcess(t, context.Background(), "", append(args, "-o", "json")...)
	dir := t.TempDir()
	good := filepath.Join(dir, "baseline.json")
	bad := filepath.Join(dir, "other.json")
	if err := os.WriteFile(good, []byte(first), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"schema_version":1,"senders":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runInProcess(t, context.Background(), "", append(args, "--baseline", good)...); code != ExitOK {
		t.Errorf("against its own JSON array: exit %d: %s", code, errOut)
	}
	for _, tc := range []struct{ file, want string }{
		{bad, "not a mailcheck check report"},
		{filepath.Join(dir, "missing.json"), "--baseline"},
	} {
		_, errOut, code := runInProcess(t, context.Background(), "", append(args, "--baseline", tc.file)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("--baseline %s: exit %d, stderr %q; want 2 saying %q", tc.file, code, errOut, tc.want)
		}
	}
	_, errOut, code := runInProcess(t, context.Background(), "", append(args, "--baseline", good, "--compare-live")...)
	if code != ExitUsage || !strings.Contains(errOut, "give one") {
		t.Errorf("--baseline with --compare-live: exit %d, stderr %q", code, errOut)
	}
}
