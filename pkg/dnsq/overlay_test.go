package dnsq

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// liveOther is DNS the overlays below do not touch: served by the "live"
// server, and by the reference server that serves the overlay files.
const liveOther = `
$ORIGIN other.net.
@        SOA  ns.other.net. hostmaster.other.net. 1 3600 600 86400 60
target   A    198.51.100.7
chain2   CNAME target
alias    CNAME back.example.com.
$ORIGIN sub.example.com.
@        SOA  ns.sub.example.com. hostmaster.example.com. 1 3600 600 86400 60
@        MX   10 mx
mx       A    192.0.2.50
ns       A    192.0.2.54
$ORIGIN 0/25.2.0.192.in-addr.arpa.
@        SOA  ns.example.com. hostmaster.example.com. 1 3600 600 86400 60
7        PTR  classless.example.com.
`

// liveExample is example.com and its reverse zone as they are live now.
const liveExample = `
$ORIGIN example.com.
@        SOA  ns hostmaster 1 3600 600 86400 60
@        NS   ns
@        MX   10 mx1
@        MX   20 mx2
mx1      A    192.0.2.1
mx1      AAAA 2001:db8::1
mx2      A    192.0.2.2
mx2      AAAA 2001:db8::2
old      A    192.0.2.99
$ORIGIN 2.0.192.in-addr.arpa.
@        SOA  ns.example.com. hostmaster.example.com. 1 3600 600 86400 60
1        PTR  oldname.example.com.
2        PTR  mx2.example.com.
`

// nextExample is the next version of example.com: what the overlay reads.
const nextExample = `
$ORIGIN example.com.
$TTL 300
@        SOA  ns hostmaster 2 3600 600 86400 60
@        NS   ns
ns       A    192.0.2.53
@        MX   10 mx1
@        MX   20 mx2
@        TXT  "v=spf1 mx -all"
mx1      A    192.0.2.1
mx1      AAAA 2001:db8::1
mx2      A    192.0.2.2
www      CNAME mx1
ext      CNAME target.other.net.
ext2     CNAME chain2.other.net.
back     A    192.0.2.77
dangling CNAME nothere
loop1    CNAME loop2
loop2    CNAME loop1
a.b.ent  A    192.0.2.5
*.wild   TXT  "wild"
*.wild   MX   10 mx1
exists.wild A 192.0.2.6
y.ent2.wild A 192.0.2.7
*.cn     CNAME mx1
sub      NS   ns.sub
ns.sub   A    192.0.2.54
`

// nextReverse4 and nextReverse6 are the next reverse zones.
const nextReverse4 = `
$ORIGIN 2.0.192.in-addr.arpa.
@        SOA  ns.example.com. hostmaster.example.com. 2 3600 600 86400 60
1        PTR  mx1.example.com.
2        PTR  mx2.example.com.
7        CNAME 7.0/25.2.0.192.in-addr.arpa.
0/25     NS   ns.example.com.
`

const nextReverse6 = `
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
@        SOA  ns.example.com. hostmaster.example.com. 2 3600 600 86400 60
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR mx1.example.com.
`

// overlayFixture is a live server holding the current zones and an
// overlay of the next ones over a client of it.
type overlayFixture struct {
	live    *dnstest.Server
	client  *Client
	overlay *Overlay
}

