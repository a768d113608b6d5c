package tlspolicy

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

var validates = Validation{Validates: true}

// rootZone lets an in-process server answer the validating-resolver probe
// (the root's NS).
const rootZone = "$ORIGIN .\n@ SOA a.root. h 1 1 1 1 1\n@ NS a.root.\n"

// mustCert unwraps a generated certificate; generation fails only when
// the system's random source does.
func mustCert(c tls.Certificate, err error) tls.Certificate {
	if err != nil {
		panic(err)
	}
	return c
}

// pki is a CA, an intermediate and a leaf for mx.example.
type pki struct {
	ca, inter, leaf tls.Certificate
	chain           []*x509.Certificate // leaf, intermediate, CA
}

func newPKI(t *testing.T, names ...string) pki {
	t.Helper()
	later := time.Now().Add(24 * time.Hour)
	var p pki
	p.ca = mustCert(smtptest.NewCert(later, "Test Root"))
	p.inter = mustCert(smtptest.NewCertSignedBy(p.ca, later, true, "Test Intermediate"))
	p.leaf = mustCert(smtptest.NewCertSignedBy(p.inter, later, false, names...))
	p.chain = []*x509.Certificate{p.leaf.Leaf, p.inter.Leaf, p.ca.Leaf}
	return p
}

func spki256(c *x509.Certificate) []byte {
	d := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return d[:]
}

// secureMock is a validating resolver's view of a signed example. zone.
func secureMock(tlsa map[string][]dnsq.TLSA) *dnsq.Mock {
	return &dnsq.Mock{TLSA: tlsa, Secure: []string{"."}}
}

func secureExchange(host string) Exchange {
	return Exchange{Host: host, MXSecure: true, IPv4Secure: true, IPv6Secure: true}
}

func judge(t *testing.T, tlsa []dnsq.TLSA, ex Exchange, p Presented) (TLSASet, DANE) {
	t.Helper()
	r := secureMock(map[string][]dnsq.TLSA{TLSAName(25, ex.Host): tlsa})
	set := LookupTLSA(context.Background(), r, validates, ex)
	return set, Verify(&set, p, time.Now())
}

func presented(family string, chain ...*x509.Certificate) Presented {
	return Presented{Family: family, Tried: true, StartTLS: true, Chain: chain}
}

func TestDANEEEMatchesTheLeafByEverySelectorAndMatchingType(t *testing.T) {
	p := newPKI(t, "mx.example")
	leaf := p.leaf.Leaf
	spki512 := sha512.Sum512(leaf.RawSubjectPublicKeyInfo)
	cert256 := sha256.Sum256(leaf.Raw)
	for _, rec := range []dnsq.TLSA{
		{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(leaf)},
		{Usage: 3, Selector: 1, MatchingType: 2, Data: spki512[:]},
		{Usage: 3, Selector: 0, MatchingType: 1, Data: cert256[:]},
		{Usage: 3, Selector: 0, MatchingType: 0, Data: leaf.Raw},
		{Usage: 3, Selector: 1, MatchingType: 0, Data: leaf.RawSubjectPublicKeyInfo},
	} {
		_, d := judge(t, []dnsq.TLSA{rec}, secureExchange("mx.example."), presented("ipv4", p.chain...))
		if d.Status != DANEPass || d.Matched == nil || d.Matched.Fields() != fmt.Sprintf("3 %d %d", rec.Selector, rec.MatchingType) {
			t.Errorf("3 %d %d: %+v, want pass with that record", rec.Selector, rec.MatchingType, d)
		}
	}
}

func TestDANEEEIgnoresNamesAndDates(t *testing.T) {
	expired := mustCert(smtptest.NewCertValid(time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), "other.invalid"))
	_, d := judge(t, []dnsq.TLSA{{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(expired.Leaf)}},
		secureExchange("mx.example."), presented("ipv6", expired.Leaf))
	if d.Status != DANEPass {
		t.Fatalf("%+v, want pass: RFC 7672 §3.1.1 ignores names and validity for DANE-EE", d)
	}
}

