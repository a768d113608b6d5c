package cli

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// liveExampleCom is example.com as it is served now: mx2 has an AAAA (the
// domain's only IPv6 address), 192.0.2.1 has no PTR (MC210).
func liveExampleCom(t *testing.T) *dnstest.Server {
	t.Helper()
	return dnstest.New(t, `
example.com.      MX   10 mx1.example.com.
example.com.      MX   20 mx2.example.com.
mx1.example.com.  A    192.0.2.1
mx2.example.com.  A    192.0.2.2
mx2.example.com.  AAAA 2001:db8::2
2.2.0.192.in-addr.arpa. PTR mx2.example.com.
`+addr.ReverseName(netip.MustParseAddr("2001:db8::2"))+` PTR mx2.example.com.
`)
}

// The next version of example.com's zone: the same, without mx2's AAAA.
const exampleComWithoutMX2AAAA = `$ORIGIN example.com.
$TTL 300
@    SOA  ns1 hostmaster 2 3600 600 86400 300
@    NS   ns1
@    MX   10 mx1
@    MX   20 mx2
mx1  A    192.0.2.1
mx2  A    192.0.2.2
`

// A reverse zone that gives 192.0.2.1 the PTR it lacks live.
const reverseWithPTRFixed = `$TTL 300
@ SOA ns1.example.com. hostmaster.example.com. 2 3600 600 86400 300
1 PTR mx1.example.com.
2 PTR mx2.example.com.
`

type compareDoc struct {
	Findings []report.Finding `json:"findings"`
	Resolved []report.Finding `json:"resolved"`
	Changes  map[string]any   `json:"changes"`
}

func compareLive(t *testing.T, s *dnstest.Server, extra ...string) (compareDoc, string, string, int) {
	t.Helper()
	args := append([]string{"check", "-o", "json", "--resolver", s.Addr4(), "--dns-only", "--compare-live"}, extra...)
	stdout, stderr, code := runMailcheck(t, append(args, "example.com")...)
	var doc compareDoc
	if code != ExitUsage {
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not JSON (exit %d): %v\n%s\n%s", code, err, stdout, stderr)
		}
	}
	return doc, stdout, stderr, code
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCompareLiveFailsTheGateWhenTheChangeDropsTheOnlyAAAA(t *testing.T) {
	s := liveExampleCom(t)
	zone := writeZone(t, "example.com.zone", exampleComWithoutMX2AAAA)
	doc, stdout, stderr, code := compareLive(t, s, "--zone", zone)
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	c := doc.Changes
	if got := strs(c["addresses_removed"]); !slices.Equal(got, []string{"2001:db8::2"}) {
		t.Errorf("addresses_removed = %v, want exactly mx2's AAAA", got)
	}
	if got := strs(c["families_lost"]); !slices.Equal(got, []string{"ipv6"}) {
		t.Errorf("families_lost = %v, want [ipv6]", got)
	}
	for _, k := range []string{"addresses_added", "mx_added", "mx_removed", "families_gained"} {
		if got := strs(c[k]); len(got) != 0 {
			t.Errorf("%s = %v, want []", k, got)
		}
	}
	var lost []report.Finding
	for _, f := range doc.Findings {
		if f.Delta != "new" && f.Delta != "known" {
			t.Errorf("finding %s has delta %q", f.Code, f.Delta)
		}
		if f.Code == report.CodeFamilyLost {
			lost = append(lost, f)
		}
		// Live DNS had the documentation addresses (MC207) too.
		if f.Code == report.CodeAddrDocumentation && f.Subject == "192.0.2.1" && f.Delta != "known" {
			t.Errorf("MC207 of 192.0.2.1 is live too, want known: %+v", f)
		}
	}
	if len(lost) != 1 || lost[0].Severity != report.SeverityFail || lost[0].Delta != "new" || !strings.Contains(lost[0].Message, "IPv6") {
		t.Errorf("want one new fail MC412 about IPv6, got %+v", lost)
	}
	// The IPv6 address's own findings are gone with it; nothing about
	// the IPv4 side changed.
	if !slices.ContainsFunc(doc.Resolved, func(f report.Finding) bool { return f.Subject == "2001:db8::2" }) {
		t.Errorf("resolved lacks the findings of the removed address: %+v", doc.Resolved)
	}
	for _, f := range doc.Resolved {
		if strings.HasPrefix(f.Subject, "192.0.2.") {
			t.Errorf("an IPv4 finding is resolved by an AAAA change: %+v", f)
		}
	}
}

