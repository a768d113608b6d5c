package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// model is the part of `mailcheck simulate -o json` the lab compares with
// (DESIGN.md, "simulate").
type model struct {
	PFirstIPv6       *float64 `json:"p_first_ipv6"`
	AcceptsMail      *bool    `json:"accepts_mail"`
	OrderingsOmitted int      `json:"orderings_omitted"`
	Orderings        []struct {
		Order       []string `json:"order"`
		Probability float64  `json:"probability"`
	} `json:"orderings"`
}

func readModel(r io.Reader) (*model, error) {
	var m model
	dec := json.NewDecoder(io.LimitReader(r, 64<<20))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model JSON: %w", err)
	}
	for i, o := range m.Orderings {
		for j, ip := range o.Order {
			c, err := canonIP(ip)
			if err != nil {
				return nil, fmt.Errorf("model ordering %d: %w", i, err)
			}
			m.Orderings[i].Order[j] = c
		}
	}
	return &m, nil
}

// dist is a discrete distribution over keys (an ordering "ip,ip,ip" or a
// family pattern "6464").
type dist map[string]float64

func (m *model) orderDist() dist {
	d := dist{}
	for _, o := range m.Orderings {
		d[strings.Join(o.Order, ",")] += o.Probability
	}
	if len(d) == 0 {
		// No attempt at all (null MX, nothing resolvable): one empty ordering.
		d[""] = 1
	}
	return d
}

// pattern is the family pattern of an ordering: "6" for IPv6, "4" for IPv4
// (the notation of research/mta-address-selection.md §1.10).
func pattern(order []string) string {
	var b strings.Builder
	for _, ip := range order {
		if isIPv6(ip) {
			b.WriteByte('6')
		} else {
			b.WriteByte('4')
		}
	}
	return b.String()
}

func patternOfKey(key string) string {
	if key == "" {
		return ""
	}
	return pattern(strings.Split(key, ","))
}

func (d dist) mapKeys(f func(string) string) dist {
	out := dist{}
	for k, p := range d {
		out[f(k)] += p
	}
	return out
}

func empirical(keys []string) dist {
	d := dist{}
	for _, k := range keys {
		d[k] += 1 / float64(len(keys))
	}
	return d
}

// tvd is the total variation distance, ½ Σ |p(k) − q(k)|.
func tvd(p, q dist) float64 {
	s := 0.0
	for k, pk := range p {
		s += math.Abs(pk - q[k])
	}
	for k, qk := range q {
		if _, ok := p[k]; !ok {
			s += qk
		}
	}
	return s / 2
}

// tvdNoise draws `trials` samples of size n from d and returns the mean TVD
// between such a sample and d (the sampling noise) and its (1−alpha)
// quantile (the tolerance): a real MTA that follows the model exceeds the
// tolerance with probability about alpha.
func tvdNoise(d dist, n, trials int, alpha float64, rng *rand.Rand) (mean, limit float64) {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic for a given seed
	cum := make([]float64, len(keys))
	total := 0.0
	for i, k := range keys {
		total += d[k]
		cum[i] = total
	}
	if len(keys) <= 1 {
		return 0, 0
	}
	counts := make([]int, len(keys))
	vals := make([]float64, trials)
	for t := range trials {
		clear(counts)
		for range n {
			u := rng.Float64() * total
			i := sort.SearchFloat64s(cum, u)
			if i == len(cum) {
				i--
			}
			counts[i]++
		}
		s := 0.0
		for i, k := range keys {
			s += math.Abs(float64(counts[i])/float64(n) - d[k]/total)
		}
		vals[t] = s / 2
		mean += vals[t]
	}
	sort.Float64s(vals)
	idx := int(math.Ceil((1-alpha)*float64(trials))) - 1
	idx = max(0, min(idx, trials-1))
	return mean / float64(trials), vals[idx]
}

// binomPMF is P(X = k) for X ~ Binomial(n, p).
func binomPMF(n, k int, p float64) float64 {
	if p <= 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	if p >= 1 {
		if k == n {
			return 1
		}
		return 0
	}
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x) + 1); return v }
	return math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// binomTest is the exact two-sided binomial test (the sum of the
