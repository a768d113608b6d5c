// Package render writes mailcheck's data model to an io.Writer: text for
// people (tables through tablewriter, color through fatih/color) and JSON for
// programs. Renderers never compute verdicts: the document is complete before
// it is rendered, and the same document gives the same bytes.
//
// This file holds the basics every command's renderer shares:
//
//   - Styles: color decided once by the caller (terminal, NO_COLOR,
//     --no-color) and carried by value, never through color.NoColor.
//   - Sanitize: every string that came from the network (PTR names, SMTP
//     banners, TXT records) goes through it before it reaches a terminal.
//   - Table: aligned columns without borders, no trailing spaces.
//   - JSON: indented, HTML characters left alone, one trailing newline.
//   - Printer: line-oriented writes with a sticky error.
//
// Each command adds its own file (mx.go, probe.go, ...) built on these.
package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/fatih/color"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// Tone is the meaning of a piece of text, which Styles turns into a color.
type Tone int

const (
	ToneNone Tone = iota // plain text
	ToneGood             // pass, ok
	ToneWarn             // suspicious, degraded, temporary failure
	ToneBad              // fail, broken
	ToneInfo             // neutral remark (null MX, skipped)
	ToneDim              // secondary detail
	ToneBold             // headings, emphasis
)

// Styles paints text by Tone. Build one per renderer with NewStyles; the zero
// value is not usable. Each color has its own enabled/disabled state, so two
// renderers with different settings can run in the same process.
type Styles struct {
	enabled bool
	byTone  map[Tone]*color.Color
}

// NewStyles returns Styles that emit ANSI color only when enabled is true.
// Callers decide enabled once, from the terminal, NO_COLOR and --no-color
// (cli.IOStreams.ColorEnabled).
func NewStyles(enabled bool) *Styles {
	s := &Styles{enabled: enabled, byTone: map[Tone]*color.Color{
		ToneGood: color.New(color.FgGreen),
		ToneWarn: color.New(color.FgYellow),
		ToneBad:  color.New(color.FgRed, color.Bold),
		ToneInfo: color.New(color.FgCyan),
		ToneDim:  color.New(color.Faint),
		ToneBold: color.New(color.Bold),
	}}
	for _, c := range s.byTone {
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return s
}

// Enabled reports whether these Styles emit color.
func (s *Styles) Enabled() bool { return s.enabled }

// Paint returns text in the color of tone (text unchanged when color is
// off or tone is ToneNone). Paint does not sanitize: pass remote text through
// Sanitize first.
func (s *Styles) Paint(tone Tone, text string) string {
	c, ok := s.byTone[tone]
	if !ok || text == "" {
		return text
	}
	return c.Sprint(text)
}

// SeverityTone maps a finding severity to its tone.
func SeverityTone(sev report.Severity) Tone {
	switch sev {
	case report.SeverityFail:
		return ToneBad
	case report.SeverityWarn:
		return ToneWarn
	case report.SeverityInfo:
		return ToneInfo
	}
	return ToneNone
}

// Sanitize makes remote text safe for a terminal and for one table cell or
// line (pkg/sanitize.Text: escape sequences and control characters removed,
// bidi overrides dropped, invalid UTF-8 replaced, line breaks become spaces).
func Sanitize(s string) string { return sanitize.Text(s) }

// SanitizeLines is Sanitize but keeps '\n' so multi-line remote text (an
// SMTP banner) can be shown line by line (pkg/sanitize.MultiLine).
func SanitizeLines(s string) string { return sanitize.MultiLine(s) }

// Table collects rows and writes them as aligned columns without borders.
// Cells may hold color from Styles; widths ignore escape sequences.
type Table struct {
	w      io.Writer
	header []string
	rows   [][]string
}

// NewTable starts a table with the given column headers (written as given).
func NewTable(w io.Writer, header ...string) *Table {
	return &Table{w: w, header: header}
}

// Row appends one row; missing cells are empty, extra cells are an error at
// Render time.
func (t *Table) Row(cells ...string) {
	t.rows = append(t.rows, cells)
}

// Len returns the number of rows added.
func (t *Table) Len() int { return len(t.rows) }

// Render writes the table. Trailing spaces are trimmed from every line so
// the output is stable for golden files and pleasant in a pipe.
func (t *Table) Render() error {
	for i, r := range t.rows {
		if len(r) > len(t.header) {
			return fmt.Errorf("render: table row %d has %d cells for %d columns", i, len(r), len(t.header))
		}
	}
	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders: tw.BorderNone,
			Symbols: tw.NewSymbols(tw.StyleASCII),
			Settings: tw.Settings{
				Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
				Lines:      tw.Lines{ShowHeaderLine: tw.Off},
			},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "  ", Overwrite: true}),
	)
	tbl.Header(t.header)
	for _, r := range t.rows {
		row := make([]string, len(t.header))
		copy(row, r)
		if err := tbl.Append(row); err != nil {
			return fmt.Errorf("render: table: %w", err)
		}
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render: table: %w", err)
	}
	return writeTrimmed(t.w, buf.Bytes())
}

