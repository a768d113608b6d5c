package render

import (
	"bytes"
	"testing"
)

func TestDisplayWidthCountsTerminalColumns(t *testing.T) {
	s := NewStyles(true)
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"mx1.example.com", 15},
		{s.Paint(ToneBad, "fail"), 4}, // color takes no column
		{"café", 4},                   // precomposed é
		{"cafe\u0301", 4},             // e + combining acute
		{"日本", 4},                     // East Asian wide
		{"ｍｘ", 4},                     // fullwidth
		{"a\u200db", 2},               // zero-width joiner
		{"\x1b[31;1mx\x1b[0;22m", 1},  // SGR with parameters
		{"\x1b[", 0},                  // truncated escape
		{"✓ ok", 4},                   // neutral symbol
	}
	for _, tt := range tests {
		if got := displayWidth(tt.in); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestTableAlignsWideColoredAndMultiLineCells(t *testing.T) {
	s := NewStyles(true)
	var b bytes.Buffer
	tb := NewTable(&b, "NAME", "STATE", "NOTE")
	tb.Row("日本.example", s.Paint(ToneGood, "ok"), "x")
	tb.Row("a", "two\nlines", "y")
	tb.Row("bb") // missing cells are blank
	if err := tb.Render(); err != nil {
		t.Fatal(err)
	}
	want := "NAME          STATE  NOTE\n" +
		"日本.example  \x1b[32mok\x1b[0m     x\n" +
		"a             two    y\n" +
		"              lines\n" +
		"bb\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	tb.Row("1", "2", "3", "4")
	if err := tb.Render(); err == nil {
		t.Error("a row with more cells than columns rendered without error")
	}
}
