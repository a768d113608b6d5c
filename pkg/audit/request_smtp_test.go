package audit

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

func TestSourceFlagsTakeAddressLiteralsOfTheirFamilyOnly(t *testing.T) {
	for _, tt := range []struct{ flag, in, fam, want string }{
		{"--source4", "192.0.2.9", addr.IPv4, "192.0.2.9"},
		{"--source4", "[192.0.2.9]", addr.IPv4, "192.0.2.9"},
		{"--source6", "2001:db8::9", addr.IPv6, "2001:db8::9"},
		{"--source6", "[IPv6:2001:db8::9]", addr.IPv6, "2001:db8::9"},
	} {
		if ip, err := parseSource(tt.flag, tt.in, tt.fam); err != nil || ip.String() != tt.want {
			t.Errorf("%s %q = %v, %v; want %s", tt.flag, tt.in, ip, err, tt.want)
		}
	}
	for _, tt := range []struct{ flag, in, fam, msg string }{
		{"--source4", "2001:db8::1", addr.IPv4, `--source4 "2001:db8::1" is not an IPv4 address`},
		{"--source6", "192.0.2.1", addr.IPv6, `--source6 "192.0.2.1" is not an IPv6 address`},
		{"--source6", "fe80::1%eth0", addr.IPv6, `--source6 "fe80::1%eth0" is not an IPv6 address`},
		{"--source6", "nonsense", addr.IPv6, `--source6 "nonsense" is not an IPv6 address`},
	} {
		_, err := parseSource(tt.flag, tt.in, tt.fam)
		var re *RequestError
		if !errors.As(err, &re) || err.Error() != tt.msg {
			t.Errorf("%s %q: error %v, want the usage error %q", tt.flag, tt.in, err, tt.msg)
		}
	}
}

func TestSenderIPRefusesAZoneInItsOwnWords(t *testing.T) {
	if ip, err := parseSenderIP(" [IPv6:2001:db8::25] "); err != nil || ip != netip.MustParseAddr("2001:db8::25") {
		t.Errorf("an RFC 5321 address literal: got %v, %v", ip, err)
	}
	_, err := parseSenderIP("fe80::1%eth0")
	if want := "a zone (%eth0) has no meaning for a sending address"; err == nil || err.Error() != want {
		t.Errorf("an address with a zone: error %v, want %q", err, want)
	}
	if _, err := parseSenderIP("mail.example.org"); err == nil || err.Error() != "not an IP address" {
		t.Errorf("a host name: error %v, want \"not an IP address\"", err)
	}
}
