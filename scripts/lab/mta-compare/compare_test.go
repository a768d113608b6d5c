package main

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Lines as Postfix 3.7.11 wrote them in the lab: a refused IPv6 connect, a
// 421 greeting on a server that was not the last one tried, and a final
// session (421) that appears only in relay=.
const postfixLog = `Nov 29 15:44:56 client postfix/smtp[18604]: connect to mx.two.lab.test[2001:db8:1::11]:25: Connection refused
Nov 29 15:44:56 client postfix/smtp[18604]: 1F5589882B2: host mx.two.lab.test[192.0.2.12] refused to talk to me: 421 4.3.2 lab peer not available
Nov 29 15:44:56 client postfix/smtp[18592]: connect to mx.two.lab.test[192.0.2.11]:25: Connection refused
Nov 29 15:44:56 client postfix/smtp[18604]: connect to mx.two.lab.test[192.0.2.11]:25: Connection refused
Nov 29 15:44:56 client postfix/smtp[18604]: 1F5589882B2: to=<u@two.lab.test>, relay=none, delay=0.12, delays=0.1/0/0.01/0, dsn=4.4.1, status=deferred (connect to mx.two.lab.test[192.0.2.11]:25: Connection refused)
Nov 29 15:44:56 client postfix/smtp[18592]: connect to mx.two.lab.test[2001:db8:1::11]:25: Connection refused
Nov 29 15:44:56 client postfix/smtp[18592]: 3C5FE988451: to=<u@two.lab.test>, relay=mx.two.lab.test[192.0.2.12]:25, delay=0.02, delays=0.01/0/0/0, dsn=4.3.2, status=deferred (host mx.two.lab.test[192.0.2.12] refused to talk to me: 421 4.3.2 lab peer not available)
Nov 29 15:44:56 client postfix/qmgr[18560]: 3C5FE988451: from=<>, status=expired, returned to sender
Nov 29 15:45:10 client postfix/smtp[18592]: 4D0E1988452: to=<u@NullMX.lab.test>, relay=none, delay=0.01, delays=0/0/0/0, dsn=5.1.0, status=bounced (Domain nullmx.lab.test does not accept mail (nullMX))
`

