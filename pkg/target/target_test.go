package target

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseTurnsWhatPeoplePasteIntoADomain(t *testing.T) {
	tests := []struct{ in, ascii, unicode string }{
		{"example.com", "example.com", "example.com"},
		{"Example.COM.", "example.com", "example.com"},
		{"  example.com\n", "example.com", "example.com"},
		{"user@example.com", "example.com", "example.com"},
		{`"odd@local"@Example.com`, "example.com", "example.com"},
		{"mailto:user@example.com", "example.com", "example.com"},
		{"MAILTO:user@example.com?subject=hi", "example.com", "example.com"},
		{"<user@example.com>", "example.com", "example.com"},
		{"https://example.com/x?y#z", "example.com", "example.com"},
		{"http://user:pw@Mail.Example.com:8080/", "mail.example.com", "mail.example.com"},
		{"bücher.example", "xn--bcher-kva.example", "bücher.example"},
		{"BÜCHER.example.", "xn--bcher-kva.example", "bücher.example"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"},
		{"user@bücher.example", "xn--bcher-kva.example", "bücher.example"},
		{"例え。テスト", "xn--r8jz45g.xn--zckzah", "例え.テスト"},
		{"ｅｘａｍｐｌｅ.com", "example.com", "example.com"}, // full-width letters map to ASCII
		{"r3---sn-abc.example.com", "r3---sn-abc.example.com", "r3---sn-abc.example.com"},
		{"a-b.c0m", "a-b.c0m", "a-b.c0m"},
		{"com", "com", "com"},
		{strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example", strings.Repeat("a", 63) + ".example"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got.ASCII != tt.ascii || got.Unicode != tt.unicode {
			t.Errorf("Parse(%q) = %+v, want {%s %s}", tt.in, got, tt.ascii, tt.unicode)
		}
		if got.FQDN() != tt.ascii+"." {
			t.Errorf("FQDN = %q", got.FQDN())
		}
	}
}

func TestParseRejectsBadInputWithAPreciseMessage(t *testing.T) {
	long := strings.Repeat("a", 64)
	name254 := strings.Repeat(strings.Repeat("a", 62)+".", 4) + "ab" // 4*63 + 2 = 254
	tests := []struct {
		in   string
		kind error
		msg  string
	}{
		{"", ErrEmpty, "empty domain"},
		{"   ", ErrEmpty, "empty domain"},
		{"<>", ErrEmpty, "empty domain"},
		{"user@", ErrEmpty, "nothing after the @"},
		{".", ErrEmpty, "root domain"},
		{"-", ErrStdin, "use -f -"},
		{"exa mple.com", ErrSpace, "contains a space"},
		{"example.com other.com", ErrSpace, "one domain per argument"},
		{"a..b", ErrEmptyLabel, "empty label"},
		{".example.com", ErrEmptyLabel, "empty label"},
		{"example.com..", ErrEmptyLabel, "empty label"},
		{long + ".example", ErrLabelLong, "64 characters long; a label is at most 63"},
		{name254, ErrNameLong, "254 characters long; a domain name is at most 253"},
		{strings.Repeat("例", 400), ErrNameLong, "1200 bytes long; a domain name is at most 253"},
		{"192.0.2.1", ErrIPLiteral, "mailcheck probe 192.0.2.1"},
		{"192.0.2.1.", ErrIPLiteral, "mailcheck probe 192.0.2.1"},
		{"user@[192.0.2.1]", ErrIPLiteral, "mailcheck probe 192.0.2.1"},
		{"[IPv6:2001:db8::1]", ErrIPLiteral, "mailcheck probe 2001:db8::1"},
		{"2001:db8::25", ErrIPLiteral, "is an IP address, not a domain"},
		{"http://[2001:db8::1]/", ErrIPLiteral, "mailcheck probe 2001:db8::1"},
		{"_dmarc.example.com", ErrUnderscore, `label "_dmarc" contains an underscore`},
		{"mail_server.example.com", ErrUnderscore, "not allowed in a host or mail domain name"},
		{"bad!name.example", ErrCharacter, `contains "!"`},
		{"-start.example", ErrHyphen, "starts or ends with a hyphen"},
		{"end-.example", ErrHyphen, "starts or ends with a hyphen"},
		{"bücher-.example", ErrHyphen, `label "bücher-" starts or ends with a hyphen`},
		{"xn--bcher--kva.example", ErrHyphen, "starts or ends with a hyphen"},
		{"bücher!.example", ErrIDN, "contains U+0021, which is not allowed"},
		{"a\ufffdb.example", ErrIDN, "contains U+FFFD"},
		{"a\u200db.example", ErrIDN, "not a valid internationalised domain name"},
		{"xn--zz.example", ErrIDN, "not a valid IDN A-label"},
		{"xn--example.com", ErrIDN, "not a valid IDN A-label"},
		// Punycode "a" decodes to U+0080, a C1 control: no valid U-label.
		// Lower-case LDH names take Parse's fast path; an A-label must not.
		{"xn--a.example", ErrIDN, `label "xn--a" is not a valid IDN A-label`},
		{"mx.xn--a", ErrIDN, `label "xn--a" is not a valid IDN A-label`},
		{"user@xn--a.example", ErrIDN, `label "xn--a" is not a valid IDN A-label`},
		{"1.2.3", ErrNumericTLD, "incomplete IP address"},
		{"mx.example.com:25", ErrPort, "has a port (:25)"},
		{"https://", ErrSyntax, "has no host"},
		{"exa\x1bmple.com", ErrCharacter, `\x1b`},
		{"\xff.example", ErrCharacter, "not valid UTF-8"},
		{"evil\u202egro.example", ErrIDN, `evil\u202egro.example`}, // a bidi override is shown escaped
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var te *Error
		if !errors.As(err, &te) {
			t.Errorf("Parse(%q) error %v, want a *target.Error", tt.in, err)
			continue
		}
		if !errors.Is(err, tt.kind) {
			t.Errorf("Parse(%q) kind %v, want %v (%v)", tt.in, te.Kind, tt.kind, err)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tt.in, err, tt.msg)
		}
		for _, r := range err.Error() {
			if r < 0x20 || r == 0x7f || r == 0x202e {
				t.Errorf("Parse(%q) message has control character %U: %q", tt.in, r, err)
			}
		}
	}
}

