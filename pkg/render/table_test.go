package render

import (
	"bytes"
	"strings"
	"testing"
)

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
	// tablewriter puts a reset after each colored cell's padding too;
	// what counts is where the visible text lands.
	got := strings.ReplaceAll(b.String(), "  \x1b[0m", "  ")
	want := "NAME          STATE  NOTE\n" +
		"日本.example  \x1b[32mok\x1b[0m     x\n" +
		"a             two    y\n" +
		"              lines\n" +
		"bb\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	tb.Row("1", "2", "3", "4")
	if err := tb.Render(); err == nil {
		t.Error("a row with more cells than columns rendered without error")
	}
}