func TestDANEEEMismatchOnOneFamilyFailsThatFamilyOnlyAndSaysWhatToPublish(t *testing.T) {
	good := newPKI(t, "mx.example")
	other := newPKI(t, "mx.example")
	r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx.example.": {{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(good.leaf.Leaf)}}})
	set := LookupTLSA(context.Background(), r, validates, secureExchange("mx.example."))
	v4 := Verify(&set, presented("ipv4", good.chain...), time.Now())
	v6 := Verify(&set, presented("ipv6", other.chain...), time.Now())
	if v4.Status != DANEPass || v6.Status != DANEFail {
		t.Fatalf("ipv4 %s, ipv6 %s; want pass and fail", v4.Status, v6.Status)
	}
	want := "_25._tcp.mx.example. IN TLSA 3 1 1 " + hex.EncodeToString(spki256(other.leaf.Leaf))
	if v6.Publish != want {
		t.Errorf("publish %q, want %q", v6.Publish, want)
	}
	if !strings.Contains(v6.Error, "Server certificate not verified") {
		t.Errorf("error %q does not say what a DANE sender logs", v6.Error)
	}
}

func TestDANETAMatchesAChainCertificateWithTheExchangeName(t *testing.T) {
	p := newPKI(t, "mx.example")
	for _, anchor := range []*x509.Certificate{p.inter.Leaf, p.ca.Leaf} {
		_, d := judge(t, []dnsq.TLSA{{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(anchor)}},
			secureExchange("mx.example."), presented("ipv4", p.chain...))
		if d.Status != DANEPass || d.Matched.Usage != 2 {
			t.Errorf("anchor %s: %+v, want pass by the 2 1 1 record", anchor.Subject.CommonName, d)
		}
	}
}

func TestDANETAFailsWhenTheLeafDoesNotNameTheExchange(t *testing.T) {
	p := newPKI(t, "other.example")
	_, d := judge(t, []dnsq.TLSA{{Usage: 2, Selector: 0, MatchingType: 1, Data: sha(p.ca.Leaf.Raw)}},
		secureExchange("mx.example."), presented("ipv4", p.chain...))
	if d.Status != DANEFail || !strings.Contains(d.Error, "DANE-TA record matched") {
		t.Fatalf("%+v, want fail naming the TA name mismatch", d)
	}
}

func TestDANETAAcceptsTheCNAMETargetAndOneWildcardLabel(t *testing.T) {
	p := newPKI(t, "*.hosting.test")
	r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx7.hosting.test.": {{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(p.ca.Leaf)}}})
	ex := secureExchange("mx.example.")
	ex.CNAMEs = []string{"mx7.hosting.test."}
	set := LookupTLSA(context.Background(), r, validates, ex)
	if set.Base != "mx7.hosting.test" || set.Name != "_25._tcp.mx7.hosting.test" {
		t.Fatalf("base %q name %q, want the CNAME target", set.Base, set.Name)
	}
	if d := Verify(&set, presented("ipv4", p.chain...), time.Now()); d.Status != DANEPass {
		t.Errorf("%+v, want pass: *.hosting.test covers the TLSA base", d)
	}
	deep := newPKI(t, "*.test")
	if d := Verify(&set, presented("ipv4", deep.chain...), time.Now()); d.Status != DANEFail {
		t.Errorf("%+v, want fail: a wildcard covers one label only", d)
	}
}

func TestTLSALookupFallsBackFromTheCNAMETargetToTheExchangeName(t *testing.T) {
	r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx.example.": {{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}}})
	ex := secureExchange("mx.example.")
	ex.CNAMEs = []string{"mx7.hosting.test."}
	set := LookupTLSA(context.Background(), r, validates, ex)
	if set.Status != DANEPass || set.Name != "_25._tcp.mx.example" || len(set.Records) != 1 {
		t.Fatalf("%+v, want the exchange's own records after the target had none", set)
	}
}

func sha(b []byte) []byte {
	d := sha256.Sum256(b)
	return d[:]
}

