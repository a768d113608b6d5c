package mta

import (
	"net/netip"
	"strings"
	"testing"
)

// nativeEnv describes a host by its addresses (CIDR), with the sources
// GAISourcesFor picks for the addresses of in.
func nativeEnvFor(in Input, conf string, host ...string) *NativeEnv {
	env := &NativeEnv{Sources: map[netip.Addr]netip.Addr{}, SourcesFrom: "--source-addr"}
	if conf != "" {
		env.Conf = ParseGAIConf("gai.conf", []byte(conf))
	}
	for _, h := range host {
		env.Host.Addrs = append(env.Host.Addrs, GAIHostAddr{Prefix: netip.MustParsePrefix(h), IfIndex: 2})
	}
	var dests []netip.Addr
	for _, x := range in.MX {
		dests = append(append(dests, x.A...), x.AAAA...)
	}
	for _, d := range GAISourcesFor(env.Host, dests) {
		if d.Source.IsValid() {
			env.Sources[d.Addr] = d.Source
		}
	}
	return env
}

func simulateNative(t *testing.T, in Input, cfg Config) Document {
	t.Helper()
	doc, err := Simulate(in, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func firstOrder(d Document) string { return strings.Join(d.Orderings[0].Order, " ") }

func TestGetaddrinfoClientPutsGlobalIPv6FirstByPrecedence(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "", "192.0.2.10/24", "2001:db8:1::10/64")
	doc := simulateNative(t, in, Config{MTA: Getaddrinfo, Native: env})
	if got := firstOrder(doc); got != "2001:db8::1 192.0.2.1" || doc.PFirstIPv6 != 1 {
		t.Fatalf("order %q p_first_ipv6 %v, want IPv6 first for certain", got, doc.PFirstIPv6)
	}
	h := doc.Getaddrinfo.Hosts[0]
	if h.Decisions[0].Rule != 6 || !strings.Contains(h.Decisions[0].Reason, "precedence 40") {
		t.Errorf("decision %+v, want rule 6 on precedence", h.Decisions[0])
	}
	if h.Order[0].Source != "2001:db8:1::10" || !doc.Getaddrinfo.GAIConf.Default {
		t.Errorf("inputs not shown: %+v %+v", h.Order[0], doc.Getaddrinfo.GAIConf)
	}
}

func TestGetaddrinfoClientFollowsGAIConfPrecedence(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "precedence ::ffff:0:0/96 100\n", "192.0.2.10/24", "2001:db8:1::10/64")
	doc := simulateNative(t, in, Config{MTA: Getaddrinfo, Native: env})
	if got := firstOrder(doc); got != "192.0.2.1 2001:db8::1" {
		t.Fatalf("order %q, want IPv4 first by gai.conf", got)
	}
	if c := doc.Getaddrinfo.GAIConf; c.Default || len(c.Lines) != 1 || c.Lines[0].Line != 1 {
		t.Errorf("gai_conf %+v, want the one line", c)
	}
}

func TestGetaddrinfoClientSaysWhenAnOrderRestsOnArrival(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 a2"))
	env := nativeEnvFor(in, "", "198.51.100.10/24")
	doc := simulateNative(t, in, Config{MTA: Getaddrinfo, Native: env})
	h := doc.Getaddrinfo.Hosts[0]
	if !h.RestsOnTie || !h.Decisions[0].RestsOnTie || !strings.Contains(h.Decisions[0].Reason, tieWording) {
		t.Fatalf("host %+v, want the tie said plainly", h)
	}
}

func TestGoClientShufflesEqualPreferenceHosts(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1"), host(10, "mx2.example.test", "a2"), host(20, "mx3.example.test", "a3"))
	env := nativeEnvFor(in, "", "198.51.100.10/24")
	doc := simulateNative(t, in, Config{MTA: Go, Native: env})
	if len(doc.Orderings) != 2 || doc.Orderings[0].Probability != 0.5 || doc.Attempts[2].PTried != 1 {
		t.Fatalf("orderings %+v, want the two host orders at 1/2 each", doc.Orderings)
	}
	if doc.Getaddrinfo.Model != "go" || doc.Getaddrinfo.GAIConf != nil || !strings.Contains(doc.Getaddrinfo.HappyEyeballs, "300 ms") {
		t.Errorf("getaddrinfo %+v, want Go's model without gai.conf and with its race", doc.Getaddrinfo)
	}
}

