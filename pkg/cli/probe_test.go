package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
)

func TestParseProbeTargetAcceptsWhatUsersPaste(t *testing.T) {
	tests := []struct {
		in, ip, name string
		bad          bool
	}{
		{in: "example.com", name: "example.com"},
		{in: "Example.COM.", name: "example.com"},
		{in: "postmaster@example.com", name: "example.com"},
		{in: "xn--bcher-kva.example", name: "xn--bcher-kva.example"},
		{in: "192.0.2.25", ip: "192.0.2.25"},
		{in: "[192.0.2.25]", ip: "192.0.2.25"},
		{in: "2001:db8::25", ip: "2001:db8::25"},
		{in: "[2001:db8::25]", ip: "2001:db8::25"},
		{in: "[IPv6:2001:db8::25]", ip: "2001:db8::25"},
		{in: "-", bad: true},
		{in: "", bad: true},
		{in: "[mx.example.com]", bad: true},
		{in: "fe80::1%eth0", bad: true},
		{in: "bücher.example", name: "xn--bcher-kva.example"},
		{in: "a..b", bad: true},
		{in: "exa mple.com", bad: true},
		{in: strings.Repeat("a", 64) + ".com", bad: true},
	}
	for _, tt := range tests {
		got, err := target.ParseHostOrIP(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseHostOrIP(%q) = %+v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseHostOrIP(%q): %v", tt.in, err)
			continue
		}
		if tt.ip != "" && got.IP != netip.MustParseAddr(tt.ip) || tt.name != got.Name.ASCII {
			t.Errorf("ParseHostOrIP(%q) = %+v", tt.in, got)
		}
	}
}

// probeEnv runs `mailcheck probe` in-process with a mock resolver and the
// given probe options injected, and returns stdout, stderr and the code.
type probeEnv struct {
	resolver dnsq.Resolver
	dialer   smtpprobe.Dialer
	routes   smtpprobe.RouteChecker
}

func (pr probeEnv) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.NewResolver = func(g *GlobalOptions, trace io.Writer) (dnsq.Resolver, error) {
		if pr.resolver == nil {
			return nil, fmt.Errorf("test: no resolver")
		}
		return pr.resolver, nil
	}
	f.Dialer, f.Routes = pr.dialer, pr.routes
	code := RunWith(context.Background(), f, args)
	return out.String(), errOut.String(), code
}

func decodeProbe(t *testing.T, out string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return doc
}

func probesOf(t *testing.T, doc map[string]any) []map[string]any {
	t.Helper()
	raw, ok := doc["probes"].([]any)
	if !ok {
		t.Fatalf("no probes array in %v", doc)
	}
	var ps []map[string]any
	for _, p := range raw {
		ps = append(ps, p.(map[string]any))
	}
	return ps
}

func TestProbeIPv4LiteralReportsOKAndExitsZero(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	port := fmt.Sprint(srv.Addr().Port())

	out, errOut, code := probeEnv{}.run(t, "probe", "--port", port, "--helo", "client.test", "-o", "json", "127.0.0.1")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	doc := decodeProbe(t, out)
	if doc["schema_version"].(float64) != 1 || doc["target"] != "127.0.0.1" || doc["target_kind"] != "ip" {
		t.Errorf("header fields: %v", doc)
	}
	ps := probesOf(t, doc)
	if len(ps) != 1 || ps[0]["status"] != "ok" || ps[0]["family"] != "ipv4" || ps[0]["banner_name"] != "mx.example.test" {
		t.Fatalf("probes = %v", ps)
	}
	tls := ps[0]["tls"].(map[string]any)
	if tls["version"] != "TLS1.3" || tls["verified"] != false {
		t.Errorf("tls = %v (self-signed: unverified, status still ok)", tls)
	}
	for _, c := range srv.Commands() {
		if strings.HasPrefix(c, "MAIL") || strings.HasPrefix(c, "RCPT") || strings.HasPrefix(c, "DATA") {
			t.Errorf("sent %q", c)
		}
	}

	out, _, code = probeEnv{}.run(t, "probe", "--port", port, "--helo", "client.test", "--no-color", "127.0.0.1")
	if code != ExitOK {
		t.Fatalf("text: exit %d", code)
	}
	for _, want := range []string{"127.0.0.1", "HOST", "ok", "220 mx.example.test", "TLS1.3 unverified"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

// startDualStack starts s4 on 127.0.0.1 and s6 on ::1 on one port, a
// dual-stack MX on loopback, and returns that port as --port takes it. It
// skips the test where ::1 is not available.
func startDualStack(t *testing.T, s4, s6 smtptest.Script) (port string) {
	t.Helper()
	v4, v6, err := smtptest.StartPair(s4, s6)
	if errors.Is(err, smtptest.ErrNoIPv6) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		v4.Close()
		v6.Close()
	})
	return fmt.Sprint(v4.Addr().Port())
}

