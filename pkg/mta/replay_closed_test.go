package mta

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// The closed-form replay agrees exactly with the kind-level walk wherever
// balancing does not apply, with and without a limit, shuffled or not, TLS
// policy's shares included.
func TestPostfixClosedFormReplayEqualsTheWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	compared := 0
	for iter := 0; iter < 400; iter++ {
		in := randomDomain(rng)
		cfg := Config{Set: sets(
			"smtp_mx_address_limit", fmt.Sprint(rng.IntN(8)),
			"smtp_skip_5xx_greeting", []string{"yes", "no"}[rng.IntN(2)],
			"smtp_balance_inet_protocols", []string{"yes", "no"}[rng.IntN(2)],
			"smtp_randomize_addresses", []string{"yes", "yes", "no"}[rng.IntN(3)],
			"smtp_address_preference", []string{"any", "ipv4", "ipv6"}[rng.IntN(3)])}
		_, gm, out, r, ok := postfixReplayCase(t, rng, in, cfg)
		if !ok {
			continue
		}
		closed, ok, err := replayGroupsClosed(gm, out, r)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		walk, err := replayGroups(gm, out, r)
		if err != nil {
			t.Fatal(err)
		}
		if c, w := replayString(closed), replayString(walk); c != w {
			t.Fatalf("#%d: closed form %s\nwalk        %s", iter, c, w)
		}
		compared++
	}
	if compared < 100 {
		t.Errorf("only %d cases compared", compared)
	}
}

// postfixReplayCase builds the Postfix group model of in under cfg and a
// random outcome per address; ok is false when the model attempts nothing.
func postfixReplayCase(t *testing.T, rng *rand.Rand, in Input, cfg Config) (postfixList, *groupModel, map[netip.Addr]Outcome, rules, bool) {
	t.Helper()
	v, _ := parseVersion(DefaultVersions[Postfix])
	s, err := resolveSettings(Postfix, DefaultVersions[Postfix], cfg)
	if err != nil {
		t.Fatal(err)
	}
	pm := &postfixModel{v: v, s: s}
	pl := pm.list(in)
	if pl.decision.Action != ActionAttempt {
		return pl, nil, nil, rules{}, false
	}
	all := []Outcome{OutcomeOK, OutcomeRefused, OutcomeTimeout, OutcomeGreeting5xx, OutcomeRcpt5xx, OutcomeTLSUntrusted, OutcomeTLSNotOffered}
	out := map[netip.Addr]Outcome{}
	for _, c := range pl.cands {
		out[c.IP] = all[rng.IntN(len(all))]
	}
	return pl, pm.groups(pl), out, rules{name: Postfix, connectTime: 30e9, skip5xx: s.bool("smtp_skip_5xx_greeting")}, true
}
