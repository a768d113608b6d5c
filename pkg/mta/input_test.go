package mta

import (
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

func TestFromDiscoverKeepsOrderStatusesAndNullMXMixing(t *testing.T) {
	r := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK, NullMXMixed: true, MX: []discover.Exchange{{
		Preference: 10, Host: "mx1.example.test", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusServFail,
		Addresses: []discover.Address{{IP: names["a1"]}, {IP: names["a2"]}},
	}}}
	in := FromDiscover(r)
	if !in.NullMX || in.OtherMXUnknown || len(in.MX) != 1 {
		t.Fatalf("input = %+v", in)
	}
	x := in.MX[0]
	if x.AAAAStatus != dnsq.StatusServFail || len(x.A) != 2 || x.A[1] != names["a2"] || len(x.AAAA) != 0 {
		t.Errorf("exchange = %+v", x)
	}
	// Postfix bounces a mixed null MX, Exim uses the other records.
	if d := simulate(t, in, Config{}, Options{}); d.Decision.DSN != "5.1.0" {
		t.Errorf("postfix: %+v", d.Decision)
	}
	if d := simulate(t, in, Config{MTA: Exim}, Options{}); d.Decision.Action != ActionAttempt {
		t.Errorf("exim: %+v", d.Decision)
	}
}

func TestFromDiscoverTreatsNXDOMAINAsAnImplicitMXThatDoesNotResolve(t *testing.T) {
	in := FromDiscover(discover.Result{Domain: "nope.test", MXStatus: dnsq.StatusNXDomain, MX: []discover.Exchange{}})
	if d := simulate(t, in, Config{}, Options{}); d.Decision.Action != ActionBounce || d.Decision.DSN != "5.4.4" {
		t.Errorf("postfix: %+v", d.Decision)
	}
	if d := simulate(t, in, Config{MTA: Exim}, Options{}); d.Decision.Reason != "Unrouteable address" {
		t.Errorf("exim: %+v", d.Decision)
	}
}

func TestFromDiscoverCarriesInvalidTargetNames(t *testing.T) {
	r := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK, MX: []discover.Exchange{
		{Preference: 10, Host: "bad_-.example.test", InvalidName: true, AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusNoData,
			Addresses: []discover.Address{{IP: names["a1"]}}},
	}}
	if d := simulate(t, FromDiscover(r), Config{}, Options{}); d.Decision.DSN != "5.4.4" {
		t.Errorf("decision = %+v, want the 5.4.4 bounce", d.Decision)
	}
}
