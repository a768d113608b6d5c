package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/report"
)

func TestSanitizeRemovesTerminalEscapesAndControls(t *testing.T) {
	// pkg/sanitize has the full table; this guards that render uses it.
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii is unchanged", "mx1.example.com", "mx1.example.com"},
		{"u-label is kept", "bücher.example", "bücher.example"},
		{"csi color sequence is removed", "a\x1b[31mred\x1b[0mb", "aredb"},
		{"osc title set ended by bel is removed", "a\x1b]0;pwned\x07b", "ab"},
		{"newline becomes space", "a\nb", "a b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sanitize(tc.in); got != tc.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSanitizeLinesKeepsNewlinesAndDropsCarriageReturns(t *testing.T) {
	got := SanitizeLines("220-first\r\n220 second\x1b[2J\r\n")
	if want := "220-first\n220 second\n"; got != want {
		t.Errorf("SanitizeLines = %q, want %q", got, want)
	}
}

func TestStylesPaintOnlyWhenEnabled(t *testing.T) {
	off := NewStyles(false)
	if got := off.Paint(ToneBad, "fail"); got != "fail" {
		t.Errorf("disabled Paint = %q, want plain", got)
	}
	on := NewStyles(true)
	got := on.Paint(ToneBad, "fail")
	if !strings.Contains(got, "\x1b[") || !strings.Contains(got, "fail") {
		t.Errorf("enabled Paint = %q, want an SGR sequence around fail", got)
	}
	if got := on.Paint(ToneNone, "x"); got != "x" {
		t.Errorf("ToneNone Paint = %q, want plain", got)
	}
	// The two Styles do not share state: painting with one after building
	// the other still follows its own setting.
	if got := off.Paint(ToneGood, "ok"); got != "ok" {
		t.Errorf("disabled Paint after enabling another Styles = %q", got)
	}
}

func TestTableAlignsColumnsWithoutTrailingSpaces(t *testing.T) {
	var buf bytes.Buffer
	tb := NewTable(&buf, "PREF", "EXCHANGE", "FCRDNS")
	tb.Row("10", "mx1.example.com", "pass")
	tb.Row("20", "mx2.example.com") // short row: last cell empty
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	want := "PREF  EXCHANGE         FCRDNS\n" +
		"10    mx1.example.com  pass\n" +
		"20    mx2.example.com\n"
	if got := buf.String(); got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

func TestTableIgnoresColorWhenMeasuringWidths(t *testing.T) {
	st := NewStyles(true)
	var buf bytes.Buffer
	tb := NewTable(&buf, "A", "B")
	tb.Row(st.Paint(ToneGood, "pass"), "x")
	tb.Row("fail", "y")
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	plain1 := stripSGR(lines[1])
	if plain1 != "pass  x" || lines[2] != "fail  y" {
		t.Errorf("rows = %q / %q, want aligned", plain1, lines[2])
	}
}

func TestTableRejectsRowsWiderThanHeader(t *testing.T) {
	tb := NewTable(&bytes.Buffer{}, "A")
	tb.Row("1", "2")
	if err := tb.Render(); err == nil {
		t.Error("Render accepted a row with more cells than columns")
	}
}

func TestJSONKeepsHTMLCharactersAndEndsWithNewline(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, map[string]string{"a": "<b>&"}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "{\n  \"a\": \"<b>&\"\n}\n"; got != want {
		t.Errorf("JSON = %q, want %q", got, want)
	}
	buf.Reset()
	if err := JSONLine(&buf, []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "[1,2]\n" {
		t.Errorf("JSONLine = %q", got)
	}
}

func TestFindingsWritesSeverityCodeSubjectAndFix(t *testing.T) {
	var buf bytes.Buffer
	err := Findings(&buf, NewStyles(false), []report.Finding{{
		Code: "MC101", Severity: report.SeverityWarn, Subject: "mx.example.\x1b[2J",
		Message: "No PTR.", Fix: "Publish a PTR record.",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "WARN MC101  mx.example.\n     No PTR.\n     fix: Publish a PTR record.\n"
	if got := buf.String(); got != want {
		t.Errorf("Findings =\n%q\nwant\n%q", got, want)
	}
}

func stripSGR(s string) string { return Sanitize(s) }
