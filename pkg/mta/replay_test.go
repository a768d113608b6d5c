package mta

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

func outcomes(kv ...string) map[netip.Addr]Outcome {
	m := map[netip.Addr]Outcome{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[names[kv[i]]] = Outcome(kv[i+1])
	}
	return m
}

func TestReplayPostfix(t *testing.T) {
	tests := []struct {
		name                         string
		set                          []Assignment
		out                          map[netip.Addr]Outcome
		delivered, deferred, bounced string
		expectedDelay, worstDelay    float64
		firstAttemptDelivers         string
	}{
		{"every address accepts", nil, outcomes(), "1", "0", "0", 0, 0, "1"},
		// IPv6 rejected for a missing PTR (5xx after the greeting): the
		// message bounces whenever an AAAA comes first, P = 1/2.
		{"IPv6 rejects at RCPT", nil, outcomes("b1", "rcpt_5xx", "b2", "rcpt_5xx"), "1/2", "0", "1/2", 0, 0, "1/2"},
		{"IPv6 rejects at RCPT, ipv4 preferred", sets("smtp_address_preference", "ipv4"), outcomes("b1", "rcpt_5xx", "b2", "rcpt_5xx"), "1", "0", "0", 0, 0, "1"},
		// IPv6 blackholed: each AAAA before the first A costs 30 s; with
		// two of each in random order, E[AAAA before the first A] = 2/3.
		{"IPv6 times out", nil, outcomes("b1", "timeout", "b2", "timeout"), "1", "0", "0", 20, 60, "1/2"},
		{"every address refuses", nil, outcomes("a1", "refused", "b1", "refused", "a2", "refused", "b2", "refused", "a3", "refused"), "0", "1", "0", 0, 0, ""},
		{"5xx greeting skipped by default", nil, outcomes("a1", "greeting_5xx", "b1", "greeting_5xx", "a2", "greeting_5xx", "b2", "greeting_5xx"), "1", "0", "0", 0, 0, ""},
		{"5xx greeting bounces with smtp_skip_5xx_greeting = no", sets("smtp_skip_5xx_greeting", "no"), outcomes("a1", "greeting_5xx"), "3/4", "0", "1/4", 0, 0, "3/4"},
		// Limit 2, balance: one A and one AAAA are tried; if all of
		// mx1/mx2 refuse except a1, a1 is reached with 1/2.
		{"address limit leaves working backup untried", sets("smtp_mx_address_limit", "2"), outcomes("b1", "refused", "a2", "refused", "b2", "refused"), "1/2", "1/2", "0", 0, 0, "1/4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := simulate(t, example(), Config{Set: tt.set}, Options{Outcomes: tt.out})
			r := d.Replay
			if r == nil {
				t.Fatal("no replay")
			}
			if r.PDeliveredExact != tt.delivered || r.PDeferredExact != tt.deferred || r.PBouncedExact != tt.bounced {
				t.Errorf("delivered %s deferred %s bounced %s, want %s %s %s", r.PDeliveredExact, r.PDeferredExact, r.PBouncedExact, tt.delivered, tt.deferred, tt.bounced)
			}
			if r.ExpectedDelayS != tt.expectedDelay || r.WorstDelayS != tt.worstDelay {
				t.Errorf("delay expected %v worst %v, want %v %v", r.ExpectedDelayS, r.WorstDelayS, tt.expectedDelay, tt.worstDelay)
			}
			first := ""
			for _, a := range r.DeliveredAt {
				if a.Attempt == 1 {
					first = a.ProbabilityExact
				}
			}
			if first != tt.firstAttemptDelivers {
				t.Errorf("P(first attempt delivers) = %q, want %q", first, tt.firstAttemptDelivers)
			}
		})
	}
}

func TestReplaySuggestsIPv4PreferenceWhenIPv6IsRejected(t *testing.T) {
	d := simulate(t, example(), Config{}, Options{Outcomes: outcomes("b1", "rcpt_5xx", "b2", "rcpt_5xx")})
	if len(d.Replay.Suggestions) == 0 {
		t.Fatal("no suggestion")
	}
	s := d.Replay.Suggestions[0]
	if s.Setting != "smtp_address_preference = ipv4" || s.PDelivered != 1 {
		t.Errorf("first suggestion = %+v", s)
	}
	for _, s := range d.Replay.Suggestions {
		if strings.HasPrefix(s.Setting, "smtp_address_preference = ipv6") {
			t.Errorf("suggested a change that makes things worse: %+v", s)
		}
	}
	// Nothing to improve: no suggestion.
	d = simulate(t, example(), Config{}, Options{Outcomes: outcomes()})
	if len(d.Replay.Suggestions) != 0 {
		t.Errorf("suggestions for a healthy domain: %+v", d.Replay.Suggestions)
	}
}

