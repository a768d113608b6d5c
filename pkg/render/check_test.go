package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// hostileReport carries remote text an attacker controls: a banner and an
// EHLO name with terminal escapes, markup and control characters, and a
// very long PTR name.
func hostileReport() *document.Check {
	ip := netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:fffe")
	evil := "mx\x1b]0;pwned\x07.example.org<script>|x\x01"
	long := strings.Repeat("very-long-label.", 12) + "example.org"
	return &document.Check{
		SchemaVersion: 1,
		Result: discover.Result{Domain: "example.org", MXStatus: "ok", MX: []discover.Exchange{{
			Preference: 10, Host: "mx.example.org", AStatus: "nodata", AAAAStatus: "ok",
			Addresses: []discover.Address{{IP: ip, Family: "ipv6", Class: "public", PTR: []string{long}, PTRStatus: "ok", FCrDNS: "fail"}},
		}}},
		Probed: true,
		Probes: []smtpprobe.Result{{Host: "mx.example.org", IP: ip, Family: "ipv6", Port: 25, Status: "ok", BannerCode: 220, Banner: evil, EHLOName: evil, StartTLS: false}},
		Findings: []report.Finding{
			report.New(report.CodeEHLONotPTR, ip.String(), "EHLO as "+evil+" but PTR "+long, ""),
			report.New(report.CodeNoSTARTTLS, ip.String(), "no STARTTLS", ""),
		},
	}
}

func writeAll(t *testing.T, format string, o CheckOptions, reps ...*document.Check) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewCheckWriter(format, &b, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.End(CheckSummary{Domains: len(reps)}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCheckTextFitsTheWidthAndStripsEscapes(t *testing.T) {
	out := writeAll(t, "text", CheckOptions{}, hostileReport())
	if strings.ContainsAny(out, "\x1b\x07\x01") {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if utf8.RuneCountInString(l) > 80 {
			t.Errorf("line over 80 columns: %q", l)
		}
	}
	if !strings.Contains(out, "Warnings (1)") || !strings.Contains(out, "Notes (1)") {
		t.Errorf("severity groups:\n%s", out)
	}
}

func TestCheckJSONIsOneDocumentForOneDomainAndAnArrayForMore(t *testing.T) {
	one := writeAll(t, "json", CheckOptions{}, hostileReport())
	var doc map[string]any
	if err := json.Unmarshal([]byte(one), &doc); err != nil || doc["domain"] != "example.org" {
		t.Fatalf("%v\n%s", err, one)
	}
	if !strings.Contains(one, "<script>") {
		t.Error("JSON must carry remote text as received (escaped only as JSON requires)")
	}
	two := writeAll(t, "json", CheckOptions{}, hostileReport(), hostileReport())
	var docs []map[string]any
	if err := json.Unmarshal([]byte(two), &docs); err != nil || len(docs) != 2 {
		t.Fatalf("%v\n%s", err, two)
	}
	if none := writeAll(t, "json", CheckOptions{}); none != "" {
		t.Errorf("no domains wrote %q", none)
	}
}

func TestCheckJSONLinesAreOneWholeDocumentEach(t *testing.T) {
	out := writeAll(t, "jsonl", CheckOptions{}, hostileReport(), hostileReport(), hostileReport())
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %q", l)
		}
	}
}

func TestCheckJUnitParsesDespiteControlCharacters(t *testing.T) {
	out := writeAll(t, "junit", CheckOptions{FailOn: report.SeverityWarn}, hostileReport())
	var s struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(s.Suites) != 1 || s.Suites[0].Failures != 1 {
		t.Fatalf("suites %+v", s.Suites)
	}
}

func TestCheckMarkdownEscapesCellBreakersAndMarkup(t *testing.T) {
	out := writeAll(t, "markdown", CheckOptions{}, hostileReport())
	if strings.Contains(out, "<script>") || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("markup or escapes survived:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| ") {
			if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 6 {
				t.Errorf("row with %d cell separators: %q", n, l)
			}
		}
	}
}

// TestCheckJSONIndentIsTheEncodersIndentation: the document indented from
// AppendJSON's output is, byte for byte, what an Encoder with SetIndent
// and no HTML escaping writes for it, with and without a line prefix.
func TestCheckJSONIndentIsTheEncodersIndentation(t *testing.T) {
	r := hostileReport()
	r.Findings = append(r.Findings, report.New(report.CodeNoSTARTTLS, "mx.example.org",
		"a fix with <placeholders> & \u2028 line separators, \"quotes\" and \\ and ünïcode", ""))
	for _, prefix := range []string{"", "  "} {
		got, err := checkJSONIndent(r, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent(prefix, "  ")
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		want := append([]byte(prefix), bytes.TrimRight(buf.Bytes(), "\n")...)
		if !bytes.Equal(got, want) {
			t.Errorf("prefix %q: indented document differs from the Encoder's:\n%s\nwant:\n%s", prefix, got, want)
		}
		if !bytes.Contains(got, []byte("<placeholders> &")) || bytes.Count(got, []byte("\n")) < 20 {
			t.Errorf("prefix %q: not the indented, unescaped document:\n%s", prefix, got)
		}
	}
}

// WarmCheck prepares the catalogue for every format and the encoders
// for the JSON ones, and takes any format: it runs on a goroutine of its
// own beside a check, where a panic would end the process.
func TestWarmCheckPreparesWhatItsFormatNeeds(t *testing.T) {
	savedC, savedE := warmCatalogue, warmEncoders
	defer func() { warmCatalogue, warmEncoders = savedC, savedE }()
	var catalogues, encoders int
	warmCatalogue = func() { catalogues++ }
	warmEncoders = func() ([]byte, error) { encoders++; return nil, nil }
	for _, f := range append(slices.Clone(CheckFormats), "no such format") {
		catalogues, encoders = 0, 0
		WarmCheck(f)
		want := 0
		if f == "json" || f == "jsonl" {
			want = 1
		}
		if catalogues != 1 || encoders != want {
			t.Errorf("WarmCheck(%q): catalogue prepared %d times, encoders %d times; want 1 and %d", f, catalogues, encoders, want)
		}
	}
	warmEncoders = func() ([]byte, error) { panic("a marshaler that fails on a zero value") }
	WarmCheck("json") // recovered, or the test binary dies here
}

// The JSON warm-up really encodes (an error would leave the encoders cold
// without anyone noticing), into a document that says nothing.
func TestWarmJSONEncodesAnEmptyCheckWithASimulation(t *testing.T) {
	b, err := warmJSON()
	if err != nil {
		t.Fatalf("the JSON warm-up does not encode: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("the JSON warm-up wrote %q: %v", b, err)
	}
	// The check's fields and the simulation's, merged: both halves of
	// AppendJSON ran.
	if _, ok := doc["mta"]; doc["domain"] != "" || doc["findings"] != nil || !ok {
		t.Errorf("the warm-up document is not an empty check with a simulation: %s", b)
	}
}