func TestPostfixLogOrderIncludesTheFinalRelayAndInterleavedProcesses(t *testing.T) {
	got, err := parsePostfixLog(strings.NewReader(postfixLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery{
		{Domain: "two.lab.test", Status: "deferred", DSN: "4.4.1", Order: []string{"2001:db8:1::11", "192.0.2.12", "192.0.2.11"}, Stream: "smtp[18604]"},
		{Domain: "two.lab.test", Status: "deferred", DSN: "4.3.2", Order: []string{"192.0.2.11", "2001:db8:1::11", "192.0.2.12"}, Stream: "smtp[18592]"},
		{Domain: "nullmx.lab.test", Status: "bounced", DSN: "5.1.0", Stream: "smtp[18592]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

const eximLog = `2026-11-29 15:45:03 1xXh5L-0005pp-1Z <= <> U=root P=local S=237
2026-11-29 15:45:03 1xXh5L-0005pp-1Z H=mx.two.lab.test [2001:db8:1::11] Connection refused
2026-11-29 15:45:03 1xXh5L-0005pp-1Z H=mx.two.lab.test [192.0.2.12]: SMTP error from remote mail server after initial connection: 421 4.3.2 lab peer not available
2026-11-29 15:45:03 1xXh5L-0005pp-1Z H=mx.two.lab.test [192.0.2.11] Connection refused
2026-11-29 15:45:03 1xXh5L-0005pp-1Z == u@two.lab.test R=dnslookup T=remote_smtp defer (111): Connection refused H=mx.two.lab.test [192.0.2.12]
2026-11-29 15:45:04 1xXh5M-0005qJ-0U ** u@nullmx.lab.test: Unrouteable address
`

func TestEximLogOrderEndsAtTheRecipientLine(t *testing.T) {
	got, err := parseEximLog(strings.NewReader(eximLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery{
		{Domain: "two.lab.test", Status: "deferred", Order: []string{"2001:db8:1::11", "192.0.2.12", "192.0.2.11"}},
		{Domain: "nullmx.lab.test", Status: "bounced"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestDeliveriesSurviveTheTSVRoundTrip(t *testing.T) {
	in, _ := parsePostfixLog(strings.NewReader(postfixLog))
	var b strings.Builder
	if err := writeDeliveries(&b, in); err != nil {
		t.Fatal(err)
	}
	out, err := readDeliveries(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed deliveries:\n%+v\n%+v", in, out)
	}
}

func TestBinomialTestAcceptsTheMeanAndRejectsTheTails(t *testing.T) {
	tests := []struct {
		n, k   int
		p      float64
		reject bool
	}{
		{200, 100, 0.5, false},
		{200, 120, 0.5, false}, // p ≈ 0.0057, within α = 1e-4
		{200, 140, 0.5, true},  // p ≈ 1e-8
		{200, 60, 0.5, true},
		{200, 200, 1, false},
		{200, 199, 1, true}, // a deterministic model allows no exception
		{200, 1, 0, true},
	}
	for _, tc := range tests {
		p, lo, hi := binomTest(tc.n, tc.k, tc.p, 1e-4)
		if (p < 1e-4) != tc.reject {
			t.Errorf("n=%d k=%d p=%v: p-value %.3g, reject=%v, want %v", tc.n, tc.k, tc.p, p, p < 1e-4, tc.reject)
		}
		if tc.p == 0.5 && (lo != tc.n-hi || lo < 60 || lo > 80) {
			t.Errorf("acceptance region %d..%d for p=0.5 is not symmetric about 100 or implausible", lo, hi)
		}
	}
}

func TestTVDToleranceGrowsWithCategoriesAndShrinksWithSamples(t *testing.T) {
	uniform := func(k int) dist {
		d := dist{}
		for i := range k {
			d[string(rune('a'+i))] = 1 / float64(k)
		}
		return d
	}
	rng := rand.New(rand.NewPCG(1, 2))
	_, l2 := tvdNoise(uniform(2), 200, 2000, 1e-3, rng)
	_, l24 := tvdNoise(uniform(24), 200, 2000, 1e-3, rng)
	_, l24big := tvdNoise(uniform(24), 2000, 500, 1e-3, rng)
	if !(l2 < l24 && l24big < l24) {
		t.Errorf("tolerances: 2 cats %.3f, 24 cats %.3f, 24 cats n=2000 %.3f", l2, l24, l24big)
	}
	if mean, limit := tvdNoise(dist{"x": 1}, 200, 1000, 1e-3, rng); mean != 0 || limit != 0 {
		t.Errorf("a one-ordering model has no sampling noise, got %v/%v", mean, limit)
	}
}

func modelOf(orders map[string]float64) *model {
	m := &model{}
	for k, p := range orders {
		var o []string
		if k != "" {
			o = strings.Split(k, ",")
		}
		m.Orderings = append(m.Orderings, struct {
			Order       []string `json:"order"`
			Probability float64  `json:"probability"`
		}{o, p})
	}
	return m
}

func deliveries(domain, status string, orders map[string]int) []delivery {
	var out []delivery
	for k, n := range orders {
		for range n {
			var o []string
			if k != "" {
				o = strings.Split(k, ",")
			}
			out = append(out, delivery{Domain: domain, Status: status, Order: o})
		}
	}
	return out
}

func TestCompareVerdicts(t *testing.T) {
	const v4, v6 = "203.0.113.11", "2001:db8:c0:1::1"
	coin := modelOf(map[string]float64{v6 + "," + v4: 0.5, v4 + "," + v6: 0.5})
	ipv6First := modelOf(map[string]float64{v6 + "," + v4: 1})
	no := false
	nullMX := modelOf(nil)
	nullMX.AcceptsMail = &no
	tests := []struct {
		name  string
		m     *model
		obs   []delivery
		pass  bool
		cause string
	}{
		{"a fair coin observed fairly", coin,
			deliveries("d", "deferred", map[string]int{v6 + "," + v4: 104, v4 + "," + v6: 96}), true, ""},
		{"a fair coin observed always IPv6 first", coin,
			deliveries("d", "deferred", map[string]int{v6 + "," + v4: 200}), false, "first attempt IPv6"},
		{"an ordering the model rules out", ipv6First,
			deliveries("d", "deferred", map[string]int{v6 + "," + v4: 199, v4 + "," + v6: 1}), false, "model probability 0"},
		{"an attempt missing at the end", ipv6First,
			deliveries("d", "deferred", map[string]int{v6: 50}), false, "model probability 0"},
		{"null MX bounced without a connection", nullMX,
			deliveries("d", "bounced", map[string]int{"": 50}), true, ""},
		{"null MX deferred", nullMX,
			deliveries("d", "deferred", map[string]int{"": 50}), false, "ended unexpectedly"},
		{"nothing observed", coin, nil, false, "no deliveries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := compare("cell", "Postfix", tc.m, tc.obs, 1e-4, 2000, rand.New(rand.NewPCG(1, 1)))
			if r.Pass() != tc.pass {
				t.Fatalf("pass = %v, want %v; failures %v", r.Pass(), tc.pass, r.Failures)
			}
			if tc.cause != "" && !strings.Contains(strings.Join(r.Failures, "; "), tc.cause) {
				t.Errorf("failures %v do not mention %q", r.Failures, tc.cause)
			}
			if row := markdownRow(r); !strings.HasPrefix(row, "| Postfix | cell |") || strings.Count(row, " | ") != 10 {
				t.Errorf("markdown row has the wrong shape: %q", row)
			}
		})
	}
}

func TestCompareCatchesABiasedFirstAddress(t *testing.T) {
	// Six addresses each first with 1/6 (and 120 orderings each), but the MTA
	// puts the third one first half of the time, as a biased shuffle could.
	addrs := []string{"203.0.113.31", "203.0.113.32", "203.0.113.33", "2001:db8:c0:3::1", "2001:db8:c0:3::2", "2001:db8:c0:3::3"}
	orders := map[string]float64{}
	for i, a := range addrs {
		rest := append(append([]string(nil), addrs[:i]...), addrs[i+1:]...)
		orders[strings.Join(append([]string{a}, rest...), ",")] = 1.0 / 6
	}
	seen := map[string]int{}
	for i, a := range addrs {
		rest := append(append([]string(nil), addrs[:i]...), addrs[i+1:]...)
		n := 20
		if i == 2 {
			n = 100
		}
		seen[strings.Join(append([]string{a}, rest...), ",")] = n
	}
	r := compare("six", "Postfix", modelOf(orders), deliveries("d", "deferred", seen), 1e-4, 2000, rand.New(rand.NewPCG(4, 4)))
	if !strings.Contains(strings.Join(r.Failures, ";"), "first address: TVD") {
		t.Errorf("a first address at 1/2 instead of 1/6 passed: TVD %.3f limit %.3f, failures %v", r.TVDFirst, r.TVDFirstLimit, r.Failures)
	}
}

func TestCompareCatchesASkewedDistributionThatKeepsTheSupport(t *testing.T) {
	// 24 equally likely orderings (research §1.10, pref any) but the MTA only
	// ever uses 6 of them: every ordering is possible, the first-family share
	// is right, and only the TVD can tell.
	orders := map[string]float64{}
	seen := map[string]int{}
	i := 0
	permutations([]string{"203.0.113.21", "2001:db8:c0:2::1", "203.0.113.22", "2001:db8:c0:2::2"}, func(o []string) {
		k := strings.Join(append(o, "203.0.113.23"), ",")
		orders[k] = 1.0 / 24
		if i%4 == 0 {
			seen[k] = 200 / 6
		}
		i++
	})
	r := compare("pair", "Postfix", modelOf(orders), deliveries("d", "deferred", seen), 1e-4, 2000, rand.New(rand.NewPCG(3, 3)))
	if r.Pass() || !strings.Contains(strings.Join(r.Failures, ";"), "orderings: TVD") {
		t.Errorf("a distribution on 6 of 24 orderings passed: TVD %.3f limit %.3f, failures %v", r.TVDOrder, r.TVDOrderLimit, r.Failures)
	}
	if math.Abs(r.TVDOrder-0.75) > 0.01 {
		t.Errorf("TVD = %.3f, want 0.75", r.TVDOrder)
	}
}

func TestSupportOnlyIgnoresASkewButNotAnImpossibleOrdering(t *testing.T) {
	// Two equally likely host orders; the MTA takes the first 19 times in
	// 20 (lookup completion order favouring answer order).
	a := "2001:db8:c0:2::1,203.0.113.21,2001:db8:c0:2::2,203.0.113.22"
	b := "2001:db8:c0:2::2,203.0.113.22,2001:db8:c0:2::1,203.0.113.21"
	m := modelOf(map[string]float64{a: 0.5, b: 0.5})
	r := compare("pair", "OpenSMTPD", m, deliveries("d", "deferred", map[string]int{a: 38, b: 2}), 1e-4, 2000, rand.New(rand.NewPCG(5, 5)))
	if r.Pass() {
		t.Fatalf("a 38:2 split of a fair coin passed the statistics: %v", r.Failures)
	}
	r.supportOnly()
	if !r.Pass() || len(r.Statistical) == 0 || !strings.HasPrefix(markdownRow(r), "| OpenSMTPD | pair | 40 |") ||
		!strings.Contains(markdownRow(r), "pass (possible orderings only: ") {
		t.Errorf("support only: failures %v, row %s", r.Failures, markdownRow(r))
	}
	mixed := "2001:db8:c0:2::1,2001:db8:c0:2::2,203.0.113.21,203.0.113.22"
	r = compare("pair", "OpenSMTPD", m, deliveries("d", "deferred", map[string]int{a: 20, mixed: 1}), 1e-4, 2000, rand.New(rand.NewPCG(5, 5)))
	r.supportOnly()
	if r.Pass() {
		t.Error("support only passed an ordering that splits a host's addresses")
	}
}

func TestReplayedRandomSequencesAreLeftOut(t *testing.T) {
	// 24 equally likely orderings: c = 1/24, so 5 identical deliveries in a
	// row happen by chance with probability 1/24^5 ≈ 1.3e-7.
	od := dist{}
	var keys []string
	permutations([]string{"a", "b", "c", "d"}, func(o []string) {
		key := strings.Join(o, ",")
		keys = append(keys, key)
		od[key] = 1.0 / 24
	})
	mk := func(stream string, idx ...int) []delivery {
		var ds []delivery
		for _, i := range idx {
			ds = append(ds, delivery{Domain: "d", Status: "deferred", Order: strings.Split(keys[i], ","), Stream: stream})
		}
		return ds
	}
	var obs []delivery
	obs = append(obs, mk("smtp[1000]", 3, 7, 7, 1, 20)...)
	obs = append(obs, mk("smtp[1001]", 3, 7, 7, 1, 20, 5, 6)...) // replays 1000, then goes on alone
	obs = append(obs, mk("smtp[1002]", 3, 7, 7, 1, 19)...)       // differs in the last
	obs = append(obs, mk("smtp[1003]", 3)...)                    // too short to tell
	kept, dropped, streams := dropReplays(obs, od)
	if dropped != 5 || streams != 1 || len(kept) != len(obs)-5 {
		t.Fatalf("dropped %d deliveries of %d streams, kept %d of %d; want 5, 1, %d", dropped, streams, len(kept), len(obs), len(obs)-5)
	}
	var tail []string
	for _, d := range kept {
		if d.Stream == "smtp[1001]" {
			tail = append(tail, strings.Join(d.Order, ","))
		}
	}
	if want := []string{keys[5], keys[6]}; !reflect.DeepEqual(tail, want) {
		t.Errorf("kept of the replaying stream %v, want its deliveries after the first stream ended %v", tail, want)
	}

	// A predictable cell (two orderings): identical streams prove nothing.
	two := dist{"x,y": 0.5, "y,x": 0.5}
	same := []delivery{
		{Order: []string{"x", "y"}, Stream: "p1"}, {Order: []string{"y", "x"}, Stream: "p1"},
		{Order: []string{"x", "y"}, Stream: "p2"}, {Order: []string{"y", "x"}, Stream: "p2"},
	}
	if _, dropped, _ := dropReplays(same, two); dropped != 0 {
		t.Errorf("dropped %d deliveries of a two-ordering cell; identical short streams there are chance", dropped)
	}
	// Deliveries without a stream (one process each) are never dropped.
	for i := range same {
		same[i].Stream = ""
	}
	if _, dropped, _ := dropReplays(same, od); dropped != 0 {
		t.Errorf("dropped %d deliveries without a stream", dropped)
	}
}

// permutations calls f with every ordering of a (a copy each time).
func permutations(a []string, f func([]string)) {
	var rec func(int)
	rec = func(i int) {
		if i == len(a) {
			f(append([]string(nil), a...))
			return
		}
		for j := i; j < len(a); j++ {
			a[i], a[j] = a[j], a[i]
			rec(i + 1)
			a[i], a[j] = a[j], a[i]
		}
	}
	rec(0)
}

// Debug output of two `sendmail -d16.1 -odi` runs as the lab frames them
// (Sendmail 8.17.1.9): lines that are not connects are skipped.
const sendmailLog = `== delivery Pair.lab.test
getmxrr(pair.lab.test., droplocalhost=1, flags=3, port=25)
makeconnection (mx1.pair.lab.test. [IPv6:2001:db8:1:0:0:0:0:11].25 (10))
makeconnection: fd=5
Connecting to [IPv6:2001:db8:1:0:0:0:0:11].25...
Connect failed (Connection refused by mx1.pair.lab.test.); retrying with AF_INET....
makeconnection (mx1.pair.lab.test. [192.0.2.11].25 (2))
Connect failed (Network is unreachable)
makeconnection (mx2.pair.lab.test. [192.0.2.12].25 (2))
== end deferred
== delivery nullmx.lab.test
== end bounced
`

func TestSendmailLogOrderIsTheMakeconnectionLinesOfEachRun(t *testing.T) {
	got, err := parseSendmailLog(strings.NewReader(sendmailLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery{
		{Domain: "pair.lab.test", Status: "deferred", Order: []string{"2001:db8:1::11", "192.0.2.11", "192.0.2.12"}},
		{Domain: "nullmx.lab.test", Status: "bounced"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := parseSendmailLog(strings.NewReader("== delivery a.test\nmakeconnection (a. [192.0.2.1].25 (2))\n")); err == nil {
		t.Error("a run without its end line was accepted")
	}
}

// Output of two foreground smtpd runs (OpenSMTPD 6.8.0p2) as the lab frames
// them: only the "mta connecting" lines are attempts.
const opensmtpdLog = `== delivery keep.lab.example
ed385942d9077095 smtp envelope evpid=0efbe4ea1a2bffc8 from=<> to=<u@keep.lab.example>
ed38594613198d2f mta connecting address=smtp://[2001:db8:c0:2::2]:25 host=2001:db8:c0:2::2
ed38594613198d2f mta error reason=IO Error: Connection refused
smtp-out: Disabling route [] <-> [2001:db8:c0:2::2] (2001:db8:c0:2::2) for 15s
ed38594731787605 mta connecting address=smtp://203.0.113.22:25 host=203.0.113.22
ed38594a3fee1c7d mta connecting address=smtp+tls://203.0.113.23:25 host=mx3.pair.lab.example
== end deferred
== delivery six.lab.example
== end none
`

func TestOpenSMTPDLogOrderIsTheConnectingLinesOfEachRun(t *testing.T) {
	got, err := parseOpenSMTPDLog(strings.NewReader(opensmtpdLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery{
		{Domain: "keep.lab.example", Status: "deferred", Order: []string{"2001:db8:c0:2::2", "203.0.113.22", "203.0.113.23"}},
		{Domain: "six.lab.example", Status: "none"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if _, err := parseOpenSMTPDLog(strings.NewReader("== end deferred\n")); err == nil {
		t.Error("an end line outside a run was accepted")
	}
}

// On a loaded machine (OpenSMTPD 6.8.0p2 in the lab): the session for
// 2001:db8:c0:2::1 was created first but logged its connect after the one
// started 2 s later; and a walk slower than a route's 15 s penalty starts
// over, which is not part of the first walk.
const opensmtpdSlowLog = `== delivery keep.lab.example
c26ff69a25517e46 mta connecting address=smtp://203.0.113.21:25 host=203.0.113.21
c26ff699c7ea3853 mta connecting address=smtp://[2001:db8:c0:2::1]:25 host=2001:db8:c0:2::1
c26ff69b1349b861 mta connecting address=smtp://[2001:db8:c0:2::2]:25 host=2001:db8:c0:2::2
c26ff69cd6f94a3d mta connecting address=smtp://203.0.113.22:25 host=203.0.113.22
c26ff69d20093628 mta connecting address=smtp://203.0.113.23:25 host=203.0.113.23
c26ff69e20093628 mta connecting address=smtp://[2001:db8:c0:2::1]:25 host=2001:db8:c0:2::1
== end deferred
== delivery keep.lab.example
ffffffff25517e46 mta connecting address=smtp://203.0.113.21:25 host=203.0.113.21
00000000c7ea3853 mta connecting address=smtp://[2001:db8:c0:2::1]:25 host=2001:db8:c0:2::1
== end deferred
`

func TestOpenSMTPDLogOrdersAttemptsBySessionCreation(t *testing.T) {
	got, err := parseOpenSMTPDLog(strings.NewReader(opensmtpdSlowLog))
	if err != nil {
		t.Fatal(err)
	}
	want := []delivery{
		{Domain: "keep.lab.example", Status: "deferred", Order: []string{"2001:db8:c0:2::1", "203.0.113.21", "2001:db8:c0:2::2", "203.0.113.22", "203.0.113.23"}},
		{Domain: "keep.lab.example", Status: "deferred", Order: []string{"203.0.113.21", "2001:db8:c0:2::1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