func TestReplaySuggestsRaisingTheAddressLimit(t *testing.T) {
	// Six IPv6 addresses that refuse and a single working A at the
	// backup: with limit 5 the backup is reached only when balance keeps
	// it; raising the limit reaches it always.
	in := domain(host(10, "mx1", "b1 b2 b3"), host(10, "mx2", "b4 b5 b6"), host(20, "mx3", "a3"))
	out := outcomes("b1", "refused", "b2", "refused", "b3", "refused", "b4", "refused", "b5", "refused", "b6", "refused")
	d := simulate(t, in, Config{Set: sets("smtp_balance_inet_protocols", "no")}, Options{Outcomes: out})
	if d.Replay.PDeliveredExact != "0" {
		t.Fatalf("without balance P(delivered) = %s, want 0 (a3 is 7th)", d.Replay.PDeliveredExact)
	}
	var got []string
	for _, s := range d.Replay.Suggestions {
		got = append(got, s.Setting)
	}
	j := strings.Join(got, "; ")
	// smtp_address_preference = ipv4 cannot help: a3 has a worse MX preference.
	if strings.Contains(j, "smtp_address_preference") {
		t.Errorf("suggestions %q include a preference change that cannot help", j)
	}
	for _, want := range []string{"smtp_mx_address_limit = 7", "smtp_balance_inet_protocols = yes"} {
		if !strings.Contains(j, want) {
			t.Errorf("suggestions %q lack %q", j, want)
		}
	}
	// With balance (the default) the A record is always kept (R1).
	d = simulate(t, in, Config{}, Options{Outcomes: out})
	if d.Replay.PDeliveredExact != "1" {
		t.Errorf("with balance P(delivered) = %s, want 1", d.Replay.PDeliveredExact)
	}
}

func TestReplayExim(t *testing.T) {
	out := outcomes("a1", "greeting_5xx", "b1", "greeting_5xx", "a2", "greeting_5xx", "b2", "greeting_5xx", "a3", "greeting_5xx")
	d := simulate(t, example(), Config{MTA: Exim}, Options{Outcomes: out})
	if d.Replay.PBouncedExact != "1" {
		t.Errorf("4.96: 5xx greetings everywhere bounce at the last host: %+v", d.Replay)
	}
	d = simulate(t, example(), Config{MTA: Exim, Version: "4.89"}, Options{Outcomes: outcomes("b1", "greeting_5xx", "b2", "greeting_5xx")})
	if d.Replay.PBouncedExact != "1" {
		t.Errorf("4.89: a 5xx greeting fails at once: %+v", d.Replay)
	}
	d = simulate(t, example(), Config{MTA: Exim}, Options{Outcomes: outcomes("b1", "greeting_5xx", "b2", "greeting_5xx")})
	if d.Replay.PDeliveredExact != "1" || d.Replay.DeliveredAt[0].Attempt != 3 {
		t.Errorf("4.96: 5xx greeting moves on: %+v", d.Replay)
	}
	d = simulate(t, example(), Config{MTA: Exim}, Options{Outcomes: outcomes("b1", "timeout", "b2", "timeout")})
	if d.Replay.ExpectedDelayS != 600 {
		t.Errorf("two IPv6 timeouts of 5 min first: delay %v", d.Replay.ExpectedDelayS)
	}
	if len(d.Replay.Suggestions) == 0 || d.Replay.Suggestions[0].ExpectedDelayS != 0 {
		t.Errorf("suggestions: %+v", d.Replay.Suggestions)
	}
}

func TestReplayOfADomainThatCannotBeAttempted(t *testing.T) {
	in := Input{Domain: "example.test", MXStatus: "ok", NullMX: true}
	d := simulate(t, in, Config{}, Options{Outcomes: outcomes()})
	if d.Replay.PBouncedExact != "1" {
		t.Errorf("null MX replay: %+v", d.Replay)
	}
}

func TestParseAssume(t *testing.T) {
	ip, o, err := ParseAssume("[2001:db8::1]=timeout")
	if err != nil || ip != names["b1"] || o != OutcomeTimeout {
		t.Errorf("got %v %v %v", ip, o, err)
	}
	for _, bad := range []string{"2001:db8::1", "mx1=ok", "192.0.2.1=maybe", "=ok", "fe80::1%eth0=ok"} {
		if _, _, err := ParseAssume(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := ParseAssume("fe80::1%eth0=ok"); !errors.Is(err, addr.ErrZone) {
		t.Errorf("an address with a zone: error %v, want one that says the zone is the problem", err)
	}
	if ip, _, err := ParseAssume(" [IPv6:2001:db8::1] =ok"); err != nil || ip != names["b1"] {
		t.Errorf("an RFC 5321 address literal: got %v, %v", ip, err)
	}
}
