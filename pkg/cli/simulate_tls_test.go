package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// startDANEDomain serves dane.test: a signed zone under a signed root (so
// that the resolver "validates"), one MX host on 127.0.0.1 and ::1, each
// listener with its own key, and the TLSA record of the IPv4 listener's
// key only. tweak changes the listeners' scripts. It returns the resolver
// address and the SMTP port.
func startDANEDomain(t *testing.T, tweak func(v4, v6 *smtptest.Script)) (resolver, port string) {
	t.Helper()
	year := time.Now().Add(365 * 24 * time.Hour)
	c4, err := smtptest.NewCert(year, "mx.dane.test")
	if err != nil {
		t.Fatal(err)
	}
	c6, err := smtptest.NewCert(year, "mx.dane.test")
	if err != nil {
		t.Fatal(err)
	}
	s4, s6 := smtptest.Script{BannerName: "mx.dane.test", Cert: &c4}, smtptest.Script{BannerName: "mx.dane.test", Cert: &c6}
	if tweak != nil {
		tweak(&s4, &s6)
	}
	port = startDualStack(t, s4, s6)
	spki := sha256.Sum256(c4.Leaf.RawSubjectPublicKeyInfo)
	zone := "$ORIGIN .\n@ SOA a.root. h 1 1 1 1 1\n@ NS a.root.\n" +
		"dane.test. MX 10 mx.dane.test.\nmx.dane.test. A 127.0.0.1\nmx.dane.test. AAAA ::1\n" +
		fmt.Sprintf("_%s._tcp.mx.dane.test. TLSA 3 1 1 %s\n", port, hex.EncodeToString(spki[:]))
	return dnstest.New(t, zone, dnstest.WithSecureZone(".")).Addr4(), port
}

type tlsSimulation struct {
	Replay   *mta.ReplayDoc   `json:"replay"`
	Findings []report.Finding `json:"findings"`
	Notes    []string         `json:"notes"`
}

func simulateTLS(t *testing.T, resolver, port string, args ...string) (tlsSimulation, string) {
	t.Helper()
	base := []string{"simulate", "--resolver", resolver, "--probe", "--port", port, "--connect-timeout", "3s"}
	out, errOut, code := runInProcess(t, context.Background(), "", append(append(base, "-o", "json"), append(args, "dane.test")...)...)
	if code == ExitUsage || code == ExitUndetermined {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d tlsSimulation
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if d.Replay == nil {
		t.Fatalf("no replay: %s", out)
	}
	text, _, _ := runInProcess(t, context.Background(), "", append(base, append(args, "dane.test")...)...)
	return d, text
}

func hasCode(fs []report.Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

// EE mismatch on IPv6 only: at dane the IPv6-first messages (one in two)
// fall back to IPv4, and with smtp_mx_address_limit = 1 they are deferred.
func TestSimulateAtDANEFallsBackToIPv4WhenTheIPv6KeyFailsItsTLSA(t *testing.T) {
	resolver, port := startDANEDomain(t, nil)
	dane := []string{"--set", "smtp_tls_security_level=dane", "--set", "smtp_dns_support_level=dnssec"}

	d, text := simulateTLS(t, resolver, port, dane...)
	if o := d.Replay.Outcomes["::1"]; o != "tls_untrusted" {
		t.Errorf("::1 outcome %q, want tls_untrusted (notes %q)", o, d.Notes)
	}
	tp := d.Replay.TLSPolicy
	if tp == nil || tp.ByFamily["ipv6"].PDelayedExact != "1/2" || tp.PDeferredExact != "0" || d.Replay.PDeliveredExact != "1" {
		t.Fatalf("replay %+v, tls_policy %+v", d.Replay, tp)
	}
	if !hasCode(d.Findings, report.CodeTLSPolicyDelays) {
		t.Errorf("findings %+v, want MC722", d.Findings)
	}
	if !strings.Contains(text, "over IPv6: delayed 1/2 (50.0%), deferred 0") || !strings.Contains(text, "over IPv4: delayed 0, deferred 0") {
		t.Errorf("text does not say it per family:\n%s", text)
	}

	d, _ = simulateTLS(t, resolver, port, append(dane, "--set", "smtp_mx_address_limit=1")...)
	if tp := d.Replay.TLSPolicy; tp == nil || tp.ByFamily["ipv6"].PDeferredExact != "1/2" || d.Replay.PDeferredExact != "1/2" {
		t.Fatalf("limit 1: replay %+v", d.Replay)
	}
	if !hasCode(d.Findings, report.CodeTLSPolicyDefers) {
		t.Errorf("limit 1: findings %+v, want MC721", d.Findings)
	}
}

// No STARTTLS on the IPv6 listener: at encrypt it is refused; at may the
// replay is the one without a TLS level.
func TestSimulateAtEncryptRefusesTheListenerWithoutSTARTTLS(t *testing.T) {
	resolver, port := startDANEDomain(t, func(_, v6 *smtptest.Script) { v6.NoTLS = true })
	d, _ := simulateTLS(t, resolver, port, "--set", "smtp_tls_security_level=encrypt")
	if o := d.Replay.Outcomes["::1"]; o != "tls_not_offered" || d.Replay.TLSPolicy == nil || d.Replay.TLSPolicy.ByFamily["ipv6"].PDelayedExact != "1/2" {
		t.Errorf("encrypt: outcomes %v, tls_policy %+v", d.Replay.Outcomes, d.Replay.TLSPolicy)
	}
	may, _ := simulateTLS(t, resolver, port, "--set", "smtp_tls_security_level=may")
	none, _ := simulateTLS(t, resolver, port)
	a, _ := json.Marshal(may.Replay)
	b, _ := json.Marshal(none.Replay)
	if string(a) != string(b) || may.Replay.TLSPolicy != nil {
		t.Errorf("may changed the replay:\n%s\n%s", a, b)
	}
}
