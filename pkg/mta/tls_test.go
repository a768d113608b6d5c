package mta

import (
	"strings"
	"testing"
)

// At dane, an IPv6 certificate that fails its TLSA records turns every
// message whose first attempt is IPv6 into a later delivery over IPv4, and,
// with room for one address only, into a deferral; nothing is blamed on
// IPv4.
func TestReplayCountsMessagesThatTLSPolicyDelaysOrDefers(t *testing.T) {
	dane := []string{"smtp_tls_security_level", "dane", "smtp_dns_support_level", "dnssec"}
	v6Fails := outcomes("b1", string(OutcomeTLSUntrusted), "b2", string(OutcomeTLSUntrusted))
	for _, c := range []struct {
		name                              string
		set                               []Assignment
		delayed, deferred, delivered, def string
	}{
		{"every address within the limit", sets(dane...), "1/2", "0", "1", "0"},
		{"one address only", sets(append(dane, "smtp_mx_address_limit", "1")...), "0", "1/2", "1/2", "1/2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := simulate(t, example(), Config{Set: c.set}, Options{Outcomes: v6Fails}).Replay
			if r.PDeliveredExact != c.delivered || r.PDeferredExact != c.def {
				t.Errorf("delivered %s deferred %s, want %s %s", r.PDeliveredExact, r.PDeferredExact, c.delivered, c.def)
			}
			tp := r.TLSPolicy
			if tp == nil || tp.Level != TLSLevelDANE {
				t.Fatalf("tls_policy %+v, want level dane", tp)
			}
			if tp.PDelayedExact != c.delayed || tp.PDeferredExact != c.deferred {
				t.Errorf("delayed %s deferred %s, want %s %s", tp.PDelayedExact, tp.PDeferredExact, c.delayed, c.deferred)
			}
			if v6 := tp.ByFamily["ipv6"]; v6 != tp.TLSShare {
				t.Errorf("IPv6 share %+v, want all of %+v", v6, tp.TLSShare)
			}
			if v4 := tp.ByFamily["ipv4"]; v4.PDelayedExact != "0" || v4.PDeferredExact != "0" {
				t.Errorf("IPv4 share %+v, want none", v4)
			}
		})
	}
}

// A refused attempt on both families counts in both, and once in all.
func TestReplayBlamesEachFamilyWhoseAttemptTLSPolicyRefused(t *testing.T) {
	out := outcomes("a1", string(OutcomeTLSNotOffered), "b1", string(OutcomeTLSNotOffered), "a2", string(OutcomeTLSNotOffered), "b2", string(OutcomeTLSNotOffered))
	r := simulate(t, example(), Config{Set: sets("smtp_tls_security_level", "encrypt")}, Options{Outcomes: out}).Replay
	// mx3's a3 delivers once all four preference-10 addresses failed.
	tp := r.TLSPolicy
	if r.PDeliveredExact != "1" || tp.PDelayedExact != "1" || tp.ByFamily["ipv4"].PDelayedExact != "1" || tp.ByFamily["ipv6"].PDelayedExact != "1" {
		t.Errorf("delivered %s, tls %+v", r.PDeliveredExact, tp)
	}
}

// At may (and with no level set) TLS never stops a delivery: the replay
// has no tls_policy section; dane without DNSSEC lookups is may, and a note
// says why.
func TestReplayHasNoTLSPolicyWhereTLSIsOpportunistic(t *testing.T) {
	for _, set := range [][]Assignment{nil, sets("smtp_tls_security_level", "may"), sets("smtp_tls_security_level", "dane")} {
		d := simulate(t, example(), Config{Set: set}, Options{Outcomes: outcomes("b1", "ok")})
		if d.Replay.TLSPolicy != nil {
			t.Errorf("%v: tls_policy %+v", set, d.Replay.TLSPolicy)
		}
		note := strings.Contains(strings.Join(d.Notes, "\n"), "dnssec lookups disabled")
		if want := len(set) > 0 && set[0].Value == "dane"; note != want {
			t.Errorf("%v: downgrade note %v, want %v (%q)", set, note, want, d.Notes)
		}
		if _, ok := d.MTA.Settings["smtp_tls_security_level"]; ok != (set != nil) {
			t.Errorf("%v: settings %v", set, d.MTA.Settings)
		}
	}
}

func TestTLSLevelIsTheEffectiveLevel(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		level string
		note  bool
	}{
		{Config{}, "", false},
		{Config{Set: sets("smtp_tls_security_level", "secure")}, TLSLevelSecure, false},
		{Config{Set: sets("smtp_tls_security_level", "DANE", "smtp_dns_support_level", "dnssec")}, TLSLevelDANE, false},
		{Config{Set: sets("smtp_tls_security_level", "dane", "smtp_dns_support_level", "dnssec", "ignore_mx_lookup_error", "yes")}, "", true},
		{Config{MTA: Exim}, "", false},
	} {
		level, note, err := TLSLevel(c.cfg)
		if err != nil || level != c.level || (note != "") != c.note {
			t.Errorf("%+v: %q %q %v, want %q note %v", c.cfg, level, note, err, c.level, c.note)
		}
	}
	if _, _, err := TLSLevel(Config{Set: sets("smtp_tls_security_level", "fingerprint")}); err == nil {
		t.Error("fingerprint (not modelled) accepted")
	}
}
