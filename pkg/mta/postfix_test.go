package mta

import (
	"math/big"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strings"
	"testing"
)

// research §1.10 tables: limit 5, 3 and 2, each preference mode, with and
// without balance, as family-pattern distributions.
func TestPostfixReproducesResearchWorkedExampleTables(t *testing.T) {
	tests := []struct {
		limit, pref, balance string
		patterns             string
		orderings            int64
		firstV6              string
	}{
		// limit 5: balance is a no-op (3 + 2 is not > 5).
		{"5", "any", "no", "44664:1/6 46464:1/6 46644:1/6 64464:1/6 64644:1/6 66444:1/6", 24, "1/2"},
		{"5", "any", "yes", "44664:1/6 46464:1/6 46644:1/6 64464:1/6 64644:1/6 66444:1/6", 24, "1/2"},
		{"5", "ipv6", "no", "66444:1", 4, "1"},
		{"5", "ipv6", "yes", "66444:1", 4, "1"},
		{"5", "ipv4", "no", "44664:1", 4, "0"},
		{"5", "ipv4", "yes", "44664:1", 4, "0"},
		// limit 3
		{"3", "any", "no", "446:1/6 464:1/6 466:1/6 644:1/6 646:1/6 664:1/6", 24, "1/2"},
		{"3", "any", "yes", "464:1/3 646:1/3 446:1/6 664:1/6", 16, "1/2"},
		{"3", "ipv6", "no", "664:1", 4, "1"},
		{"3", "ipv6", "yes", "664:1", 4, "1"},
		{"3", "ipv4", "no", "446:1", 4, "0"},
		{"3", "ipv4", "yes", "446:1", 4, "0"},
		// limit 2
		{"2", "any", "no", "46:1/3 64:1/3 44:1/6 66:1/6", 12, "1/2"},
		{"2", "any", "yes", "46:1/2 64:1/2", 8, "1/2"},
		{"2", "ipv6", "no", "66:1", 2, "1"},
		{"2", "ipv6", "yes", "64:1", 4, "1"},
		{"2", "ipv4", "no", "44:1", 2, "0"},
		{"2", "ipv4", "yes", "46:1", 4, "0"},
	}
	for _, tt := range tests {
		name := "L" + tt.limit + "/" + tt.pref + "/balance=" + tt.balance
		t.Run(name, func(t *testing.T) {
			d := simulate(t, example(), Config{Set: sets("smtp_mx_address_limit", tt.limit, "smtp_address_preference", tt.pref, "smtp_balance_inet_protocols", tt.balance)}, Options{})
			if got := patterns(d); got != tt.patterns {
				t.Errorf("patterns = %s, want %s", got, tt.patterns)
			}
			if d.OrderingsTotal.Int64() != tt.orderings || int64(len(d.Orderings)) != tt.orderings {
				t.Errorf("orderings = %v (listed %d), want %d", d.OrderingsTotal, len(d.Orderings), tt.orderings)
			}
			if d.PFirstIPv6Exact != tt.firstV6 {
				t.Errorf("P(first IPv6) = %s, want %s", d.PFirstIPv6Exact, tt.firstV6)
			}
			if !d.Exact || !d.FamilyPatternsComplete {
				t.Errorf("exact = %v, patterns complete = %v", d.Exact, d.FamilyPatternsComplete)
			}
			sum := new(big.Rat)
			for _, o := range d.Orderings {
				r, _ := new(big.Rat).SetString(o.ProbabilityExact)
				sum.Add(sum, r)
			}
			if sum.Cmp(big.NewRat(1, 1)) != 0 {
				t.Errorf("orderings sum to %s", sum.RatString())
			}
		})
	}
}