func TestProbeDualStackDomainComparesFamilies(t *testing.T) {
	port := startDualStack(t,
		smtptest.Script{BannerName: "mx.example.test"},
		smtptest.Script{BannerName: "old.example.test"})
	res := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.test.": {{Preference: 10, Host: "mx.example.test."}}},
		A:    map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("127.0.0.1")}},
		AAAA: map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("::1")}},
		PTR:  map[string][]string{"127.0.0.1": {"localhost."}},
	}
	out, errOut, code := probeEnv{resolver: res}.run(t, "probe", "--port", port,
		"--helo", "client.test", "-o", "json", "example.test")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	doc := decodeProbe(t, out)
	ps := probesOf(t, doc)
	if len(ps) != 2 || ps[0]["family"] != "ipv4" || ps[1]["family"] != "ipv6" ||
		ps[0]["status"] != "ok" || ps[1]["status"] != "ok" || ps[0]["host"] != "mx.example.test" {
		t.Fatalf("probes = %v", ps)
	}
	diffs := doc["differences"].([]any)
	fields := map[string]bool{}
	for _, d := range diffs {
		fields[d.(map[string]any)["field"].(string)] = true
	}
	if !fields["banner_name"] || !fields["ehlo_name"] || !fields["cert"] {
		t.Errorf("differences = %v, want banner_name, ehlo_name and cert", diffs)
	}

	out, _, _ = probeEnv{resolver: res}.run(t, "probe", "--port", port,
		"--helo", "client.test", "--no-color", "example.test")
	for _, want := range []string{"IPv4 and IPv6 answer differently", "banner name: IPv4 mx.example.test; IPv6 old.example.test",
		"is not its PTR (localhost)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}

	// -6 probes only the AAAA.
	out, _, code = probeEnv{resolver: res}.run(t, "probe", "-6", "--port", port,
		"--helo", "client.test", "-o", "json", "example.test")
	if ps := probesOf(t, decodeProbe(t, out)); code != ExitOK || len(ps) != 1 || ps[0]["family"] != "ipv6" {
		t.Errorf("-6: exit %d, probes %v", code, ps)
	}
}

// noIPv6 is a route checker for a host without IPv6 connectivity.
type noIPv6 struct{}

func (noIPv6) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	if dst.Is4() {
		return netip.MustParseAddr("127.0.0.1"), nil
	}
	return netip.Addr{}, &net.OpError{Op: "dial", Net: "udp6", Err: syscall.ENETUNREACH}
}

func TestProbeWithoutIPv6RouteIsInconclusiveNotUnreachable(t *testing.T) {
	res := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.test.": {{Preference: 10, Host: "mx.example.test."}}},
		AAAA: map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("2001:db8::25")}},
	}
	out, errOut, code := probeEnv{resolver: res, routes: noIPv6{}}.run(t, "probe", "--helo", "client.test", "-o", "json", "example.test")
	if code != ExitUndetermined {
		t.Fatalf("exit %d, want 3 (nothing could be judged from here); stderr %s", code, errOut)
	}
	doc := decodeProbe(t, out)
	ps := probesOf(t, doc)
	if len(ps) != 1 || ps[0]["status"] != "inconclusive" || !strings.Contains(ps[0]["error"].(string), "no IPv6 route") {
		t.Fatalf("probes = %v", ps)
	}
	if notes := fmt.Sprint(doc["notes"]); !strings.Contains(notes, "no IPv6 route") {
		t.Errorf("notes = %v", notes)
	}
}

func TestProbeAllTimedOutSuggestsBlockedPort(t *testing.T) {
	blocked := blockingDialer{}
	out, _, code := probeEnv{dialer: blocked, routes: allRoutes{}}.run(t, "probe", "--helo", "client.test",
		"--connect-timeout", "100ms", "-o", "json", "192.0.2.25")
	if code != ExitUndetermined {
		t.Errorf("exit %d, want 3: when every connect times out, port 25 is probably blocked here and nothing is known about the server", code)
	}
	doc := decodeProbe(t, out)
	if doc["all_timed_out"] != true || !strings.Contains(fmt.Sprint(doc["notes"]), "--port") {
		t.Errorf("all_timed_out %v, notes %v", doc["all_timed_out"], doc["notes"])
	}
}

type blockingDialer struct{}

func (blockingDialer) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
}

type allRoutes struct{}

func (allRoutes) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	return dst, nil
}

