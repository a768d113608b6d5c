package audit

import (
	"encoding/json"
	"time"

	"context"
	"errors"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"net/netip"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// countingRoutes answers IPv4 destinations only and counts the connects.
type countingRoutes struct{ calls int }

func (r *countingRoutes) Source(_ context.Context, dst netip.Addr) (netip.Addr, error) {
	r.calls++
	if dst.Is4() {
		return netip.MustParseAddr("198.51.100.10"), nil
	}
	return netip.Addr{}, errors.New("connect: network is unreachable")
}

func nativeDiscovery() discover.Result {
	a1, b1 := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")
	return discover.Result{Domain: "example.test", MX: []discover.Exchange{
		{Host: "mx1.example.test", Addresses: []discover.Address{{IP: a1}, {IP: b1}}},
		{Host: "mx2.example.test", Addresses: []discover.Address{{IP: a1}}}, // shared: asked once
	}}
}

func TestNativeEnvAsksThisHostOncePerDestinationAndLeavesUnroutedOnesWithoutSource(t *testing.T) {
	routes := &countingRoutes{}
	host := []mta.GAIHostAddr{{Prefix: netip.MustParsePrefix("198.51.100.10/24"), IfIndex: 2}}
	c := &Checker{SenderRoutes: routes, HostAddrs: func() ([]mta.GAIHostAddr, error) { return host, nil }}
	env := c.nativeEnv(context.Background(), nil, nativeDiscovery())
	if env.SourcesFrom != "this host" || len(env.Host.Addrs) != 1 || routes.calls != 2 {
		t.Fatalf("env %+v after %d connects, want this host's one address and one connect per destination", env, routes.calls)
	}
	if env.Sources[netip.MustParseAddr("192.0.2.1")] != netip.MustParseAddr("198.51.100.10") {
		t.Errorf("sources %v, want the IPv4 destination's source", env.Sources)
	}
	if _, ok := env.Sources[netip.MustParseAddr("2001:db8::1")]; ok {
		t.Errorf("sources %v, want no source for the unrouted IPv6 destination", env.Sources)
	}
}

func TestNativeEnvFromSourceAddrsAsksNothingOfThisHost(t *testing.T) {
	routes := &countingRoutes{}
	c := &Checker{SenderRoutes: routes}
	req := &NativeRequest{SourceAddrs: []netip.Prefix{netip.MustParsePrefix("2001:db8:ff::10/64")}}
	env := c.nativeEnv(context.Background(), req, nativeDiscovery())
	if routes.calls != 0 || env.SourcesFrom != "--source-addr" {
		t.Fatalf("%d connects, from %q: want the flags alone", routes.calls, env.SourcesFrom)
	}
	if env.Sources[netip.MustParseAddr("2001:db8::1")] != netip.MustParseAddr("2001:db8:ff::10") {
		t.Errorf("sources %v, want the given IPv6 address for the IPv6 destination", env.Sources)
	}
	if _, ok := env.Sources[netip.MustParseAddr("192.0.2.1")]; ok {
		t.Errorf("sources %v, want IPv4 unroutable: the host has no IPv4 address", env.Sources)
	}
}

// check and simulate model the same host: with smtp_host_lookup = native
// both read this host's addresses, its routes and the given gai.conf, so
// the getaddrinfo inputs they report are the same.
func TestCheckAndSimulateGiveTheNativeModelTheSameHostInputs(t *testing.T) {
	m := &dnsq.Mock{
		MX:   map[string][]dnsq.MX{"example.test.": {{Preference: 10, Host: "mx.example.test."}}},
		A:    map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("192.0.2.1")}},
		AAAA: map[string][]netip.Addr{"mx.example.test.": {netip.MustParseAddr("2001:db8::1")}},
	}
	host := []mta.GAIHostAddr{{Prefix: netip.MustParsePrefix("192.0.2.25/24"), IfIndex: 2}, {Prefix: netip.MustParsePrefix("2001:db8::25/64"), IfIndex: 2}}
	c := &Checker{
		Resolver:     func() (dnsq.Resolver, error) { return m, nil },
		HostAddrs:    func() ([]mta.GAIHostAddr, error) { return host, nil },
		SenderRoutes: docSources{},
		IPv4:         true, IPv6: true, Timeout: 5 * time.Second,
	}
	cfg := mta.Config{Set: []mta.Assignment{{Name: "smtp_host_lookup", Value: "native"}}}
	native := &NativeRequest{Conf: mta.ParseGAIConf("gai.conf", []byte("precedence ::ffff:0:0/96 100\n"))}
	ctx := context.Background()

	sim, err := c.Simulate(ctx, SimulateRequest{Domain: "example.test", Config: cfg, Native: native})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.plan(CheckRequest{NoRDNS: true, MTA: cfg, Native: native})
	if err != nil {
		t.Fatal(err)
	}
	var d discover.Result
	p.stages.Discover(ctx, "example.test", nil, &d)
	doc, _ := p.stages.Simulate(ctx, d, nil)
	if doc == nil || doc.Getaddrinfo == nil || sim.Getaddrinfo == nil {
		t.Fatalf("check's getaddrinfo %v, simulate's %v: want both", doc, sim.Getaddrinfo)
	}
	got, _ := json.Marshal(doc.Getaddrinfo)
	want, _ := json.Marshal(sim.Getaddrinfo)
	if string(got) != string(want) {
		t.Errorf("check's getaddrinfo inputs\n%s\nsimulate's\n%s", got, want)
	}
	if doc.Getaddrinfo.SourceAddrsFrom != "this host" || doc.Getaddrinfo.GAIConf.Default {
		t.Errorf("check's inputs %s: want this host's addresses and the given gai.conf", got)
	}
}
