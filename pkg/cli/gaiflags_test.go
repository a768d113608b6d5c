package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/mta"
)

// hostRoutes is a host described by the source address each family's
// destinations get; an invalid source means no route of that family.
type hostRoutes struct{ v4, v6 netip.Addr }

func (h hostRoutes) Source(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	src := h.v6
	if dst.Is4() {
		src = h.v4
	}
	if !src.IsValid() {
		return netip.Addr{}, errors.New("connect: network is unreachable")
	}
	return src, nil
}

// gaiFiles serves gai.conf files by name; any other name does not exist
// (so the host's own /etc/gai.conf is never read).
func gaiFiles(files map[string]string) func(string) (io.ReadCloser, error) {
	return func(name string) (io.ReadCloser, error) {
		s, ok := files[name]
		if !ok {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return io.NopCloser(strings.NewReader(s)), nil
	}
}

// hostFactory is a Factory on a host with the given routes, interface
// addresses (IP/PREFIXLEN) and files, writing to out and errOut.
func hostFactory(routes hostRoutes, addrs []string, files map[string]string, out, errOut *bytes.Buffer) *Factory {
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut})
	f.Now = time.Now
	f.Open = gaiFiles(files)
	f.SenderRoutes = routes
	f.HostAddrs = func() ([]mta.GAIHostAddr, error) {
		var as []mta.GAIHostAddr
		for _, a := range addrs {
			as = append(as, mta.GAIHostAddr{Prefix: netip.MustParsePrefix(a), IfIndex: 2})
		}
		return as, nil
	}
	return f
}

// runSimulateOnHost runs simulate against the worked-example zone on a
// host with the given routes, addresses and files.
func runSimulateOnHost(t *testing.T, routes hostRoutes, addrs []string, files map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	s := startSimulateZone(t)
	var out, errOut bytes.Buffer
	f := hostFactory(routes, addrs, files, &out, &errOut)
	code = RunWith(context.Background(), f, append([]string{"simulate", "-o", "json", "--resolver", s.Addr4()}, args...))
	return out.String(), errOut.String(), code
}

// gaiJSON is the getaddrinfo part of the simulate document.
type gaiJSON struct {
	Orderings []struct {
		Order []string `json:"order"`
	} `json:"orderings"`
	PFirstIPv6  float64  `json:"p_first_ipv6"`
	Notes       []string `json:"notes"`
	Getaddrinfo *struct {
		Model   string `json:"model"`
		GAIConf *struct {
			Path     string   `json:"path"`
			Default  bool     `json:"default"`
			Warnings []string `json:"warnings"`
			Crash    string   `json:"crash"`
			Lines    []struct {
				Line    int    `json:"line"`
				Keyword string `json:"keyword"`
			} `json:"lines"`
		} `json:"gai_conf"`
		SourceAddrs     []string `json:"source_addrs"`
		SourceAddrsFrom string   `json:"source_addrs_from"`
		Hosts           []struct {
			Host  string `json:"host"`
			Order []struct {
				IP         string `json:"ip"`
				Source     string `json:"source"`
				Precedence int    `json:"precedence"`
			} `json:"order"`
			Decisions []struct {
				Rule       int    `json:"rule"`
				Reason     string `json:"reason"`
				RestsOnTie bool   `json:"rests_on_tie"`
			} `json:"decisions"`
		} `json:"hosts"`
		HappyEyeballs string `json:"happy_eyeballs"`
	} `json:"getaddrinfo"`
}

func decodeGAI(t *testing.T, out string) gaiJSON {
	t.Helper()
	var d gaiJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if d.Getaddrinfo == nil {
		t.Fatalf("no getaddrinfo object:\n%s", out)
	}
	return d
}

var dualStackHost = hostRoutes{v4: netip.MustParseAddr("198.51.100.10"), v6: netip.MustParseAddr("2001:db8:ff::10")}

