package audit

import (
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

var (
	a1 = netip.MustParseAddr("192.0.2.1")
	a2 = netip.MustParseAddr("192.0.2.2")
	b1 = netip.MustParseAddr("2001:db8::1")
)

func TestMTAInputKeepsOrderStatusesAndNullMXMixing(t *testing.T) {
	r := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK, NullMXMixed: true, MX: []discover.Exchange{{
		Preference: 10, Host: "mx1.example.test", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusServFail,
		Addresses: []discover.Address{{IP: a1}, {IP: a2}},
	}}}
	in := MTAInput(r)
	if !in.NullMX || in.OtherMXUnknown || len(in.MX) != 1 || in.MXStatus != mta.LookupOK {
		t.Fatalf("input = %+v", in)
	}
	x := in.MX[0]
	if x.AAAAStatus != mta.LookupServFail || len(x.A) != 2 || x.A[1] != a2 || len(x.AAAA) != 0 {
		t.Errorf("exchange = %+v", x)
	}
	// Postfix bounces a mixed null MX, Exim uses the other records.
	if d, _ := mta.Simulate(in, mta.Config{}, mta.Options{}); d.Decision.DSN != "5.1.0" {
		t.Errorf("postfix: %+v", d.Decision)
	}
	if d, _ := mta.Simulate(in, mta.Config{MTA: mta.Exim}, mta.Options{}); d.Decision.Action != mta.ActionAttempt {
		t.Errorf("exim: %+v", d.Decision)
	}
}

func TestMTAInputSplitsAddressesByFamilyInAnswerOrder(t *testing.T) {
	r := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK, MX: []discover.Exchange{{
		Preference: 10, Host: "mx1.example.test", AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusOK,
		Addresses: []discover.Address{{IP: a2}, {IP: b1}, {IP: a1}},
	}}}
	x := MTAInput(r).MX[0]
	if len(x.A) != 2 || x.A[0] != a2 || x.A[1] != a1 || len(x.AAAA) != 1 || x.AAAA[0] != b1 {
		t.Errorf("A %v AAAA %v, want [192.0.2.2 192.0.2.1] and [2001:db8::1]", x.A, x.AAAA)
	}
}

func TestMTAInputTreatsNXDOMAINAsAnImplicitMXThatDoesNotResolve(t *testing.T) {
	in := MTAInput(discover.Result{Domain: "nope.test", MXStatus: dnsq.StatusNXDomain, MX: []discover.Exchange{}})
	if d, _ := mta.Simulate(in, mta.Config{}, mta.Options{}); d.Decision.Action != mta.ActionBounce || d.Decision.DSN != "5.4.4" {
		t.Errorf("postfix: %+v", d.Decision)
	}
	if d, _ := mta.Simulate(in, mta.Config{MTA: mta.Exim}, mta.Options{}); d.Decision.Reason != "Unrouteable address" {
		t.Errorf("exim: %+v", d.Decision)
	}
}

func TestMTAInputCarriesInvalidTargetNames(t *testing.T) {
	r := discover.Result{Domain: "example.test", MXStatus: dnsq.StatusOK, MX: []discover.Exchange{
		{Preference: 10, Host: "bad_-.example.test", InvalidName: true, AStatus: dnsq.StatusOK, AAAAStatus: dnsq.StatusNoData,
			Addresses: []discover.Address{{IP: a1}}},
	}}
	if d, _ := mta.Simulate(MTAInput(r), mta.Config{}, mta.Options{}); d.Decision.DSN != "5.4.4" {
		t.Errorf("decision = %+v, want the 5.4.4 bounce", d.Decision)
	}
}

func TestMTALookupStatusMapsEveryResolverStatusToTheSameName(t *testing.T) {
	for _, c := range []struct {
		in   dnsq.Status
		want mta.LookupStatus
	}{
		{dnsq.StatusOK, mta.LookupOK},
		{dnsq.StatusNoData, mta.LookupNoData},
		{dnsq.StatusNXDomain, mta.LookupNXDomain},
		{dnsq.StatusServFail, mta.LookupServFail},
		{dnsq.StatusRefused, mta.LookupRefused},
		{dnsq.StatusTimeout, mta.LookupTimeout},
		{dnsq.StatusError, mta.LookupError},
		{dnsq.StatusSkipped, mta.LookupSkipped},
		{"", ""},
		{"weird", mta.LookupError},
	} {
		got := MTALookupStatus(c.in)
		if got != c.want {
			t.Errorf("MTALookupStatus(%q) = %q, want %q", c.in, got, c.want)
		}
		// The models and the resolver must agree on what is temporary.
		if c.in != "weird" && got.Temporary() != c.in.Temporary() {
			t.Errorf("%q: temporary %v for the model, %v for the resolver", c.in, got.Temporary(), c.in.Temporary())
		}
	}
}

func TestMTAOutcomeMapsEveryProbeStatusToTheSameName(t *testing.T) {
	for _, c := range []struct {
		in   smtpprobe.Status
		want mta.Outcome
	}{
		{smtpprobe.StatusOK, mta.OutcomeOK},
		{smtpprobe.StatusRefused, mta.OutcomeRefused},
		{smtpprobe.StatusTimeout, mta.OutcomeTimeout},
		{smtpprobe.StatusUnreachable, mta.OutcomeUnreachable},
		{smtpprobe.StatusReset, mta.OutcomeReset},
		{smtpprobe.StatusGreeting4xx, mta.OutcomeGreeting4xx},
		{smtpprobe.StatusGreeting5xx, mta.OutcomeGreeting5xx},
		{smtpprobe.StatusNotSMTP, mta.OutcomeNotSMTP},
		{smtpprobe.StatusTLSFailed, mta.OutcomeTLSFailed},
		{smtpprobe.StatusInconclusive, mta.OutcomeInconclusive},
		{"weird", mta.OutcomeInconclusive},
	} {
		if got := MTAOutcome(c.in); got != c.want {
			t.Errorf("MTAOutcome(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMTAOutcomesKeepTheFirstResultPerAddressUnmapped(t *testing.T) {
	mapped := netip.AddrFrom16(a1.As16())
	got := MTAOutcomes([]smtpprobe.Result{
		{IP: mapped, Status: smtpprobe.StatusTimeout},
		{IP: a1, Status: smtpprobe.StatusOK},
		{IP: b1, Status: smtpprobe.StatusGreeting5xx},
		{Status: smtpprobe.StatusOK}, // no address: left out
	})
	if len(got) != 2 || got[a1] != mta.OutcomeTimeout || got[b1] != mta.OutcomeGreeting5xx {
		t.Errorf("outcomes = %v, want 192.0.2.1 timeout and 2001:db8::1 greeting_5xx", got)
	}
}

func TestMTASchemaVersionIsTheReportsSchemaVersion(t *testing.T) {
	if mta.SchemaVersion != report.SchemaVersion {
		t.Errorf("mta.SchemaVersion = %d, report.SchemaVersion = %d", mta.SchemaVersion, report.SchemaVersion)
	}
}