// writeTrimmed copies text to w with trailing blanks removed from each line.
// Color resets that tablewriter leaves after the padding are trimmed with
// the blanks and one reset is put back, so colored lines end cleanly too.
func writeTrimmed(w io.Writer, text []byte) error {
	const reset = "\x1b[0m"
	var out bytes.Buffer
	out.Grow(len(text))
	for line := range bytes.Lines(text) {
		line = bytes.TrimRight(line, "\r\n")
		hadReset := false
		for {
			n := len(line)
			line = bytes.TrimRight(line, " \t")
			if bytes.HasSuffix(line, []byte(reset)) {
				line = line[:len(line)-len(reset)]
				hadReset = true
			}
			if len(line) == n {
				break
			}
		}
		out.Write(line)
		if hadReset {
			out.WriteString(reset)
		}
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

// JSON writes v as indented JSON followed by a newline. '<', '>' and '&' are
// kept as is (these documents are not embedded in HTML).
func JSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// JSONLine writes v as compact JSON on one line (jsonl).
func JSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Printer writes lines to w and keeps the first error, so a renderer can
// write many lines and check once at the end.
type Printer struct {
	w   io.Writer
	err error
}

// NewPrinter returns a Printer on w.
func NewPrinter(w io.Writer) *Printer { return &Printer{w: w} }

// Writer returns the underlying writer (for tables).
func (p *Printer) Writer() io.Writer { return p.w }

// Printf writes formatted text unless an earlier write failed.
func (p *Printer) Printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

// Line writes its arguments separated by nothing, then a newline.
func (p *Printer) Line(parts ...string) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, strings.Join(parts, "")+"\n")
}

// Table renders t unless an earlier write failed.
func (p *Printer) Table(t *Table) {
	if p.err != nil {
		return
	}
	p.err = t.Render()
}

// Err returns the first write error.
func (p *Printer) Err() error { return p.err }

// Findings writes findings as one block per finding: severity, code and
// subject on the first line, the message and the fix indented below. It
// writes nothing for no findings. Finding text is built by mailcheck, but
// subjects can hold remote names, so everything is sanitized.
func Findings(w io.Writer, st *Styles, findings []report.Finding) error {
	p := NewPrinter(w)
	for _, f := range findings {
		sev := strings.ToUpper(string(f.Severity))
		p.Line(st.Paint(SeverityTone(f.Severity), fmt.Sprintf("%-4s", sev)), " ",
			st.Paint(ToneBold, Sanitize(f.Code)), "  ", Sanitize(f.Subject))
		if f.Message != "" {
			p.Line("     ", Sanitize(f.Message))
		}
		if f.Fix != "" {
			p.Line("     ", st.Paint(ToneDim, "fix: "), Sanitize(f.Fix))
		}
	}
	return p.Err()
}

// EndWithFindings ends a text report: after a blank line, the findings
// (as Findings writes them), or nothing more when there are none. It
// returns the first write error of the whole report.
func (p *Printer) EndWithFindings(st *Styles, findings []report.Finding) error {
	if len(findings) == 0 {
		return p.err
	}
	p.Line()
	if p.err != nil {
		return p.err
	}
	return Findings(p.w, st, findings)
}
