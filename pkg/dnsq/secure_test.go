package dnsq

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

const secureZone = `
$ORIGIN example.
@          SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
@          NS   ns
@          MX   10 mx
mx         A    192.0.2.1
_25._tcp.mx TLSA 3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
_25._tcp.mx TLSA 2 0 0 3082

$ORIGIN unsigned.test.
@          SOA  ns.unsigned.test. hostmaster.unsigned.test. 1 3600 600 86400 60
mx         A    198.51.100.1
`

func TestLookupTLSAReturnsTheRecordsWithTheADBitOfASecureZone(t *testing.T) {
	s := dnstest.New(t, secureZone, dnstest.WithSecureZone("example."))
	c := newClient(t, s.Addr4())
	res := c.LookupTLSA(context.Background(), "_25._tcp.mx.example.")
	if res.Status != StatusOK || !res.Authentic || len(res.TLSA) != 2 {
		t.Fatalf("got %+v, want two authentic TLSA records", res)
	}
	r := res.TLSA[0]
	if r.Usage != 3 || r.Selector != 1 || r.MatchingType != 1 || len(r.Data) != 32 || r.Data[0] != 1 || r.Data[31] != 0x20 {
		t.Errorf("first record %+v, want 3 1 1 with the 32 bytes published", r)
	}
	if a := c.LookupA(context.Background(), "mx.unsigned.test."); a.Status != StatusOK || a.Authentic {
		t.Errorf("unsigned zone: %+v, want ok without AD", a.Result)
	}
	if n := c.LookupTLSA(context.Background(), "_25._tcp.mx.unsigned.test."); n.Status != StatusNXDomain || len(n.TLSA) != 0 {
		t.Errorf("no TLSA: %+v, want nxdomain", n.Result)
	}
}

func TestLookupTLSAReadsAThousandRecordsOverTCP(t *testing.T) {
	var b strings.Builder
	b.WriteString(secureZone)
	b.WriteString("$ORIGIN example.\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "_25._tcp.many TLSA 3 1 1 %064x\n", i)
	}
	s := dnstest.New(t, b.String(), dnstest.WithSecureZone("example."))
	res := newClient(t, s.Addr4()).LookupTLSA(context.Background(), "_25._tcp.many.example.")
	if res.Status != StatusOK || len(res.TLSA) != 1000 {
		t.Fatalf("status %s with %d records, want ok with 1000 (err %v)", res.Status, len(res.TLSA), res.Err)
	}
}

func TestLookupNSOfTheRootIsAuthenticBehindAValidatingResolver(t *testing.T) {
	root := ". SOA a.root. nstld. 1 1800 900 604800 86400\n. NS a.root-servers.net.\n"
	s := dnstest.New(t, root, dnstest.WithSecureZone("."))
	res := newClient(t, s.Addr4()).LookupNS(context.Background(), ".")
	if res.Status != StatusOK || !res.Authentic || len(res.Names) != 1 || res.Names[0] != "a.root-servers.net." {
		t.Fatalf("got %+v, want one authentic NS", res)
	}
}

func TestExtendedErrorOfFindsTheBogusReasonOfAServFail(t *testing.T) {
	s := dnstest.New(t, secureZone, dnstest.WithFault("_25._tcp.mx.example.", "TLSA", dnstest.FaultBogus))
	res := newClient(t, s.Addr4()).LookupTLSA(context.Background(), "_25._tcp.mx.example.")
	ede := ExtendedErrorOf(res.Err)
	if res.Status != StatusServFail || ede == nil || ede.Code != dns.ExtendedErrorCodeDNSBogus {
		t.Fatalf("status %s, extended error %v; want servfail with DNSSEC Bogus", res.Status, ede)
	}
	if ExtendedErrorOf(nil) != nil {
		t.Error("no error has no extended error")
	}
}

func TestDNSSECOKSetsTheDOBitOnlyWhenAsked(t *testing.T) {
	for _, do := range []bool{false, true} {
		m := new(dns.Msg)
		m.SetQuestion("example.", dns.TypeMX)
		plain, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		var got dns.Msg
		if err := got.Unpack(appendEDNS(plain, do)); err != nil {
			t.Fatal(err)
		}
		opt := got.IsEdns0()
		if opt == nil || opt.Do() != do || opt.UDPSize() != ednsSize {
			t.Errorf("DNSSECOK %v: OPT %v, want DO %v and size %d", do, opt, do, ednsSize)
		}
	}
}

func TestMockSetsADForSecureZonesOnly(t *testing.T) {
	m := &Mock{
		MX:       map[string][]MX{"example.": {{10, "mx.example."}}},
		A:        map[string][]netip.Addr{"mx.example.": nil, "mx.sub.example.": nil},
		CNAME:    map[string]string{"alias.example.": "mx.other.test."},
		Secure:   []string{"example."},
		Insecure: []string{"sub.example."},
	}
	ctx := context.Background()
	if !m.LookupMX(ctx, "example.").Authentic {
		t.Error("MX of a secure zone is not authentic")
	}
	if m.LookupA(ctx, "mx.sub.example.").Authentic {
		t.Error("a name below an insecure cut is authentic")
	}
	if m.LookupA(ctx, "alias.example.").Authentic {
		t.Error("an alias into an insecure zone is authentic")
	}
}
