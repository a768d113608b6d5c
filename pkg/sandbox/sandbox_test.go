package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/netip"
	"syscall"
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

func TestSandboxPlantsADANEFaultOverIPv6AndAnMTASTSHostWithoutIPv6Route(t *testing.T) {
	sb, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second, DNSSECOK: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ns := r.LookupNS(ctx, "."); ns.Status != dnsq.StatusOK || !ns.Authentic {
		t.Errorf("root NS %+v: want an authentic answer, as from a validating resolver", ns.Result)
	}
	tlsa := r.LookupTLSA(ctx, "_25._tcp.mx1.demo.example.")
	if tlsa.Status != dnsq.StatusOK || !tlsa.Authentic || len(tlsa.TLSA) != 2 {
		t.Fatalf("TLSA %+v: want two secure records (current and next key)", tlsa)
	}
	// The IPv6 listener presents none of the published keys; IPv4 does.
	matches := func(i int) bool {
		leaf := sb.TLSCertificates()[i].Leaf
		for _, rec := range tlsa.TLSA {
			if d := sha256.Sum256(leaf.RawSubjectPublicKeyInfo); bytes.Equal(d[:], rec.Data) {
				return true
			}
		}
		return false
	}
	if !matches(0) || matches(1) {
		t.Errorf("mx1 over IPv4 matches %v, over IPv6 %v: want IPv4 only", matches(0), matches(1))
	}
	if _, err := sb.DialContext(ctx, "tcp6", netip.Addr{}, netip.AddrPortFrom(STSv6, 443)); !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Errorf("the policy host over IPv6: %v, want no route", err)
	}
	c, err := sb.DialContext(ctx, "tcp4", netip.Addr{}, netip.AddrPortFrom(STSv4, 443))
	if err != nil {
		t.Fatalf("the policy host over IPv4: %v", err)
	}
	c.Close()
}
