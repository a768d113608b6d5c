package smtpprobe

import (
	"context"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

func ok(host, ip, banner, ehlo string, exts ...string) Result {
	a := netip.MustParseAddr(ip)
	return Result{Host: host, IP: a, Family: addr.Family(a), Status: StatusOK, BannerCode: 220,
		BannerName: banner, EHLOName: ehlo, Extensions: exts, StartTLS: contains(exts, "STARTTLS")}
}

func TestCompareReportsWhatDiffersBetweenFamilies(t *testing.T) {
	v4 := ok("mx.example.test", "192.0.2.25", "mx.example.test", "mx.example.test", "PIPELINING", "STARTTLS")
	v4.TLS = &TLSInfo{Fingerprint: "aa"}
	v4b := ok("mx.example.test", "192.0.2.26", "MX.example.test.", "mx.example.test", "STARTTLS", "PIPELINING")
	v4b.TLS = &TLSInfo{Fingerprint: "aa"}
	v6 := ok("mx.example.test", "2001:db8::25", "old.example.test", "old.example.test", "PIPELINING")
	got := Compare([]Result{v4, v4b, v6})
	want := []Difference{
		{Host: "mx.example.test", Field: FieldBannerName, IPv4: []string{"mx.example.test"}, IPv6: []string{"old.example.test"}},
		{Host: "mx.example.test", Field: FieldEHLOName, IPv4: []string{"mx.example.test"}, IPv6: []string{"old.example.test"}},
		{Host: "mx.example.test", Field: FieldExtensions, IPv4: []string{"PIPELINING, STARTTLS"}, IPv6: []string{"PIPELINING"}},
		{Host: "mx.example.test", Field: FieldStartTLS, IPv4: []string{"true"}, IPv6: []string{"false"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Compare =\n%+v\nwant\n%+v", got, want)
	}
}

func TestCompareFindsNothingWhenFamiliesAgree(t *testing.T) {
	v4 := ok("mx.example.test", "192.0.2.25", "mx.example.test", "mx.example.test", "PIPELINING")
	v6 := ok("MX.example.test", "2001:db8::25", "mx.example.test", "mx.example.test", "PIPELINING")
	if d := Compare([]Result{v4, v6}); len(d) != 0 {
		t.Errorf("Compare = %+v, want none", d)
	}
}

func TestCompareIgnoresHostsSeenInOneFamilyAndFailedProbes(t *testing.T) {
	v4 := ok("a.example.test", "192.0.2.25", "a.example.test", "a.example.test")
	other := ok("b.example.test", "2001:db8::25", "x.example.test", "x.example.test")
	failed := Result{Host: "a.example.test", IP: netip.MustParseAddr("2001:db8::26"), Family: "ipv6", Status: StatusTimeout}
	if d := Compare([]Result{v4, other, failed}); len(d) != 0 {
		t.Errorf("Compare = %+v, want none", d)
	}
}

func TestCompareUsesBannerOfRejectingGreeting(t *testing.T) {
	v4 := ok("mx.example.test", "192.0.2.25", "mx.example.test", "mx.example.test")
	v6 := Result{Host: "mx.example.test", IP: netip.MustParseAddr("2001:db8::25"), Family: "ipv6",
		Status: StatusGreeting5xx, BannerCode: 554, BannerName: "postscreen.example.test"}
	d := Compare([]Result{v4, v6})
	if len(d) != 1 || d[0].Field != FieldBannerName {
		t.Errorf("Compare = %+v, want one banner_name difference", d)
	}
}

func TestCheckNamesComparesBannerAndEHLOWithPTRAndMX(t *testing.T) {
	r := ok("mx.example.test", "192.0.2.25", "mx.example.test", "host-192-0-2-25.isp.test")
	r.PTR = []string{"MX.example.test."}
	got := CheckNames([]Result{r})
	if len(got) != 2 {
		t.Fatalf("got %d checks", len(got))
	}
	if !got[0].MatchesPTR || !got[0].MatchesMX || got[0].Field != FieldBannerName {
		t.Errorf("banner check = %+v", got[0])
	}
	if got[1].MatchesPTR || got[1].MatchesMX || got[1].Name != "host-192-0-2-25.isp.test" {
		t.Errorf("ehlo check = %+v", got[1])
	}
	lit := ok("192.0.2.25", "192.0.2.25", "192.0.2.25", "")
	if c := CheckNames([]Result{lit}); len(c) != 1 || c[0].MatchesMX {
		t.Errorf("literal target checks = %+v", c)
	}
}

func TestAllTimedOutSpotsBlockedPort25(t *testing.T) {
	to := Result{Status: StatusTimeout, Phase: PhaseConnect}
	inc := Result{Status: StatusInconclusive, Phase: PhaseConnect}
	tests := []struct {
		name string
		rs   []Result
		want bool
	}{
		{"every address timed out at connect", []Result{to, to}, true},
		{"IPv6 inconclusive, IPv4 timed out", []Result{to, inc}, true},
		{"one answered", []Result{to, {Status: StatusOK}}, false},
		{"banner timeout is a server problem", []Result{to, {Status: StatusTimeout, Phase: PhaseBanner}}, false},
		{"only inconclusive", []Result{inc}, false},
		{"nothing probed", nil, false},
	}
	for _, tt := range tests {
		if got := AllTimedOut(tt.rs); got != tt.want {
			t.Errorf("%s: AllTimedOut = %v, want %v", tt.name, got, tt.want)
		}
	}
	if h := PortBlockedHint(25); !strings.Contains(h, "--port") || !strings.Contains(h, "port 25") {
		t.Errorf("hint = %q", h)
	}
}

func TestParseLineFollowsRFC5321ReplySyntax(t *testing.T) {
	tests := []struct {
		line       string
		code       int
		more       bool
		text       string
		wantParsed bool
	}{
		{"220 mx ESMTP", 220, false, "mx ESMTP", true},
		{"250-PIPELINING", 250, true, "PIPELINING", true},
		{"250", 250, false, "", true},
		{"554 ", 554, false, "", true},
		{"HTTP/1.1 400", 0, false, "", false},
		{"22", 0, false, "", false},
		{"220x", 0, false, "", false},
		{"120 hi", 0, false, "", false},
		{"290 hi", 0, false, "", false},
		{"6xx", 0, false, "", false},
	}
	for _, tt := range tests {
		code, more, text, ok := parseLine(tt.line)
		if ok != tt.wantParsed || code != tt.code || more != tt.more || text != tt.text {
			t.Errorf("parseLine(%q) = %d %v %q %v", tt.line, code, more, text, ok)
		}
	}
}

func TestEnhancedCodeIsTakenFromTheLastLine(t *testing.T) {
	tests := []struct {
		lines []string
		want  string
	}{
		{[]string{"mx", "5.7.1 go away"}, "5.7.1"},
		{[]string{"4.3.2 busy"}, "4.3.2"},
		{[]string{"mx.example ready"}, ""},
		{[]string{"9.1.1 x"}, ""},
		{[]string{"5.1.1000 x"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := (Reply{Lines: tt.lines}).Enhanced(); got != tt.want {
			t.Errorf("Enhanced(%q) = %q, want %q", tt.lines, got, tt.want)
		}
	}
}

func TestParseExtensionsUpperCasesKeywords(t *testing.T) {
	exts, tls := parseExtensions([]string{"mx hi", "size 1000", "starttls", "  ", "AUTH PLAIN login"})
	if !tls || strings.Join(exts, "|") != "SIZE 1000|STARTTLS|AUTH PLAIN login" {
		t.Errorf("got %q starttls %v", exts, tls)
	}
}

func TestUDPRouteCheckerFindsLoopbackRoute(t *testing.T) {
	src, err := UDPRouteChecker{}.CheckRoute(context.Background(), netip.Addr{}, netip.MustParseAddr("127.0.0.1"))
	if err != nil || !src.IsLoopback() {
		t.Fatalf("source %v, err %v", src, err)
	}
}

func TestCheckSourceRejectsAddressesOfTooSmallScope(t *testing.T) {
	tests := []struct {
		src, dst string
		ok       bool
	}{
		{"2001:db8::1", "2001:db8::25", true},
		{"fe80::1", "2001:db8::25", false},
		{"fe80::1", "fe80::2", true},
		{"::1", "2001:db8::25", false},
		{"::1", "::1", true},
		{"::", "2001:db8::25", false},
	}
	for _, tt := range tests {
		err := checkSource(netip.MustParseAddr(tt.src), netip.MustParseAddr(tt.dst))
		if (err == nil) != tt.ok {
			t.Errorf("checkSource(%s, %s) = %v", tt.src, tt.dst, err)
		}
	}
}

func TestCheckSelfBlamesThisHostOnlyWhenEverythingTimedOut(t *testing.T) {
	to4 := Result{Family: "ipv4", Status: StatusTimeout, Phase: PhaseConnect}
	to6 := Result{Family: "ipv6", Status: StatusTimeout, Phase: PhaseConnect}
	inc6 := Result{Family: "ipv6", Status: StatusInconclusive}
	ok4 := Result{Family: "ipv4", Status: StatusOK}

	sc := CheckSelf([]Result{to4, to6})
	if !sc.Port25Blocked["ipv4"] || !sc.Port25Blocked["ipv6"] || len(sc.NoRoute) != 0 {
		t.Errorf("all timed out: %+v", sc)
	}
	sc = CheckSelf([]Result{ok4, to6})
	if len(sc.Port25Blocked) != 0 {
		t.Errorf("IPv6 timing out while IPv4 answers is the domain's problem: %+v", sc)
	}
	sc = CheckSelf([]Result{ok4, inc6, inc6})
	if !sc.NoRoute["ipv6"] || sc.NoRoute["ipv4"] || len(sc.Port25Blocked) != 0 {
		t.Errorf("no IPv6 route: %+v", sc)
	}
}
