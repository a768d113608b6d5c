package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTextRemovesWhatATerminalWouldInterpret(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain banner passes unchanged", "mx.example.com ESMTP Postfix", "mx.example.com ESMTP Postfix"},
		{"CSI colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"CSI clear screen and cursor home", "\x1b[2J\x1b[Hmx", "mx"},
		{"CSI with intermediate byte", "a\x1b[1 qb", "ab"},
		{"OSC title ended by BEL", "\x1b]0;pwned\x07mx", "mx"},
		{"OSC 52 clipboard ended by ST", "\x1b]52;c;ZXZpbA==\x1b\\mx", "mx"},
		{"OSC 8 hyperlink", "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"unterminated OSC swallows the rest", "mx \x1b]0;title", "mx "},
		{"ESC inside OSC starts a new sequence", "\x1b]0;t\x1b[31mred", "red"},
		{"DCS string", "\x1bPq#0;2;0;0;0\x1b\\ok", "ok"},
		{"APC string", "\x1b_hidden\x1b\\ok", "ok"},
		{"two-byte escape ESC c (reset)", "\x1bcok", "ok"},
		{"nF escape ESC ( B", "\x1b(Bok", "ok"},
		{"lone ESC at end", "ok\x1b", "ok"},
		{"C1 CSI as UTF-8", "\u009b31mred", "red"},
		{"C1 OSC with C1 ST", "\u009d0;t\u009cok", "ok"},
		{"raw 8-bit CSI byte is invalid UTF-8", "a\x9b31mb", "a\ufffd31mb"},
		{"BEL and backspace dropped", "ab\x07\x08c", "abc"},
		{"DEL dropped", "a\x7fb", "ab"},
		{"NUL dropped", "a\x00b", "ab"},
		{"CR dropped", "line\r", "line"},
		{"newline becomes a space", "a\nb", "a b"},
		{"tab becomes a space", "a\tb", "a b"},
		{"invalid UTF-8 replaced per byte", "a\xff\xfeb", "a\ufffd\ufffdb"},
		{"truncated UTF-8 sequence", "caf\xc3", "caf\ufffd"},
		{"literal U+FFFD kept", "a\ufffdb", "a\ufffdb"},
		{"bidi override dropped", "abc\u202egnp.exe", "abcgnp.exe"},
		{"bidi isolates dropped", "\u2066a\u2069\u2067b\u2068", "ab"},
		{"non-ASCII letters kept", "mx.bücher.example 🚀", "mx.bücher.example 🚀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMultiLineKeepsNewlinesOnly(t *testing.T) {
	in := "mx.example ESMTP\r\n\x1b[5mno UCE\x1b[0m\tplease\x07\nthird"
	want := "mx.example ESMTP\nno UCE please\nthird"
	if got := MultiLine(in); got != want {
		t.Errorf("MultiLine(%q) = %q, want %q", in, got, want)
	}
}

func TestStringsSanitisesEveryElement(t *testing.T) {
	got := Strings([]string{"PIPELINING", "SIZE\x1b[2J 1000", "X-\u202eEVIL"})
	want := []string{"PIPELINING", "SIZE 1000", "X-EVIL"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("element %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestTextDoesNotAllocateForCleanInput(t *testing.T) {
	s := strings.Repeat("mx.example.com ESMTP ready ", 10)
	allocs := testing.AllocsPerRun(100, func() { _ = Text(s) })
	if allocs != 0 {
		t.Errorf("Text of clean input allocated %v times, want 0", allocs)
	}
}

// checkInvariant fails t when out could still affect a terminal.
func checkInvariant(t *testing.T, in, out string, keepNewline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output not valid UTF-8: %q -> %q", in, out)
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if (c < 0x20 && (c != '\n' || !keepNewline)) || c == 0x7f {
			t.Fatalf("output has control byte %#x at %d: %q -> %q", c, i, in, out)
		}
	}
	for _, r := range out {
		if (r >= 0x80 && r <= 0x9f) || isBidiControl(r) {
			t.Fatalf("output has %U: %q -> %q", r, in, out)
		}
	}
	if len(out) > 3*len(in) {
		t.Fatalf("output grew beyond 3x input: %d -> %d bytes", len(in), len(out))
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"220 mx.example.com ESMTP",
		"\x1b[31mred\x1b[0m",
		"\x1b]0;title\x07",
		"\x1b]52;c;ZXZpbA==\x1b\\",
		"\u009b2J\u009d0;x\u009c",
		"a\xffb\xc3",
		"\u202eabc\u2066",
		"line1\r\nline2\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Text(in)
		checkInvariant(t, in, out, false)
		if strings.Contains(out, "\n") {
			t.Fatalf("Text kept a newline: %q -> %q", in, out)
		}
		ml := MultiLine(in)
		checkInvariant(t, in, ml, true)
		// Sanitising twice changes nothing more.
		if again := Text(out); again != out {
			t.Fatalf("Text not idempotent: %q -> %q -> %q", in, out, again)
		}
	})
}

func BenchmarkTextClean(b *testing.B) {
	s := "mx.example.com ESMTP Postfix (Debian/GNU) ready at Sun, 29 Nov 2026 15:00:00 +0000"
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		_ = Text(s)
	}
}

func BenchmarkTextHostile(b *testing.B) {
	s := strings.Repeat("\x1b]0;title\x07\x1b[31mred\x1b[0m\u202eabc\xff ", 10)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		_ = Text(s)
	}
}
