package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// probeZone serves a dual-stack MX on loopback and the loopback PTRs, so
// that no test query leaves the machine (the literal tests pass --resolver
// too, for the PTR lookup).
const probeZone = `
$TTL 300
dual.example.test.       MX    10 mx.dual.example.test.
mx.dual.example.test.    A     127.0.0.1
mx.dual.example.test.    AAAA  ::1
v4only.example.test.     MX    10 mx.v4only.example.test.
mx.v4only.example.test.  A     127.0.0.1
1.0.0.127.in-addr.arpa.  PTR   mx.dual.example.test.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa. PTR mx.dual.example.test.
`

type probeJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Target        string `json:"target"`
	TargetKind    string `json:"target_kind"`
	Probes        []struct {
		Host       string `json:"host"`
		IP         string `json:"ip"`
		Family     string `json:"family"`
		Status     string `json:"status"`
		Phase      string `json:"phase"`
		BannerName string `json:"banner_name"`
		EHLOName   string `json:"ehlo_name"`
		StartTLS   bool   `json:"starttls"`
		TLS        *struct {
			Version string `json:"version"`
		} `json:"tls"`
		PTR []string `json:"ptr"`
	} `json:"probes"`
	Differences []struct {
		Field string   `json:"field"`
		IPv4  []string `json:"ipv4"`
		IPv6  []string `json:"ipv6"`
	} `json:"differences"`
	Findings []any `json:"findings"`
}

func parseProbeJSON(t *testing.T, stdout string) probeJSON {
	t.Helper()
	var doc probeJSON
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is not a probe JSON document: %v\n%s", err, stdout)
	}
	if doc.SchemaVersion != 1 || doc.Findings == nil {
		t.Errorf("schema_version %d, findings %v", doc.SchemaVersion, doc.Findings)
	}
	return doc
}