func TestPostfixDefaultsGiveEachBestPreferenceAddressOneQuarterFirst(t *testing.T) {
	d := simulate(t, example(), Config{}, Options{})
	if d.MTA.Name != "postfix" || d.MTA.Version != "3.7.11" {
		t.Fatalf("default MTA = %s %s", d.MTA.Name, d.MTA.Version)
	}
	// research §1.10 and Appendix A: 24 orderings, 1/24 each; each of
	// a1, b1, a2, b2 first with 1/4; a3 always the 5th attempt.
	if got, want := pFirst(d), "a1=1/4 b1=1/4 a2=1/4 b2=1/4 a3=0"; got != want {
		t.Errorf("p_first = %s, want %s", got, want)
	}
	for _, o := range d.Orderings {
		if o.ProbabilityExact != "1/24" || nameOf(o.Order[4]) != "a3" {
			t.Fatalf("ordering %v has probability %s", o.Order, o.ProbabilityExact)
		}
	}
	for _, a := range d.Attempts {
		if a.PTriedExact != "1" {
			t.Errorf("%s p_tried = %s, want 1 (limit 5 covers all)", nameOf(a.IP), a.PTriedExact)
		}
	}
}

func TestPostfixIPv6PreferenceListsTheFourResearchOrderings(t *testing.T) {
	d := simulate(t, example(), Config{Set: sets("smtp_address_preference", "ipv6")}, Options{})
	want := "b1>b2>a1>a2>a3:1/4 b1>b2>a2>a1>a3:1/4 b2>b1>a1>a2>a3:1/4 b2>b1>a2>a1>a3:1/4"
	if got := orderings(d); got != want {
		t.Errorf("orderings = %s\nwant        %s", got, want)
	}
}

func TestPostfixLimitTwoBalancedIPv6PairsEachAAAAWithEachA(t *testing.T) {
	// research §1.10: L = 2, ipv6, balance: bX > aY, X and Y independent.
	d := simulate(t, example(), Config{Set: sets("smtp_mx_address_limit", "2", "smtp_address_preference", "ipv6")}, Options{})
	want := "b1>a1:1/4 b1>a2:1/4 b2>a1:1/4 b2>a2:1/4"
	if got := orderings(d); got != want {
		t.Errorf("orderings = %s, want %s", got, want)
	}
	for _, a := range d.Attempts {
		want := map[string]string{"a1": "1/2", "a2": "1/2", "b1": "1/2", "b2": "1/2", "a3": "0"}[nameOf(a.IP)]
		if a.PTriedExact != want {
			t.Errorf("%s p_tried = %s, want %s", nameOf(a.IP), a.PTriedExact, want)
		}
	}
}

// research §1.10 "Variant: mx3 also has AAAA b3" (6 addresses, L = 5).
func TestPostfixVariantWithDualStackBackup(t *testing.T) {
	in := domain(host(10, "mx1", "a1 b1"), host(10, "mx2", "a2 b2"), host(20, "mx3", "a3 b3"))
	fifthVsFirst := func(d Document) map[[2]byte]*big.Rat {
		m := map[[2]byte]*big.Rat{}
		for _, p := range d.FamilyPatterns {
			k := [2]byte{p.Families[0], p.Families[4]}
			r, _ := new(big.Rat).SetString(p.ProbabilityExact)
			if m[k] == nil {
				m[k] = new(big.Rat)
			}
			m[k].Add(m[k], r)
		}
		return m
	}
	t.Run("any without balance: 5th is a3 or b3 with 1/2, independent of the first", func(t *testing.T) {
		d := simulate(t, in, Config{Set: sets("smtp_balance_inet_protocols", "no")}, Options{})
		for k, p := range fifthVsFirst(d) {
			if p.RatString() != "1/4" {
				t.Errorf("P(first %c, fifth %c) = %s, want 1/4", k[0], k[1], p.RatString())
			}
		}
	})
	t.Run("any with balance: 5th has the family of the 1st", func(t *testing.T) {
		d := simulate(t, in, Config{}, Options{})
		m := fifthVsFirst(d)
		if m[[2]byte{'4', '4'}].RatString() != "1/2" || m[[2]byte{'6', '6'}].RatString() != "1/2" || len(m) != 2 {
			t.Errorf("first/fifth families = %v", m)
		}
	})
	for _, bal := range []string{"yes", "no"} {
		d := simulate(t, in, Config{Set: sets("smtp_address_preference", "ipv6", "smtp_balance_inet_protocols", bal)}, Options{})
		if got := patterns(d); got != "66446:1" {
			t.Errorf("ipv6 balance=%s: %s, want 66446:1", bal, got)
		}
		d = simulate(t, in, Config{Set: sets("smtp_address_preference", "ipv4", "smtp_balance_inet_protocols", bal)}, Options{})
		if got := patterns(d); got != "44664:1" {
			t.Errorf("ipv4 balance=%s: %s, want 44664:1", bal, got)
		}
	}
}

