package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/report"
)

func TestSanitizeRemovesTerminalEscapesAndControls(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain ascii is unchanged", "mx1.example.com", "mx1.example.com"},
		{"u-label is kept", "bücher.example", "bücher.example"},
		{"csi colour sequence is removed", "a\x1b[31mred\x1b[0mb", "aredb"},
		{"csi screen clear is removed", "x\x1b[2Jy", "xy"},
		{"osc title set ended by bel is removed", "a\x1b]0;pwned\x07b", "ab"},
		{"osc hyperlink ended by st is removed", "a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"},
		{"unterminated csi runs to the end", "ok\x1b[31", "ok"},
		{"lone esc at the end is removed", "ok\x1b", "ok"},
		{"two-byte escape is removed", "a\x1bcb", "ab"},
		{"bell becomes replacement", "a\x07b", "a\ufffdb"},
		{"nul becomes replacement", "a\x00b", "a\ufffdb"},
		{"del becomes replacement", "a\x7fb", "a\ufffdb"},
		{"c1 csi becomes replacement", "a\u009bb", "a\ufffdb"},
		{"newline becomes space", "a\r\nb", "a  b"},
		{"tab becomes space", "a\tb", "a b"},
		{"bidi override becomes replacement", "a\u202eb", "a\ufffdb"},
		{"invalid utf-8 becomes replacement", "a\xffb", "a\ufffdb"},
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

func TestTableIgnoresColourWhenMeasuringWidths(t *testing.T) {
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

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			i += escapeLen(s[i:]) - 1
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
