package sender

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// ptr returns a zone line publishing name as the PTR of ip.
func ptr(ip, name string) string {
	return fmt.Sprintf("%s PTR %s\n", addr.ReverseName(netip.MustParseAddr(ip)), name)
}

// testZone holds every case of the sender tests, on documentation
// addresses only.
var testZone = `
$TTL 300
example.org.          SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
example.org.          TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8:1::25 include:_spf.example.net ~all"
_dmarc.example.org.   TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.org"
mail.example.org.     A    192.0.2.25
mail.example.org.     AAAA 2001:db8:1::25
v4only.example.org.   A    192.0.2.27
other.example.org.    AAAA 2001:db8:1::99
other.example.org.    A    192.0.2.99
sub.example.org.      A    192.0.2.25
sub.example.org.      TXT "v=spf1 a -all"

example.net.          SOA ns.example.net. hostmaster.example.net. 1 3600 600 86400 60
_spf.example.net.     TXT "v=spf1 ip6:2001:db8:2::/48 ip4:198.51.100.0/24 -all"
ptrmech.example.net.  TXT "v=spf1 ptr:example.org -all"
mx.example.net.       MX 10 mail.example.org.
mx.example.net.       TXT "v=spf1 mx ?all"

fail.example.         SOA ns.fail.example. hostmaster.fail.example. 1 3600 600 86400 60
fail.example.         TXT "v=spf1 ip4:192.0.2.25 -all"
_dmarc.fail.example.  TXT "v=DMARC1; p=none"
neutral.example.      SOA ns.neutral.example. hostmaster.neutral.example. 1 3600 600 86400 60
neutral.example.      TXT "v=spf1 ip4:192.0.2.25 ?all"
noall.example.        SOA ns.noall.example. hostmaster.noall.example. 1 3600 600 86400 60
noall.example.        TXT "v=spf1 ip4:192.0.2.25"
none.example.         SOA ns.none.example. hostmaster.none.example. 1 3600 600 86400 60
none.example.         A   192.0.2.80
perm.example.         SOA ns.perm.example. hostmaster.perm.example. 1 3600 600 86400 60
perm.example.         TXT "v=spf1 ip4:192.0.2.25 frobnicate:x -all"
_dmarc.perm.example.  TXT "v=DMARC1; p=none"
_dmarc.perm.example.  TXT "v=DMARC1; p=reject"
badmask.example.      SOA ns.badmask.example. hostmaster.badmask.example. 1 3600 600 86400 60
badmask.example.      TXT "v=spf1 ip6:2001:db8::/129 -all"
two.example.          SOA ns.two.example. hostmaster.two.example. 1 3600 600 86400 60
two.example.          TXT "v=spf1 -all"
two.example.          TXT "v=spf1 +all"
temp.example.         SOA ns.temp.example. hostmaster.temp.example. 1 3600 600 86400 60
temp.example.         TXT "v=spf1 ip4:192.0.2.25 include:broken.temp.example -all"
broken.temp.example.  TXT "v=spf1 -all"
_dmarc.temp.example.  TXT "v=DMARC1; p=quarantine"

provider.example.     SOA ns.provider.example. hostmaster.provider.example. 1 3600 600 86400 60
2001-db8-1--28.dyn.provider.example. AAAA 2001:db8:1::28
host-198-51-100-9.pool.provider.example. A 198.51.100.9

bl.example.           SOA ns.bl.example. hostmaster.bl.example. 1 3600 600 86400 60
9.100.51.198.bl.example. A 127.0.0.4
` + addr.ReverseName(netip.MustParseAddr("2001:db8:1::28")) + "bl.example. A 127.0.0.3\n" +
	"25.2.0.192.bl.example. A 127.255.255.254\n" + `
8.b.d.0.1.0.0.2.ip6.arpa. SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
2.0.192.in-addr.arpa.     SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
100.51.198.in-addr.arpa.  SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 60
` + ptr("2001:db8:1::25", "mail.example.org.") +
	ptr("192.0.2.25", "mail.example.org.") +
	ptr("2001:db8:1::27", "v4only.example.org.") +
	ptr("192.0.2.27", "v4only.example.org.") +
	ptr("2001:db8:1::28", "2001-db8-1--28.dyn.provider.example.") +
	ptr("198.51.100.9", "host-198-51-100-9.pool.provider.example.") +
	ptr("2001:db8:1::29", "mail.example.org.")