func TestDANEStatusesBeforeAnyCertificate(t *testing.T) {
	p := newPKI(t, "mx.example")
	ee := []dnsq.TLSA{{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(p.leaf.Leaf)}}
	insecureV6 := secureExchange("mx.example.")
	insecureV6.IPv6Secure = false
	cases := []struct {
		name string
		v    Validation
		ex   Exchange
		tlsa []dnsq.TLSA
		p    Presented
		want DANEStatus
	}{
		{"resolver does not validate", Validation{}, secureExchange("mx.example."), ee, presented("ipv4", p.chain...), DANENotJudged},
		// Postfix smtp_tls_dane_insecure_mx_policy = dane (its default).
		{"insecure MX, secure A, match", validates, Exchange{Host: "mx.example.", IPv4Secure: true}, ee, presented("ipv4", p.chain...), DANEPass},
		{"insecure MX, secure A, another key", validates, Exchange{Host: "mx.example.", IPv4Secure: true}, ee, presented("ipv4", newPKI(t, "mx.example").chain...), DANEFail},
		{"insecure MX, insecure addresses", validates, Exchange{Host: "mx.example."}, ee, presented("ipv4", p.chain...), DANENotSecure},
		{"insecure AAAA, IPv6 address", validates, insecureV6, ee, presented("ipv6", p.chain...), DANENotSecure},
		{"insecure AAAA, IPv4 address", validates, insecureV6, ee, presented("ipv4", p.chain...), DANEPass},
		{"no TLSA", validates, secureExchange("mx.example."), nil, presented("ipv4", p.chain...), DANENoTLSA},
		{"no STARTTLS", validates, secureExchange("mx.example."), ee, Presented{Family: "ipv4", Tried: true}, DANENoSTARTTLS},
		{"handshake failed", validates, secureExchange("mx.example."), ee, Presented{Family: "ipv4", Tried: true, StartTLS: true, HandshakeError: "bad record MAC"}, DANENoSTARTTLS},
		{"--no-starttls", validates, secureExchange("mx.example."), ee, Presented{Family: "ipv4"}, DANENotJudged},
		{"PKIX usages only", validates, secureExchange("mx.example."), []dnsq.TLSA{{Usage: 1, Selector: 1, MatchingType: 1, Data: spki256(p.leaf.Leaf)}}, presented("ipv4", p.chain...), DANEUnusable},
	}
	for _, c := range cases {
		r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx.example.": c.tlsa})
		set := LookupTLSA(context.Background(), r, c.v, c.ex)
		if d := Verify(&set, c.p, time.Now()); d.Status != c.want {
			t.Errorf("%s: %+v, want %s", c.name, d, c.want)
		}
	}
}

func TestTLSALookupFailureIsALookupErrorWithTheExtendedError(t *testing.T) {
	s := dnstest.New(t, "$ORIGIN example.\n@ SOA ns h 1 1 1 1 1\nmx A 192.0.2.1\n"+rootZone,
		dnstest.WithSecureZone("."), dnstest.WithFault("_25._tcp.mx.example.", "TLSA", dnstest.FaultBogus))
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	v := ProbeValidation(context.Background(), c)
	if !v.Validates {
		t.Fatalf("validation %+v, want validating: the root NS carries AD", v)
	}
	set := LookupTLSA(context.Background(), c, v, secureExchange("mx.example."))
	if set.Status != DANELookupError || set.DNSSEC != DNSSECBogus || !strings.Contains(set.Error, "DNSSEC Bogus") {
		t.Fatalf("%+v, want lookup_error, bogus, with the EDE", set)
	}
	if d := Verify(&set, presented("ipv4", newPKI(t, "mx.example").chain...), time.Now()); d.Status != DANELookupError {
		t.Errorf("%+v, want lookup_error: a DANE sender defers", d)
	}
}

func TestDANEAgainstASignedZoneServedInProcess(t *testing.T) {
	p := newPKI(t, "mx.example")
	zone := fmt.Sprintf(`$ORIGIN example.
@ SOA ns h 1 1 1 1 1
@ MX 10 mx
mx A 192.0.2.1
mx AAAA 2001:db8::1
_25._tcp.mx TLSA 3 1 1 %x
`, spki256(p.leaf.Leaf)) + rootZone
	s := dnstest.New(t, zone, dnstest.WithSecureZone("."))
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: time.Second, DNSSECOK: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v := ProbeValidation(ctx, c)
	mx := c.LookupMX(ctx, "example.")
	ex := ExchangeFrom("mx.example.", 25, mx.Result, c.LookupA(ctx, "mx.example.").Result, c.LookupAAAA(ctx, "mx.example.").Result)
	if Status(mx.Result, v.Validates) != DNSSECSecure {
		t.Fatalf("MX lookup %s, want secure", Status(mx.Result, v.Validates))
	}
	set := LookupTLSA(ctx, c, v, ex)
	if d := Verify(&set, presented("ipv6", p.chain...), time.Now()); d.Status != DANEPass {
		t.Fatalf("%+v (set %+v), want pass", d, set)
	}
}