// probabilities of every outcome no more likely than k). It also returns the
// acceptance region [lo, hi]: the counts whose p-value is at least alpha.
func binomTest(n, k int, p, alpha float64) (pValue float64, lo, hi int) {
	pmf := make([]float64, n+1)
	for i := range pmf {
		pmf[i] = binomPMF(n, i, p)
	}
	pval := func(x int) float64 {
		s := 0.0
		for _, q := range pmf {
			if q <= pmf[x]*(1+1e-7) {
				s += q
			}
		}
		return math.Min(1, s)
	}
	lo, hi = -1, -1
	for i := range pmf {
		if pval(i) >= alpha {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	return pval(k), lo, hi
}

// maxReplayChance bounds the probability that two independent processes
// make the same choices for their first n deliveries by chance; below it a
// match is taken for a replayed random sequence.
const maxReplayChance = 1e-6

// dropReplays removes deliveries that replay another process's random
// sequence. Postfix seeds rand() once per process with getpid() ^ time(NULL)
// (src/util/myrand.c; research/mta-address-selection.md §1.5.1), so two
// smtp(8) processes whose first shuffle falls in seconds t and t' with
// pid ^ t == pid' ^ t' (e.g. pids 1000 and 1001 in seconds 2n and 2n+1)
// get the same seed and make the same choices, delivery by delivery. The
// model describes one delivery; such a pair is one sample, not two.
//
// Stream b replays an earlier stream a when their first n = min(len a,
// len b) orderings are identical and the chance of that for independent
// streams, c^n with c = Σ p(k)² the model's collision probability, is below
// maxReplayChance. Only b's first n deliveries are dropped: the rest come
// after a ended and are new draws. Streams too short or cells too
// predictable to tell a replay from chance are kept.
func dropReplays(obs []delivery, od dist) (kept []delivery, dropped, streams int) {
	c := 0.0
	for _, p := range od {
		c += p * p
	}
	var names []string
	byStream := map[string][]int{} // stream -> indexes into obs, in order
	for i, d := range obs {
		if d.Stream == "" {
			continue
		}
		if _, ok := byStream[d.Stream]; !ok {
			names = append(names, d.Stream)
		}
		byStream[d.Stream] = append(byStream[d.Stream], i)
	}
	drop := make([]bool, len(obs))
	for j, b := range names {
		for _, a := range names[:j] {
			ia, ib := byStream[a], byStream[b]
			n := min(len(ia), len(ib))
			if n == 0 || math.Pow(c, float64(n)) > maxReplayChance {
				continue
			}
			same := true
			for k := range n {
				if !slices.Equal(obs[ia[k]].Order, obs[ib[k]].Order) {
					same = false
					break
				}
			}
			if same {
				for _, i := range ib[:n] {
					drop[i] = true
				}
				dropped += n
				streams++
				break
			}
		}
	}
	for i, d := range obs {
		if !drop[i] {
			kept = append(kept, d)
		}
	}
	return kept, dropped, streams
}

// cellResult is the verdict for one cell of the lab.
type cellResult struct {
	Cell, MTA string
	N         int
	// Statistical holds the failures of the tests of the model's
	// probabilities (first family, TVDs), also listed in Failures;
	// supportOnly moves them out of Failures.
	Statistical []string
	// Deliveries (and processes) left out because they replayed another
	// process's random sequence (dropReplays).
	Replayed, ReplayedStreams int
	// Observed orderings the model gives probability 0 (or never lists).
	Unexplained        int
	UnexplainedExample string
	// Deliveries that ended otherwise than the model says (bounced where all
	// addresses merely failed, deferred where the domain takes no mail).
	WrongStatus        int
	WrongStatusExample string
	// First attempt over IPv6: observed count, model probability, exact
	// binomial p-value and acceptance region (counts) at level alpha.
	Attempted     int // deliveries that made at least one attempt
	FirstV6       int
	FirstV6Model  float64
	FirstV6P      float64
	FirstV6Lo     int
	FirstV6Hi     int
	FirstV6Tested bool
	// Total variation distance between observed and model distributions,
	// with the sampling noise (mean under the model) and the tolerance.
	TVDOrder, TVDOrderNoise, TVDOrderLimit       float64
	TVDPattern, TVDPatternNoise, TVDPatternLimit float64
	TVDFirst, TVDFirstNoise, TVDFirstLimit       float64
	ModelOrderings, ObservedOrderings            int
	Failures                                     []string
}

func (r *cellResult) Pass() bool { return len(r.Failures) == 0 }

// statFail records a failed test of the model's probabilities.
func (r *cellResult) statFail(msg string) {
	r.Failures = append(r.Failures, msg)
	r.Statistical = append(r.Statistical, msg)
}

// supportOnly keeps only the structural failures: for an MTA whose order
// among some addresses depends on timing outside it, the model fixes
// which orderings are possible but not how often each comes up.
func (r *cellResult) supportOnly() {
	r.Failures = slices.DeleteFunc(r.Failures, func(f string) bool { return slices.Contains(r.Statistical, f) })
}

// compare checks observed deliveries against the model. alpha is the
// per-test false-alarm rate; trials the Monte Carlo draws for the TVD
// tolerance.
func compare(cell, mta string, m *model, obs []delivery, alpha float64, trials int, rng *rand.Rand) *cellResult {
	r := &cellResult{Cell: cell, MTA: mta, N: len(obs)}
	if len(obs) == 0 {
		r.Failures = append(r.Failures, "no deliveries observed")
		return r
	}
	od := m.orderDist()
	obs, r.Replayed, r.ReplayedStreams = dropReplays(obs, od)
	r.N = len(obs)
	r.ModelOrderings = len(od)
	acceptsMail := m.AcceptsMail == nil || *m.AcceptsMail
	keys := make([]string, len(obs))
	for i, d := range obs {
		keys[i] = strings.Join(d.Order, ",")
		if od[keys[i]] <= 0 {
			r.Unexplained++
			if r.UnexplainedExample == "" {
				r.UnexplainedExample = fmt.Sprintf("[%s] (%s)", keys[i], d.Status)
			}
		}
		// Every lab address refuses or greets 421, so a domain that takes
		// mail must defer; one that does not (null MX) must bounce.
		want := "deferred"
		if !acceptsMail {
			want = "bounced"
		}
		// A deferral that outlived the queue lifetime ends "expired".
		expiredDeferral := want == "deferred" && d.Status == "expired"
		if d.Status != want && !expiredDeferral {
			r.WrongStatus++
			if r.WrongStatusExample == "" {
				r.WrongStatusExample = fmt.Sprintf("%s dsn=%s [%s], want %s", d.Status, d.DSN, keys[i], want)
			}
		}
	}
	if r.Unexplained > 0 {
		if m.OrderingsOmitted > 0 {
			r.Failures = append(r.Failures, fmt.Sprintf("%d orderings outside the listed ones (model omitted %d; raise --max-orderings)", r.Unexplained, m.OrderingsOmitted))
		} else {
			r.Failures = append(r.Failures, fmt.Sprintf("%d of %d observed orderings have model probability 0, e.g. %s", r.Unexplained, r.N, r.UnexplainedExample))
		}
	}
	if r.WrongStatus > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("%d of %d deliveries ended unexpectedly, e.g. %s", r.WrongStatus, r.N, r.WrongStatusExample))
	}
	r.ObservedOrderings = len(empirical(keys))

	// First-family share: only over deliveries that made an attempt.
	pv6, mass := 0.0, 0.0
	for k, p := range od {
		if k == "" {
			continue
		}
		mass += p
		if isIPv6(strings.SplitN(k, ",", 2)[0]) {
			pv6 += p
		}
	}
	if m.PFirstIPv6 != nil && math.Abs(*m.PFirstIPv6-pv6) > 1e-6 && mass > 0 {
		r.Failures = append(r.Failures, fmt.Sprintf("model inconsistent: p_first_ipv6 %.6f but orderings give %.6f", *m.PFirstIPv6, pv6))
	}
	attempted := 0
	for _, d := range obs {
		if len(d.Order) > 0 {
			attempted++
			if isIPv6(d.Order[0]) {
				r.FirstV6++
			}
		}
	}
	r.Attempted = attempted
	if mass > 0 && attempted > 0 {
		r.FirstV6Tested = true
		r.FirstV6Model = pv6 / mass
		r.FirstV6P, r.FirstV6Lo, r.FirstV6Hi = binomTest(attempted, r.FirstV6, r.FirstV6Model, alpha)
		if r.FirstV6P < alpha {
			r.statFail(fmt.Sprintf("first attempt IPv6 in %d of %d, model %.4f: outside the accepted %d..%d (exact binomial p=%.2g < %g)",
				r.FirstV6, attempted, r.FirstV6Model, r.FirstV6Lo, r.FirstV6Hi, r.FirstV6P, alpha))
		}
	}

	// Pattern distributions, by ordering and by family pattern.
	ed := empirical(keys)
	r.TVDOrder = tvd(ed, od)
	r.TVDOrderNoise, r.TVDOrderLimit = tvdNoise(od, r.N, trials, alpha, rng)
	if r.TVDOrder > r.TVDOrderLimit+1e-12 {
		r.statFail(fmt.Sprintf("orderings: TVD %.3f > tolerance %.3f (noise %.3f)", r.TVDOrder, r.TVDOrderLimit, r.TVDOrderNoise))
	}
	pd := od.mapKeys(patternOfKey)
	r.TVDPattern = tvd(ed.mapKeys(patternOfKey), pd)
	r.TVDPatternNoise, r.TVDPatternLimit = tvdNoise(pd, r.N, trials, alpha, rng)
	if r.TVDPattern > r.TVDPatternLimit+1e-12 {
		r.statFail(fmt.Sprintf("family patterns: TVD %.3f > tolerance %.3f (noise %.3f)", r.TVDPattern, r.TVDPatternLimit, r.TVDPatternNoise))
	}
	// Which address comes first: few categories, so the most sensitive test
	// of the shuffle itself (a biased shuffle keeps the support and, with
	// many orderings, hides in the noise of the whole-ordering TVD).
	fd := od.mapKeys(firstOfKey)
	r.TVDFirst = tvd(ed.mapKeys(firstOfKey), fd)
	r.TVDFirstNoise, r.TVDFirstLimit = tvdNoise(fd, r.N, trials, alpha, rng)
	if r.TVDFirst > r.TVDFirstLimit+1e-12 {
		r.statFail(fmt.Sprintf("first address: TVD %.3f > tolerance %.3f (noise %.3f)", r.TVDFirst, r.TVDFirstLimit, r.TVDFirstNoise))
	}
	return r
}

