package iprev

import (
	"net/netip"
	"strings"
	"testing"
)

func TestGenericRecognisesPoolNames(t *testing.T) {
	v4 := netip.MustParseAddr("203.0.113.45")
	v6 := netip.MustParseAddr("2001:db8:1:2:211:22ff:fe33:4455")
	v6b := netip.MustParseAddr("2001:db8:1:2:a1b2:c3d4:e5f6:789a")
	tests := []struct {
		name    string
		ip      netip.Addr
		generic bool
		reason  string // substring of the reason
	}{
		// The address spelled in the name.
		{"host-203-0-113-45.isp.example.", v4, true, "203-0-113-45"},
		{"45.113.0.203.in-addr.isp.example", v4, true, "45.113.0.203"},
		{"45-113-0-203.cust.isp.example", v4, true, "45-113-0-203"},
		{"ip203_0_113_45.isp.example", v4, true, "203_0_113_45"},
		{"203x0x113x45.isp.example", v4, true, "203x0x113x45"},
		{"c-203-000-113-045.isp.example", v4, true, "203-000-113-045"},
		{"h203000113045.isp.example", v4, true, "203000113045"},
		{"203000113045.isp.example", v4, true, "203000113045"},
		{"cb00712d.isp.example", v4, true, "cb00712d"},
		{"0-113-45.static.isp.example", v4, true, "0-113-45"},
		{"45.113.0.isp.example", v4, true, "45.113.0"},
		{"203-0-113-45.isp.example", netip.MustParseAddr("::ffff:203.0.113.45"), true, "203-0-113-45"},
		{"2001-db8-1-2-a1b2-c3d4-e5f6-789a.isp.example", v6b, true, "2001-db8-1-2-a1b2-c3d4-e5f6-789a"},
		{"20010db8000100020a1b2c3d4e5f6789a.isp.example", v6b, false, ""}, // one nibble too many
		{"20010db800010002a1b2c3d4e5f6789a.isp.example", v6b, true, "20010db800010002a1b2c3d4e5f6789a"},
		{"a1b2c3d4e5f6789a.v6.isp.example", v6b, true, "a1b2c3d4e5f6789a"},
		{"a1b2-c3d4-e5f6-789a.v6.isp.example", v6b, true, "a1b2-c3d4-e5f6-789a"},
		// EUI-64 marker.
		{"0211-22ff-fe33-4455.v6.isp.example", v6, true, "ff-fe"},
		{"021122fffe334455.isp.example", netip.MustParseAddr("2001:db8::1"), true, "fffe"},
		// Pool words.
		{"dynamic.isp.example", v4, true, `"dynamic"`},
		{"a.b.dyn.isp.example", v4, true, `"dyn"`},
		{"x.dhcp.isp.example", v4, true, `"dhcp"`},
		{"pool-x.isp.example", v4, true, `"pool"`},
		{"cable-modem.isp.example", v4, true, `"cable"`},
		{"foo.adsl.isp.example", v4, true, `"adsl"`},
		{"foo.dsl.isp.example", v4, true, `"dsl"`},
		{"ppp.isp.example", v4, true, `"ppp"`},
		{"customer.isp.example", v4, true, `"customer"`},
		{"client.isp.example", v4, true, `"client"`},
		{"broadband.isp.example", v4, true, `"broadband"`},
		{"static-ip.isp.example", v4, true, `"static-ip"`},
		{"host-17.isp.example", v4, true, "host-17"},
		{"dhcp123.isp.example", v4, true, "dhcp123"},
		{"ip42.isp.example", v4, true, "ip42"},
		// Names people choose for mail servers.
		{"mx1.example.com", v4, false, ""},
		{"mail.example.com.", v4, false, ""},
		{"smtp-out-2.example.com", v4, false, ""},
		{"mx.dynamics-consulting.example", v4, false, ""},
		{"poolside.example", v4, false, ""},
		{"mail25.example.com", netip.MustParseAddr("2001:db8::25"), false, ""},
		{"mx-2001-db8--25.example.com", netip.MustParseAddr("2001:db8::25"), true, "2001-db8--25"},
		{"mx.example.com", netip.MustParseAddr("2001:db8::25"), false, ""},
		{"", v4, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := Generic(tc.name, tc.ip)
			if got != tc.generic {
				t.Fatalf("Generic(%q, %s) = %v (%s), want %v", tc.name, tc.ip, got, reason, tc.generic)
			}
			if !strings.Contains(reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", reason, tc.reason)
			}
			if got && reason == "" {
				t.Error("generic without a reason")
			}
		})
	}
}

func TestEUI64(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"2001:db8::211:22ff:fe33:4455", true},
		{"2001:db8::25", false},
		{"192.0.2.1", false},
		{"::ffff:192.0.2.1", false},
	}
	for _, tc := range tests {
		if got := EUI64(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("EUI64(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}

// The quick pre-test must never rule out a name that holds one of the
// address forms: otherwise Generic would miss it.
func TestMayEmbedAdmitsEveryAddressForm(t *testing.T) {
	for _, s := range []string{
		"203.0.113.45", "192.0.2.0", "198.51.100.255", "170.187.204.221", "0.0.0.0",
		"2001:db8:1:2:a1b2:c3d4:e5f6:789a", "2001:db8::25", "2001:db8::", "::1",
		"2001:db8:1:2:211:22ff:fe33:4455", "2001:db8::100:0",
	} {
		ip := netip.MustParseAddr(s)
		var forms []string
		if ip.Is4() {
			for _, f := range ipv4Forms(ip) {
				forms = append(forms, f.text)
			}
		} else {
			forms = ipv6Forms(ip)
		}
		for _, f := range forms {
			name := "x." + f + ".isp.example"
			if !mayEmbed(name, ip) {
				t.Errorf("mayEmbed(%q, %s) = false, but the name holds the form %q", name, ip, f)
			}
		}
	}
	if mayEmbed("mx.example.com", netip.MustParseAddr("203.0.113.45")) {
		t.Error("mayEmbed admits a name with no digits for an address without hex letters")
	}
}
