package audit

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

func exchange(host string, ips ...string) discover.Exchange {
	x := discover.Exchange{Host: host}
	for _, s := range ips {
		ip := netip.MustParseAddr(s)
		fam := "ipv4"
		if ip.Is6() {
			fam = "ipv6"
		}
		x.Addresses = append(x.Addresses, discover.Address{IP: ip, Family: fam})
	}
	return x
}

func checkDoc(findings []report.Finding, mx ...discover.Exchange) *document.Check {
	d := &document.Check{Findings: findings}
	d.Domain, d.MX = "example.com", mx
	return d
}

func TestCompareLiveNamesExactlyWhatTheZoneChangeDoes(t *testing.T) {
	ptr := report.New(report.CodePTRMissing, "192.0.2.1", "no PTR", "")
	doc := report.New(report.CodeAddrDocumentation, "192.0.2.2", "documentation", "")
	live := checkDoc([]report.Finding{ptr, doc},
		exchange("mx1.example.com", "192.0.2.1"), exchange("mx2.example.com", "192.0.2.2", "2001:db8::2"))
	live.Delivery = &document.Delivery{PFirstIPv6: 0.5}
	over := checkDoc([]report.Finding{doc},
		exchange("mx1.example.com", "192.0.2.1"), exchange("mx3.example.com", "192.0.2.3"))
	over.Delivery = &document.Delivery{PFirstIPv6: 0}

	CompareLive(live, over)

	c := over.Changes
	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"mx_added", c.MXAdded, []string{"mx3.example.com"}},
		{"mx_removed", c.MXRemoved, []string{"mx2.example.com"}},
		{"addresses_added", c.AddressesAdded, []string{"192.0.2.3"}},
		{"addresses_removed", c.AddressesRemoved, []string{"192.0.2.2", "2001:db8::2"}},
		{"families_gained", c.FamiliesGained, []string{}},
		{"families_lost", c.FamiliesLost, []string{"ipv6"}},
	} {
		if !slices.Equal(tc.got, tc.want) || tc.got == nil {
			t.Errorf("%s = %#v, want %#v", tc.name, tc.got, tc.want)
		}
	}
	if c.PFirstIPv6 == nil || c.PFirstIPv6.Live != 0.5 || c.PFirstIPv6.Overlay != 0 {
		t.Errorf("p_first_ipv6 = %+v, want live 0.5, overlay 0", c.PFirstIPv6)
	}
	if len(over.Resolved) != 1 || over.Resolved[0].Code != report.CodePTRMissing || over.Resolved[0].Delta != "" {
		t.Errorf("resolved = %+v, want the PTR finding alone, without delta", over.Resolved)
	}
	deltas := map[string]string{}
	for _, f := range over.Findings {
		deltas[f.Code] = f.Delta
	}
	if deltas[report.CodeAddrDocumentation] != "known" || deltas[report.CodeFamilyLost] != "new" {
		t.Errorf("deltas = %v, want MC207 known and MC412 new", deltas)
	}
	if over.Findings[0].Code != report.CodeFamilyLost {
		t.Errorf("findings are not sorted, most severe first: %+v", over.Findings)
	}
	// Only what is new counts toward the exit code.
	if got := document.Counted(over.Findings); len(got) != 1 || got[0].Code != report.CodeFamilyLost {
		t.Errorf("counted = %+v, want MC412 alone", got)
	}
}

func TestAFamilyWhoseServersStopAnsweringIsLostWhenProbed(t *testing.T) {
	live := checkDoc(nil, exchange("mx1.example.com", "192.0.2.1", "2001:db8::1"))
	live.Probed = true
	live.Probes = []smtpprobe.Result{
		{IP: netip.MustParseAddr("192.0.2.1"), Family: "ipv4", Status: smtpprobe.StatusOK},
		{IP: netip.MustParseAddr("2001:db8::1"), Family: "ipv6", Status: smtpprobe.StatusOK},
	}
	over := checkDoc(nil, exchange("mx1.example.com", "192.0.2.1", "2001:db8::9"))
	over.Probed = true
	over.Probes = []smtpprobe.Result{
		{IP: netip.MustParseAddr("192.0.2.1"), Family: "ipv4", Status: smtpprobe.StatusOK},
		{IP: netip.MustParseAddr("2001:db8::9"), Family: "ipv6", Status: smtpprobe.StatusRefused},
	}
	CompareLive(live, over)
	if !slices.Equal(over.Changes.FamiliesLost, []string{"ipv6"}) {
		t.Fatalf("families_lost = %v, want [ipv6]", over.Changes.FamiliesLost)
	}
	if !strings.Contains(over.Findings[0].Message, "none of its IPv6 addresses answers SMTP") {
		t.Errorf("MC412 does not say why: %s", over.Findings[0].Message)
	}
}

