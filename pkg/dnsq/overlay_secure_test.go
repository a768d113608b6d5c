package dnsq

import (
	"context"
	"slices"
	"testing"
)

const nextWithTLSA = `
$ORIGIN example.com.
$TTL 300
@             SOA  ns hostmaster 3 3600 600 86400 60
@             NS   ns
ns            A    192.0.2.53
@             MX   10 mx1
mx1           A    192.0.2.1
_25._tcp.mx1  TLSA 3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
tlsalias      CNAME _25._tcp.mx1
sub           NS   ns.sub
ns.sub        A    192.0.2.54
`

func TestOverlayAnswersTLSAAndNSFromTheFileAndLiveOtherwise(t *testing.T) {
	live := &Mock{
		TLSA: map[string][]TLSA{"_25._tcp.mx.other.net.": {{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{1}}}},
		NS:   map[string][]string{"other.net.": {"ns.other.net."}, "sub.example.com.": {"ns.sub.example.com."}},
	}
	fsys := files("example.com.zone", nextWithTLSA)
	o, err := NewOverlay(live, mustZone(t, fsys, "example.com.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	var r SecureResolver = o
	ctx := context.Background()

	tl := r.LookupTLSA(ctx, "_25._tcp.mx1.example.com")
	if tl.Status != StatusOK || tl.Server != "zone:example.com.zone" || len(tl.TLSA) != 1 ||
		tl.TLSA[0].Usage != 3 || len(tl.TLSA[0].Data) != 32 || tl.TLSA[0].Data[31] != 0x20 {
		t.Errorf("TLSA from the file: %+v", tl)
	}
	if tl.Authentic {
		t.Errorf("an unsigned file's TLSA is authentic: %+v", tl)
	}
	if a := r.LookupTLSA(ctx, "tlsalias.example.com"); a.Status != StatusOK || len(a.TLSA) != 1 || !slices.Equal(a.CNAMEs, []string{"_25._tcp.mx1.example.com."}) {
		t.Errorf("TLSA through an alias in the file: %+v", a)
	}
	if n := r.LookupTLSA(ctx, "_25._tcp.mx2.example.com"); n.Status != StatusNXDomain || n.Server != "zone:example.com.zone" {
		t.Errorf("a TLSA name the file lacks: %+v", n)
	}
	if l := r.LookupTLSA(ctx, "_25._tcp.mx.other.net"); l.Status != StatusOK || l.Server != mockServer || len(l.TLSA) != 1 {
		t.Errorf("TLSA outside the file, from live DNS: %+v", l)
	}
	if ns := r.LookupNS(ctx, "example.com"); ns.Status != StatusOK || !slices.Equal(ns.Names, []string{"ns.example.com."}) || ns.Server != "zone:example.com.zone" {
		t.Errorf("NS at the apex from the file: %+v", ns)
	}
	if ns := r.LookupNS(ctx, "sub.example.com"); ns.Server != mockServer || !slices.Equal(ns.Names, []string{"ns.sub.example.com."}) {
		t.Errorf("NS at a delegation: the child's (live) answer, got %+v", ns)
	}
	if ns := r.LookupNS(ctx, "other.net"); ns.Status != StatusOK || ns.Server != mockServer {
		t.Errorf("NS outside the file: %+v", ns)
	}
}