// research §1.10 "Variant: one MX host with 1 A + 3 AAAA".
func TestPostfixOneAThreeAAAAIsNotACoinFlip(t *testing.T) {
	in := domain(host(10, "mx1", "a1 b1 b2 b3"))
	d := simulate(t, in, Config{}, Options{})
	if d.PFirstIPv6Exact != "3/4" {
		t.Errorf("P(first IPv6) = %s, want 3/4", d.PFirstIPv6Exact)
	}
	d = simulate(t, in, Config{Set: sets("smtp_mx_address_limit", "2", "smtp_balance_inet_protocols", "no")}, Options{})
	for _, p := range d.FamilyPatterns {
		if p.Families == "66" && p.ProbabilityExact != "1/2" {
			t.Errorf("P(66) = %s, want 1/2", p.ProbabilityExact)
		}
	}
	d = simulate(t, in, Config{Set: sets("smtp_mx_address_limit", "2")}, Options{})
	if got := patterns(d); got != "64:3/4 46:1/4" {
		t.Errorf("balanced L=2: %s, want 64:3/4 46:1/4", got)
	}
}

func TestPostfixWithoutRandomisationFollowsVersionRules(t *testing.T) {
	tests := []struct {
		version, pref, want string
	}{
		// research §1.10: 3.3+ with glibc's stable qsort.
		{"3.7.11", "any", "a1>b1>a2>b2>a3:1"},
		{"3.7.11", "ipv6", "b1>b2>a1>a2>a3:1"},
		{"3.7.11", "ipv4", "a1>a2>b1>b2>a3:1"},
		// research §1.9: the 2.8–3.2 quirk ignores the preference.
		{"3.2.0", "any", "a1>b1>a2>b2>a3:1"},
		{"3.2.0", "ipv6", "a1>b1>a2>b2>a3:1"},
		{"2.8.0", "ipv4", "a1>b1>a2>b2>a3:1"}, // with inet_protocols = all below
	}
	for _, tt := range tests {
		d := simulate(t, example(), Config{Version: tt.version, Set: sets("smtp_randomize_addresses", "no", "smtp_address_preference", tt.pref, "inet_protocols", "all")}, Options{})
		if got := orderings(d); got != tt.want {
			t.Errorf("%s %s: %s, want %s", tt.version, tt.pref, got, tt.want)
		}
	}
}

func TestPostfixVersionDefaults(t *testing.T) {
	tests := []struct {
		version, inet, pref string
		balance             bool
	}{
		{"2.8.19", "ipv4", "ipv6", false},
		{"2.9.0", "all", "any", false},
		{"3.2.17", "all", "any", false},
		{"3.3.0", "all", "any", true},
		{"3.10.5", "all", "any", true},
	}
	for _, tt := range tests {
		d := simulate(t, example(), Config{Version: tt.version}, Options{})
		s := d.MTA.Settings
		if s["inet_protocols"].Value != tt.inet || s["smtp_address_preference"].Value != tt.pref {
			t.Errorf("%s: inet_protocols=%s smtp_address_preference=%s", tt.version, s["inet_protocols"].Value, s["smtp_address_preference"].Value)
		}
		if _, ok := s["smtp_balance_inet_protocols"]; ok != tt.balance {
			t.Errorf("%s: has smtp_balance_inet_protocols = %v", tt.version, ok)
		}
		if s["inet_protocols"].Source != SourceDefault {
			t.Errorf("%s: source %q", tt.version, s["inet_protocols"].Source)
		}
	}
	// 2.8 defaults: IPv4 only, so the AAAA records are never used.
	d := simulate(t, example(), Config{Version: "2.8.19"}, Options{})
	if d.PFirstIPv6Exact != "0" || len(d.Attempts) != 3 {
		t.Errorf("2.8 defaults: P(first IPv6) = %s with %d candidates", d.PFirstIPv6Exact, len(d.Attempts))
	}
}

