package sandbox

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

func TestSandboxServesTheZoneWithItsPlantedFaults(t *testing.T) {
	sb, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if mx := r.LookupMX(ctx, Domain); mx.Status != dnsq.StatusOK || len(mx.MX) != 2 {
		t.Fatalf("MX %+v", mx)
	}
	if a := r.LookupAAAA(ctx, "mx2.demo.example"); a.Status != dnsq.StatusNoData {
		t.Errorf("the backup MX has an AAAA: %+v", a)
	}
	if p := r.LookupPTR(ctx, MX1v6); p.Status != dnsq.StatusNXDomain {
		t.Errorf("mx1's IPv6 address has a PTR: %+v", p)
	}
	if p := r.LookupPTR(ctx, MX1v4); p.Status != dnsq.StatusOK || p.Names[0] != "mx1.demo.example." {
		t.Errorf("mx1's IPv4 PTR: %+v", p)
	}
}

func TestSandboxDialerNeverLeavesTheMachine(t *testing.T) {
	sb, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, ip := range []netip.Addr{MX1v4, MX1v6, MX2v4} {
		c, err := sb.DialContext(ctx, "tcp", netip.Addr{}, netip.AddrPortFrom(ip, 25))
		if err != nil {
			t.Fatalf("%s: %v", ip, err)
		}
		ra, err := netip.ParseAddrPort(c.RemoteAddr().String())
		if err != nil || !ra.Addr().IsLoopback() {
			t.Errorf("%s reached %v, not a loopback listener", ip, c.RemoteAddr())
		}
		c.Close()
	}
	other := netip.MustParseAddr("203.0.113.7")
	if _, err := sb.DialContext(ctx, "tcp4", netip.Addr{}, netip.AddrPortFrom(other, 25)); !errors.Is(err, ErrNotInSandbox) {
		t.Errorf("dial outside the zone: %v", err)
	}
	if _, err := sb.DialContext(ctx, "tcp4", netip.Addr{}, netip.AddrPortFrom(MX1v4, 587)); !errors.Is(err, ErrNotInSandbox) {
		t.Errorf("dial to another port: %v", err)
	}
	if _, err := sb.CheckRoute(ctx, netip.Addr{}, other); !errors.Is(err, ErrNotInSandbox) {
		t.Errorf("route outside the zone: %v", err)
	}
}