func TestAnUndeterminedLiveRunLeavesTheComparisonUndetermined(t *testing.T) {
	live := checkDoc(nil)
	live.Undetermined, live.Reason = true, "the resolver did not answer"
	over := checkDoc(nil, exchange("mx1.example.com", "192.0.2.1"))
	CompareLive(live, over)
	if !over.Undetermined || !strings.Contains(over.Reason, "the resolver did not answer") {
		t.Errorf("undetermined %v (%q), want true with live's reason", over.Undetermined, over.Reason)
	}
}

func TestANullMXLosesEveryFamily(t *testing.T) {
	live := checkDoc(nil, exchange("mx1.example.com", "192.0.2.1", "2001:db8::1"))
	over := checkDoc(nil)
	over.NullMX = true
	CompareLive(live, over)
	if !slices.Equal(over.Changes.FamiliesLost, []string{"ipv4", "ipv6"}) {
		t.Errorf("families_lost = %v, want both", over.Changes.FamiliesLost)
	}
	if n := len(document.Counted(over.Findings)); n != 2 {
		t.Errorf("%d counted findings, want one MC412 per family", n)
	}
}

func TestReadBaselineTakesJSONArraysAndJSONLinesAndRefusesOtherDocuments(t *testing.T) {
	f := `{"code":"MC210","severity":"warn","subject":"192.0.2.1","message":"m","fix":"f"}`
	jsonl := `{"schema_version":1,"domain":"a.example","findings":[` + f + `]}
{"schema_version":1,"input":"not a domain","error":"bad","findings":[]}
{"schema_version":1,"domain":"b.example","findings":[]}
`
	array := "[\n" + `{"schema_version":1,"domain":"a.example","findings":[` + f + `]},` + "\n" + `{"schema_version":1,"domain":"b.example","findings":[]}` + "\n]\n"
	for name, in := range map[string]string{"jsonl": jsonl, "array": array} {
		b, err := ReadBaseline(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b) != 2 || len(b["a.example"]) != 1 || b["a.example"][0].Code != "MC210" {
			t.Errorf("%s: baseline = %+v", name, b)
		}
	}
	for name, in := range map[string]string{
		"empty":          "",
		"sender report":  `{"schema_version":1,"senders":[],"findings":[]}`,
		"other schema":   `{"schema_version":2,"domain":"a.example","findings":[]}`,
		"truncated":      `{"schema_version":1,"domain":"a.exa`,
		"not JSON":       "example.com\n",
		"one huge line":  `{"schema_version":1,"domain":"` + strings.Repeat("a", maxBaselineDoc+1),
		"binary garbage": "\x00\x01\xff\xfe",
	} {
		if _, err := ReadBaseline(strings.NewReader(in)); err == nil {
			t.Errorf("%s: read as a baseline", name)
		}
	}
}

func TestBaselineMarksADomainItDoesNotHoldAsAllNew(t *testing.T) {
	p := &checkPlan{baseline: Baseline{"a.example": {report.New(report.CodePTRMissing, "192.0.2.1", "m", "")}}}
	rep := checkDoc([]report.Finding{report.New(report.CodePTRMissing, "192.0.2.1", "m", "")})
	rep.Domain = "b.example"
	p.markBaseline(rep)
	if rep.Findings[0].Delta != "new" || len(rep.Resolved) != 0 {
		t.Errorf("another domain's finding made this one known: %+v", rep)
	}
	rep.Domain = "a.example"
	p.markBaseline(rep)
	if rep.Findings[0].Delta != "known" {
		t.Errorf("the same code and subject is not known: %+v", rep.Findings[0])
	}
}

// FuzzReadBaseline: whatever the file holds, ReadBaseline returns a
// baseline or an error, never panics, and every finding it keeps belongs
// to a named domain.
func FuzzReadBaseline(f *testing.F) {
	f.Add(`{"schema_version":1,"domain":"a.example","findings":[{"code":"MC210","severity":"warn","subject":"192.0.2.1"}]}`)
	f.Add("[{\"schema_version\":1,\"domain\":\"a.example\",\"findings\":[]}]\n")
	f.Add("{\"schema_version\":1,\"input\":\"x\",\"error\":\"bad\"}\n{\"schema_version\":1,\"domain\":\"b\",\"findings\":[]}")
	f.Add("[[[[[[")
	f.Add("\x00\xff{")
	f.Fuzz(func(t *testing.T, in string) {
		b, err := ReadBaseline(strings.NewReader(in))
		if err != nil {
			return
		}
		for d := range b {
			if d == "" {
				t.Fatalf("findings kept for no domain: %q", in)
			}
		}
	})
}
