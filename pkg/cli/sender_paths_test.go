package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// pathsZone: dual.example's one exchange has an IPv4 and an IPv6
// address; v4.example's only IPv4.
const pathsZone = `
$TTL 300
dual.example.      MX   10 mx.dual.example.
mx.dual.example.   A    192.0.2.1
mx.dual.example.   AAAA 2001:db8::1
v4.example.        MX   10 mx.v4.example.
mx.v4.example.     A    192.0.2.2
`

type pathsDoc struct {
	LookupPaths []struct {
		Path   string  `json:"path"`
		Family string  `json:"family"`
		PIPv6  float64 `json:"p_ipv6"`
		Rule   string  `json:"rule"`
		Reason string  `json:"reason"`
	} `json:"lookup_paths"`
	Findings []struct {
		Code, Subject, Message, Fix string
	} `json:"findings"`
}

func (d pathsDoc) path(t *testing.T, name string) (family, rule, reason string) {
	t.Helper()
	for _, p := range d.LookupPaths {
		if p.Path == name {
			return p.Family, p.Rule, p.Reason
		}
	}
	t.Fatalf("no lookup path %q in %+v", name, d.LookupPaths)
	return "", "", ""
}

func (d pathsDoc) finding(code string) (subject, message, fix string, ok bool) {
	for _, f := range d.Findings {
		if f.Code == code {
			return f.Subject, f.Message, f.Fix, true
		}
	}
	return "", "", "", false
}

// runOnHost runs a command against pathsZone on a host with the given
// routes, interface addresses and files (gaiflags_test.go's fakes).
func runOnHost(t *testing.T, routes hostRoutes, addrs []string, files map[string]string, args ...string) (pathsDoc, string, string, int) {
	t.Helper()
	s := dnstest.New(t, pathsZone)
	var out, errOut bytes.Buffer
	f := hostFactory(routes, addrs, files, &out, &errOut)
	code := RunWith(context.Background(), f, append(args, "--resolver", s.Addr4()))
	var d pathsDoc
	if strings.Contains(strings.Join(args, " "), "json") {
		if err := json.Unmarshal(out.Bytes(), &d); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
	}
	return d, out.String(), errOut.String(), code
}

var dualStackAddrs = []string{"198.51.100.10/24", "2001:db8:ff::10/64"}