func TestParseHostOrIPAcceptsNamesAndAddresses(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"[192.0.2.1]", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"[IPv6:2001:DB8::1]", "2001:db8::1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8::25.", "2001:db8::25"}, // a trailing dot, as DNS writes names
		{"Mail.Example.com.", "mail.example.com"},
		{"bücher.example", "bücher.example (xn--bcher-kva.example)"},
	}
	for _, tt := range tests {
		h, err := ParseHostOrIP(tt.in)
		if err != nil {
			t.Errorf("ParseHostOrIP(%q): %v", tt.in, err)
			continue
		}
		if h.String() != tt.want {
			t.Errorf("ParseHostOrIP(%q) = %s, want %s", tt.in, h, tt.want)
		}
	}
	h, _ := ParseHostOrIP("192.0.2.1")
	if !h.IsIP() || !h.IP.Is4() {
		t.Errorf("192.0.2.1: IsIP %v Is4 %v", h.IsIP(), h.IP.Is4())
	}
}

func TestParseHostOrIPRejectsZonesAndBadInput(t *testing.T) {
	tests := []struct {
		in   string
		kind error
	}{
		{"fe80::1%eth0", ErrZone},
		{"[fe80::1%25eth0]", ErrZone},
		{"", ErrEmpty},
		{"-", ErrStdin},
		{"a..b", ErrEmptyLabel},
		{"_x.example", ErrUnderscore},
	}
	for _, tt := range tests {
		if _, err := ParseHostOrIP(tt.in); !errors.Is(err, tt.kind) {
			t.Errorf("ParseHostOrIP(%q) error %v, want kind %v", tt.in, err, tt.kind)
		}
	}
}

func TestTargetStringShowsBothFormsOfAnIDN(t *testing.T) {
	tg, err := Parse("bücher.example")
	if err != nil {
		t.Fatal(err)
	}
	if !tg.IsIDN() || tg.String() != "bücher.example (xn--bcher-kva.example)" {
		t.Errorf("String = %q", tg.String())
	}
	tg, _ = Parse("example.com")
	if tg.IsIDN() || tg.String() != "example.com" {
		t.Errorf("String = %q", tg.String())
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is a
// valid LDH name within the length limits, and that accepted names
// round-trip: Parse(t.ASCII) == t.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"example.com", "Example.COM.", "user@example.com", "mailto:a@b.example?x=y",
		"https://example.com/x", "<user@example.com>", "bücher.example", "xn--bcher-kva.example",
		"192.0.2.1", "[IPv6:2001:db8::1]", "a..b", "_dmarc.example", "-", "", "例え。テスト",
		"a\u200db.example", "http://[::1]:25/", "1.2.3", "x.example:25", "xn--a.example", "mx1.example.org",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := Parse(s)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Kind == nil || te.Message == "" {
				t.Fatalf("Parse(%q): untyped error %v", s, err)
			}
			if !utf8.ValidString(te.Message) {
				t.Fatalf("Parse(%q): message is not UTF-8: %q", s, te.Message)
			}
			return
		}
		if tg.ASCII == "" || len(tg.ASCII) > maxName || tg.Unicode == "" {
			t.Fatalf("Parse(%q) = %+v: empty or too long", s, tg)
		}
		for _, l := range strings.Split(tg.ASCII, ".") {
			if l == "" || len(l) > maxLabel {
				t.Fatalf("Parse(%q) = %q: bad label %q", s, tg.ASCII, l)
			}
		}
		for i := 0; i < len(tg.ASCII); i++ {
			c := tg.ASCII[i]
			if !isLDH(c) && c != '.' {
				t.Fatalf("Parse(%q) = %q: byte %q outside LDH", s, tg.ASCII, c)
			}
		}
		// The fast path for plain names agrees with the full parser.
		if plainName(s) {
			host, err := extract(s)
			if err != nil {
				t.Fatalf("plainName(%q) but extract: %v", s, err)
			}
			if full, err := parseName(s, host); err != nil || full != tg {
				t.Fatalf("Parse(%q) = %+v by the fast path, %+v, %v by the full parser", s, tg, full, err)
			}
		}
		again, err := Parse(tg.ASCII)
		if err != nil || again != tg {
			t.Fatalf("Parse(%q) = %+v, but Parse(%q) = %+v, %v", s, tg, tg.ASCII, again, err)
		}
		h, err := ParseHostOrIP(tg.ASCII)
		if err != nil || h.Name != tg {
			t.Fatalf("ParseHostOrIP(%q) = %+v, %v; want the same name", tg.ASCII, h, err)
		}
	})
}

// BenchmarkParse covers the common case and the worst input that still
// reaches IDNA processing (1012 bytes of distinct CJK: Punycode is
// quadratic), so a regression in the early length bound shows.
func BenchmarkParse(b *testing.B) {
	var worst strings.Builder
	for r := rune(0x4e00); worst.Len() < 4*maxName-3; r++ {
		worst.WriteRune(r)
	}
	for _, in := range []struct{ name, s string }{
		{"ascii", "User@Example.COM."},
		{"idn", "bücher.example"},
		{"worst", worst.String()},
	} {
		b.Run(in.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				_, _ = Parse(in.s)
			}
		})
	}
}