func TestPostfixDecisionsBeforeAnyConnection(t *testing.T) {
	implicit := Input{Domain: "example.test", MXStatus: LookupNoData, ImplicitMX: true, MX: []Exchange{host(0, "example.test", "a1 b1")}}
	servfailAAAA := domain(host(10, "mx1", "a1"))
	servfailAAAA.MX[0].AAAAStatus = LookupServFail
	onlySoft := domain(host(10, "mx1", ""))
	onlySoft.MX[0].AAAAStatus = LookupServFail
	noAddr := domain(host(10, "mx1", ""))
	tests := []struct {
		name     string
		in       Input
		cfg      Config
		action   Action
		dsn      string
		attempts string
	}{
		{"null MX bounces 5.1.0", Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true}, Config{}, ActionBounce, "5.1.0", ""},
		{"null MX mixed with others still bounces on 3.0+", Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true, MX: []Exchange{host(10, "mx1", "a1")}}, Config{}, ActionBounce, "5.1.0", ""},
		{"sole null MX before 3.0 is an invalid target", Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true}, Config{Version: "2.11.11"}, ActionBounce, "5.4.4", ""},
		{"null MX before 3.0 is skipped when others exist", Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true, MX: []Exchange{host(10, "mx1", "a1")}}, Config{Version: "2.11.11"}, ActionAttempt, "", "a1"},
		{"implicit MX uses the domain's own addresses at preference 0", implicit, Config{}, ActionAttempt, "", "a1 b1"},
		{"MX SERVFAIL defers 4.4.3", Input{Domain: "example.test", MXStatus: LookupServFail}, Config{}, ActionDefer, "4.4.3", ""},
		{"AAAA SERVFAIL with A ok uses the A records", servfailAAAA, Config{}, ActionAttempt, "", "a1"},
		{"AAAA SERVFAIL with A NODATA defers", onlySoft, Config{}, ActionDefer, "4.4.3", ""},
		{"no address at all bounces 5.4.4", noAddr, Config{}, ActionBounce, "5.4.4", ""},
		{"smtp_defer_if_no_mx_address_found defers", noAddr, Config{Set: sets("smtp_defer_if_no_mx_address_found", "yes")}, ActionDefer, "4.4.4", ""},
		{"inet_protocols = ipv4 queries A only", example(), Config{Set: sets("inet_protocols", "ipv4")}, ActionAttempt, "", "a1 a2 a3"},
		{"inet_protocols = ipv6 queries AAAA only", example(), Config{Set: sets("inet_protocols", "ipv6")}, ActionAttempt, "", "b1 b2"},
		{"local backup MX drops its preference and worse", example(), Config{LocalAddrs: []netip.Addr{names["a3"]}}, ActionAttempt, "", "a1 b1 a2 b2"},
		{"local primary MX loops back", example(), Config{LocalAddrs: []netip.Addr{names["b2"]}}, ActionBounce, "5.4.6", ""},
		{"local address in inet_interfaces counts", example(), Config{Set: sets("inet_interfaces", "127.0.0.1, 192.0.2.1")}, ActionBounce, "5.4.6", ""},
		{"loop detection only on port 25", example(), Config{LocalAddrs: []netip.Addr{names["b2"]}, Port: 2525}, ActionAttempt, "", "a1 b1 a2 b2 a3"},
		{"unresolvable primary and local backup defers 4.4.4", domain(host(10, "mx1", ""), host(20, "mx2", "a2")), Config{LocalAddrs: []netip.Addr{names["a2"]}}, ActionDefer, "4.4.4", ""},
		{"implicit MX to a local address loops", implicit, Config{LocalAddrs: []netip.Addr{names["b1"]}}, ActionBounce, "5.4.6", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := simulate(t, tt.in, tt.cfg, Options{})
			if d.Decision.Action != tt.action || d.Decision.DSN != tt.dsn {
				t.Errorf("decision = %+v, want %s %s", d.Decision, tt.action, tt.dsn)
			}
			var got []string
			for _, a := range d.Attempts {
				got = append(got, nameOf(a.IP))
			}
			if strings.Join(got, " ") != tt.attempts {
				t.Errorf("candidates = %v, want %s", got, tt.attempts)
			}
		})
	}
}

