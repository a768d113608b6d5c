package iprev

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzGeneric checks that the heuristics never panic on hostile PTR data and
// that a verdict always comes with its reason. Seeds: testdata/fuzz/FuzzGeneric.
func FuzzGeneric(f *testing.F) {
	for _, s := range []struct{ name, ip string }{
		{"host-203-0-113-45.isp.example.", "203.0.113.45"},
		{"0211-22ff-fe33-4455.v6.isp.example", "2001:db8::211:22ff:fe33:4455"},
		{"mx1.example.com", "192.0.2.1"},
		{"", "::"},
		{"....", "::ffff:192.0.2.1"},
	} {
		f.Add(s.name, s.ip)
	}
	f.Fuzz(func(t *testing.T, name, ipText string) {
		ip, err := netip.ParseAddr(ipText)
		if err != nil {
			ip = netip.MustParseAddr("192.0.2.1")
		}
		generic, reason := Generic(name, ip)
		if generic != (reason != "") {
			t.Errorf("Generic(%q, %s) = %v with reason %q", name, ip, generic, reason)
		}
	})
}

// FuzzValidHostname checks the PTR-name syntax check against its rules.
func FuzzValidHostname(f *testing.F) {
	for _, s := range []string{"mx.example.com.", "-a.example", "192.0.2.1", "a..b", "xn--bcher-kva.example", "mail_1.example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !ValidHostname(name) {
			return
		}
		n := strings.TrimSuffix(name, ".")
		if n == "" || len(n) > 253 {
			t.Errorf("accepted %q with length %d", name, len(n))
		}
		for _, l := range strings.Split(n, ".") {
			if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
				t.Errorf("accepted %q with label %q", name, l)
			}
			if strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != "" {
				t.Errorf("accepted %q with a character outside LDH and underscore", name)
			}
		}
		if _, err := netip.ParseAddr(n); err == nil {
			t.Errorf("accepted the address %q", name)
		}
	})
}
