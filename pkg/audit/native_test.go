package audit

import (
	"context"
	"errors"
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
