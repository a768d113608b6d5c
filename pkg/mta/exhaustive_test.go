package mta

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// Appendix A of the research, generalised: for random small domains and
// settings, the exact distribution equals the one obtained by pushing every
// one of the n! shuffles through the literal algorithm (stable sort,
// smtp_balance_inet_proto, address limit).
func TestPostfixExactDistributionEqualsEnumerationOfAllShuffles(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 5))
	compared := 0
	for iter := 0; iter < 150; iter++ {
		in := randomDomain(rng)
		pref := []string{"any", "ipv4", "ipv6"}[rng.IntN(3)]
		limit := rng.IntN(7)
		bal := []string{"yes", "no"}[rng.IntN(2)]
		cfg := Config{Set: sets("smtp_address_preference", pref, "smtp_mx_address_limit", fmt.Sprint(limit), "smtp_balance_inet_protocols", bal)}
		name := fmt.Sprintf("#%d %s L=%d balance=%s", iter, pref, limit, bal)
		d := simulate(t, in, cfg, Options{MaxOrderings: 1 << 20})
		if d.Decision.Action != ActionAttempt {
			continue
		}
		want := enumerateAllShuffles(t, in, cfg)
		compared++
		got := map[string]*big.Rat{}
		for _, o := range d.Orderings {
			r, _ := new(big.Rat).SetString(o.ProbabilityExact)
			k := strings.Join(o.Hosts, ",") + "|" + strings.Join(o.Order, ",")
			if got[k] == nil {
				got[k] = new(big.Rat)
			}
			got[k].Add(got[k], r)
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d orderings, enumeration has %d", name, len(got), len(want))
			continue
		}
		for k, p := range want {
			if got[k] == nil || got[k].Cmp(p) != 0 {
				t.Errorf("%s: %s has %v, enumeration %s", name, k, got[k], p.RatString())
				break
			}
		}
	}
	if compared < 100 {
		t.Errorf("only %d of 150 random domains were compared", compared)
	}
}

func randomDomain(rng *rand.Rand) Input {
	n := 0
	var xs []Exchange
	hosts := 1 + rng.IntN(3)
	for h := 0; h < hosts && n < 7; h++ {
		x := Exchange{Preference: uint16(10 * (1 + rng.IntN(2))), Host: fmt.Sprintf("mx%d", h), AStatus: LookupNoData, AAAAStatus: LookupNoData}
		for a := rng.IntN(3); a > 0 && n < 7; a-- {
			x.A = append(x.A, netip.AddrFrom4([4]byte{192, 0, 2, byte(10*h + a)}))
			x.AStatus = LookupOK
			n++
		}
		for a := rng.IntN(3); a > 0 && n < 7; a-- {
			x.AAAA = append(x.AAAA, netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(10*h + a)}))
			x.AAAAStatus = LookupOK
			n++
		}
		xs = append(xs, x)
	}
	return domain(xs...)
}

// enumerateAllShuffles is the literal algorithm over every permutation.
func enumerateAllShuffles(t *testing.T, in Input, cfg Config) map[string]*big.Rat {
	t.Helper()
	v, _ := parseVersion(DefaultVersions[Postfix])
	s, err := resolveSettings(Postfix, DefaultVersions[Postfix], cfg)
	if err != nil {
		t.Fatal(err)
	}
	pm := &postfixModel{v: v, s: s}
	pl := pm.list(in)
	idx := make([]int, len(pl.cands))
	for i := range idx {
		idx[i] = i
	}
	out := map[string]*big.Rat{}
	total := int64(0)
	counts := map[string]int64{}
	kperms(idx, len(idx), nil, func(perm []int) bool {
		list := slices.Clone(perm)
		if !pl.shuffle {
			list = slices.Clone(idx)
		}
		pref := s.str("smtp_address_preference")
		slices.SortStableFunc(list, func(a, b int) int { return postfixCompare(pref, pl.cands[a], pl.cands[b]) })
		if pl.balance {
			list = balanceList(pl.cands, list, pl.limit)
		}
		if pl.limit > 0 && len(list) > pl.limit {
			list = list[:pl.limit]
		}
		var hs, ips []string
		for _, c := range list {
			hs = append(hs, pl.cands[c].Host)
			ips = append(ips, pl.cands[c].IP.String())
		}
		counts[strings.Join(hs, ",")+"|"+strings.Join(ips, ",")]++
		total++
		return true
	})
	for k, c := range counts {
		out[k] = big.NewRat(c, total)
	}
	return out
}

// The replay's kind-level walk agrees with replaying every exact ordering
// one by one.
func TestPostfixReplayWalkEqualsReplayOfEveryOrdering(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 1))
	for iter := 0; iter < 100; iter++ {
		in := randomDomain(rng)
		limit := rng.IntN(6)
		cfg := Config{Set: sets("smtp_mx_address_limit", fmt.Sprint(limit), "smtp_skip_5xx_greeting", []string{"yes", "no"}[rng.IntN(2)])}
		pl, gm, out, r, ok := postfixReplayCase(t, rng, in, cfg)
		if !ok {
			continue
		}
		walk, err := replayGroups(gm, out, r)
		if err != nil {
			t.Fatal(err)
		}
		d, err := gm.distribution(1 << 20)
		if err != nil {
			t.Fatal(err)
		}
		var ws []weighted
		for _, o := range d.Orderings {
			ws = append(ws, weighted{order: o.Order, p: o.P})
		}
		each := replayOrderings(pl.cands, ws, out, r, true, nil)
		if w, e := replayString(walk), replayString(each); w != e {
			t.Errorf("#%d: walk %s\norderings %s", iter, w, e)
		}
	}
}