func TestPostfixNativeWithoutIPv6RouteTriesIPv4FirstAndSaysWhy(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "", "192.0.2.10/24")
	doc := simulateNative(t, in, Config{Set: sets("smtp_host_lookup", "native", "smtp_randomize_addresses", "no"), Native: env})
	if got := firstOrder(doc); got != "192.0.2.1 2001:db8::1" || doc.PFirstIPv6 != 0 {
		t.Fatalf("order %q p_first_ipv6 %v, want IPv4 first for certain", got, doc.PFirstIPv6)
	}
	notes := strings.Join(doc.Notes, "\n")
	if !strings.Contains(notes, "IPv4 first") || !strings.Contains(notes, "rule 1: no source address for 2001:db8::1") || !strings.Contains(notes, "order is kept") {
		t.Errorf("notes %q, want IPv4 first because of rule 1", notes)
	}
}

func TestPostfixNativeOrderIsLostToTheShuffle(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "", "192.0.2.10/24")
	doc := simulateNative(t, in, Config{Set: sets("smtp_host_lookup", "native"), Native: env})
	if doc.PFirstIPv6 != 0.5 || !strings.Contains(strings.Join(doc.Notes, "\n"), "order is lost") {
		t.Fatalf("p_first_ipv6 %v notes %q, want the shuffle to win", doc.PFirstIPv6, doc.Notes)
	}
}

func TestPostfixNativeAddressPreferenceResortsByFamily(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "", "192.0.2.10/24")
	doc := simulateNative(t, in, Config{Set: sets("smtp_host_lookup", "native", "smtp_randomize_addresses", "no", "smtp_address_preference", "ipv6"), Native: env})
	if got := firstOrder(doc); got != "2001:db8::1 192.0.2.1" {
		t.Fatalf("order %q, want smtp_address_preference = ipv6 to override getaddrinfo", got)
	}
}

func TestPostfixDNSThenNativeKeepsTheDNSOrder(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"), Exchange{Preference: 20, Host: "gone.example.test", AStatus: LookupNXDomain, AAAAStatus: LookupNXDomain})
	env := nativeEnvFor(in, "", "192.0.2.10/24", "2001:db8:1::10/64")
	doc := simulateNative(t, in, Config{Set: sets("smtp_host_lookup", "dns, native", "smtp_randomize_addresses", "no"), Native: env})
	if got := firstOrder(doc); got != "192.0.2.1 2001:db8::1" {
		t.Fatalf("order %q, want DNS answer order (A then AAAA)", got)
	}
	if !strings.Contains(strings.Join(doc.Notes, "\n"), "DNS found no address for gone.example.test, so Postfix asks getaddrinfo") {
		t.Errorf("notes %q, want the fallback explained", doc.Notes)
	}
}

func TestGAIConfCrashIsANote(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 b1"))
	env := nativeEnvFor(in, "scopev4 ::ffff:192.0.2.0 14\n", "192.0.2.10/24")
	if env.Conf.Crash == nil {
		t.Fatal("a scopev4 line without a prefix length is not flagged as a crash")
	}
	doc := simulateNative(t, in, Config{MTA: Getaddrinfo, Native: env})
	if !strings.Contains(doc.Getaddrinfo.GAIConf.Crash, "real glibc crashes") || !strings.Contains(strings.Join(doc.Notes, "\n"), "crashes") {
		t.Fatalf("crash not reported: %+v %q", doc.Getaddrinfo.GAIConf, doc.Notes)
	}
}

func TestGetaddrinfoNoteNamesTheFirstExchangeWithBothFamilies(t *testing.T) {
	in := domain(host(10, "mx1.example.test", "a1 a2"), host(20, "mx2.example.test", "a3 b3"))
	env := nativeEnvFor(in, "", "192.0.2.10/24")
	doc := simulateNative(t, in, Config{MTA: Getaddrinfo, Native: env})
	if notes := strings.Join(doc.Notes, "\n"); !strings.Contains(notes, "mx2.example.test: IPv4 first, 192.0.2.3 before 2001:db8::3 because rule 1") {
		t.Errorf("notes %q, want mx2's family decision", notes)
	}
}