// strip the "bl.example." suffix artefact: ReverseName ends in ip6.arpa.
func init() {
	testZone = strings.Replace(testZone, "ip6.arpa.bl.example.", "bl.example.", 1)
}

type fixture struct {
	srv *dnstest.Server
	r   dnsq.Resolver
}

func newFixture(t *testing.T, opts ...dnstest.Option) fixture {
	t.Helper()
	s := dnstest.New(t, testZone, opts...)
	// 2001:db8:1::29's reverse lookups fail: temperror.
	s.MustInject(t, addr.ReverseName(netip.MustParseAddr("2001:db8:1::29")), "PTR", dnstest.FaultServFail)
	s.MustInject(t, "broken.temp.example.", "TXT", dnstest.FaultServFail)
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 500 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{srv: s, r: c}
}

func (f fixture) audit(t *testing.T, o Options) *Report {
	t.Helper()
	o.Want4, o.Want6 = true, true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return Audit(ctx, f.r, o)
}

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func codes(fs []report.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

func findingFor(fs []report.Finding, code string) (report.Finding, bool) {
	for _, f := range fs {
		if f.Code == code {
			return f, true
		}
	}
	return report.Finding{}, false
}

func TestAuditReportsMissingIPv6PTRAsRejectedByGmailAndMicrosoft(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::26"), Domain: "example.org"})
	s := rep.Senders[0]
	if s.FCrDNS != iprev.StatusNone || len(s.PTR) != 0 {
		t.Fatalf("fcrdns %s ptr %v, want none", s.FCrDNS, s.PTR)
	}
	g := s.Receivers.Gmail
	if g.Action != ActionReject || g.ReplyCode != 550 || g.EnhancedCode != "5.7.1" || g.Rule != "gmail-ipv6-ptr-auth" {
		t.Errorf("gmail verdict = %+v", g)
	}
	if !strings.Contains(g.Reply, "[2001:db8:1::26]") || !strings.Contains(g.Reply, "IPv6 sending guidelines") {
		t.Errorf("gmail reply = %q", g.Reply)
	}
	m := s.Receivers.Microsoft
	if m.Action != ActionReject || m.EnhancedCode != "5.7.25" || !strings.Contains(m.Reply, "must have reverse DNS record") {
		t.Errorf("microsoft verdict = %+v", m)
	}
	fnd, ok := findingFor(rep.Findings, report.CodeSenderNoPTR)
	if !ok {
		t.Fatalf("no %s in %v", report.CodeSenderNoPTR, codes(rep.Findings))
	}
	rev := addr.ReverseName(netip.MustParseAddr("2001:db8:1::26"))
	for _, want := range []string{rev + " PTR mail.example.org.", "mail.example.org. AAAA 2001:db8:1::26", "smtp_address_preference = ipv4"} {
		if !strings.Contains(fnd.Fix, want) {
			t.Errorf("fix %q lacks %q", fnd.Fix, want)
		}
	}
	// ::26 is not in SPF: ~all decides.
	if s.SPF == nil || s.SPF.Result != "softfail" || s.SPF.Mechanism != "~all" {
		t.Errorf("spf = %+v", s.SPF)
	}
}

func TestAuditReportsPTRThatConfirmsOnlyInTheOtherFamily(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::27", "192.0.2.27")})
	v6, v4 := rep.Senders[0], rep.Senders[1]
	if v6.FCrDNS != iprev.StatusFail || v4.FCrDNS != iprev.StatusPass {
		t.Fatalf("fcrdns v6 %s v4 %s, want fail and pass: the name has only an A record", v6.FCrDNS, v4.FCrDNS)
	}
	fnd, ok := findingFor(rep.Findings, report.CodeSenderPTRNotConfirmed)
	if !ok || fnd.Subject != "2001:db8:1::27" || !strings.Contains(fnd.Fix, "v4only.example.org. AAAA 2001:db8:1::27") {
		t.Errorf("finding = %+v (found %v)", fnd, ok)
	}
	if v6.Receivers.Gmail.Action != ActionReject || v4.Receivers.Gmail.Action != ActionAccept {
		t.Errorf("gmail v6 %s v4 %s, want reject and accept", v6.Receivers.Gmail.Action, v4.Receivers.Gmail.Action)
	}
}

func TestAuditAcceptsAConfirmedAddressWhoseSPFPasses(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::25", "192.0.2.25"), Domain: "example.org", HELO: "mail.example.org"})
	for _, s := range rep.Senders {
		if s.FCrDNS != iprev.StatusPass || !slices.Equal(s.Confirmed, []string{"mail.example.org"}) {
			t.Errorf("%s: fcrdns %s confirmed %v", s.IP, s.FCrDNS, s.Confirmed)
		}
		if s.SPF.Result != "pass" {
			t.Errorf("%s: spf %+v", s.IP, s.SPF)
		}
		if s.Receivers.Gmail.Action != ActionAccept || s.Receivers.Microsoft.Action != ActionAccept {
			t.Errorf("%s: verdicts %+v", s.IP, s.Receivers)
		}
		if !s.HELO.Resolves || !s.HELO.Matches || !s.HELO.PTRMatch {
			t.Errorf("%s: helo %+v", s.IP, s.HELO)
		}
		if s.DMARC == nil || s.DMARC.Policy != "reject" {
			t.Errorf("%s: dmarc %+v", s.IP, s.DMARC)
		}
	}
	// The documentation-range warning is expected on test addresses.
	if report.AtLeast(report.Without(rep.Findings, map[string]bool{report.CodeSenderDocumentation: true}), report.SeverityWarn) {
		t.Errorf("findings on a healthy sender: %v", rep.Findings)
	}
	if rep.Undetermined {
		t.Error("undetermined")
	}
}

func TestAuditFlagsGenericReverseDNS(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::28", "198.51.100.9")})
	for _, s := range rep.Senders {
		if !s.GenericRDNS || s.FCrDNS != iprev.StatusPass {
			t.Errorf("%s: generic %v (%s) fcrdns %s", s.IP, s.GenericRDNS, s.GenericReason, s.FCrDNS)
		}
	}
	n := 0
	for _, fnd := range rep.Findings {
		if fnd.Code == report.CodeSenderPTRGeneric {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d generic findings, want 2: %v", n, codes(rep.Findings))
	}
}

func TestAuditReportsPTRTempErrorAsUndeterminedForThatAddress(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::29")})
	s := rep.Senders[0]
	if s.FCrDNS != iprev.StatusTempError || s.PTRStatus != dnsq.StatusServFail {
		t.Fatalf("fcrdns %s ptr status %s", s.FCrDNS, s.PTRStatus)
	}
	if _, ok := findingFor(rep.Findings, report.CodeSenderPTRTempError); !ok {
		t.Errorf("no temperror finding in %v", codes(rep.Findings))
	}
	if s.Receivers.Gmail.Action != ActionDefer {
		t.Errorf("gmail = %+v, want defer", s.Receivers.Gmail)
	}
	if !rep.Undetermined {
		t.Error("every lookup failed temporarily, want Undetermined")
	}
}

type fakeRoutes map[string]netip.Addr

func (f fakeRoutes) Source(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	if a, ok := f[addr.Family(dst)]; ok {
		return a, nil
	}
	return netip.Addr{}, errors.New("connect: network is unreachable")
}

func TestAuditSkipsPrivateULAAndSharedSourcesAndSaysTheNATHidesThePublicAddress(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		routes fakeRoutes
		kind   string
		hint   string
	}{
		{fakeRoutes{"ipv4": netip.MustParseAddr("172.17.0.2")}, KindPrivate, "Docker"},
		{fakeRoutes{"ipv4": netip.MustParseAddr("100.64.7.1")}, KindShared, "carrier-grade NAT"},
		{fakeRoutes{"ipv6": netip.MustParseAddr("fd42:1:2::5")}, KindULA, "unique local"},
	}
	for _, tc := range cases {
		rep := f.audit(t, Options{Routes: tc.routes, Domain: "example.org"})
		if len(rep.Senders) != 1 {
			t.Fatalf("%v: %d senders", tc.routes, len(rep.Senders))
		}
		s := rep.Senders[0]
		if s.SourceKind != tc.kind || s.Origin != OriginRoute || s.Skipped == "" || s.SPF != nil {
			t.Errorf("%s: kind %s origin %s skipped %q spf %v", s.IP, s.SourceKind, s.Origin, s.Skipped, s.SPF)
		}
		fnd, ok := findingFor(rep.Findings, report.CodeSenderBehindNAT)
		if !ok || !strings.Contains(fnd.Message, tc.hint) || !strings.Contains(fnd.Fix, "--ip") {
			t.Errorf("%s: finding %+v", s.IP, fnd)
		}
		if s.Receivers.Gmail.Action != ActionUnknown {
			t.Errorf("%s: gmail %+v, want unknown", s.IP, s.Receivers.Gmail)
		}
		if !rep.Undetermined {
			t.Errorf("%s: only a NAT'd address was found, want Undetermined", s.IP)
		}
		// The other family has no route: said, not hidden.
		if _, ok := findingFor(rep.Findings, report.CodeSenderNoRoute); !ok {
			t.Errorf("%s: no MC623 for the family without a route: %v", s.IP, codes(rep.Findings))
		}
	}
	if f.srv.Queries(addr.ReverseName(netip.MustParseAddr("172.17.0.2")), "PTR") != 0 {
		t.Error("asked public DNS for the PTR of a private address")
	}
}

func TestAuditChecksTheHELOName(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		helo     string
		ip       string
		code     string // "" for no HELO finding
		resolves bool
		matches  bool
	}{
		{"mail.example.org", "2001:db8:1::25", "", true, true},
		{"mail.example.org", "192.0.2.25", "", true, true},
		{"other.example.org", "2001:db8:1::25", report.CodeHELONotMatching, true, false},
		{"v4only.example.org", "2001:db8:1::25", report.CodeHELONotMatching, true, false},
		{"nx.example.org", "192.0.2.25", report.CodeHELONotResolving, false, false},
		{"localhost", "192.0.2.25", report.CodeHELONotFQDN, false, false},
		{"v4only.example.org", "192.0.2.25", report.CodeHELONotMatching, true, false},
		{"sub.example.org", "192.0.2.25", report.CodeHELONotPTR, true, true},
	}
	for _, tc := range cases {
		rep := f.audit(t, Options{IPs: addrs(tc.ip), HELO: tc.helo})
		h := rep.Senders[0].HELO
		if h == nil || h.Resolves != tc.resolves || h.Matches != tc.matches {
			t.Errorf("%s from %s: helo %+v", tc.helo, tc.ip, h)
		}
		var got []string
		for _, c := range codes(rep.Findings) {
			if c >= report.CodeHELONotResolving && c <= report.CodeHELONotPTR {
				got = append(got, c)
			}
		}
		want := []string(nil)
		if tc.code != "" {
			want = []string{tc.code}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s from %s: HELO findings %v, want %v", tc.helo, tc.ip, got, want)
		}
	}
}