func TestSenderSaysWhichFamilyEachLookupPathUsesFirstAndWhy(t *testing.T) {
	d, _, stderr, code := runOnHost(t, dualStackHost, dualStackAddrs, nil, "sender", "-o", "json", "--domain", "dual.example")
	if code == ExitUsage || len(d.LookupPaths) != 4 {
		t.Fatalf("exit %d stderr %q paths %+v, want four lookup paths", code, stderr, d.LookupPaths)
	}
	if fam, rule, reason := d.path(t, "postfix-dns"); fam != "either" || rule != "smtp_randomize_addresses" || !strings.Contains(reason, "50%") {
		t.Errorf("postfix-dns: %s by %s (%s), want either, shuffled half and half", fam, rule, reason)
	}
	if fam, rule, reason := d.path(t, "getaddrinfo"); fam != "ipv6" || rule != "rule 6" || !strings.Contains(reason, "precedence 40 (2001:db8::1) > 10 (192.0.2.1)") {
		t.Errorf("getaddrinfo: %s by %s (%s), want IPv6 by glibc's built-in precedence", fam, rule, reason)
	}
	if fam, _, _ := d.path(t, "go"); fam != "ipv6" {
		t.Errorf("go: %s, want IPv6 (RFC 6724's table)", fam)
	}
	for _, code := range []string{"MC625", "MC626"} {
		if _, msg, _, ok := d.finding(code); ok {
			t.Errorf("a dual-stack host with the default policy gets %s: %s", code, msg)
		}
	}
	_, text, _, _ := runOnHost(t, dualStackHost, dualStackAddrs, nil, "sender", "--no-color", "--domain", "dual.example")
	for _, want := range []string{
		"First connection to dual.example's exchanges",
		"  Postfix, smtp_host_lookup = dns: IPv4 or IPv6 (IPv6 50%) because smtp_randomize_addresses = yes",
		"  libc client (getaddrinfo): IPv6 because mx.dual.example: 2001:db8::1 before 192.0.2.1 because rule 6",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

func TestSenderFindsTheGAIConfLineThatPutsIPv4First(t *testing.T) {
	files := map[string]string{"/etc/gai.conf": "# Debian's example, uncommented\nprecedence ::ffff:0:0/96 100\nreload no\n"}
	d, _, _, _ := runOnHost(t, dualStackHost, dualStackAddrs, files, "sender", "-o", "json", "--domain", "dual.example")
	if fam, rule, reason := d.path(t, "getaddrinfo"); fam != "ipv4" || rule != "rule 6" || !strings.Contains(reason, "(/etc/gai.conf line 2: `precedence ::ffff:0:0/96 100`)") {
		t.Errorf("getaddrinfo: %s by %s (%s), want IPv4 by line 2", fam, rule, reason)
	}
	subject, msg, fix, ok := d.finding("MC625")
	if !ok || subject != "/etc/gai.conf:2" || !strings.Contains(msg, "put IPv4 first for dual.example") ||
		!strings.Contains(fix, "comment out line 2 of /etc/gai.conf (`precedence ::ffff:0:0/96 100`)") {
		t.Errorf("MC625 %q %q %q (found %v), want line 2 named with its fix", subject, msg, fix, ok)
	}
	// The same line does not change a destination that has only IPv4.
	d, _, _, _ = runOnHost(t, dualStackHost, dualStackAddrs, files, "sender", "-o", "json", "--domain", "v4.example")
	if _, msg, _, ok := d.finding("MC625"); ok {
		t.Errorf("MC625 for an IPv4-only domain: %s", msg)
	}
}

func TestSenderFindsThatAULAOnlyHostPutsIPv4First(t *testing.T) {
	ula := hostRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("fd00:1::10")}
	d, _, _, _ := runOnHost(t, ula, []string{"198.51.100.10/24", "fd00:1::10/64"}, nil, "sender", "-o", "json", "--domain", "dual.example")
	if fam, rule, _ := d.path(t, "getaddrinfo"); fam != "ipv4" || rule != "rule 5" {
		t.Errorf("getaddrinfo: %s by %s, want IPv4 by rule 5 (the ULA source's label)", fam, rule)
	}
	subject, msg, _, ok := d.finding("MC626")
	if !ok || subject != "fd00:1::10" || !strings.Contains(msg, "rule 5") {
		t.Errorf("MC626 %q %q (found %v), want the ULA source and rule 5", subject, msg, ok)
	}
}

func TestSenderDescribesAHostWithoutIPv6BySourceAddr(t *testing.T) {
	d, _, _, _ := runOnHost(t, dualStackHost, nil, nil, "sender", "-o", "json", "--domain", "dual.example", "--source-addr", "198.51.100.10/24")
	for _, path := range []string{"postfix-dns", "postfix-native", "getaddrinfo"} {
		if fam, rule, reason := d.path(t, path); fam != "ipv4" || !strings.Contains(reason, "no source address for 2001:db8::1") || (path != "postfix-dns") != (rule == "rule 1") {
			t.Errorf("%s: %s by %s (%s), want IPv4 for want of an IPv6 route", path, fam, rule, reason)
		}
	}
	if subject, msg, _, ok := d.finding("MC626"); !ok || subject != "dual.example" || !strings.Contains(msg, "no IPv6 source address") {
		t.Errorf("MC626 %q %q (found %v), want the missing IPv6 route", subject, msg, ok)
	}
}

func TestSenderLookupPathsNeedADomainAndAWholeHost(t *testing.T) {
	_, _, stderr, code := runOnHost(t, dualStackHost, nil, nil, "sender", "--source-addr", "198.51.100.10")
	if code != ExitUsage || !strings.Contains(stderr, "need --domain") {
		t.Errorf("exit %d stderr %q, want a usage error", code, stderr)
	}
	d, _, _, _ := runOnHost(t, dualStackHost, dualStackAddrs, nil, "sender", "-o", "json", "--domain", "dual.example", "--ip", "192.0.2.25")
	if len(d.LookupPaths) != 0 {
		t.Errorf("lookup paths %+v for --ip alone, whose host's routes are unknown", d.LookupPaths)
	}
}

func TestCheckSenderJudgesThisHostsLookupPaths(t *testing.T) {
	ula := hostRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("fd00:1::10")}
	_, out, stderr, code := runOnHost(t, ula, []string{"198.51.100.10/24", "fd00:1::10/64"}, nil, "check", "--dns-only", "--sender", "-o", "json", "dual.example")
	var doc struct {
		Findings []struct{ Code, Subject string } `json:"findings"`
		Sender   pathsDoc                         `json:"sender"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("exit %d stderr %q: %v", code, stderr, err)
	}
	if len(doc.Sender.LookupPaths) != 4 {
		t.Errorf("sender.lookup_paths %+v, want four", doc.Sender.LookupPaths)
	}
	found := false
	for _, f := range doc.Findings {
		found = found || f.Code == "MC626" && f.Subject == "fd00:1::10"
	}
	if !found {
		t.Errorf("findings %+v, want MC626 for the ULA source", doc.Findings)
	}
	// Without --sender the host running the check is not judged.
	_, out, _, _ = runOnHost(t, ula, []string{"198.51.100.10/24", "fd00:1::10/64"}, nil, "check", "--dns-only", "-o", "json", "dual.example")
	if strings.Contains(out, "MC626") || strings.Contains(out, "lookup_paths") {
		t.Errorf("check without --sender judged this host:\n%s", out)
	}
}

// check judges the host its flags describe without the rest of the sender
// audit: the gai.conf line that puts IPv4 first, and a missing IPv6 route.
func TestCheckJudgesTheHostItsGAIFlagsDescribe(t *testing.T) {
	files := map[string]string{"their-gai.conf": "precedence ::ffff:0:0/96 100\n"}
	findings := func(args ...string) map[string]string {
		_, out, stderr, code := runOnHost(t, dualStackHost, nil, files, append([]string{"check", "--dns-only", "-o", "json"}, args...)...)
		var doc struct {
			Findings []struct{ Code, Subject string } `json:"findings"`
			Sender   *struct{}                        `json:"sender"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: exit %d stderr %q: %v", args, code, stderr, err)
		}
		if doc.Sender != nil {
			t.Errorf("%v: a sender audit ran without --sender", args)
		}
		got := map[string]string{}
		for _, f := range doc.Findings {
			got[f.Code] = f.Subject
		}
		return got
	}
	got := findings("--gai-conf", "their-gai.conf", "--source-addr", "198.51.100.10/24", "--source-addr", "2001:db8:ff::10/64", "dual.example")
	if got["MC625"] != "their-gai.conf:1" {
		t.Errorf("findings %v, want MC625 naming their-gai.conf:1", got)
	}
	got = findings("--source-addr", "198.51.100.10/24", "dual.example")
	if got["MC626"] != "dual.example" || got["MC625"] != "" {
		t.Errorf("findings %v, want MC626 for the missing IPv6 route only", got)
	}
	_, _, stderr, code := runOnHost(t, dualStackHost, nil, files, "check", "--dns-only", "--gai-conf", "missing.conf", "dual.example")
	if code != ExitUsage || !strings.Contains(stderr, "--gai-conf: open missing.conf") {
		t.Errorf("exit %d stderr %q, want the missing file named", code, stderr)
	}
}
