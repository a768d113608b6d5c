package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// probeDoc is a dual-stack MX whose IPv6 address reaches an older server,
// plus a second MX that times out over IPv6 and is not testable over IPv4.
func probeDoc() document.Probe {
	v4 := smtpprobe.Result{
		Host: "mx1.example.org", IP: netip.MustParseAddr("192.0.2.1"), Family: "ipv4", Port: 25,
		PTR: []string{"mx1.example.org"}, Status: smtpprobe.StatusOK, BannerCode: 220,
		Banner: "mx1.example.org ESMTP Postfix", BannerName: "mx1.example.org", EHLOName: "mx1.example.org",
		Extensions: []string{"PIPELINING", "STARTTLS"}, ExtensionsTLS: []string{"PIPELINING"}, StartTLS: true,
		TLS: &smtpprobe.TLSInfo{Version: "TLS1.3", Cipher: "TLS_AES_128_GCM_SHA256",
			CertNames: []string{"mx1.example.org"}, NotAfter: "2027-01-01T00:00:00Z", Fingerprint: "aa", Verified: true},
		Timings: smtpprobe.Timings{Connect: 12.25, BannerFirstByte: 30, Banner: 30.5, EHLO: 11, TLS: 45.75},
	}
	v6 := smtpprobe.Result{
		Host: "mx1.example.org", IP: netip.MustParseAddr("2001:db8::1"), Family: "ipv6", Port: 25,
		PTR: []string{"mx1.example.org"}, Status: smtpprobe.StatusOK, BannerCode: 220,
		Banner: "old.example.org ESMTP", BannerName: "old.example.org", EHLOName: "old.example.org",
		Extensions: []string{"PIPELINING"}, ExtensionsTLS: []string{},
		Timings: smtpprobe.Timings{Connect: 14, BannerFirstByte: 20, Banner: 20, EHLO: 9},
	}
	t6 := smtpprobe.Result{
		Host: "mx2.example.org", IP: netip.MustParseAddr("2001:db8::2"), Family: "ipv6", Port: 25,
		Status: smtpprobe.StatusTimeout, Phase: smtpprobe.PhaseBanner,
		Error: "banner: no complete reply within 20s: i/o timeout", Extensions: []string{}, ExtensionsTLS: []string{},
		Timings: smtpprobe.Timings{Connect: 15},
	}
	i4 := smtpprobe.Result{
		Host: "mx2.example.org", IP: netip.MustParseAddr("198.51.100.2"), Family: "ipv4", Port: 25,
		Status: smtpprobe.StatusInconclusive, Phase: smtpprobe.PhaseConnect,
		Error: "connect: this host has no IPv4 route or source address toward 198.51.100.2: network is unreachable",
	}
	probes := []smtpprobe.Result{v4, v6, i4, t6}
	return document.Probe{
		SchemaVersion: 1, Target: "example.org", TargetKind: "domain", Port: 25, HELO: "client.example.net",
		Probes: probes, Differences: smtpprobe.Compare(probes), NameChecks: smtpprobe.CheckNames(probes),
		Notes:    []string{"This host has no IPv4 route (or no usable IPv4 source address): the IPv4 addresses were not tested."},
		Findings: []report.Finding{},
	}
}

func TestProbeTextGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		color bool
		doc   document.Probe
	}{
		{"probe_dual_stack.txt", false, probeDoc()},
		{"probe_dual_stack_color.txt", true, probeDoc()},
		{"probe_null_mx.txt", false, document.Probe{SchemaVersion: 1, Target: "null.example.org", TargetKind: "domain",
			Port: 25, NullMX: true, Probes: []smtpprobe.Result{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ProbeText(&buf, NewStyles(tc.color), tc.doc); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, buf.Bytes())
		})
	}
}

func TestProbeTextSanitisesWhatTheServerSent(t *testing.T) {
	doc := probeDoc()
	// Result fields are sanitised by smtpprobe already; the renderer must
	// stay safe even for a document built elsewhere.
	doc.Probes[0].BannerName = "\x1b]0;pwned\x07evil\x1b[2J"
	doc.Probes[0].EHLOName = "a\u202eb"
	doc.Probes[3].Error = "boom \x1b[31mred"
	var buf bytes.Buffer
	if err := ProbeText(&buf, NewStyles(false), doc); err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); strings.ContainsAny(s, "\x1b\x07\u202e") {
		t.Errorf("output holds control characters:\n%q", s)
	}
}

func TestProbeTextClaimsParityOnlyForHostsSeenInBothFamilies(t *testing.T) {
	a := smtpprobe.Result{Host: "a.example.org", IP: netip.MustParseAddr("192.0.2.1"), Family: "ipv4", Status: smtpprobe.StatusOK}
	b := smtpprobe.Result{Host: "b.example.org", IP: netip.MustParseAddr("2001:db8::2"), Family: "ipv6", Status: smtpprobe.StatusOK}
	b2 := smtpprobe.Result{Host: "b.example.org", IP: netip.MustParseAddr("192.0.2.2"), Family: "ipv4", Status: smtpprobe.StatusOK}
	for _, tc := range []struct {
		probes []smtpprobe.Result
		alike  bool
	}{
		{[]smtpprobe.Result{a, b}, false},
		{[]smtpprobe.Result{a, b, b2}, true},
	} {
		var buf bytes.Buffer
		doc := document.Probe{Target: "example.org", Port: 25, Probes: tc.probes}
		if err := ProbeText(&buf, NewStyles(false), doc); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "answer alike"); got != tc.alike {
			t.Errorf("%d probes: says alike %v, want %v:\n%s", len(tc.probes), got, tc.alike, buf.String())
		}
	}
}

// The DANE verdict sits beside the TLS session it judged, and a verdict
// that says nothing about the server (no DNSSEC) is not printed.
func TestProbeTextShowsDANENextToTLSOnlyWhenItSaysSomething(t *testing.T) {
	doc := probeDoc()
	doc.Probes[0].DANE = &tlspolicy.DANE{Status: tlspolicy.DANEPass}
	doc.Probes[1].DANE = &tlspolicy.DANE{Status: tlspolicy.DANENoSTARTTLS}
	doc.Probes[2].DANE = &tlspolicy.DANE{Status: tlspolicy.DANENotSecure}
	var b bytes.Buffer
	if err := ProbeText(&b, NewStyles(false), doc); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"TLS1.3 verified DANE pass", "none DANE no starttls"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Count(out, "DANE") != 2 {
		t.Errorf("want DANE on two rows only:\n%s", out)
	}
}
