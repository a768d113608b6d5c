package render

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// The address rows of the text report say what matters at a glance: a
// certificate that does not verify, STARTTLS offered but not tried; and
// the delivery line does not speak of IPv6 shares for a domain without
// IPv6.
func TestCheckTextRowsAndDeliveryLineSayWhatWasSeen(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.10")
	rep := func(tls *smtpprobe.TLSInfo, startTLS bool) *document.Check {
		return &document.Check{
			SchemaVersion: 1,
			Result: discover.Result{Domain: "example.org", MXStatus: "ok", MX: []discover.Exchange{{
				Preference: 10, Host: "mx.example.org", AStatus: "ok", AAAAStatus: "nodata",
				Addresses: []discover.Address{{IP: ip, Family: "ipv4", Class: "public", PTR: []string{"mx.example.org"}, PTRStatus: "ok", FCrDNS: "pass"}},
			}}},
			Probed:   true,
			Probes:   []smtpprobe.Result{{Host: "mx.example.org", IP: ip, Family: "ipv4", Port: 25, Status: "ok", BannerCode: 220, EHLOName: "mx.example.org", StartTLS: startTLS, TLS: tls}},
			Delivery: &document.Delivery{MTA: "Postfix 3.7.11", Defaults: true, Replayed: true, PDelivered: 1},
		}
	}
	cases := []struct {
		name  string
		r     *document.Check
		want  []string
		never []string
	}{
		{"expired certificate", rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: false, VerifyError: "x509: certificate has expired"}, true),
			[]string{"STARTTLS TLS1.3 unverified  EHLO"}, nil},
		{"verified certificate", rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: true}, true),
			[]string{"STARTTLS TLS1.3 "}, []string{"unverified"}},
		{"STARTTLS not tried", func() *document.Check { r := rep(nil, true); r.NoStartTLS = true; return r }(),
			[]string{"STARTTLS offered (not tried)"}, nil},
		{"no IPv6 at all", rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: true}, true),
			[]string{"IPv4 only", "delivered 100%"}, []string{"IPv6 in 0%"}},
		{"DANE failing", func() *document.Check {
			r := rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: true}, true)
			r.Probes[0].DANE = &tlspolicy.DANE{Status: tlspolicy.DANEFail}
			return r
		}(), []string{"STARTTLS TLS1.3  DANE fail  EHLO"}, nil},
		{"no DNSSEC, no MTA-STS, no TLS-RPT: nothing said", func() *document.Check {
			r := rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: true}, true)
			r.Probes[0].DANE = &tlspolicy.DANE{Status: tlspolicy.DANENotSecure}
			r.MTASTS = &tlspolicy.MTASTS{Status: tlspolicy.STSNone}
			r.TLSRPT = &tlspolicy.TLSRPT{Status: tlspolicy.RPTNone}
			return r
		}(), nil, []string{"DANE", "MTA-STS", "TLS-RPT"}},
		{"MTA-STS unreachable over IPv6, TLS-RPT", func() *document.Check {
			r := rep(&smtpprobe.TLSInfo{Version: "TLS1.3", Verified: true}, true)
			r.MTASTS = &tlspolicy.MTASTS{Status: tlspolicy.STSOK, Mode: "enforce", MXCovered: true, Fetch: []tlspolicy.Fetch{
				{Family: "ipv4", IP: "192.0.2.80", Status: "ok"}, {Family: "ipv6", IP: "2001:db8::80", Status: "unreachable"}}}
			r.TLSRPT = &tlspolicy.TLSRPT{Status: tlspolicy.RPTOK, RUA: []string{"mailto:tls@example.org"}}
			return r
		}(), []string{"MTA-STS enforce; policy host: IPv4 192.0.2.80 ok, IPv6 2001:db8::80\n", "  unreachable; covers every MX.", "TLS-RPT reports to mailto:tls@example.org"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := writeAll(t, "text", CheckOptions{}, c.r)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, n := range c.never {
				if strings.Contains(out, n) {
					t.Errorf("unexpected %q in:\n%s", n, out)
				}
			}
		})
	}
}
