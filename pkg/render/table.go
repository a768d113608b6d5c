package render

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// columnGap separates columns.
const columnGap = "  "

// layout renders header and rows as left-aligned columns, each as wide as
// its widest cell plus columnGap. A cell holding '\n' spans several lines;
// the other cells of its row are blank on the extra lines. Lines keep their
// trailing blanks (Render trims them).
func layout(header []string, rows [][]string) []byte {
	all := make([][][]string, 0, len(rows)+1) // row -> cell -> lines
	widths := make([]int, len(header))
	add := func(cells []string) {
		split := make([][]string, len(header))
		for i := range header {
			cell := ""
			if i < len(cells) {
				cell = cells[i]
			}
			split[i] = strings.Split(cell, "\n")
			for _, l := range split[i] {
				widths[i] = max(widths[i], displayWidth(l))
			}
		}
		all = append(all, split)
	}
	add(header)
	for _, r := range rows {
		add(r)
	}
	var b strings.Builder
	for _, row := range all {
		height := 1
		for _, lines := range row {
			height = max(height, len(lines))
		}
		for k := range height {
			for i, lines := range row {
				l := ""
				if k < len(lines) {
					l = lines[k]
				}
				b.WriteString(l)
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(l)))
				b.WriteString(columnGap)
			}
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// displayWidth is how many terminal columns s takes: ANSI escape sequences
// (the colors Styles adds) take none, combining marks and zero-width
// characters none, East Asian wide and fullwidth characters two, the rest
// one. Remote text reaches a table only after sanitising, so s holds no
// other control characters.
func displayWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			i += escapeLen(s[i:])
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n += runeWidth(r)
	}
	return n
}

// escapeLen is the length of the escape sequence at the start of s: a CSI
// sequence ("\x1b[" parameters, then a final byte in 0x40-0x7e), or the
// ESC and the byte after it.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	if s[1] != '[' {
		return 2
	}
	for j := 2; j < len(s); j++ {
		if s[j] >= 0x40 && s[j] <= 0x7e {
			return j + 1
		}
	}
	return len(s)
}

func runeWidth(r rune) int {
	switch {
	case r < 0x20 || r == 0x7f:
		return 0
	case r < 0x7f:
		return 1
	case r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 || r == 0xfeff,
		unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Cf, r):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