func TestSimulateGetaddrinfoUsesThisHostsSourcesAndDefaultPolicy(t *testing.T) {
	out, stderr, code := runSimulateOnHost(t, dualStackHost, []string{"198.51.100.10/24", "2001:db8:ff::10/64"}, nil, "--mta", "getaddrinfo", "example.test")
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	d := decodeGAI(t, out)
	g := d.Getaddrinfo
	if g.Model != "glibc" || g.SourceAddrsFrom != "this host" || len(g.SourceAddrs) != 2 || g.GAIConf == nil || !g.GAIConf.Default || g.GAIConf.Path != "/etc/gai.conf" {
		t.Fatalf("inputs %+v / %+v, want this host's addresses and glibc's defaults (no /etc/gai.conf)", g, g.GAIConf)
	}
	if got := strings.Join(d.Orderings[0].Order, " "); !strings.HasPrefix(got, "2001:db8::1 192.0.2.1 2001:db8::2 192.0.2.2") {
		t.Errorf("order %q, want each exchange's global IPv6 address first (glibc precedence 40 > 10)", got)
	}
	h := g.Hosts[0]
	if h.Order[0].Source != "2001:db8:ff::10" || h.Decisions[0].Rule != 6 || !strings.Contains(h.Decisions[0].Reason, "precedence 40") {
		t.Errorf("host %+v, want the source and rule 6", h)
	}
}

func TestSimulateGetaddrinfoReadsGAIConfAndWarnsAboutMalformedLines(t *testing.T) {
	files := map[string]string{"my-gai.conf": "# prefer IPv4\nprecedence ::ffff:0:0/96 100\nlabel ::/0\nscopev4 ::ffff:169.254.0.0 2\n"}
	out, stderr, code := runSimulateOnHost(t, dualStackHost, nil, files,
		"--mta", "getaddrinfo", "--gai-conf", "my-gai.conf", "--source-addr", "198.51.100.10/24", "--source-addr", "2001:db8:ff::10/64", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "warning: my-gai.conf:3:") || !strings.Contains(stderr, "real glibc crashes reading my-gai.conf (line 4)") {
		t.Errorf("stderr %q, want warnings naming file and line and the crash", stderr)
	}
	d := decodeGAI(t, out)
	g := d.Getaddrinfo
	if g.SourceAddrsFrom != "--source-addr" || g.GAIConf.Default || g.GAIConf.Crash == "" || len(g.GAIConf.Warnings) < 2 {
		t.Fatalf("gai_conf %+v from %q, want the file with its warnings and crash", g.GAIConf, g.SourceAddrsFrom)
	}
	if got := strings.Join(d.Orderings[0].Order, " "); !strings.HasPrefix(got, "192.0.2.1 2001:db8::1") {
		t.Errorf("order %q, want IPv4 first (precedence 100)", got)
	}
}