func TestPostfixNullMXDoesNotAcceptMail(t *testing.T) {
	d := simulate(t, Input{Domain: "example.test", MXStatus: LookupOK, NullMX: true}, Config{}, Options{})
	if d.AcceptsMail {
		t.Error("accepts_mail = true for a null MX")
	}
	if d := simulate(t, example(), Config{}, Options{}); !d.AcceptsMail {
		t.Error("accepts_mail = false for a normal domain")
	}
}

func TestPostfixKeepsDuplicateAddressesAndCountsThemTwice(t *testing.T) {
	// research §1.3.9: mx1 and mx2 share a1; it is tried twice.
	in := domain(host(10, "mx1", "a1"), host(10, "mx2", "a1"), host(20, "mx3", "a3"))
	d := simulate(t, in, Config{}, Options{})
	if len(d.Attempts) != 3 {
		t.Fatalf("candidates = %d, want 3", len(d.Attempts))
	}
	// Either exchange's copy of a1 comes first, 1/2 each.
	if got := orderings(d); got != "a1>a1>a3:1/2 a1>a1>a3:1/2" {
		t.Errorf("orderings = %s", got)
	}
	if len(d.Notes) == 0 {
		t.Error("no note about the duplicate address")
	}
}

func TestPostfixAddressLimitCutsTriedProbability(t *testing.T) {
	// Six equal-preference IPv4 addresses, limit 5: each is tried with 5/6.
	in := domain(host(10, "mx1", "a1 a2 a3"), host(10, "mx2", "a4"), host(10, "mx3", ""), host(10, "mx4", ""))
	in.MX[2].A = []netip.Addr{netip.MustParseAddr("198.51.100.1")}
	in.MX[3].A = []netip.Addr{netip.MustParseAddr("198.51.100.2")}
	d := simulate(t, in, Config{}, Options{})
	for _, a := range d.Attempts {
		if a.PTriedExact != "5/6" || a.PFirstExact != "1/6" {
			t.Errorf("%s: p_tried %s p_first %s, want 5/6 and 1/6", a.IP, a.PTriedExact, a.PFirstExact)
		}
	}
	if d.OrderingsTotal.Int64() != 720 {
		t.Errorf("orderings = %v, want 6!/1! = 720", d.OrderingsTotal)
	}
}

func TestPostfixCapsListedOrderingsAndReportsWhatIsLeftOut(t *testing.T) {
	d := simulate(t, example(), Config{}, Options{MaxOrderings: 5})
	if len(d.Orderings) != 5 || d.OrderingsOmitted.Int64() != 19 || d.OrderingsOmittedProbabilityExact != "19/24" {
		t.Errorf("listed %d, omitted %v with %s", len(d.Orderings), d.OrderingsOmitted, d.OrderingsOmittedProbabilityExact)
	}
}

