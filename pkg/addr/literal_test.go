package addr

import (
	"errors"
	"strings"
	"testing"
)

func TestParseLiteralAcceptsTheWaysAddressesAreWritten(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"2001:DB8::1", "2001:db8::1"},
		{"[192.0.2.1]", "192.0.2.1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"[IPv6:2001:db8::1]", "2001:db8::1"},
		{"[ipv6:2001:DB8::1]", "2001:db8::1"},
		{"IPv6:2001:db8::1", "2001:db8::1"}, // as bounces and logs print it
		{"192.0.2.1.", "192.0.2.1"},         // an MX target as DNS writes it
		{"2001:db8::1.", "2001:db8::1"},
		{"[192.0.2.1].", "192.0.2.1"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"}, // kept as written (see Family)
		{"[IPv6:::ffff:192.0.2.1]", "::ffff:192.0.2.1"},
	}
	for _, tt := range tests {
		ip, err := ParseLiteral(tt.in)
		if err != nil {
			t.Errorf("ParseLiteral(%q): %v", tt.in, err)
			continue
		}
		if ip.String() != tt.want {
			t.Errorf("ParseLiteral(%q) = %s, want %s", tt.in, ip, tt.want)
		}
	}
}

func TestParseLiteralRefusesWhatIsNotAnAddressWithAClearError(t *testing.T) {
	tests := []struct {
		in   string
		kind error
		msg  string
	}{
		{"", ErrNotIP, `"" is not an IP address`},
		{"mail.example.com", ErrNotIP, `"mail.example.com" is not an IP address (examples:`},
		{"1.2.3", ErrNotIP, "is not an IP address"},
		{"192.0.2.256", ErrNotIP, "is not an IP address"},
		{"192.0.2.1..", ErrNotIP, "is not an IP address"},
		{"[2001:db8::1", ErrNotIP, "unbalanced brackets"},
		{"2001:db8::1]", ErrNotIP, "unbalanced brackets"},
		{"[]", ErrNotIP, "is not an IP address"},
		{"[IPv6:192.0.2.1]", ErrNotIP, "the IPv6: tag is followed by an IPv4 address"},
		{"192.0.2.1:25", ErrNotIP, "is not an IP address"},
		{"[2001:db8::1]:25", ErrNotIP, "unbalanced brackets"},
		{" 192.0.2.1", ErrNotIP, "is not an IP address"},
		{"fe80::1%eth0", ErrZone, `"fe80::1%eth0" has an IPv6 zone (%eth0)`},
		{"[fe80::1%2]", ErrZone, "has an IPv6 zone (%2)"},
		{"a\x1bb1", ErrNotIP, `"a\x1bb1"`}, // shown escaped
	}
	for _, tt := range tests {
		ip, err := ParseLiteral(tt.in)
		if err == nil {
			t.Errorf("ParseLiteral(%q) = %s, want an error", tt.in, ip)
			continue
		}
		var le *LiteralError
		if !errors.As(err, &le) || le.Input != tt.in {
			t.Errorf("ParseLiteral(%q) error %#v, want a *LiteralError for the input", tt.in, err)
		}
		if !errors.Is(err, tt.kind) {
			t.Errorf("ParseLiteral(%q) error %v, want it to be %v", tt.in, err, tt.kind)
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseLiteral(%q) = %q, want it to contain %q", tt.in, err, tt.msg)
		}
		if ip.IsValid() {
			t.Errorf("ParseLiteral(%q) returned %s with its error", tt.in, ip)
		}
	}
}

func TestParseLiteralZoneKeepsTheZone(t *testing.T) {
	for in, want := range map[string]string{
		"fe80::1%eth0":   "fe80::1%eth0",
		"[fe80::1%eth0]": "fe80::1%eth0",
		"192.0.2.1":      "192.0.2.1",
	} {
		ip, err := ParseLiteralZone(in)
		if err != nil || ip.String() != want {
			t.Errorf("ParseLiteralZone(%q) = %s, %v; want %s", in, ip, err, want)
		}
	}
}

// FuzzParseLiteral checks that whatever ParseLiteral accepts is a valid
// address without a zone that reads back the same plain and bracketed, and
// that whatever it refuses comes with a *LiteralError naming the input,
// printable on a terminal.
func FuzzParseLiteral(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "[2001:db8::1]", "[IPv6:2001:db8::1]", "192.0.2.1.", "fe80::1%eth0", "mail.example.com", "::ffff:192.0.2.1", "[", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, err := ParseLiteral(s)
		zip, zerr := ParseLiteralZone(s)
		if err != nil {
			var le *LiteralError
			if !errors.As(err, &le) || le.Input != s || !errors.Is(err, ErrNotIP) && !errors.Is(err, ErrZone) {
				t.Fatalf("ParseLiteral(%q) error %#v is not a *LiteralError for the input", s, err)
			}
			if errors.Is(err, ErrZone) != (zerr == nil && zip.Zone() != "") {
				t.Fatalf("ParseLiteral(%q) = %v but ParseLiteralZone = %s, %v", s, err, zip, zerr)
			}
			for _, r := range err.Error() {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("ParseLiteral(%q) error has control character %U", s, r)
				}
			}
			return
		}
		if !ip.IsValid() || ip.Zone() != "" {
			t.Fatalf("ParseLiteral(%q) = %#v: not a valid address without zone", s, ip)
		}
		if zerr != nil || zip != ip {
			t.Fatalf("ParseLiteralZone(%q) = %s, %v; ParseLiteral gave %s", s, zip, zerr, ip)
		}
		for _, form := range []string{ip.String(), "[" + ip.String() + "]"} {
			if back, err := ParseLiteral(form); err != nil || back != ip {
				t.Fatalf("ParseLiteral(%q) = %s, %v; want %s (from %q)", form, back, err, ip, s)
			}
		}
	})
}
