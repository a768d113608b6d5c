package tlspolicy

import (
	"context"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

func TestDNSSECStatusOfEachKindOfLookup(t *testing.T) {
	for _, c := range []struct {
		res        dnsq.Result
		validating bool
		want       DNSSEC
	}{
		{dnsq.Result{Status: dnsq.StatusOK, Authentic: true}, true, DNSSECSecure},
		{dnsq.Result{Status: dnsq.StatusNXDomain, Authentic: true}, true, DNSSECSecure},
		{dnsq.Result{Status: dnsq.StatusOK}, true, DNSSECInsecure},
		{dnsq.Result{Status: dnsq.StatusServFail}, true, DNSSECBogus},
		{dnsq.Result{Status: dnsq.StatusTimeout}, true, DNSSECIndeterminate},
		{dnsq.Result{Status: dnsq.StatusSkipped}, true, DNSSECNotJudged},
		{dnsq.Result{Status: dnsq.StatusOK, Authentic: true}, false, DNSSECNotJudged},
	} {
		if got := Status(c.res, c.validating); got != c.want {
			t.Errorf("%s AD=%v validating=%v: %s, want %s", c.res.Status, c.res.Authentic, c.validating, got, c.want)
		}
	}
}

func TestAMalformedTLSAAnswerIsALookupErrorNotACrash(t *testing.T) {
	s := dnstest.New(t, "$ORIGIN example.\n@ SOA ns h 1 1 1 1 1\nmx A 192.0.2.1\n"+rootZone,
		dnstest.WithSecureZone("."), dnstest.WithFault("_25._tcp.mx.example.", "TLSA", dnstest.FaultMalformed))
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	set := LookupTLSA(context.Background(), c, Validation{Validates: true}, secureExchange("mx.example."))
	if set.Status != DANELookupError || set.Error == "" {
		t.Fatalf("%+v, want lookup_error with the reason", set)
	}
}