func TestCompareLivePassesAPTRFixAndListsTheResolvedFinding(t *testing.T) {
	s := liveExampleCom(t)
	rev := writeZone(t, "rev.zone", reverseWithPTRFixed)
	doc, stdout, stderr, code := compareLive(t, s, "--zone", "2.0.192.in-addr.arpa="+rev, "--fail-on", "warn")
	// Documentation addresses are warnings live too: known, so they do
	// not count even at --fail-on warn.
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	if i := slices.IndexFunc(doc.Resolved, func(f report.Finding) bool {
		return f.Code == report.CodePTRMissing && f.Subject == "192.0.2.1"
	}); i < 0 {
		t.Errorf("resolved lacks MC210 of 192.0.2.1: %+v", doc.Resolved)
	}
	for _, f := range doc.Findings {
		if f.Delta == "new" && f.Code != report.CodeZoneOverlay {
			t.Errorf("new finding from a PTR fix: %+v", f)
		}
	}
	if got := strs(doc.Changes["families_lost"]); len(got) != 0 {
		t.Errorf("families_lost = %v, want []", got)
	}
}

func TestCompareLiveTextAndMarkdownSayWhatTheChangeDoes(t *testing.T) {
	s := liveExampleCom(t)
	zone := writeZone(t, "example.com.zone", exampleComWithoutMX2AAAA)
	for _, format := range []string{"text", "markdown"} {
		stdout, _, code := runMailcheck(t, "check", "-o", format, "--resolver", s.Addr4(), "--dns-only", "--compare-live", "--zone", zone, "example.com")
		if code != ExitFindings {
			t.Errorf("%s: exit %d, want 1", format, code)
		}
		for _, want := range []string{"What this change does", "Addresses removed: 2001:db8::2", "No longer accepts mail over: IPv6", "MC412"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s lacks %q:\n%s", format, want, stdout)
			}
		}
	}
}

func TestCompareLiveWithoutZoneIsAUsageError(t *testing.T) {
	_, _, errOut, code := compareLive(t, liveExampleCom(t))
	if code != ExitUsage || !strings.Contains(errOut, "--zone") {
		t.Errorf("exit %d, stderr %q; want 2 asking for --zone", code, errOut)
	}
}

// compareLiveFields runs check --compare-live in process and returns the
// top-level keys it writes and those of changes, as "changes.KEY" (for
// the docs test).
func compareLiveFields(t *testing.T) map[string]bool {
	t.Helper()
	s := liveExampleCom(t)
	zone := writeZone(t, "example.com.zone", exampleComWithoutMX2AAAA)
	out, errOut, _ := runInProcess(t, context.Background(), "", "check", "--resolver", s.Addr4(), "--compare-live", "--zone", zone,
		"--timeout", "5s", "--connect-timeout", "1s", "-o", "json", "example.com")
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	fields := map[string]bool{}
	for k, v := range doc {
		fields[k] = true
		if k == "changes" {
			for ck := range v.(map[string]any) {
				fields["changes."+ck] = true
			}
		}
	}
	return fields
}

func TestAZoneFileThatChangesNothingChecksAsCleanAsLive(t *testing.T) {
	s := liveExampleCom(t)
	same := writeZone(t, "example.com.zone", exampleComWithoutMX2AAAA+"mx2  AAAA 2001:db8::2\n")
	doc, stdout, stderr, code := compareLive(t, s, "--zone", same, "--fail-on", "warn")
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range doc.Findings {
		if f.Delta == "new" && f.Code != report.CodeZoneOverlay {
			t.Errorf("new finding from an unchanged zone: %+v", f)
		}
		if f.Code == report.CodeZoneOverlay && f.Severity != report.SeverityInfo {
			t.Errorf("MC908 is %s, want info", f.Severity)
		}
	}
	for k, v := range doc.Changes {
		if l, ok := v.([]any); ok && len(l) != 0 {
			t.Errorf("%s = %v, want []", k, l)
		}
	}
	if len(doc.Resolved) != 0 {
		t.Errorf("resolved = %+v, want none", doc.Resolved)
	}
}