func TestSPFResultAndMechanismForIPv4AndIPv6(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		domain, ip string
		result     string
		mechanism  string
		code       string
	}{
		{"example.org", "2001:db8:1::25", "pass", "ip6:2001:db8:1::25", ""},
		{"example.org", "192.0.2.25", "pass", "ip4:192.0.2.25", ""},
		{"example.org", "2001:db8:2::7", "pass", "include:_spf.example.net", ""},
		{"example.org", "198.51.100.20", "pass", "include:_spf.example.net", ""},
		{"example.org", "2001:db8:9::1", "softfail", "~all", report.CodeSPFSoftFail},
		{"example.org", "203.0.113.1", "softfail", "~all", report.CodeSPFSoftFail},
		{"sub.example.org", "192.0.2.25", "pass", "a", ""},
		{"sub.example.org", "2001:db8:1::25", "fail", "-all", report.CodeSPFFail},
		{"mx.example.net", "2001:db8:1::25", "pass", "mx", ""},
		{"ptrmech.example.net", "2001:db8:1::25", "pass", "ptr:example.org", ""},
		{"fail.example", "2001:db8:1::25", "fail", "-all", report.CodeSPFFail},
		{"fail.example", "192.0.2.99", "fail", "-all", report.CodeSPFFail},
		{"neutral.example", "2001:db8:1::25", "neutral", "?all", report.CodeSPFNeutral},
		{"neutral.example", "192.0.2.99", "neutral", "?all", report.CodeSPFNeutral},
		{"noall.example", "2001:db8:1::25", "neutral", "", report.CodeSPFNeutral},
		{"none.example", "2001:db8:1::25", "none", "", report.CodeSPFNone},
		{"none.example", "192.0.2.25", "none", "", report.CodeSPFNone},
		{"perm.example", "2001:db8:1::25", "permerror", "frobnicate:x", report.CodeSPFPermError},
		{"badmask.example", "2001:db8:1::25", "permerror", "ip6:2001:db8::/129", report.CodeSPFPermError},
		{"perm.example", "192.0.2.99", "permerror", "frobnicate:x", report.CodeSPFPermError},
		{"two.example", "192.0.2.25", "permerror", "", report.CodeSPFPermError},
		{"two.example", "2001:db8:1::25", "permerror", "", report.CodeSPFPermError},
		{"temp.example", "2001:db8:1::25", "temperror", "include:broken.temp.example", report.CodeSPFTempError},
		{"temp.example", "192.0.2.99", "temperror", "include:broken.temp.example", report.CodeSPFTempError},
		{"temp.example", "192.0.2.25", "pass", "ip4:192.0.2.25", ""},
	}
	for _, tc := range cases {
		ip := netip.MustParseAddr(tc.ip)
		s := checkSPF(context.Background(), f.r, ip, tc.domain, "")
		if s.Result != tc.result || s.Mechanism != tc.mechanism {
			t.Errorf("SPF %s for %s = %s by %q, want %s by %q (error %q)", tc.domain, tc.ip, s.Result, s.Mechanism, tc.result, tc.mechanism, s.Error)
		}
		fnd, ok := spfFinding(s, ip, tc.domain)
		if got := fnd.Code; ok != (tc.code != "") || got != tc.code {
			t.Errorf("SPF %s for %s: finding %q, want %q", tc.domain, tc.ip, got, tc.code)
		}
		if tc.result != "pass" && tc.result != "permerror" && tc.result != "temperror" {
			fam := "ip4:"
			if ip.Is6() {
				fam = "ip6:"
			}
			if !strings.Contains(s.Suggested, fam+tc.ip) || !strings.HasPrefix(s.Suggested, "v=spf1 ") {
				t.Errorf("SPF %s for %s: suggested %q", tc.domain, tc.ip, s.Suggested)
			}
		}
	}
}