func TestProbeBinaryIPv4Literal(t *testing.T) {
	dns := dnstest.New(t, probeZone)
	srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.dual.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	port := fmt.Sprint(srv.Addr().Port())

	stdout, stderr, code := runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", port, "--helo", "client.example.test", "-o", "json", "127.0.0.1")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	doc := parseProbeJSON(t, stdout)
	if doc.Target != "127.0.0.1" || doc.TargetKind != "ip" || len(doc.Probes) != 1 {
		t.Fatalf("document %+v", doc)
	}
	p := doc.Probes[0]
	if p.Status != "ok" || p.Family != "ipv4" || p.BannerName != "mx.dual.example.test" || !p.StartTLS || p.TLS == nil ||
		len(p.PTR) != 1 || p.PTR[0] != "mx.dual.example.test" {
		t.Errorf("probe %+v", p)
	}

	stdout, stderr, code = runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", port, "--helo", "client.example.test", "[127.0.0.1]")
	if code != ExitOK || stderr != "" {
		t.Fatalf("text: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"127.0.0.1", "ok", "220 mx.dual.example.test", "TLS1.3"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b") {
		t.Errorf("colour on a pipe:\n%q", stdout)
	}
	for _, c := range srv.Commands() {
		if v := strings.ToUpper(strings.TrimPrefix(c, "[tls] ")); strings.HasPrefix(v, "MAIL") || strings.HasPrefix(v, "RCPT") || strings.HasPrefix(v, "DATA") {
			t.Errorf("the probe sent %q", c)
		}
	}
}

func TestProbeBinaryIPv6Literal(t *testing.T) {
	if !smtptest.IPv6Available() {
		t.Skip(smtptest.ErrNoIPv6)
	}
	dns := dnstest.New(t, probeZone)
	srv, err := smtptest.Start(smtptest.Script{Listen: "[::1]:0", BannerName: "mx6.dual.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	stdout, stderr, code := runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", fmt.Sprint(srv.Addr().Port()),
		"--helo", "client.example.test", "-o", "json", "[IPv6:::1]")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	doc := parseProbeJSON(t, stdout)
	if len(doc.Probes) != 1 || doc.Probes[0].Status != "ok" || doc.Probes[0].Family != "ipv6" || doc.Probes[0].IP != "::1" ||
		doc.Probes[0].BannerName != "mx6.dual.example.test" {
		t.Fatalf("probes %+v", doc.Probes)
	}
	// -4 with an IPv6 literal is a contradiction: bad input.
	_, stderr, code = runMailcheck(t, "probe", "-4", "::1")
	if code != ExitUsage || !strings.Contains(stderr, "IPv6") {
		t.Errorf("-4 ::1: exit %d, stderr %q", code, stderr)
	}
}

func TestProbeBinaryDualStackDomainShowsBothFamiliesAndTheirDifferences(t *testing.T) {
	dns := dnstest.New(t, probeZone)
	port := startDualStack(t,
		smtptest.Script{BannerName: "mx.dual.example.test"},
		smtptest.Script{BannerName: "old-mx.dual.example.test", NoTLS: true})

	stdout, stderr, code := runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", port, "--helo", "client.example.test", "-o", "json", "dual.example.test")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	doc := parseProbeJSON(t, stdout)
	if doc.Target != "dual.example.test" || doc.TargetKind != "domain" || len(doc.Probes) != 2 {
		t.Fatalf("document %+v", doc)
	}
	if doc.Probes[0].Family != "ipv4" || doc.Probes[1].Family != "ipv6" || doc.Probes[0].Status != "ok" || doc.Probes[1].Status != "ok" ||
		doc.Probes[0].Host != "mx.dual.example.test" {
		t.Errorf("probes %+v", doc.Probes)
	}
	fields := map[string]bool{}
	for _, d := range doc.Differences {
		fields[d.Field] = true
	}
	for _, f := range []string{"banner_name", "ehlo_name", "starttls", "extensions"} {
		if !fields[f] {
			t.Errorf("no %s difference in %+v", f, doc.Differences)
		}
	}

	stdout, _, code = runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", port, "--helo", "client.example.test", "dual.example.test")
	if code != ExitOK {
		t.Fatalf("text: exit %d", code)
	}
	for _, want := range []string{"127.0.0.1", "::1", "IPv4 and IPv6 answer differently",
		"STARTTLS offered: IPv4 true; IPv6 false", "has the loopback address 127.0.0.1: what answers there is this machine", "EHLO name old-mx.dual.example.test is not its PTR (mx.dual.example.test)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, stdout)
		}
	}
}

func TestProbeBinaryTarpitEndsAtTheCommandTimeout(t *testing.T) {
	dns := dnstest.New(t, probeZone)
	srv, err := smtptest.Start(smtptest.Script{Behavior: smtptest.Tarpit})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	begin := time.Now()
	stdout, stderr, code := runMailcheck(t, "probe", "--resolver", dns.Addr4(), "--port", fmt.Sprint(srv.Addr().Port()),
		"--command-timeout", "500ms", "--helo", "c.example.test", "-o", "json", "v4only.example.test")
	elapsed := time.Since(begin)
	if code != ExitFindings {
		t.Fatalf("exit %d, want 1 (a timeout is a definite result, reported through findings), stderr:\n%s", code, stderr)
	}
	doc := parseProbeJSON(t, stdout)
	if len(doc.Probes) != 1 || doc.Probes[0].Status != "timeout" || doc.Probes[0].Phase != "banner" {
		t.Errorf("probes %+v", doc.Probes)
	}
	if elapsed > 500*time.Millisecond+5*time.Second {
		t.Errorf("took %s with --command-timeout 500ms", elapsed)
	}
}

func TestProbeBinaryRejectsBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "-"},
		{"probe", "--port", "0", "127.0.0.1"},
		{"probe", "not a domain"},
	} {
		_, stderr, code := runMailcheck(t, args...)
		if code != ExitUsage || !strings.HasPrefix(stderr, "mailcheck: ") {
			t.Errorf("%q: exit %d, stderr %q", args, code, stderr)
		}
	}
}
