package audit

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// fixedRoutes gives every destination of a family one source; an invalid
// source is no route.
type fixedRoutes struct{ v4, v6 netip.Addr }

func (r fixedRoutes) Source(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	if dst.Is4() && r.v4.IsValid() {
		return r.v4, nil
	}
	if dst.Is6() && r.v6.IsValid() {
		return r.v6, nil
	}
	return netip.Addr{}, &netErr{}
}

type netErr struct{}

func (*netErr) Error() string { return "connect: network is unreachable" }

func dualStackMock() *dnsq.Mock {
	return &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"dual.example.": {{Preference: 10, Host: "mx.dual.example."}}},
		A:    map[string][]netip.Addr{"mx.dual.example.": {netip.MustParseAddr("192.0.2.1")}},
		AAAA: map[string][]netip.Addr{"mx.dual.example.": {netip.MustParseAddr("2001:db8::1")}},
	}
}

func pathsOf(t *testing.T, c *Checker, req *NativeRequest) ([]sender.LookupPath, []report.Finding) {
	t.Helper()
	return c.lookupPaths(context.Background(), dualStackMock(), "dual.example", req, nil, nil)
}

func TestLookupPathsFollowThisHostsRoutesAndGAIConf(t *testing.T) {
	routes := fixedRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("2001:db8:ff::10")}
	c := &Checker{IPv4: true, IPv6: true, SenderRoutes: routes}
	paths, fs := pathsOf(t, c, nil)
	if len(paths) != 4 || paths[2].Path != sender.PathGetaddrinfo || paths[2].Family != "ipv6" || len(fs) != 0 {
		t.Fatalf("paths %+v findings %v, want getaddrinfo IPv6 first and nothing to report", paths, fs)
	}
	conf := mta.ParseGAIConf("/etc/gai.conf", []byte("precedence ::ffff:0:0/96 100\n"))
	paths, fs = pathsOf(t, c, &NativeRequest{Conf: conf})
	if paths[2].Family != "ipv4" || len(fs) != 1 || fs[0].Code != report.CodeGAIConfReorders || fs[0].Subject != "/etc/gai.conf:1" {
		t.Fatalf("paths %+v findings %v, want IPv4 first and MC625 on line 1", paths, fs)
	}
	// A gai.conf that changes nothing the domain's addresses see is not
	// reported.
	conf = mta.ParseGAIConf("/etc/gai.conf", []byte("precedence 2002::/16 30\nprecedence ::/0 40\nprecedence ::ffff:0:0/96 10\n"))
	if _, fs = pathsOf(t, c, &NativeRequest{Conf: conf}); len(fs) != 0 {
		t.Errorf("findings %v for a file that keeps glibc's order", fs)
	}
}

func TestLookupPathsReportAULASourceAndNotAMissingRouteTwice(t *testing.T) {
	c := &Checker{IPv4: true, IPv6: true, SenderRoutes: fixedRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("fd00::10")}}
	_, fs := pathsOf(t, c, nil)
	if len(fs) != 1 || fs[0].Code != report.CodeIPv6SourceNotGlobal || !strings.Contains(fs[0].Message, "unique local") {
		t.Fatalf("findings %v, want MC626 for the ULA source", fs)
	}
	c.SenderRoutes = fixedRoutes{v4: netip.MustParseAddr("198.51.100.10")}
	_, fs = pathsOf(t, c, nil)
	if len(fs) != 1 || fs[0].Code != report.CodeIPv6SourceNotGlobal || fs[0].Subject != "dual.example" {
		t.Fatalf("findings %v, want MC626 for the missing IPv6 route", fs)
	}
	noRoute := []report.Finding{report.New(report.CodeSenderNoRoute, "IPv6", "no IPv6 route", "")}
	if _, fs = c.lookupPaths(context.Background(), dualStackMock(), "dual.example", nil, nil, noRoute); len(fs) != 0 {
		t.Errorf("findings %v, want none: the audit said MC623 already", fs)
	}
}

// Sendmail resolves each exchange with gethostbyname2, not getaddrinfo
// (pkg/mta's model and the lab agree: gai.conf plays no part), so MC625
// never names it among the programs a gai.conf line turns around.
func TestMC625NamesOnlyTheProgramsThatReadGAIConf(t *testing.T) {
	routes := fixedRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("2001:db8:ff::10")}
	c := &Checker{IPv4: true, IPv6: true, SenderRoutes: routes}
	conf := mta.ParseGAIConf("/etc/gai.conf", []byte("precedence ::ffff:0:0/96 100\n"))
	_, fs := pathsOf(t, c, &NativeRequest{Conf: conf})
	entry, ok := report.Lookup(report.CodeGAIConfReorders)
	if len(fs) != 1 || !ok {
		t.Fatalf("findings %v, catalogue entry %v: want MC625", fs, ok)
	}
	for what, text := range map[string]string{"message": fs[0].Message, "fix": fs[0].Fix, "catalogue": entry.Explain + " " + entry.Fix} {
		if strings.Contains(text, "Sendmail") {
			t.Errorf("the %s names Sendmail among gai.conf's readers: %s", what, text)
		}
	}
}