func TestSuggestedSPFInsertsTheAddressBeforeTheAllTerm(t *testing.T) {
	got := suggestSPF("v=spf1 ip4:192.0.2.25 include:_spf.example.net ~all", netip.MustParseAddr("2001:db8::25"))
	if want := "v=spf1 ip4:192.0.2.25 include:_spf.example.net ip6:2001:db8::25 ~all"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	got = suggestSPF("v=spf1 mx redirect=_spf.example.net", netip.MustParseAddr("192.0.2.9"))
	if want := "v=spf1 mx ip4:192.0.2.9 redirect=_spf.example.net"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDMARCPresentAbsentInvalidAndInheritedFromTheOrganisationalDomain(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		domain         string
		present        bool
		status, policy string
		from           string
		code           string
	}{
		{"example.org", true, "ok", "reject", "example.org", ""},
		{"sub.example.org", true, "ok", "quarantine", "example.org", ""},
		{"fail.example", true, "ok", "none", "fail.example", report.CodeDMARCNone},
		{"none.example", false, "none", "", "", report.CodeDMARCMissing},
		{"perm.example", true, "invalid", "", "perm.example", report.CodeDMARCInvalid},
	}
	for _, tc := range cases {
		d := checkDMARC(context.Background(), f.r, tc.domain)
		if d.Present != tc.present || d.Status != tc.status || d.Policy != tc.policy || d.Domain != tc.from {
			t.Errorf("%s: %+v", tc.domain, d)
		}
		fs := dmarcFindings(tc.domain, d)
		if got := codes(fs); !slices.Equal(got, nonEmpty(tc.code)) {
			t.Errorf("%s: findings %v, want %q", tc.domain, got, tc.code)
		}
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func TestAuditVerdictsForIPv6SPFWithoutPass(t *testing.T) {
	f := newFixture(t)
	// ::25 has a confirmed PTR but fail.example does not authorise it.
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::25"), Domain: "fail.example"})
	s := rep.Senders[0]
	if g := s.Receivers.Gmail; g.Action != ActionReject || g.EnhancedCode != "5.7.1" || !strings.Contains(g.Condition, "DKIM") {
		t.Errorf("gmail = %+v", g)
	}
	if m := s.Receivers.Microsoft; m.Action != ActionDefer || m.ReplyCode != 450 || m.EnhancedCode != "4.7.26" {
		t.Errorf("microsoft = %+v", m)
	}
	fnd, ok := findingFor(rep.Findings, report.CodeSPFFail)
	if !ok || !strings.Contains(fnd.Fix, `fail.example. TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8:1::25 -all"`) {
		t.Errorf("spf finding %+v", fnd)
	}
}

func TestAuditUsesMainCFBindAddressesAndInetProtocols(t *testing.T) {
	f := newFixture(t)
	as, err := mta.ParseMainCF(strings.NewReader(
		"myhostname = mail.example.org\ninet_protocols = ipv6\nsmtp_bind_address6 = 2001:db8:1::25\n"), "main.cf")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMainCF("main.cf", as, "ignored.example")
	if err != nil {
		t.Fatal(err)
	}
	if m.HELOName != "mail.example.org" {
		t.Errorf("smtp_helo_name = %q, want $myhostname expanded", m.HELOName)
	}
	rep := f.audit(t, Options{MainCF: &m, Routes: fakeRoutes{"ipv4": netip.MustParseAddr("192.0.2.25")}})
	if len(rep.Senders) != 1 || rep.Senders[0].IP != netip.MustParseAddr("2001:db8:1::25") || rep.Senders[0].Origin != OriginMainCF {
		t.Fatalf("senders = %+v", rep.Senders)
	}
	if h := rep.Senders[0].HELO; h == nil || h.Origin != "main.cf smtp_helo_name" || !h.Matches {
		t.Errorf("helo = %+v", h)
	}
	if _, ok := findingFor(rep.Findings, report.CodeSenderFamilyDisabled); !ok {
		t.Errorf("inet_protocols = ipv6 not reported: %v", codes(rep.Findings))
	}
}

func TestReadMainCFExpandsReferencesAndDefaults(t *testing.T) {
	as, err := mta.ParseMainCF(strings.NewReader(
		"mydomain = example.org\nsmtp_helo_name = mx.${mydomain}\n"), "main.cf")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMainCF("main.cf", as, "host.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if m.HELOName != "mx.example.org" || m.InetProtocols != "all" || m.SMTPAddressPreference != "any" {
		t.Errorf("%+v", m)
	}
	loop, _ := mta.ParseMainCF(strings.NewReader("a = $b\nb = $a\nsmtp_helo_name = $a\n"), "main.cf")
	if _, err := ReadMainCF("main.cf", loop, "h.example"); err == nil {
		t.Error("a reference loop was accepted")
	}
}

func TestAuditSuggestsSMTPBindAddress6WhenAnotherLocalAddressHasWorkingPTR(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{
		Routes:     fakeRoutes{"ipv6": netip.MustParseAddr("2001:db8:1::26")},
		LocalAddrs: addrs("fe80::1", "2001:db8:1::26", "2001:db8:1::25"),
	})
	fnd, ok := findingFor(rep.Findings, report.CodeSenderNoPTR)
	if !ok || !strings.Contains(fnd.Fix, "smtp_bind_address6 = 2001:db8:1::25") {
		t.Errorf("fix does not suggest smtp_bind_address6: %+v", fnd)
	}
}

func TestDNSBLReportsIPv6ListingsPerSlash64AndRefusalsAsNoVerdict(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("2001:db8:1::28", "198.51.100.9", "192.0.2.25", "2001:db8:1::25"),
		DNSBL: true, DNSBLZones: []string{"bl.example"}})
	want := map[string]string{"2001:db8:1::28": "listed", "198.51.100.9": "listed", "192.0.2.25": "refused", "2001:db8:1::25": "not_listed"}
	for _, s := range rep.Senders {
		if len(s.DNSBL) != 1 || s.DNSBL[0].Status != want[s.IP.String()] {
			t.Errorf("%s: %+v, want %s", s.IP, s.DNSBL, want[s.IP.String()])
		}
	}
	if l := rep.Senders[0].DNSBL[0]; l.Network != "2001:db8:1::/64" || !slices.Equal(l.Codes, []string{"127.0.0.3"}) {
		t.Errorf("IPv6 listing %+v, want network 2001:db8:1::/64", l)
	}
	var listed, refused int
	for _, fnd := range rep.Findings {
		switch fnd.Code {
		case report.CodeDNSBLListed:
			listed++
		case report.CodeDNSBLUnusable:
			refused++
		}
	}
	if listed != 2 || refused != 1 {
		t.Errorf("listed %d refused %d findings: %v", listed, refused, codes(rep.Findings))
	}
}