func TestPostfixLargeListsStayExactWithoutEnumeratingPermutations(t *testing.T) {
	// 12 dual-stack exchanges at one preference: 24! orderings before the
	// limit; with limit 5 and balance the walk is still small.
	var xs []Exchange
	for i := 0; i < 12; i++ {
		x := Exchange{Preference: 10, Host: "mx", AStatus: LookupOK, AAAAStatus: LookupOK,
			A:    []netip.Addr{netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})},
			AAAA: []netip.Addr{netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)})}}
		xs = append(xs, x)
	}
	d := simulate(t, domain(xs...), Config{}, Options{MaxOrderings: 10})
	if !d.Exact || d.PFirstIPv6Exact != "1/2" {
		t.Fatalf("exact=%v P(first IPv6)=%s", d.Exact, d.PFirstIPv6Exact)
	}
	// 24*23*22*21*20 orderings of 5 out of 24, thinned by balance.
	if d.OrderingsTotal.Sign() <= 0 || len(d.Orderings) != 10 {
		t.Errorf("total %v, listed %d", d.OrderingsTotal, len(d.Orderings))
	}
	// Balanced R2 with L=5: the first family gets 3 slots, the other 2.
	for _, p := range d.FamilyPatterns {
		n4 := strings.Count(p.Families, "4")
		if len(p.Families) != 5 || (p.Families[0] == '4') != (n4 == 3) || (n4 != 3 && n4 != 2) {
			t.Errorf("pattern %s breaks the R2 targets", p.Families)
		}
	}
	// Unlimited: no walk needed, 24! equally likely orderings.
	d = simulate(t, domain(xs...), Config{Set: sets("smtp_mx_address_limit", "0")}, Options{MaxOrderings: 3})
	want, _ := new(big.Int).SetString("620448401733239439360000", 10)
	if d.OrderingsTotal.Cmp(want) != 0 || !d.Exact || len(d.Orderings) != 3 {
		t.Errorf("unlimited: total %v listed %d exact %v", d.OrderingsTotal, len(d.Orderings), d.Exact)
	}
}

// The exact distribution agrees with the literal algorithm (shuffle, sort,
// balance, limit) run many times with a seeded source. Tolerance: 5
// standard deviations of a binomial proportion at n draws.
func TestPostfixSamplingAgreesWithExactDistribution(t *testing.T) {
	in := domain(host(10, "mx1", "a1 b1 b2"), host(10, "mx2", "a2 b3"), host(20, "mx3", "a3 b4"))
	for _, limit := range []string{"2", "3", "5"} {
		cfg := Config{Set: sets("smtp_mx_address_limit", limit)}
		d := simulate(t, in, cfg, Options{})
		counts := map[string]int{}
		const n = 20000
		v, _ := parseVersion(DefaultVersions[Postfix])
		st, err := resolveSettings(Postfix, DefaultVersions[Postfix], cfg)
		if err != nil {
			t.Fatal(err)
		}
		pm := &postfixModel{v: v, s: st}
		pl := pm.list(in)
		rng := rand.New(rand.NewPCG(7, 11))
		for i := 0; i < n; i++ {
			var ips []string
			for _, c := range pm.sample(pl, rng) {
				ips = append(ips, pl.cands[c].IP.String())
			}
			counts[strings.Join(ips, ">")]++
		}
		for _, o := range d.Orderings {
			p := o.Probability
			got := float64(counts[strings.Join(o.Order, ">")]) / n
			sigma := sqrt(p * (1 - p) / n)
			if diff := got - p; diff > 5*sigma+1e-9 || -diff > 5*sigma+1e-9 {
				t.Errorf("limit %s: %v sampled %.4f, exact %.4f", limit, o.Order, got, p)
			}
		}
		if len(counts) > len(d.Orderings) {
			t.Errorf("limit %s: sampled %d distinct orderings, exact has %d", limit, len(counts), len(d.Orderings))
		}
	}
}

func sqrt(x float64) float64 {
	z := x
	if z == 0 {
		return 0
	}
	for i := 0; i < 50; i++ {
		z = (z + x/z) / 2
	}
	return z
}

func TestSeedGivesTheSameSampleEveryTime(t *testing.T) {
	seed := uint64(42)
	a := simulate(t, example(), Config{}, Options{Seed: &seed})
	b := simulate(t, example(), Config{}, Options{Seed: &seed})
	if strings.Join(a.Sample, " ") != strings.Join(b.Sample, " ") || len(a.Sample) != 5 {
		t.Errorf("samples differ or are short: %v vs %v", a.Sample, b.Sample)
	}
	seen := map[string]bool{}
	for s := uint64(0); s < 50; s++ {
		d := simulate(t, example(), Config{}, Options{Seed: &s})
		seen[strings.Join(d.Sample, " ")] = true
	}
	if len(seen) < 10 {
		t.Errorf("50 seeds gave only %d orderings", len(seen))
	}
	keys := make([]string, 0)
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
}

