package audit

import (
	"context"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// mxDNSSECZone: example.test is signed; its second exchange lives in the
// unsigned example.net; the root answers its NS.
const mxDNSSECZone = "$ORIGIN .\n@ SOA a.root. h 1 1 1 1 1\n@ NS a.root.\n" +
	"example.test. MX 10 mx.example.test.\nexample.test. MX 20 mx.example.net.\n" +
	"mx.example.test. A 192.0.2.1\nmx.example.test. AAAA 2001:db8::1\n" +
	"mx.example.net. A 192.0.2.2\nmx.example.net. AAAA 2001:db8::2\n"

func mxWith(t *testing.T, opts ...dnstest.Option) *Checker {
	t.Helper()
	s := dnstest.New(t, mxDNSSECZone, opts...)
	r, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 2 * time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return &Checker{Resolver: func() (dnsq.Resolver, error) { return r, nil }, IPv4: true, IPv6: true, Timeout: 10 * time.Second}
}

// Behind a validating resolver each lookup gets its AD bit's verdict: the
// signed zone's MX and addresses are secure, the unsigned exchange's are
// insecure.
func TestMXReportsTheDNSSECStatusOfEachLookup(t *testing.T) {
	c := mxWith(t, dnstest.WithSecureRoot(), dnstest.WithSecureZone("example.test."))
	doc, err := c.MX(context.Background(), "example.test", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if doc.DNSSECValidation == nil || !doc.DNSSECValidation.Validates {
		t.Fatalf("validation %+v, want validating", doc.DNSSECValidation)
	}
	got := doc.MXDNSSEC
	for _, x := range doc.MX {
		got += " " + x.Host + ":" + x.ADNSSEC + "/" + x.AAAADNSSEC
	}
	if want := "secure mx.example.test:secure/secure mx.example.net:insecure/insecure"; got != want {
		t.Errorf("dnssec %q, want %q", got, want)
	}
}

// Behind a resolver that does not validate, every lookup is not judged
// (never "insecure"), and the validation says the fix; -4 leaves the AAAA
// lookups, never made, without a status.
func TestMXLeavesDNSSECNotJudgedWhenTheResolverDoesNotValidate(t *testing.T) {
	c := mxWith(t)
	c.IPv6 = false
	doc, err := c.MX(context.Background(), "example.test", "example.test")
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.DNSSECValidation; v == nil || v.Validates || v.Fix != tlspolicy.FixValidatingResolver {
		t.Fatalf("validation %+v", v)
	}
	if doc.MXDNSSEC != string(tlspolicy.DNSSECNotJudged) {
		t.Errorf("mx_dnssec %q", doc.MXDNSSEC)
	}
	for _, x := range doc.MX {
		if x.ADNSSEC != string(tlspolicy.DNSSECNotJudged) || x.AAAADNSSEC != "" {
			t.Errorf("%s: a %q aaaa %q, want not_judged and none", x.Host, x.ADNSSEC, x.AAAADNSSEC)
		}
	}
}