func firstOfKey(key string) string {
	first, _, _ := strings.Cut(key, ",")
	return first
}

// markdownHeader and markdownRow render results as the table in
// docs/postfix-ipv6.md, "Measured against real Postfix".
const markdownHeader = "| MTA | cell | n | first attempt IPv6: observed | model | accepted (α) | orderings seen / model | TVD orderings: observed / noise / tolerance | TVD family patterns: observed / noise / tolerance | TVD first address: observed / noise / tolerance | result |\n" +
	"|---|---|---|---|---|---|---|---|---|---|---|\n"

func markdownRow(r *cellResult) string {
	first, mdl, acc := "n/a", "n/a", "n/a"
	if r.FirstV6Tested {
		n := r.Attempted
		first = fmt.Sprintf("%.3f (%d/%d)", float64(r.FirstV6)/float64(n), r.FirstV6, n)
		mdl = fmt.Sprintf("%.3f", r.FirstV6Model)
		acc = fmt.Sprintf("%.3f–%.3f", float64(r.FirstV6Lo)/float64(n), float64(r.FirstV6Hi)/float64(n))
	}
	n := fmt.Sprint(r.N)
	if r.Replayed > 0 {
		n += fmt.Sprintf(" (+%d replayed by %d process(es), left out)", r.Replayed, r.ReplayedStreams)
	}
	verdict := "pass"
	if r.Pass() && len(r.Statistical) > 0 {
		verdict = "pass (possible orderings only: " + strings.Join(r.Statistical, "; ") + ")"
	}
	if !r.Pass() {
		verdict = "**FAIL**: " + strings.Join(r.Failures, "; ")
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %d / %d | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f | %s |\n",
		r.MTA, r.Cell, n, first, mdl, acc, r.ObservedOrderings, r.ModelOrderings,
		r.TVDOrder, r.TVDOrderNoise, r.TVDOrderLimit, r.TVDPattern, r.TVDPatternNoise, r.TVDPatternLimit,
		r.TVDFirst, r.TVDFirstNoise, r.TVDFirstLimit, verdict)
}