func TestFirstAttemptByFamilyTellsHowSoonEachFamilyIsReached(t *testing.T) {
	// research §1.10 with any: IPv4 is always attempted, at attempt 1 with
	// 1/2, 2 with 1/3 and 3 with 1/6: mean 5/3. Same for IPv6 by symmetry
	// of the first four (a3 never matters: some A comes earlier).
	d := simulate(t, example(), Config{}, Options{})
	r4, r6 := d.FirstAttemptByFamily["ipv4"], d.FirstAttemptByFamily["ipv6"]
	if r4.PAttemptedExact != "1" || r6.PAttemptedExact != "1" {
		t.Errorf("attempted: %+v %+v", r4, r6)
	}
	if diff := r4.ExpectedAttempt - 5.0/3; diff > 1e-12 || diff < -1e-12 {
		t.Errorf("IPv4 expected attempt %v, want 5/3", r4.ExpectedAttempt)
	}
	d = simulate(t, example(), Config{Set: sets("smtp_address_preference", "ipv4", "smtp_mx_address_limit", "2", "smtp_balance_inet_protocols", "no")}, Options{})
	if r := d.FirstAttemptByFamily["ipv6"]; r.PAttemptedExact != "0" || r.ExpectedAttempt != 0 {
		t.Errorf("ipv4 first, limit 2: IPv6 %+v, want never attempted", r)
	}
}

func TestPostfixUsesAnMXThatIsAnIPLiteralAndSaysSo(t *testing.T) {
	lit := domain(Exchange{Preference: 10, Host: "192.0.2.1", IPLiteral: true, AStatus: LookupSkipped, AAAAStatus: LookupSkipped, A: []netip.Addr{names["a1"]}})
	d := simulate(t, lit, Config{}, Options{})
	if d.Decision.Action != ActionAttempt || len(d.Attempts) != 1 || !strings.Contains(strings.Join(d.Notes, " "), "IP address") {
		t.Errorf("decision %+v, attempts %d, notes %v", d.Decision, len(d.Attempts), d.Notes)
	}
	// With its family disabled the literal is looked up as a name and fails.
	d = simulate(t, lit, Config{Set: sets("inet_protocols", "ipv6")}, Options{})
	if d.Decision.Action != ActionBounce {
		t.Errorf("ipv6 only: %+v", d.Decision)
	}
}

func TestPostfixSkipsMXRecordsWithInvalidTargets(t *testing.T) {
	bad := host(10, "bad_host-.example.test", "a1")
	bad.InvalidName = true
	d := simulate(t, domain(bad, host(20, "mx2", "a2")), Config{}, Options{})
	if got := orderings(d); got != "a2:1" {
		t.Errorf("orderings = %s, want only the valid backup", got)
	}
	d = simulate(t, domain(bad), Config{}, Options{})
	if d.Decision.Action != ActionBounce || d.Decision.DSN != "5.4.4" {
		t.Errorf("only an invalid target: %+v", d.Decision)
	}
}

func TestFracStaysExactWhenItOverflowsMachineWords(t *testing.T) {
	f := one()
	want := big.NewRat(1, 1)
	for i := uint64(2); i < 60; i++ {
		f = f.mul(i-1, i*1000003)
		want.Mul(want, new(big.Rat).SetFrac(new(big.Int).SetUint64(i-1), new(big.Int).SetUint64(i*1000003)))
	}
	if f.big == nil || f.rat().Cmp(want) != 0 {
		t.Errorf("product = %v, want %v", f.rat(), want)
	}
}

func TestFracAddIsExact(t *testing.T) {
	var sum frac
	want := new(big.Rat)
	for i := uint64(1); i < 80; i++ {
		f := one().mul(1, i*i+7)
		sum = sum.add(f)
		want.Add(want, new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).SetUint64(i*i+7)))
	}
	if sum.ratOrZero().Cmp(want) != 0 {
		t.Errorf("sum = %v, want %v", sum.ratOrZero(), want)
	}
	if (frac{}).ratOrZero().Sign() != 0 || (frac{}).add(one()).rat().Cmp(big.NewRat(1, 1)) != 0 {
		t.Error("zero value is not 0")
	}
}
