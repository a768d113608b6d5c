// Package sanitize makes text that came from a remote peer (SMTP banners,
// EHLO lines, certificate names, DNS data, error messages quoting them) safe
// to print on a terminal.
//
// A hostile server can put terminal escape sequences in its greeting: CSI
// sequences that move the cursor or clear the screen, OSC sequences that set
// the window title or write to the clipboard (OSC 52), or bidirectional
// override characters that make text read differently from what it is
// ("Trojan Source", CVE-2021-42574). Everything mailcheck shows from the
// network goes through Text or MultiLine first.
//
// The rules:
//   - ESC sequences are removed whole: CSI (ESC [ ... final byte), OSC
//     (ESC ] ... BEL or ST), the other string sequences DCS, SOS, PM and APC
//     (ESC P, ESC X, ESC ^, ESC _ ... ST), and two-byte and nF escapes
//     (ESC, intermediate bytes 0x20-0x2F, one final byte). The 8-bit C1 forms
//     (U+009B CSI, U+009D OSC, U+0090 DCS, ...) are treated the same way.
//     (ECMA-48 §5.3, §5.4, §8.3.89.)
//   - Other C0 controls (including BEL and backspace), DEL and C1 controls
//     are dropped. TAB becomes a space. Newline becomes a space in Text and is
//     kept in MultiLine; CR is dropped in both (a CRLF is a line ending).
//   - Invalid UTF-8 becomes U+FFFD, one per invalid byte.
//   - Bidirectional embedding, override and isolate characters
//     (U+202A..U+202E, U+2066..U+2069) are dropped (Unicode TR #9 §2).
package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Text returns s safe to print on one line: no control characters, no escape
// sequences, no bidi overrides, valid UTF-8. Newlines and tabs become spaces.
func Text(s string) string {
	return clean(s, false)
}

// MultiLine is Text but keeps "\n" (multi-line SMTP replies are joined by
// "\n" in reports). CR is still dropped.
func MultiLine(s string) string {
	return clean(s, true)
}

// Strings applies Text to every element of ss, in place, and returns ss.
func Strings(ss []string) []string {
	for i, s := range ss {
		ss[i] = Text(s)
	}
	return ss
}

const (
	esc = 0x1b
	bel = 0x07
)

// C1 controls, as code points (their UTF-8 encoding is two bytes).
const (
	c1DCS = 0x90
	c1SOS = 0x98
	c1CSI = 0x9b
	c1ST  = 0x9c
	c1OSC = 0x9d
	c1PM  = 0x9e
	c1APC = 0x9f
)

// clean is a small state machine over runes. It allocates only when s needs
// changing.
func clean(s string, keepNewline bool) string {
	if isClean(s, keepNewline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		switch {
		case r == esc:
			i = skipEscape(s, i+1)
			continue
		case r == c1CSI:
			i = skipCSI(s, i+size)
			continue
		case r == c1OSC || r == c1DCS || r == c1SOS || r == c1PM || r == c1APC:
			i = skipString(s, i+size)
			continue
		case r == '\n':
			if keepNewline {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			// Other C0 (BEL, BS, CR, ...), DEL, C1: dropped.
		case isBidiControl(r):
			// dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isClean reports whether s passes unchanged, so the common case of a plain
// ASCII banner costs no allocation.
func isClean(s string, keepNewline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && (c != '\n' || !keepNewline) || c == 0x7f {
			return false
		}
		if c >= 0x80 {
			// Non-ASCII: check the rest rune by rune.
			for _, r := range s[i:] {
				if r == utf8.RuneError || r < 0x20 && (r != '\n' || !keepNewline) ||
					r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiControl(r) {
					return false
				}
			}
			// The range loop yields RuneError for every invalid byte, so
			// reaching here means the rest is valid UTF-8.
			return true
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// skipEscape returns the index after the escape sequence whose ESC byte
// preceded i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch c := s[i]; {
	case c == '[':
		return skipCSI(s, i+1)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return skipString(s, i+1)
	case c >= 0x20 && c <= 0x2f:
		// nF escape: intermediate bytes, then one final byte 0x30-0x7E.
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e:
		// Fp, Fe, Fs: a two-byte escape such as ESC c (reset) or ESC 7.
		return i + 1
	default:
		// A lone ESC followed by something else: drop only the ESC.
		return i
	}
}

// skipCSI skips parameter bytes (0x30-0x3F), intermediate bytes (0x20-0x2F)
// and the final byte (0x40-0x7E) of a control sequence (ECMA-48 §5.4). A
// malformed sequence ends at the first byte outside those ranges, which is
// kept.
func skipCSI(s string, i int) int {
	for i < len(s) && s[i] >= 0x30 && s[i] <= 0x3f {
		i++
	}
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x40 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipString skips the body of an OSC, DCS, SOS, PM or APC string up to and
// including its terminator: BEL (xterm's OSC form), ESC \ (ST) or the C1 ST
// U+009C. An unterminated string runs to the end of s: a terminal would
// swallow it the same way.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == bel:
			return i + 1
		case s[i] == esc:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			// Any other ESC aborts the string and starts a new sequence,
			// which the caller then removes too.
			return i
		case strings.HasPrefix(s[i:], string(rune(c1ST))):
			return i + len(string(rune(c1ST)))
		}
		i++
	}
	return i
}