func TestProbeBadInputExitsTwo(t *testing.T) {
	mock := &dnsq.Mock{}
	for _, args := range [][]string{
		{"probe", "-"},
		{"probe"},
		{"probe", "a", "b"},
		{"probe", "--port", "0", "192.0.2.1"},
		{"probe", "--port", "70000", "192.0.2.1"},
		{"probe", "--connect-timeout", "0s", "192.0.2.1"},
		{"probe", "-4", "2001:db8::1"},
		{"probe", "-6", "192.0.2.1"},
		{"probe", "--source4", "2001:db8::1", "192.0.2.1"},
		{"probe", "--source6", "nonsense", "192.0.2.1"},
		{"probe", "-o", "junit", "192.0.2.1"},
		{"probe", "--helo", "two words", "192.0.2.1"},
	} {
		_, errOut, code := probeEnv{resolver: mock, routes: allRoutes{}, dialer: blockingDialer{}}.run(t, args...)
		if code != ExitUsage || !strings.Contains(errOut, "mailcheck: ") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, errOut)
		}
	}
}

func TestProbeWithNothingToProbeTakesTheDNSVerdict(t *testing.T) {
	tests := []struct {
		name    string
		mock    *dnsq.Mock
		code    int
		says    string
		finding string
	}{
		{"MX lookup timed out: undetermined", &dnsq.Mock{Fail: map[string]dnsq.Status{"MX example.test.": dnsq.StatusTimeout}},
			ExitUndetermined, "MX lookup", ""},
		{"MX lookup SERVFAIL: an answer about the domain", &dnsq.Mock{Fail: map[string]dnsq.Status{"MX example.test.": dnsq.StatusServFail}},
			ExitFindings, "MX lookup", "fail"},
		{"no such domain", &dnsq.Mock{}, ExitFindings, "does not exist", "fail"},
	}
	for _, tt := range tests {
		out, _, code := probeEnv{resolver: tt.mock}.run(t, "probe", "-o", "json", "example.test")
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.name, code, tt.code)
		}
		doc := decodeProbe(t, out)
		if !strings.Contains(fmt.Sprint(doc["notes"]), tt.says) {
			t.Errorf("%s: notes %v do not say %q", tt.name, doc["notes"], tt.says)
		}
		if tt.finding != "" && !strings.Contains(fmt.Sprint(doc["findings"]), "severity:"+tt.finding) {
			t.Errorf("%s: findings %v, want a %s finding", tt.name, doc["findings"], tt.finding)
		}
	}
}

func TestProbeNullMXHasNothingToProbe(t *testing.T) {
	mock := &dnsq.Mock{MX: map[string][]dnsq.MX{"example.test.": {{Preference: 0, Host: "."}}}}
	out, _, code := probeEnv{resolver: mock}.run(t, "probe", "--no-color", "example.test")
	if code != ExitOK || !strings.Contains(out, "Null MX") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestProbeVerboseTranscriptAndTextAreSanitised(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Script{Greeting: smtptest.EscapeGreeting, EHLOName: "\x1b]0;x\x07ehlo.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	out, errOut, code := probeEnv{}.run(t, "probe", "-v", "--port", fmt.Sprint(srv.Addr().Port()), "--helo", "client.test", "--no-color", "127.0.0.1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "> EHLO client.test") || !strings.Contains(errOut, "< 220-") {
		t.Errorf("no transcript on stderr:\n%s", errOut)
	}
	for name, s := range map[string]string{"stdout": out, "stderr": errOut} {
		if strings.ContainsAny(s, "\x1b\x07\x08\u202e") {
			t.Errorf("%s holds escape or control characters: %q", name, s)
		}
	}
	if !strings.Contains(out, "ehlo.test") {
		t.Errorf("EHLO name missing:\n%s", out)
	}
}

func TestProbeRunTimeoutBoundsTheWholeCommand(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Script{Behavior: smtptest.Tarpit})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	begin := time.Now()
	out, _, code := probeEnv{}.run(t, "probe", "--timeout", "300ms", "--port", fmt.Sprint(srv.Addr().Port()), "--helo", "c.test", "-o", "json", "127.0.0.1")
	if el := time.Since(begin); el > 300*time.Millisecond+2*time.Second {
		t.Errorf("took %s with --timeout 300ms", el)
	}
	// The run's deadline, not the server, ended the probe: inconclusive, exit 3.
	if ps := probesOf(t, decodeProbe(t, out)); ps[0]["status"] != "inconclusive" || ps[0]["phase"] != "banner" || code != ExitUndetermined {
		t.Errorf("probe = %v", ps[0])
	}
}

func TestProbeOfALiteralComparesNamesWithItsPTR(t *testing.T) {
	srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.example.test", NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mock := &dnsq.Mock{PTR: map[string][]string{"127.0.0.1": {"host-1.isp.example."}}}
	out, _, code := probeEnv{resolver: mock}.run(t, "probe", "--port", fmt.Sprint(srv.Addr().Port()), "--helo", "c.test", "--no-color", "127.0.0.1")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "banner name mx.example.test is not its PTR (host-1.isp.example)") {
		t.Errorf("no PTR comparison in:\n%s", out)
	}
}
