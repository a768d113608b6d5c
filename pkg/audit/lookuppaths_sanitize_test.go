package audit

import (
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// A gai.conf line keeps what follows its second value (glibc ignores it),
// and the line and the file's name are quoted in reasons and in MC625:
// escape sequences and bidi overrides in either never reach a report.
func TestLookupPathsQuoteAHostileGAIConfSanitised(t *testing.T) {
	name := "/tmp/gai\x1b[2J.conf"
	hostile := "precedence ::ffff:0:0/96 100 \x1b]0;owned\x07\u202eevil\n"
	open := func(string) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(hostile)), nil }
	req, _, err := readGAIInputs(open, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	routes := fixedRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("2001:db8:ff::10")}
	c := &Checker{IPv4: true, IPv6: true, SenderRoutes: routes}
	paths, fs := pathsOf(t, c, req)
	if len(fs) != 1 {
		t.Fatalf("findings %v, want MC625", fs)
	}
	clean := func(what, s string) {
		t.Helper()
		if s != sanitize.Text(s) {
			t.Errorf("%s not sanitised: %q", what, s)
		}
	}
	clean("subject", fs[0].Subject)
	clean("message", fs[0].Message)
	clean("fix", fs[0].Fix)
	for _, p := range paths {
		clean(p.Path+" reason", p.Reason)
	}
	for _, l := range req.Conf.Lines {
		clean("gai.conf line", l.Text)
	}
}