func TestAuditAsksNoBlocklistUnlessAskedTo(t *testing.T) {
	f := newFixture(t)
	f.audit(t, Options{IPs: addrs("198.51.100.9")})
	if n := f.srv.Queries("9.100.51.198.bl.example.", "A"); n != 0 {
		t.Errorf("%d blocklist queries without --dnsbl", n)
	}
}

func TestAuditIsUndeterminedWhenTheResolverDoesNotAnswer(t *testing.T) {
	s := dnstest.New(t, testZone, dnstest.WithFault("", "", dnstest.FaultDrop))
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 100 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	deadline := 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	rep := Audit(ctx, c, Options{IPs: addrs("2001:db8:1::25"), Domain: "example.org", Want4: true, Want6: true})
	if el := time.Since(start); el > deadline+time.Second {
		t.Errorf("audit took %v, deadline %v", el, deadline)
	}
	if !rep.Undetermined {
		t.Errorf("not undetermined: %+v", rep.Senders[0])
	}
}

func TestAuditWithoutAnyRouteOrAddressIsUndetermined(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{Routes: fakeRoutes{}})
	if !rep.Undetermined || len(rep.Senders) != 0 {
		t.Errorf("undetermined %v senders %d", rep.Undetermined, len(rep.Senders))
	}
	if n := len(rep.Findings); n != 2 {
		t.Errorf("%d findings, want one MC623 per family: %v", n, codes(rep.Findings))
	}
}