func TestResolverWithoutADIsNotValidating(t *testing.T) {
	s := dnstest.New(t, rootZone)
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	v := ProbeValidation(context.Background(), c)
	if v.Validates || v.Fix != FixValidatingResolver {
		t.Fatalf("%+v, want not validating, with the fix", v)
	}
	if Status(dnsq.Result{Status: dnsq.StatusOK, Authentic: true}, v.Validates) != DNSSECNotJudged {
		t.Error("an AD bit from a non-validating resolver was believed")
	}
}

func TestMalformedTLSARecordsAreTypedAndUnusable(t *testing.T) {
	for _, c := range []struct {
		rec     dnsq.TLSA
		problem string
	}{
		{dnsq.TLSA{Usage: 0, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}, "PKIX-TA"},
		{dnsq.TLSA{Usage: 9, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}, "unknown certificate usage 9"},
		{dnsq.TLSA{Usage: 3, Selector: 7, MatchingType: 1, Data: make([]byte, 32)}, "unknown selector 7"},
		{dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 255, Data: make([]byte, 32)}, "unknown matching type 255"},
		{dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 31)}, "SHA-256 digest has 32 bytes, this one 31"},
		{dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 2}, "SHA-512 digest has 64 bytes, this one 0"},
		{dnsq.TLSA{Usage: 2, Selector: 0, MatchingType: 0, Data: []byte{0x30, 0x82}}, "does not parse"},
		{dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 0}, "empty"},
	} {
		r := NewRecord(c.rec)
		if r.Usable || !strings.Contains(r.Problem, c.problem) {
			t.Errorf("%s: usable %v, problem %q; want unusable with %q", r.Fields(), r.Usable, r.Problem, c.problem)
		}
	}
}

func TestAThousandRecordsAndAFiftyCertificateChainAreJudgedWithPostfixNotes(t *testing.T) {
	later := time.Now().Add(time.Hour)
	ca := mustCert(smtptest.NewCert(later, "Root"))
	chain := []*x509.Certificate{ca.Leaf}
	parent := ca
	for i := 0; i < 48; i++ {
		parent = mustCert(smtptest.NewCertSignedBy(parent, later, true, fmt.Sprintf("Intermediate %d", i)))
		chain = append([]*x509.Certificate{parent.Leaf}, chain...)
	}
	leaf := mustCert(smtptest.NewCertSignedBy(parent, later, false, "mx.example"))
	chain = append([]*x509.Certificate{leaf.Leaf}, chain...)
	if len(chain) != 50 {
		t.Fatalf("chain of %d", len(chain))
	}
	var recs []dnsq.TLSA
	for i := 0; i < 999; i++ {
		recs = append(recs, dnsq.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sha([]byte{byte(i), byte(i >> 8)})})
	}
	recs = append(recs, dnsq.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(ca.Leaf)})
	start := time.Now()
	set, d := judge(t, recs, secureExchange("mx.example."), presented("ipv4", chain...))
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("judging took %v", elapsed)
	}
	if len(set.Records) != 1000 || d.Status != DANEPass || !strings.Contains(d.Note, "number 1000") {
		t.Fatalf("%d records, %+v; want pass by record 1000 with Postfix's limit noted", len(set.Records), d)
	}
	// The same anchor first in the RRset: only the chain depth is beyond Postfix.
	_, d = judge(t, recs[999:], secureExchange("mx.example."), presented("ipv4", chain...))
	if d.Status != DANEPass || !strings.Contains(d.Note, "certificate 50 of the chain") {
		t.Errorf("%+v, want pass with the chain depth noted", d)
	}
	over := append(recs, recs[:5]...)
	if set, _ := judge(t, over, secureExchange("mx.example."), presented("ipv4", chain...)); set.Omitted != 5 || len(set.Records) != MaxTLSARecords {
		t.Errorf("kept %d, omitted %d; want %d and 5", len(set.Records), set.Omitted, MaxTLSARecords)
	}
}

func TestPublishRecordAndRolloverCover(t *testing.T) {
	p := newPKI(t, "mx.example")
	want := "_2525._tcp.mx.example. IN TLSA 3 1 1 " + hex.EncodeToString(spki256(p.leaf.Leaf))
	if got := PublishRecord(2525, "MX.example", p.leaf.Leaf); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	one := NewRecord(dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(p.leaf.Leaf)})
	next := NewRecord(dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: spki256(p.inter.Leaf)})
	ta := NewRecord(dnsq.TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(p.ca.Leaf)})
	if HasRolloverCover([]Record{one}) || HasRolloverCover([]Record{one, one}) {
		t.Error("a single 3 1 1 key counted as rollover cover")
	}
	if !HasRolloverCover([]Record{one, next}) || !HasRolloverCover([]Record{one, ta}) {
		t.Error("a second key or a TA record is rollover cover")
	}
}