func TestSimulatePostfixNativeWithoutIPv6RouteSaysIPv4FirstAndWhy(t *testing.T) {
	v4only := hostRoutes{v4: netip.MustParseAddr("198.51.100.10")}
	out, stderr, code := runSimulateOnHost(t, v4only, []string{"198.51.100.10/24"}, nil,
		"--set", "smtp_host_lookup=native", "--set", "smtp_randomize_addresses=no", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	d := decodeGAI(t, out)
	if got := strings.Join(d.Orderings[0].Order, " "); got != "192.0.2.1 2001:db8::1 192.0.2.2 2001:db8::2 192.0.2.3" || d.PFirstIPv6 != 0 {
		t.Fatalf("order %q p_first_ipv6 %v, want IPv4 first in each exchange", got, d.PFirstIPv6)
	}
	notes := strings.Join(d.Notes, "\n")
	if !strings.Contains(notes, "IPv4 first, 192.0.2.1 before 2001:db8::1 because rule 1: no source address for 2001:db8::1") {
		t.Errorf("notes %q, want IPv4 first explained by rule 1", notes)
	}
	if d.Getaddrinfo.Hosts[0].Order[1].Source != "" {
		t.Errorf("the IPv6 destination has a source: %+v", d.Getaddrinfo.Hosts[0])
	}
}

func TestSimulateGoClientDescribesHappyEyeballs(t *testing.T) {
	out, stderr, code := runSimulateOnHost(t, dualStackHost, nil, nil, "--mta", "go", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	d := decodeGAI(t, out)
	if d.Getaddrinfo.Model != "go" || d.Getaddrinfo.GAIConf != nil || !strings.Contains(d.Getaddrinfo.HappyEyeballs, "300 ms") {
		t.Fatalf("getaddrinfo %+v, want Go's model", d.Getaddrinfo)
	}
	// mx1 and mx2 share preference 10: Go's LookupMX shuffles them.
	if len(d.Orderings) != 2 {
		t.Errorf("orderings %+v, want two equally likely host orders", d.Orderings)
	}
}

func TestGAIFlagsNeedAModelThatReadsThem(t *testing.T) {
	_, stderr, code := runSimulateOnHost(t, dualStackHost, nil, nil, "--gai-conf", "x.conf", "example.test")
	if code != ExitUsage || !strings.Contains(stderr, "need --mta getaddrinfo") {
		t.Errorf("exit %d stderr %q, want a usage error", code, stderr)
	}
	_, stderr, code = runSimulateOnHost(t, dualStackHost, nil, nil, "--mta", "getaddrinfo", "--gai-conf", "missing.conf", "example.test")
	if code != ExitUsage || !strings.Contains(stderr, "--gai-conf: open missing.conf") {
		t.Errorf("exit %d stderr %q, want the missing file named", code, stderr)
	}
	_, stderr, code = runSimulateOnHost(t, dualStackHost, nil, nil, "--mta", "getaddrinfo", "--source-addr", "here", "example.test")
	if code != ExitUsage || !strings.Contains(stderr, `--source-addr "here"`) {
		t.Errorf("exit %d stderr %q, want a usage error", code, stderr)
	}
}

func TestSimulateTextShowsTheResolverOrderAndItsRules(t *testing.T) {
	out, stderr, code := runSimulateOnHost(t, dualStackHost, []string{"198.51.100.10/24", "2001:db8:ff::10/64"}, nil, "--mta", "getaddrinfo", "-o", "text", "--no-color", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	for _, want := range []string{
		"Resolver order (glibc; sources from this host)",
		"gai.conf: /etc/gai.conf (absent: glibc's default tables)",
		"mx1.example.test: 2001:db8::1 (from 2001:db8:ff::10), 192.0.2.1 (from 198.51.100.10)",
		"2001:db8::1 before 192.0.2.1: rule 6: precedence 40 (2001:db8::1) > 10 (192.0.2.1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// A file of bad lines gives a bounded number of warnings, printed once:
// on stderr (as --zone's), the text report only counting them.
func TestSimulatePrintsTheFirstGAIConfWarningsOnceAndCountsTheRest(t *testing.T) {
	files := map[string]string{"bad.conf": strings.Repeat("x\n", 1000)}
	out, stderr, code := runSimulateOnHost(t, dualStackHost, nil, files, "--mta", "getaddrinfo", "--gai-conf", "bad.conf", "-o", "text", "--no-color", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	if n := strings.Count(stderr, "\n"); n != mta.MaxGAIConfWarnings+1 || !strings.Contains(stderr, "bad.conf: 980 more warnings") {
		t.Errorf("%d stderr lines, want %d warnings and the count of the rest:\n%s", n, mta.MaxGAIConfWarnings, stderr)
	}
	if strings.Contains(out, "bad.conf:1:") || !strings.Contains(out, "1000 warnings (on stderr)") {
		t.Errorf("text report repeats the warnings or does not count them:\n%s", out)
	}
	out, _, _ = runSimulateOnHost(t, dualStackHost, nil, files, "--mta", "getaddrinfo", "--gai-conf", "bad.conf", "example.test")
	var d struct {
		Getaddrinfo struct {
			GAIConf struct {
				Warnings        []string `json:"warnings"`
				WarningsOmitted int      `json:"warnings_omitted"`
			} `json:"gai_conf"`
		} `json:"getaddrinfo"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if g := d.Getaddrinfo.GAIConf; len(g.Warnings) != mta.MaxGAIConfWarnings || g.WarningsOmitted != 980 {
		t.Errorf("JSON lists %d warnings and omits %d, want %d and 980", len(g.Warnings), g.WarningsOmitted, mta.MaxGAIConfWarnings)
	}
}

func TestSimulateReadsAnOversizedGAIConfUpToItsLimitAndSaysSo(t *testing.T) {
	big := "precedence ::ffff:0:0/96 100\n" + strings.Repeat("# padding\n", mta.MaxGAIConfSize/10+1)
	out, stderr, code := runSimulateOnHost(t, dualStackHost, nil, map[string]string{"big.conf": big}, "--mta", "getaddrinfo", "--gai-conf", "big.conf", "example.test")
	if code != ExitOK || !strings.Contains(stderr, "big.conf is longer than") {
		t.Fatalf("exit %d stderr %q, want a warning about the size", code, stderr)
	}
	if d := decodeGAI(t, out); !strings.HasPrefix(strings.Join(d.Orderings[0].Order, " "), "192.0.2.1 ") {
		t.Errorf("order %v, want the first line still read", d.Orderings[0].Order)
	}
}

func TestSimulatePostfixDNSThenNativeKeepsDNSAndNeedsNoGAIFlags(t *testing.T) {
	out, stderr, code := runSimulateOnHost(t, dualStackHost, nil, nil, "--set", "smtp_host_lookup=dns, native", "--set", "smtp_randomize_addresses=no", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	d := decodeGAI(t, out)
	if got := strings.Join(d.Orderings[0].Order, " "); !strings.HasPrefix(got, "192.0.2.1 2001:db8::1") {
		t.Errorf("order %q, want the DNS path's A-then-AAAA order (every host has DNS addresses)", got)
	}
	if len(d.Getaddrinfo.Hosts) != 0 {
		t.Errorf("hosts %+v, want no getaddrinfo order used", d.Getaddrinfo.Hosts)
	}
}

// firstFamilyJSON is simulate's first_family.
type firstFamilyJSON struct {
	FirstFamily *struct {
		Family string  `json:"family"`
		PIPv6  float64 `json:"p_ipv6"`
		Rule   string  `json:"rule"`
		Reason string  `json:"reason"`
	} `json:"first_family"`
}

// With Postfix's defaults (smtp_randomize_addresses = yes) half the first
// attempts go to IPv6, but on a host without an IPv6 route each of them
// fails at once: the first connection is IPv4, by rule 1. Both ways of
// describing such a host say so, in JSON and in text.
func TestSimulateNativeOnAHostWithoutIPv6RouteSaysIPv4FirstByRule1(t *testing.T) {
	v4only := hostRoutes{v4: netip.MustParseAddr("198.51.100.10")}
	for name, run := range map[string]func(format string) (string, string, int){
		"the host's own routes": func(format string) (string, string, int) {
			return runSimulateOnHost(t, v4only, []string{"198.51.100.10/24"}, nil, "--set", "smtp_host_lookup=native", "-o", format, "--no-color", "example.test")
		},
		"--source-addr with an IPv4 address only": func(format string) (string, string, int) {
			return runSimulateOnHost(t, dualStackHost, nil, nil, "--set", "smtp_host_lookup=native", "--source-addr", "198.51.100.10/24", "-o", format, "--no-color", "example.test")
		},
	} {
		out, stderr, code := run("json")
		if code != ExitOK {
			t.Fatalf("%s: exit %d stderr %q", name, code, stderr)
		}
		var d firstFamilyJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
		ff := d.FirstFamily
		if ff == nil || ff.Family != "ipv4" || ff.PIPv6 != 0 || ff.Rule != "rule 1" ||
			!strings.Contains(ff.Reason, "no source address for 2001:db8::1, 2001:db8::2 (no IPv6 route from this host)") ||
			!strings.Contains(ff.Reason, "the first attempt is IPv6 for 50% of messages") {
			t.Errorf("%s: first_family %+v, want IPv4 by rule 1 with the shuffled attempts explained", name, ff)
		}
		text, _, _ := run("text")
		if !strings.Contains(text, "First connection: IPv4 because rule 1: no source address for 2001:db8::1") {
			t.Errorf("%s: text lacks the first connection's family and rule:\n%s", name, text)
		}
	}
}

// On a dual-stack host glibc's own table decides (rule 6), and a gai.conf
// line that turns it around is named in the reason.
func TestSimulateFirstFamilyNamesTheGAIConfLineThatDecided(t *testing.T) {
	args := []string{"--mta", "getaddrinfo", "--source-addr", "198.51.100.10/24", "--source-addr", "2001:db8:ff::10/64"}
	out, _, code := runSimulateOnHost(t, dualStackHost, nil, nil, append(args, "example.test")...)
	var d firstFamilyJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil || code != ExitOK {
		t.Fatalf("exit %d: %v", code, err)
	}
	if ff := d.FirstFamily; ff == nil || ff.Family != "ipv6" || ff.Rule != "rule 6" || strings.Contains(ff.Reason, "line") {
		t.Errorf("first_family %+v, want IPv6 by glibc's built-in precedence", ff)
	}
	files := map[string]string{"gai.conf": "# IPv4 first\nprecedence ::ffff:0:0/96 100\n"}
	out, _, _ = runSimulateOnHost(t, dualStackHost, nil, files, append(args, "--gai-conf", "gai.conf", "example.test")...)
	d = firstFamilyJSON{}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	want := "mx1.example.test: 192.0.2.1 before 2001:db8::1 because rule 6: precedence 100 (192.0.2.1) > 40 (2001:db8::1) (gai.conf line 2: `precedence ::ffff:0:0/96 100`)"
	if ff := d.FirstFamily; ff == nil || ff.Family != "ipv4" || ff.Reason != want {
		t.Errorf("first_family %+v, want reason %q", ff, want)
	}
}