func TestAuditOfALoopbackSourceIsADefiniteFailure(t *testing.T) {
	f := newFixture(t)
	rep := f.audit(t, Options{IPs: addrs("::1")})
	if rep.Undetermined || !report.AtLeast(rep.Findings, report.SeverityFail) {
		t.Errorf("undetermined %v findings %v", rep.Undetermined, codes(rep.Findings))
	}
}

func TestKernelRoutesFindsTheLoopbackSourceWithoutSendingAnything(t *testing.T) {
	// Toward 127.0.0.1 the kernel's source is 127.0.0.1: loopback only,
	// no packet leaves (UDP connect sends nothing).
	a, err := KernelRoutes{}.Source(context.Background(), netip.MustParseAddr("127.0.0.1"))
	if err != nil || a != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("source = %v, %v", a, err)
	}
}

func TestSPFResolverMapsLookupStatusesToWhatTheSPFLibraryExpects(t *testing.T) {
	m := &dnsq.Mock{
		A:    map[string][]netip.Addr{"v4.example.": addrs("192.0.2.1")},
		AAAA: map[string][]netip.Addr{"v6.example.": addrs("2001:db8::1")},
		TXT:  map[string][]string{"txt.example.": {"v=spf1 -all"}},
		Fail: map[string]dnsq.Status{"AAAA half.example.": dnsq.StatusServFail, "A slow.example.": dnsq.StatusTimeout},
	}
	ctx := context.Background()
	v6 := spfResolver{r: m, ip: netip.MustParseAddr("2001:db8::25")}
	v4 := spfResolver{r: m, ip: netip.MustParseAddr("192.0.2.25")}
	type dnsError interface {
		Temporary() bool
	}
	isNotFound := func(err error) bool {
		var de *net.DNSError
		return errors.As(err, &de) && de.IsNotFound
	}
	isTemp := func(err error) bool {
		var de dnsError
		return errors.As(err, &de) && de.Temporary()
	}
	if ips, err := v6.LookupIPAddr(ctx, "v6.example"); err != nil || len(ips) != 1 {
		t.Errorf("v6 AAAA: %v %v", ips, err)
	}
	if ips, err := v4.LookupIPAddr(ctx, "v6.example"); err != nil || len(ips) != 0 {
		t.Errorf("an IPv4 client must not ask AAAA: %v %v", ips, err)
	}
	if _, err := v6.LookupIPAddr(ctx, "nowhere.example"); !isNotFound(err) {
		t.Errorf("NXDOMAIN in both families: %v, want not found", err)
	}
	if _, err := v6.LookupIPAddr(ctx, "half.example"); !isTemp(err) {
		t.Errorf("A NXDOMAIN with AAAA SERVFAIL: %v, want temporary", err)
	}
	if _, err := v4.LookupIPAddr(ctx, "slow.example"); !isTemp(err) {
		t.Errorf("A timeout: %v, want temporary", err)
	}
	if txt, err := v4.LookupTXT(ctx, "txt.example"); err != nil || len(txt) != 1 {
		t.Errorf("TXT: %v %v", txt, err)
	}
	if txt, err := v4.LookupTXT(ctx, "v4.example"); err != nil || len(txt) != 0 {
		t.Errorf("NODATA must be an empty answer without error: %v %v", txt, err)
	}
}

func TestSuggestedPTRNameIsNeverALocalName(t *testing.T) {
	cases := []struct {
		helo, domain string
		confirmed    []string
		want         string
	}{
		{"mail.example.org", "example.org", nil, "mail.example.org"},
		{"localhost.localdomain", "example.org", nil, "mail.example.org"},
		{"mx.home.arpa", "", nil, "mail.example.com"},
		{"host", "example.net", nil, "mail.example.net"},
		{"mail.example.org", "example.org", []string{"smtp.example.org"}, "smtp.example.org"},
	}
	for _, tc := range cases {
		if got := suggestedName(tc.helo, tc.domain, tc.confirmed); got != tc.want {
			t.Errorf("suggestedName(%q, %q, %v) = %q, want %q", tc.helo, tc.domain, tc.confirmed, got, tc.want)
		}
	}
}