func newOverlayFixture(t *testing.T) overlayFixture {
	t.Helper()
	live := dnstest.New(t, liveExample+liveOther, dnstest.WithoutIPv6())
	client := newClient(t, live.Addr4())
	fsys := files("example.com.zone", nextExample, "rev4.zone", nextReverse4, "rev6.zone", nextReverse6)
	o, err := NewOverlay(client, mustZone(t, fsys, "example.com.zone", ""),
		mustZone(t, fsys, "rev4.zone", ""), mustZone(t, fsys, "rev6.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	return overlayFixture{live, client, o}
}

// answerText renders what a lookup says, for comparing two resolvers.
func answerText(res Result, st *step) string {
	var recs []string
	for _, m := range st.mx {
		recs = append(recs, fmt.Sprintf("%d %s", m.Preference, m.Host))
	}
	for _, a := range st.addrs {
		recs = append(recs, a.String())
	}
	recs = append(recs, st.strs...)
	return fmt.Sprintf("%s %v cnames=%v", res.Status, recs, res.CNAMEs)
}

func TestOverlayAnswersAsTheAuthoritativeServerOfTheFile(t *testing.T) {
	f := newOverlayFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		qtype uint16
		want  string
		from  string // "zone:FILE" or "live"
		why   string
	}{
		{"example.com.", dns.TypeMX, "ok [10 mx1.example.com. 20 mx2.example.com.] cnames=[]", "zone:example.com.zone", "records of the file"},
		{"Example.COM", dns.TypeTXT, "ok [v=spf1 mx -all] cnames=[]", "zone:example.com.zone", "names fold case"},
		{"mx2.example.com.", dns.TypeAAAA, "nodata [] cnames=[]", "zone:example.com.zone", "the AAAA the next version drops"},
		{"old.example.com.", dns.TypeA, "nxdomain [] cnames=[]", "zone:example.com.zone", "a name only live has"},
		{"b.ent.example.com.", dns.TypeA, "nodata [] cnames=[]", "zone:example.com.zone", "an empty non-terminal exists"},
		{"ent.example.com.", dns.TypeMX, "nodata [] cnames=[]", "zone:example.com.zone", "an empty non-terminal exists"},
		{"www.example.com.", dns.TypeA, "ok [192.0.2.1] cnames=[mx1.example.com.]", "zone:example.com.zone", "a chain inside the file"},
		{"www.example.com.", dns.TypeMX, "nodata [] cnames=[mx1.example.com.]", "zone:example.com.zone", "the status is the chain's last name's"},
		{"dangling.example.com.", dns.TypeA, "nxdomain [] cnames=[nothere.example.com.]", "zone:example.com.zone", "RFC 6604"},
		{"ext.example.com.", dns.TypeA, "ok [198.51.100.7] cnames=[target.other.net.]", "live", "a chain out of the file"},
		{"ext2.example.com.", dns.TypeA, "ok [198.51.100.7] cnames=[chain2.other.net. target.other.net.]", "live", "a chain out, then on in live DNS"},
		{"alias.other.net.", dns.TypeA, "ok [192.0.2.77] cnames=[back.example.com.]", "zone:example.com.zone", "a live chain into the file"},
		{"target.other.net.", dns.TypeA, "ok [198.51.100.7] cnames=[]", "live", "outside every zone"},
		{"foo.wild.example.com.", dns.TypeTXT, "ok [wild] cnames=[]", "zone:example.com.zone", "a wildcard"},
		{"a.foo.wild.example.com.", dns.TypeMX, "ok [10 mx1.example.com.] cnames=[]", "zone:example.com.zone", "a wildcard matches several labels"},
		{"exists.wild.example.com.", dns.TypeTXT, "nodata [] cnames=[]", "zone:example.com.zone", "a wildcard does not match a name that exists"},
		{"wild.example.com.", dns.TypeTXT, "nodata [] cnames=[]", "zone:example.com.zone", "nor its own parent"},
		{"ent2.wild.example.com.", dns.TypeTXT, "nodata [] cnames=[]", "zone:example.com.zone", "nor an empty non-terminal"},
		{"x.ent2.wild.example.com.", dns.TypeTXT, "nxdomain [] cnames=[]", "zone:example.com.zone", "an empty non-terminal is the closest encloser and blocks *.wild"},
		{"any.cn.example.com.", dns.TypeAAAA, "ok [2001:db8::1] cnames=[mx1.example.com.]", "zone:example.com.zone", "a wildcard CNAME"},
		{"sub.example.com.", dns.TypeMX, "ok [10 mx.sub.example.com.] cnames=[]", "live", "a delegation: the child's servers answer"},
		{"ns.sub.example.com.", dns.TypeA, "ok [192.0.2.54] cnames=[]", "live", "glue is not an answer"},
		{"nope.sub.example.com.", dns.TypeA, "nxdomain [] cnames=[]", "live", "names under the cut"},
		{"1.2.0.192.in-addr.arpa.", dns.TypePTR, "ok [mx1.example.com.] cnames=[]", "zone:rev4.zone", "a reverse zone"},
		{"9.2.0.192.in-addr.arpa.", dns.TypePTR, "nxdomain [] cnames=[]", "zone:rev4.zone", "a reverse zone"},
		{"7.2.0.192.in-addr.arpa.", dns.TypePTR, "ok [classless.example.com.] cnames=[7.0/25.2.0.192.in-addr.arpa.]", "live", "RFC 2317 into live DNS"},
		{"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", dns.TypePTR, "ok [mx1.example.com.] cnames=[]", "zone:rev6.zone", "an ip6.arpa zone"},
		{"2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", dns.TypePTR, "nxdomain [] cnames=[]", "zone:rev6.zone", "an ip6.arpa zone"},
	} {
		res, st := f.overlay.lookup(ctx, c.name, c.qtype)
		if got := answerText(res, st); got != c.want {
			t.Errorf("%s %s (%s): %s, want %s", typeString(c.qtype), c.name, c.why, got, c.want)
		}
		from := res.Server
		if !strings.HasPrefix(from, "zone:") {
			from = "live"
			if res.Server != f.live.Addr4() {
				t.Errorf("%s %s: server %q, want the live server", typeString(c.qtype), c.name, res.Server)
			}
		}
		if from != c.from {
			t.Errorf("%s %s (%s): answered by %s, want %s", typeString(c.qtype), c.name, c.why, from, c.from)
		}
		if res.Name != Fqdn(c.name) || res.Authentic {
			t.Errorf("%s %s: name %q authentic %v", typeString(c.qtype), c.name, res.Name, res.Authentic)
		}
	}
	// What the files answer is never asked of live DNS.
	for _, name := range []string{"example.com.", "mx2.example.com.", "old.example.com.", "www.example.com.", "1.2.0.192.in-addr.arpa."} {
		if n := f.live.Queries(name, ""); n != 0 {
			t.Errorf("%s was asked of live DNS %d times", name, n)
		}
	}
	if f.live.Queries("sub.example.com.", "MX") != 1 || f.live.Queries("target.other.net.", "A") != 1 {
		t.Error("the delegated and outside names were not asked of live DNS once each")
	}
}

func TestOverlayResolverMethods(t *testing.T) {
	f := newOverlayFixture(t)
	ctx := context.Background()
	if r := f.overlay.LookupMX(ctx, "example.com"); r.Status != StatusOK || len(r.MX) != 2 || r.MX[1].Host != "mx2.example.com." {
		t.Errorf("LookupMX: %+v", r)
	}
	if r := f.overlay.LookupA(ctx, "www.example.com"); r.Status != StatusOK || !slices.Equal(r.Addrs, []netip.Addr{netip.MustParseAddr("192.0.2.1")}) {
		t.Errorf("LookupA: %+v", r)
	}
	if r := f.overlay.LookupAAAA(ctx, "mx2.example.com"); r.Status != StatusNoData || r.Server != "zone:example.com.zone" {
		t.Errorf("LookupAAAA: %+v", r)
	}
	if r := f.overlay.LookupTXT(ctx, "example.com"); r.Status != StatusOK || !slices.Equal(r.TXT, []string{"v=spf1 mx -all"}) {
		t.Errorf("LookupTXT: %+v", r)
	}
	if r := f.overlay.LookupPTR(ctx, netip.MustParseAddr("192.0.2.1")); r.Status != StatusOK || !slices.Equal(r.Names, []string{"mx1.example.com."}) {
		t.Errorf("LookupPTR (IPv4): %+v", r)
	}
	if r := f.overlay.LookupPTR(ctx, netip.MustParseAddr("2001:db8::1")); r.Status != StatusOK || !slices.Equal(r.Names, []string{"mx1.example.com."}) {
		t.Errorf("LookupPTR (IPv6): %+v", r)
	}
	if r := f.overlay.LookupPTR(ctx, netip.Addr{}); r.Status != StatusError {
		t.Errorf("LookupPTR of the zero address: %+v", r)
	}
	if r := f.overlay.LookupA(ctx, "bücher.example.com"); r.Status != StatusError {
		t.Errorf("a U-label: %+v", r)
	}
}

// TestOverlayEqualsTheServerOfTheSameFiles asks, for every name and type,
// the overlay (the next zones over the current live ones) and a client of
// an authoritative server that serves the next zones, and compares status,
// records and alias chain: the overlay must answer as the zones will once
// deployed.
func TestOverlayEqualsTheServerOfTheSameFiles(t *testing.T) {
	f := newOverlayFixture(t)
	// The reference serves the next zones and the child zones as their
	// servers would: the parent's glue for ns.sub is the child's record.
	glue := "ns.sub   A    192.0.2.54\n"
	if !strings.Contains(nextExample, glue) {
		t.Fatal("the glue record moved")
	}
	next := dnstest.New(t, strings.Replace(nextExample, glue, "", 1)+nextReverse4+nextReverse6+liveOther, dnstest.WithoutIPv6())
	ref := newClient(t, next.Addr4())
	ctx := context.Background()
	var names []string
	for _, l := range []string{"", "ns", "mx1", "mx2", "www", "ext", "ext2", "back", "dangling", "nothere", "loop1",
		"old", "a.b.ent", "b.ent", "ent", "wild", "foo.wild", "a.foo.wild", "exists.wild", "ent2.wild",
		"x.ent2.wild", "y.ent2.wild", "any.cn", "cn", "sub", "mx.sub", "ns.sub", "x.sub"} {
		names = append(names, strings.TrimPrefix(l+".example.com.", "."))
	}
	names = append(names, "alias.other.net.", "target.other.net.", "nope.other.net.",
		"1.2.0.192.in-addr.arpa.", "2.2.0.192.in-addr.arpa.", "7.2.0.192.in-addr.arpa.", "9.2.0.192.in-addr.arpa.",
		"2.0.192.in-addr.arpa.", "0.2.0.192.in-addr.arpa.",
		"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
		"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.")
	compared := 0
	for _, name := range names {
		for _, qtype := range []uint16{dns.TypeMX, dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypePTR, dns.TypeSOA} {
			got, gst := f.overlay.lookup(ctx, name, qtype)
			want, wst := ref.lookup(ctx, name, qtype)
			if g, w := answerText(got, gst), answerText(want, wst); g != w {
				t.Errorf("%s %s: overlay says %s, the server of the files says %s", typeString(qtype), name, g, w)
			}
			compared++
		}
	}
	if compared < 200 {
		t.Fatalf("only %d questions compared", compared)
	}
}

func TestOverlayMostSpecificZoneWins(t *testing.T) {
	f := newOverlayFixture(t)
	fsys := files("example.com.zone", nextExample, "sub.zone", `
$ORIGIN sub.example.com.
@  SOA ns hostmaster 2 3600 600 86400 60
@  MX  10 mx
mx A   192.0.2.51
`)
	o, err := NewOverlay(f.client, mustZone(t, fsys, "example.com.zone", ""), mustZone(t, fsys, "sub.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	r := o.LookupA(context.Background(), "mx.sub.example.com")
	if r.Status != StatusOK || r.Server != "zone:sub.zone" || r.Addrs[0] != netip.MustParseAddr("192.0.2.51") {
		t.Errorf("the child zone's file must override its parent's delegation: %+v", r)
	}
	if r := o.LookupA(context.Background(), "mx1.example.com"); r.Server != "zone:example.com.zone" {
		t.Errorf("the parent still answers for its own names: %+v", r)
	}
	if _, err := NewOverlay(f.client, mustZone(t, fsys, "sub.zone", ""), mustZone(t, fsys, "sub.zone", "")); err == nil ||
		!strings.Contains(err.Error(), "both the zone sub.example.com") {
		t.Errorf("two files for one zone: %v", err)
	}
}

func TestOverlayChainsAreBounded(t *testing.T) {
	f := newOverlayFixture(t)
	text := "$ORIGIN example.com.\n" + soaLine
	for i := 0; i < 10; i++ {
		text += fmt.Sprintf("c%d CNAME c%d\n", i, i+1)
	}
	text += "c10 A 192.0.2.10\nout CNAME alias.other.net.\n"
	text += "lx CNAME loopy.other.net.\n"
	o, err := NewOverlay(f.client, mustZone(t, files("c.zone", text), "c.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := o.LookupA(ctx, "c0.example.com"); r.Status != StatusError || !strings.Contains(r.Err.Error(), "longer than 8") {
		t.Errorf("a chain of 10: %+v", r)
	}
	if r := o.LookupA(ctx, "c3.example.com"); r.Status != StatusOK || len(r.CNAMEs) != 7 {
		t.Errorf("a chain of 7: %+v", r)
	}
	// out -> alias.other.net (live) -> back.example.com, which this file
	// does not hold: NXDOMAIN from the file, through live DNS.
	if r := o.LookupA(ctx, "out.example.com"); r.Status != StatusNXDomain ||
		!slices.Equal(r.CNAMEs, []string{"alias.other.net.", "back.example.com."}) || r.Server != "zone:c.zone" {
		t.Errorf("file -> live -> file: %+v", r)
	}
	loop := "$ORIGIN other.net.\n@ SOA ns.other.net. h.other.net. 1 2 3 4 5\nloopy CNAME lx.example.com.\n"
	o2, err := NewOverlay(f.client, mustZone(t, files("c.zone", text, "o.zone", loop), "c.zone", ""),
		mustZone(t, files("o.zone", loop), "o.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	if r := o2.LookupA(ctx, "lx.example.com"); r.Status != StatusError || !strings.Contains(r.Err.Error(), "CNAME loop") {
		t.Errorf("a loop across two files: %+v", r)
	}
}

func TestOverlayDNAME(t *testing.T) {
	f := newOverlayFixture(t)
	text := "$ORIGIN example.com.\n" + soaLine + "old DNAME example.net.\nold A 192.0.2.8\nnew DNAME sub.example.com.\nsub NS ns.sub\n"
	o, err := NewOverlay(f.client, mustZone(t, files("d.zone", text), "d.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := o.LookupA(ctx, "old.example.com"); r.Status != StatusOK || r.Addrs[0] != netip.MustParseAddr("192.0.2.8") {
		t.Errorf("a DNAME does not apply to its own owner: %+v", r)
	}
	if r := o.LookupA(ctx, "mx.new.example.com"); r.Status != StatusOK || r.Addrs[0] != netip.MustParseAddr("192.0.2.50") ||
		!slices.Equal(r.CNAMEs, []string{"mx.sub.example.com."}) {
		t.Errorf("a DNAME rewrites the names below its owner: %+v", r)
	}
}

func TestOverlaySignedZoneIsAuthentic(t *testing.T) {
	f := newOverlayFixture(t)
	text := "$ORIGIN example.com.\n" + soaLine +
		"@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n" +
		"@ RRSIG SOA 13 2 3600 20300101000000 20200101000000 12345 example.com. AAAA\n" +
		"mx1 A 192.0.2.1\next CNAME target.other.net.\next2 CNAME chain2.other.net.\n"
	o, err := NewOverlay(f.client, mustZone(t, files("s.zone", text), "s.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := o.LookupA(ctx, "mx1.example.com"); !r.Authentic {
		t.Errorf("an answer from a signed file: %+v", r)
	}
	if r := o.LookupA(ctx, "ext.example.com"); r.Status != StatusOK || r.Authentic {
		t.Errorf("a chain into unsigned live DNS is not authentic: %+v", r)
	}
	f.live.SetAuthentic("", true)
	if r := o.LookupA(ctx, "ext2.example.com"); r.Status != StatusOK || !r.Authentic {
		t.Errorf("a chain from a signed file into validated live DNS is authentic: %+v", r)
	}
}

// TestOverlayOverAnyResolver runs over a Resolver that has only the
// interface's methods, the Mock.
func TestOverlayOverAnyResolver(t *testing.T) {
	live := &Mock{
		A:   map[string][]netip.Addr{"target.other.net.": {netip.MustParseAddr("198.51.100.7")}},
		PTR: map[string][]string{"198.51.100.7": {"target.other.net."}},
		TXT: map[string][]string{"other.net.": {"v=spf1 -all"}},
		MX:  map[string][]MX{"other.net.": {{10, "target.other.net."}}},
	}
	fsys := files("example.com.zone", nextExample, "rev4.zone", nextReverse4)
	o, err := NewOverlay(live, mustZone(t, fsys, "example.com.zone", ""), mustZone(t, fsys, "rev4.zone", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := o.LookupA(ctx, "ext.example.com"); r.Status != StatusOK || r.Server != mockServer || !slices.Equal(r.CNAMEs, []string{"target.other.net."}) {
		t.Errorf("A through the Mock: %+v", r)
	}
	if r := o.LookupPTR(ctx, netip.MustParseAddr("198.51.100.7")); r.Status != StatusOK || r.Names[0] != "target.other.net." {
		t.Errorf("PTR through the Mock: %+v", r)
	}
	if r := o.LookupMX(ctx, "other.net"); r.Status != StatusOK || len(r.MX) != 1 {
		t.Errorf("MX through the Mock: %+v", r)
	}
	if r := o.LookupTXT(ctx, "other.net"); r.Status != StatusOK || len(r.TXT) != 1 {
		t.Errorf("TXT through the Mock: %+v", r)
	}
	if r := o.LookupAAAA(ctx, "target.other.net"); r.Status != StatusNoData {
		t.Errorf("AAAA through the Mock: %+v", r)
	}
	// An RFC 2317 alias names no address: the Mock cannot be asked for it.
	if r := o.LookupPTR(ctx, netip.MustParseAddr("192.0.2.7")); r.Status != StatusError || !strings.Contains(r.Err.Error(), "cannot ask") {
		t.Errorf("PTR of a classless name through the Mock: %+v", r)
	}
	if _, err := NewOverlay(nil); err == nil {
		t.Error("an overlay over nothing")
	}
}

func TestOverlayIsSafeForConcurrentUse(t *testing.T) {
	f := newOverlayFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				a := f.overlay.LookupA(ctx, "ext2.example.com")
				if a.Status != StatusOK || len(a.CNAMEs) != 2 || a.Addrs[0] != netip.MustParseAddr("198.51.100.7") {
					errs <- fmt.Sprintf("ext2: %+v", a)
					return
				}
				a.Addrs[0] = netip.Addr{} // a live answer, cached by the client: ours to change
				r := f.overlay.LookupMX(ctx, "x.wild.example.com")
				if r.Status != StatusOK || len(r.MX) != 1 {
					errs <- fmt.Sprintf("wildcard MX: %+v", r)
					return
				}
				r.MX[0].Host = "changed."
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestChainFault(t *testing.T) {
	for _, c := range []struct {
		chain []string
		want  string
	}{
		{nil, ""},
		{[]string{"b.", "c."}, ""},
		{[]string{"b.", "a."}, "CNAME loop: a. -> b. -> a."},
		// Several aliases of a live answer are appended at once: a repeat
		// in the middle is a loop too.
		{[]string{"b.", "c.", "b.", "d."}, "CNAME loop: a. -> b. -> c. -> b. -> d."},
		{[]string{"1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."}, ""},
		{[]string{"1.", "2.", "3.", "4.", "5.", "6.", "7.", "8.", "9."}, "CNAME chain longer than 8"},
	} {
		err := chainFault("a.", c.chain)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)) {
			t.Errorf("chainFault(a., %v) = %v, want %q", c.chain, err, c.want)
		}
	}
}

func TestOverlayTracesEveryAnswerFromAFileInTheClientsFormat(t *testing.T) {
	f := newOverlayFixture(t)
	var trace strings.Builder
	f.overlay.SetTrace(&trace)
	ctx := context.Background()
	f.overlay.LookupMX(ctx, "example.com")
	f.overlay.LookupA(ctx, "www.example.com")     // an alias in the file, then its target
	f.overlay.LookupAAAA(ctx, "gone.example.com") // NXDOMAIN
	f.overlay.LookupTXT(ctx, "mx1.example.com")   // NODATA
	f.overlay.LookupA(ctx, "target.other.net")    // live: the Client traces it, not the overlay
	want := []string{
		";; MX example.com. @zone:example.com.zone file 0.0ms NOERROR answers=2",
		";; A www.example.com. @zone:example.com.zone file 0.0ms NOERROR answers=1",
		";; A mx1.example.com. @zone:example.com.zone file 0.0ms NOERROR answers=1",
		";; AAAA gone.example.com. @zone:example.com.zone file 0.0ms NXDOMAIN answers=0",
		";; TXT mx1.example.com. @zone:example.com.zone file 0.0ms NOERROR answers=0",
	}
	if got := strings.Split(strings.TrimSuffix(trace.String(), "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("trace:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	f.overlay.SetTrace(nil)
	f.overlay.LookupMX(ctx, "example.com")
	if strings.Count(trace.String(), "\n") != len(want) {
		t.Errorf("traced without a trace writer:\n%s", trace.String())
	}
}
