package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func address(ip string, ptr []string, fc iprev.Status) discover.Address {
	a := netip.MustParseAddr(ip)
	ps := dnsq.StatusOK
	if len(ptr) == 0 {
		ps = dnsq.StatusNXDomain
		ptr = []string{}
	}
	return discover.Address{IP: a, Family: addr.Family(a), Class: discover.Classify(a),
		PTR: ptr, PTRStatus: ps, FCrDNS: fc}
}

func sampleDoc() document.MX {
	return document.MX{
		SchemaVersion: report.SchemaVersion,
		Families:      document.Families{IPv4: true, IPv6: true},
		Result: discover.Result{
			Domain: "xn--bcher-kva.example", DomainUnicode: "bücher.example",
			MXStatus: dnsq.StatusOK, MXAuthentic: true,
			MX: []discover.Exchange{
				{
					Preference: 10, Host: "mx1.xn--bcher-kva.example",
					AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
					Addresses: []discover.Address{
						address("192.0.2.1", []string{"mx1.xn--bcher-kva.example"}, iprev.StatusPass),
						address("2001:db8::1", nil, iprev.StatusNone),
					},
				},
				{
					Preference: 20, Host: "mail.xn--bcher-kva.example", CNAME: []string{"relay.example.net"},
					AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusServFail, AAAAError: "servfail: from 127.0.0.1:53",
					Addresses: []discover.Address{
						address("10.0.0.5", []string{"host-10-0-0-5.pool.\x1b[31mevil\x1b[0m.example"}, iprev.StatusFail),
					},
				},
				{
					Preference: 30, Host: "192.0.2.9", IPLiteral: true,
					AStatus: dnsq.StatusSkipped, AAAAStatus: dnsq.StatusSkipped,
					Addresses: []discover.Address{address("192.0.2.9", nil, iprev.StatusNone)},
				},
				{
					Preference: 40, Host: "v4only.example.net",
					AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusNoData,
					Addresses: []discover.Address{address("198.51.100.4", []string{"v4only.example.net"}, iprev.StatusPass)},
				},
			},
		},
		Findings: []report.Finding{},
	}
}

func TestMXTextGolden(t *testing.T) {
	nullMX := document.MX{SchemaVersion: 1, Families: document.Families{IPv4: true, IPv6: true},
		Result: discover.Result{Domain: "example.org", MXStatus: dnsq.StatusOK, NullMX: true, MX: []discover.Exchange{}}}
	nx := document.MX{SchemaVersion: 1, Families: document.Families{IPv4: true, IPv6: true},
		Result: discover.Result{Domain: "nope.example", MXStatus: dnsq.StatusNXDomain, MX: []discover.Exchange{}}}
	fail := document.MX{SchemaVersion: 1, Families: document.Families{IPv4: true, IPv6: true},
		Result: discover.Result{Domain: "broken.example", MXStatus: dnsq.StatusServFail, MXError: "servfail: injected", MX: []discover.Exchange{}}}
	timeout := document.MX{SchemaVersion: 1, Families: document.Families{IPv4: true, IPv6: true},
		Result: discover.Result{Domain: "example.org", MXStatus: dnsq.StatusTimeout, MXError: "timeout: no DNS server answered", MX: []discover.Exchange{}}}
	implicit := document.MX{SchemaVersion: 1, Families: document.Families{IPv4: true},
		Result: discover.Result{Domain: "example.com", MXStatus: dnsq.StatusNoData, ImplicitMX: true,
			MX: []discover.Exchange{{Preference: 0, Host: "example.com", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusSkipped,
				Addresses: []discover.Address{address("203.0.113.7", []string{"www.example.com"}, iprev.StatusPass)}}}}}
	mixed := sampleDoc()
	mixed.NullMXMixed = true
	mixed.MX = mixed.MX[3:]
	mixed.MX[0].Host, mixed.MX[0].InvalidName = "v4_only-.example.net", true
	mixed.Findings = []report.Finding{{Code: "MC999", Severity: report.SeverityFail, Subject: "xn--bcher-kva.example",
		Message: "Example finding.", Fix: "Example fix."}}

	tests := []struct {
		name  string
		doc   document.MX
		color bool
	}{
		{"mx_full.txt", sampleDoc(), false},
		{"mx_full_color.txt", sampleDoc(), true},
		{"mx_null.txt", nullMX, false},
		{"mx_nxdomain.txt", nx, false},
		{"mx_servfail.txt", fail, false},
		{"mx_timeout.txt", timeout, false},
		{"mx_implicit_ipv4_only.txt", implicit, false},
		{"mx_null_mixed_findings.txt", mixed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := MXText(&buf, NewStyles(tc.color), tc.doc); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if !tc.color && bytes.Contains(out, []byte("\x1b")) {
				t.Error("escape sequence in colorless output")
			}
			if tc.color && !bytes.Contains(out, []byte("\x1b[")) {
				t.Error("no color in colored output")
			}
			golden(t, tc.name, out)
		})
	}
}

func TestMXTextNeverPassesRemoteEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := MXText(&buf, NewStyles(false), sampleDoc()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("remote escape sequence reached the output:\n%q", buf.String())
	}
	if !strings.Contains(buf.String(), "pool.evil.example") {
		t.Errorf("sanitized PTR name missing:\n%s", buf.String())
	}
}

func TestMXDocumentJSONHasTheContractFields(t *testing.T) {
	var buf bytes.Buffer
	if err := JSON(&buf, sampleDoc()); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "domain", "null_mx", "implicit_mx", "mx_status", "mx", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("top-level key %q missing", k)
		}
	}
	if _, ok := m["Families"]; ok {
		t.Error("Families leaked into JSON")
	}
	ex := m["mx"].([]any)[0].(map[string]any)
	for _, k := range []string{"preference", "host", "a_status", "aaaa_status", "addresses"} {
		if _, ok := ex[k]; !ok {
			t.Errorf("exchange key %q missing", k)
		}
	}
	a := ex["addresses"].([]any)[0].(map[string]any)
	for _, k := range []string{"ip", "family", "ptr", "fcrdns"} {
		if _, ok := a[k]; !ok {
			t.Errorf("address key %q missing", k)
		}
	}
	if a["ip"] != "192.0.2.1" || a["family"] != "ipv4" || a["fcrdns"] != "pass" {
		t.Errorf("address = %v", a)
	}
}

// The DNSSEC status of the lookups fits one line: grouped where the
// exchanges agree, per exchange where they differ, and "not judged" with
// the fix when the resolver does not validate.
func TestMXTextSaysTheDNSSECStatusInOneLine(t *testing.T) {
	validating := &tlspolicy.Validation{Validates: true, Status: dnsq.StatusOK}
	x := func(host, a, aaaa string) discover.Exchange {
		return discover.Exchange{Host: host, ADNSSEC: a, AAAADNSSEC: aaaa}
	}
	for _, c := range []struct {
		v    *tlspolicy.Validation
		mx   string
		xs   []discover.Exchange
		want string
	}{
		{validating, "secure", []discover.Exchange{x("mx1.example", "insecure", "insecure"), x("mx2.example", "insecure", "insecure")}, "DNSSEC: MX secure, A/AAAA insecure"},
		{validating, "secure", []discover.Exchange{x("mx1.example", "secure", ""), x("mx2.example", "secure", "")}, "DNSSEC: MX secure, A secure"},
		{validating, "secure", []discover.Exchange{x("mx1.example", "secure", "secure"), x("mx2.example", "insecure", "bogus")}, "DNSSEC: MX secure; mx1.example A/AAAA secure; mx2.example A insecure, AAAA bogus"},
		{&tlspolicy.Validation{Error: "the resolver's answer for the root NS has no AD bit: it does not validate DNSSEC", Fix: tlspolicy.FixValidatingResolver}, "not_judged", nil,
			"DNSSEC: not judged (the resolver's answer for the root NS has no AD bit: it does not validate DNSSEC); " + tlspolicy.FixValidatingResolver + "."},
		{nil, "secure", nil, ""},
	} {
		doc := document.MX{Result: discover.Result{Domain: "example", MXStatus: dnsq.StatusOK, MXDNSSEC: c.mx, MX: c.xs}, DNSSECValidation: c.v}
		if got := mxDNSSECLine(doc); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		var b bytes.Buffer
		if err := MXText(&b, NewStyles(false), doc); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "DNSSEC:") != (c.want != "") {
			t.Errorf("text output:\n%s", b.String())
		}
	}
}
