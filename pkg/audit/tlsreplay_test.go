package audit

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// simulate runs `simulate --probe` against the domain with these --set
// assignments.
func (d *tlsDomain) simulate(t *testing.T, set ...string) *document.Simulate {
	t.Helper()
	c := &Checker{
		Resolver: func() (dnsq.Resolver, error) { return d.mock, nil },
		RootCAs:  smtptest.CertPool(&d.v4, &d.v6),
		IPv4:     true, IPv6: true, Timeout: 10 * time.Second, Sandbox: true,
	}
	cfg := mta.Config{}
	for i := 0; i+1 < len(set); i += 2 {
		cfg.Set = append(cfg.Set, mta.Assignment{Name: set[i], Value: set[i+1], Source: mta.SourceSet})
	}
	doc, err := c.Simulate(context.Background(), SimulateRequest{Domain: "example.test", Unicode: "example.test", Config: cfg, Probe: true,
		SMTP: smtpprobe.Options{Port: d.port, ConnectTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Replay == nil {
		t.Fatalf("no replay: %v", doc.Notes)
	}
	return doc
}

func findingCodes(fs []report.Finding) string {
	var c []string
	for _, f := range fs {
		c = append(c, f.Code)
	}
	return strings.Join(c, " ")
}

// The IPv6 listener presents a key the TLSA records do not name: a DANE
// Postfix refuses it ("Server certificate not verified") and delivers over
// IPv4 instead, so the messages whose first attempt is IPv6 (one in two)
// are delayed; with room for one address only they are deferred.
func TestSimulateAtDANEReplaysTheIPv6CertificateFailure(t *testing.T) {
	d := newTLSDomain(t, "")
	dane := []string{"smtp_tls_security_level", "dane", "smtp_dns_support_level", "dnssec"}

	doc := d.simulate(t, dane...)
	rp := doc.Replay
	if rp.Outcomes["::1"] != string(mta.OutcomeTLSUntrusted) || rp.Outcomes["127.0.0.1"] != string(mta.OutcomeOK) {
		t.Errorf("outcomes %v, want ::1 refused by DANE and 127.0.0.1 ok", rp.Outcomes)
	}
	tp := rp.TLSPolicy
	if tp == nil || tp.Level != "dane" || tp.PDelayedExact != "1/2" || tp.PDeferredExact != "0" || tp.ByFamily["ipv6"].PDelayedExact != "1/2" || tp.ByFamily["ipv4"].PDelayedExact != "0" {
		t.Fatalf("tls_policy %+v", tp)
	}
	if rp.PDeliveredExact != "1" {
		t.Errorf("delivered %s, want 1", rp.PDeliveredExact)
	}
	if fs := findingsWith(&document.Check{Findings: doc.Findings}, report.CodeTLSPolicyDelays); len(fs) != 1 || !strings.Contains(fs[0].Message, "50% of messages") || !strings.Contains(fs[0].Message, "::1 (tls_untrusted)") {
		t.Errorf("findings %s: %+v", findingCodes(doc.Findings), fs)
	}

	doc = d.simulate(t, append(dane, "smtp_mx_address_limit", "1")...)
	if tp := doc.Replay.TLSPolicy; tp.PDeferredExact != "1/2" || tp.PDelayedExact != "0" || doc.Replay.PDeferredExact != "1/2" {
		t.Errorf("limit 1: tls_policy %+v, deferred %s", tp, doc.Replay.PDeferredExact)
	}
	if c := findingCodes(doc.Findings); !strings.Contains(c, report.CodeTLSPolicyDefers) || strings.Contains(c, report.CodeDeliveryDefers) {
		t.Errorf("limit 1: findings %s, want MC721 and not the generic deferral it explains", c)
	}
}

// At encrypt, an address without STARTTLS is refused ("TLS is required,
// but was not offered by host"); at may the replay is the plain one.
func TestSimulateAtEncryptRefusesTheAddressWithoutSTARTTLS(t *testing.T) {
	d := newTLSDomain(t, "", func(_, v6 *smtptest.Script) { v6.NoTLS = true })
	doc := d.simulate(t, "smtp_tls_security_level", "encrypt")
	if o := doc.Replay.Outcomes["::1"]; o != string(mta.OutcomeTLSNotOffered) {
		t.Errorf("::1 outcome %q, want tls_not_offered", o)
	}
	if tp := doc.Replay.TLSPolicy; tp == nil || tp.ByFamily["ipv6"].PDelayedExact != "1/2" {
		t.Errorf("tls_policy %+v", tp)
	}
	for _, level := range []string{"may", ""} {
		var set []string
		if level != "" {
			set = []string{"smtp_tls_security_level", level}
		}
		doc := d.simulate(t, set...)
		if doc.Replay.TLSPolicy != nil || doc.Replay.Outcomes["::1"] != string(mta.OutcomeOK) || doc.Replay.PDeliveredExact != "1" {
			t.Errorf("level %q: replay %+v", level, doc.Replay)
		}
		if c := findingCodes(doc.Findings); strings.Contains(c, "MC72") {
			t.Errorf("level %q: findings %s", level, c)
		}
	}
}

// check replays at the level its --set gives, over the probes' DANE
// verdicts.
func TestCheckAtDANEReplaysTheProbesDANEVerdicts(t *testing.T) {
	d := newTLSDomain(t, "")
	rep := d.check(t, CheckRequest{MTA: mta.Config{Set: []mta.Assignment{
		{Name: "smtp_tls_security_level", Value: "dane", Source: mta.SourceSet},
		{Name: "smtp_dns_support_level", Value: "dnssec", Source: mta.SourceSet}}}})
	if rep.Simulation == nil || rep.Simulation.Replay == nil || rep.Simulation.Replay.TLSPolicy == nil {
		t.Fatalf("simulation %+v", rep.Simulation)
	}
	if tp := rep.Simulation.Replay.TLSPolicy; tp.ByFamily["ipv6"].PDelayedExact != "1/2" {
		t.Errorf("tls_policy %+v", tp)
	}
	if len(findingsWith(rep, report.CodeTLSPolicyDelays)) != 1 {
		t.Errorf("findings %s, want MC722", findingCodes(rep.Findings))
	}
}

// An address whose STARTTLS the probe did not try is not judged: the
// replay assumes it delivers and a note says so.
func TestMTAOutcomesAtLeavesUntriedSTARTTLSNotJudged(t *testing.T) {
	r := smtpprobe.Result{IP: netip.MustParseAddr("192.0.2.1"), Status: smtpprobe.StatusOK, StartTLS: true}
	out, notes := MTAOutcomesAt([]smtpprobe.Result{r}, mta.TLSLevelEncrypt)
	if out[r.IP] != mta.OutcomeOK || len(notes) != 1 || !strings.Contains(notes[0], "--no-starttls") {
		t.Errorf("%v %q", out, notes)
	}
	r.StartTLS = false
	if out, _ := MTAOutcomesAt([]smtpprobe.Result{r}, mta.TLSLevelEncrypt); out[r.IP] != mta.OutcomeTLSNotOffered {
		t.Errorf("no STARTTLS at encrypt: %v", out)
	}
	if out, _ := MTAOutcomesAt([]smtpprobe.Result{r}, ""); out[r.IP] != mta.OutcomeOK {
		t.Errorf("no STARTTLS at may: %v", out)
	}
}

// The model keeps its own copy of the level names (it imports nothing of
// mailcheck); the adapter hands them to tlspolicy.PostfixAttempt as they
// are, so the two must spell them alike.
func TestTheModelsTLSLevelsAreTlspolicysLevels(t *testing.T) {
	for m, p := range map[string]string{
		mta.TLSLevelNone: tlspolicy.LevelNone, mta.TLSLevelMay: tlspolicy.LevelMay, mta.TLSLevelEncrypt: tlspolicy.LevelEncrypt,
		mta.TLSLevelDANE: tlspolicy.LevelDANE, mta.TLSLevelVerify: tlspolicy.LevelVerify, mta.TLSLevelSecure: tlspolicy.LevelSecure,
	} {
		if m != p {
			t.Errorf("mta %q, tlspolicy %q", m, p)
		}
	}
}

// Each level's refusal becomes its outcome: secure refuses a certificate
// that does not verify for the MX name, dane one that fails its TLSA
// records, and a TLSA lookup error skips the address.
func TestMTAOutcomesAtMapsEachRefusal(t *testing.T) {
	ip := netip.MustParseAddr("2001:db8::1")
	greeted := func(verified bool, dane tlspolicy.DANEStatus) smtpprobe.Result {
		return smtpprobe.Result{IP: ip, Status: smtpprobe.StatusOK, StartTLS: true, StartTLSTried: true,
			TLS: &smtpprobe.TLSInfo{Verified: verified}, DANE: &tlspolicy.DANE{Status: dane}}
	}
	for _, c := range []struct {
		level string
		r     smtpprobe.Result
		want  mta.Outcome
	}{
		{mta.TLSLevelSecure, greeted(false, ""), mta.OutcomeTLSUntrusted},
		{mta.TLSLevelSecure, greeted(true, ""), mta.OutcomeOK},
		{mta.TLSLevelEncrypt, greeted(false, ""), mta.OutcomeOK},
		{mta.TLSLevelDANE, greeted(true, tlspolicy.DANEFail), mta.OutcomeTLSUntrusted},
		{mta.TLSLevelDANE, greeted(false, tlspolicy.DANEPass), mta.OutcomeOK},
		{mta.TLSLevelDANE, greeted(true, tlspolicy.DANELookupError), mta.OutcomeTLSAError},
		{mta.TLSLevelDANE, smtpprobe.Result{IP: ip, Status: smtpprobe.StatusTLSFailed, StartTLS: true, StartTLSTried: true, DANE: &tlspolicy.DANE{Status: tlspolicy.DANENoSTARTTLS}}, mta.OutcomeTLSHandshake},
		{mta.TLSLevelDANE, smtpprobe.Result{IP: ip, Status: smtpprobe.StatusRefused}, mta.OutcomeRefused},
	} {
		if out, notes := MTAOutcomesAt([]smtpprobe.Result{c.r}, c.level); out[ip] != c.want || len(notes) > 0 {
			t.Errorf("%s %+v: %q %q, want %q", c.level, c.r, out[ip], notes, c.want)
		}
	}
}