func TestTANameMatchingFollowsPostfix(t *testing.T) {
	san := func(names ...string) *x509.Certificate { return &x509.Certificate{DNSNames: names} }
	cnOnly := &x509.Certificate{}
	cnOnly.Subject.CommonName = "mx.example"
	cnWithSAN := san("other.example")
	cnWithSAN.Subject.CommonName = "mx.example"
	for _, c := range []struct {
		cert *x509.Certificate
		ref  string
		want bool
	}{
		{san("MX.Example."), "mx.example.", true},
		{san("*.example"), "mx.example", false}, // under one label only
		{san("*.mail.example"), "mx.mail.example", true},
		{san("*.mail.example"), "a.mx.mail.example", false},
		{san("m*.mail.example"), "mx.mail.example", false}, // no partial wildcards
		{cnOnly, "mx.example", true},                       // CN when there is no DNS SAN
		{cnWithSAN, "mx.example", false},                   // never CN beside a DNS SAN
	} {
		if got := certMatchesName(c.cert, c.ref); got != c.want {
			t.Errorf("%v / CN %q vs %s: %v, want %v", c.cert.DNSNames, c.cert.Subject.CommonName, c.ref, got, c.want)
		}
	}
}

func TestDANETAChecksDatesWhileDANEEEDoesNot(t *testing.T) {
	p := newPKI(t, "mx.example")
	recs := []dnsq.TLSA{{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(p.ca.Leaf)}}
	r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx.example.": recs})
	set := LookupTLSA(context.Background(), r, validates, secureExchange("mx.example."))
	if d := Verify(&set, presented("ipv4", p.chain...), time.Now().Add(48*time.Hour)); d.Status != DANEFail || !strings.Contains(d.Error, "expired") {
		t.Errorf("%+v, want fail: the chain has expired by then", d)
	}
}

func TestDANETAAcceptsTheNextHopDomainAsPostfixDoes(t *testing.T) {
	// Postfix smtp_tls_policy.c dane_init: the match names are the TLSA
	// base domain, then the MX RR's qname (the mail domain) and rname.
	p := newPKI(t, "example.net")
	ta := []dnsq.TLSA{{Usage: 2, Selector: 0, MatchingType: 1, Data: sha(p.ca.Leaf.Raw)}}
	ex := secureExchange("mx.example.")
	_, d := judge(t, ta, ex, presented("ipv4", p.chain...))
	if d.Status != DANEFail || !strings.Contains(d.Error, "the certificate does not name mx.example") {
		t.Fatalf("without a next hop: %+v, want fail naming the one reference name", d)
	}
	ex.NextHop = []string{"mail.example.", "example.net."}
	if _, d := judge(t, ta, ex, presented("ipv6", p.chain...)); d.Status != DANEPass {
		t.Errorf("leaf naming the next hop's canonical name: %+v, want pass", d)
	}
	other := mustCert(smtptest.NewCertSignedBy(p.inter, time.Now().Add(time.Hour), false, "other.example"))
	_, d = judge(t, ta, ex, presented("ipv4", other.Leaf, p.inter.Leaf, p.ca.Leaf))
	if d.Status != DANEFail || !strings.Contains(d.Error, "names none of mx.example, mail.example, example.net") {
		t.Errorf("leaf naming none: %+v, want fail listing the three names", d)
	}
}

func TestDANETARecordsOfTheCNAMETargetDoNotAcceptTheAliasName(t *testing.T) {
	// tls_dane.c tls_dane_resolve: records found at the target make the
	// target the base domain; the alias is not a match name.
	p := newPKI(t, "mx.example")
	r := secureMock(map[string][]dnsq.TLSA{"_25._tcp.mx7.hosting.test.": {{Usage: 2, Selector: 1, MatchingType: 1, Data: spki256(p.ca.Leaf)}}})
	ex := secureExchange("mx.example.")
	ex.CNAMEs = []string{"mx7.hosting.test."}
	set := LookupTLSA(context.Background(), r, validates, ex)
	if d := Verify(&set, presented("ipv4", p.chain...), time.Now()); d.Status != DANEFail {
		t.Fatalf("%+v, want fail: only mx7.hosting.test (and the next hop) may be named", d)
	}
}
