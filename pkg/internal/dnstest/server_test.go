package dnstest

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = `
$ORIGIN example.
$TTL 300
@        SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
@        NS   ns
@        MX   20 mx2
@        MX   10 mx1
mx1      A    192.0.2.1
mx1      A    192.0.2.2
mx1      AAAA 2001:db8::1
mx2      CNAME alias
alias    CNAME mx1
loop1    CNAME loop2
loop2    CNAME loop1
out      CNAME mail.elsewhere.test.
a.b.c    A    192.0.2.9
`

func exchange(t *testing.T, net, addr, name string, qtype uint16, edns bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if edns {
		m.SetEdns0(1232, false)
	}
	c := &dns.Client{Net: net, Timeout: 2 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", dns.TypeToString[qtype], name, net, err)
	}
	return r
}

func TestServerAnswersLikeAnAuthoritativeServer(t *testing.T) {
	s := New(t, testZone)
	tests := []struct {
		name      string
		qtype     uint16
		rcode     int
		answers   []string // RR types then data, in order
		soaInAuth bool
	}{
		{"example.", dns.TypeMX, dns.RcodeSuccess, []string{"MX 20 mx2.example.", "MX 10 mx1.example."}, false},
		{"mx1.example.", dns.TypeA, dns.RcodeSuccess, []string{"A 192.0.2.1", "A 192.0.2.2"}, false},
		{"MX1.Example.", dns.TypeAAAA, dns.RcodeSuccess, []string{"AAAA 2001:db8::1"}, false},
		{"mx1.example.", dns.TypeMX, dns.RcodeSuccess, nil, true},   // NODATA
		{"nope.example.", dns.TypeA, dns.RcodeNameError, nil, true}, // NXDOMAIN
		{"b.c.example.", dns.TypeA, dns.RcodeSuccess, nil, true},    // empty non-terminal
		{"mx2.example.", dns.TypeA, dns.RcodeSuccess, []string{"CNAME alias.example.", "CNAME mx1.example.", "A 192.0.2.1", "A 192.0.2.2"}, false},
		{"mx2.example.", dns.TypeCNAME, dns.RcodeSuccess, []string{"CNAME alias.example."}, false},
		{"out.example.", dns.TypeA, dns.RcodeSuccess, []string{"CNAME mail.elsewhere.test."}, false},
	}
	for _, net := range []string{"udp", "tcp"} {
		for _, tt := range tests {
			t.Run(net+" "+dns.TypeToString[tt.qtype]+" "+tt.name, func(t *testing.T) {
				r := exchange(t, net, s.Addr4(), tt.name, tt.qtype, true)
				if r.Rcode != tt.rcode {
					t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if !r.Authoritative || !r.RecursionAvailable {
					t.Errorf("AA=%v RA=%v, want both set", r.Authoritative, r.RecursionAvailable)
				}
				var got []string
				for _, rr := range r.Answer {
					f := strings.Fields(rr.String())
					got = append(got, strings.Join(f[3:], " "))
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.answers) {
					t.Errorf("answers = %q, want %q", got, tt.answers)
				}
				soa := len(r.Ns) == 1 && r.Ns[0].Header().Rrtype == dns.TypeSOA
				if soa != tt.soaInAuth {
					t.Errorf("SOA in authority = %v, want %v (%v)", soa, tt.soaInAuth, r.Ns)
				}
				if r.IsEdns0() == nil {
					t.Error("EDNS0 not echoed")
				}
			})
		}
	}
}

func TestServerEndsCNAMELoops(t *testing.T) {
	s := New(t, testZone)
	r := exchange(t, "udp", s.Addr4(), "loop1.example.", dns.TypeA, true)
	if len(r.Answer) != maxChain {
		t.Errorf("answers = %d, want the loop cut at %d", len(r.Answer), maxChain)
	}
}

func TestServerRefusesNamesOutsideItsZones(t *testing.T) {
	s := New(t, testZone)
	r := exchange(t, "udp", s.Addr4(), "example.org.", dns.TypeA, true)
	if r.Rcode != dns.RcodeRefused {
		t.Errorf("rcode = %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
}

func TestServerWithoutSOAAnswersForEveryName(t *testing.T) {
	s := New(t, "host.test. A 192.0.2.7")
	r := exchange(t, "udp", s.Addr4(), "other.test.", dns.TypeA, false)
	if r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
		t.Errorf("rcode = %s, authority %v; want NXDOMAIN with a SOA", dns.RcodeToString[r.Rcode], r.Ns)
	}
	if r.IsEdns0() != nil {
		t.Error("OPT in the answer to a query without EDNS0")
	}
}

func TestServerInjectsFaults(t *testing.T) {
	s := New(t, testZone)
	s.MustInject(t, "mx1.example", "A", FaultServFail)
	s.MustInject(t, "mx1.example", "", FaultRefused)
	s.MustInject(t, "", "TXT", FaultNotImp)
	tests := []struct {
		name  string
		qtype uint16
		rcode int
	}{
		{"mx1.example.", dns.TypeA, dns.RcodeServerFailure},
		{"mx1.example.", dns.TypeAAAA, dns.RcodeRefused},
		{"example.", dns.TypeTXT, dns.RcodeNotImplemented},
		{"example.", dns.TypeMX, dns.RcodeSuccess},
	}
	for _, tt := range tests {
		r := exchange(t, "udp", s.Addr4(), tt.name, tt.qtype, true)
		if r.Rcode != tt.rcode {
			t.Errorf("%s %s: rcode = %s, want %s", dns.TypeToString[tt.qtype], tt.name,
				dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
		}
	}
	if err := s.Inject("x.example", "BOGUS", FaultDrop); err == nil {
		t.Error("Inject accepted an unknown type")
	}
}

func TestServerFormErrFaultAnswersOnlyQueriesWithoutEDNS(t *testing.T) {
	s := New(t, testZone, WithFault("mx1.example.", "A", FaultFormErr))
	if r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, true); r.Rcode != dns.RcodeFormatError {
		t.Errorf("with EDNS: rcode = %s, want FORMERR", dns.RcodeToString[r.Rcode])
	}
	if r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, false); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 2 {
		t.Errorf("without EDNS: rcode = %s, %d answers; want NOERROR with 2", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
}

func TestServerTruncateFaultSetsTCOnlyOverUDP(t *testing.T) {
	s := New(t, testZone, WithFault("mx1.example.", "A", FaultTruncate))
	r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, true)
	if !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("udp: TC=%v with %d answers, want TC and none", r.Truncated, len(r.Answer))
	}
	r = exchange(t, "tcp", s.Addr4(), "mx1.example.", dns.TypeA, true)
	if r.Truncated || len(r.Answer) != 2 {
		t.Errorf("tcp: TC=%v with %d answers, want the full answer", r.Truncated, len(r.Answer))
	}
}

// rawExchange asks over network with a 1232-byte EDNS0 buffer and returns
// the reply, unchecked (any ID, any size: it is read with a buffer that
// fits any datagram), and its size.
func rawExchange(t *testing.T, network, addr, name string, qtype uint16) (*dns.Msg, int) {
	t.Helper()
	b := rawBytes(t, network, addr, name, qtype)
	r := new(dns.Msg)
	if err := r.Unpack(b); err != nil {
		t.Fatalf("%s %s over %s: %v", dns.TypeToString[qtype], name, network, err)
	}
	return r, len(b)
}

// rawBytes returns the reply's bytes as sent.
func rawBytes(t *testing.T, network, addr, name string, qtype uint16) []byte {
	t.Helper()
	q := new(dns.Msg).SetQuestion(name, qtype)
	q.SetEdns0(1232, false)
	wire, err := q.Pack()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 65536)
	var n int
	if network == "udp" {
		if _, err = conn.Write(wire); err == nil {
			n, err = conn.Read(buf)
		}
	} else {
		if _, err = conn.Write(append([]byte{byte(len(wire) >> 8), byte(len(wire))}, wire...)); err == nil {
			if _, err = io.ReadFull(conn, buf[:2]); err == nil {
				n = int(buf[0])<<8 | int(buf[1])
				_, err = io.ReadFull(conn, buf[:n])
			}
		}
	}
	if err != nil {
		t.Fatalf("%s %s over %s: %v", dns.TypeToString[qtype], name, network, err)
	}
	return buf[:n]
}

func TestServerSendsTheRepliesNoCorrectServerSends(t *testing.T) {
	var b strings.Builder
	b.WriteString(testZone)
	for i := 0; i < 300; i++ {
		fmt.Fprintf(&b, "big A 198.51.100.%d\n", i%256)
		fmt.Fprintf(&b, "big TXT \"record %03d\"\n", i)
	}
	s := New(t, b.String())
	s.MustInject(t, "big.example.", "TXT", FaultOversize)
	s.MustInject(t, "mx1.example.", "A", FaultTCPTruncated)
	s.MustInject(t, "mx1.example.", "AAAA", FaultTCPTruncatedRecords)
	s.MustInject(t, "mx1.example.", "MX", FaultTCPWrongID)
	s.MustInject(t, "example.", "MX", FaultTCPWrongQuestion)
	s.MustInject(t, "example.", "TXT", FaultWrongType)
	s.MustInject(t, "example.", "A", FaultWrongType)
	s.MustInject(t, "mx2.example.", "A", FaultTruncateCut)
	s.MustInject(t, "alias.example.", "A", FaultShort)

	if r, n := rawExchange(t, "udp", s.Addr4(), "big.example.", dns.TypeTXT); r.Truncated || len(r.Answer) != 300 || n <= 4096 {
		t.Errorf("oversize: TC=%v, %d records in %d bytes; want all 300, over 4096 bytes, no TC", r.Truncated, len(r.Answer), n)
	}
	if r, _ := rawExchange(t, "udp", s.Addr4(), "big.example.", dns.TypeA); !r.Truncated {
		t.Errorf("oversize for TXT only: the A answer was not truncated to the requester's buffer")
	}
	for _, network := range []string{"udp", "tcp"} {
		if r, _ := rawExchange(t, network, s.Addr4(), "mx1.example.", dns.TypeA); !r.Truncated || len(r.Answer) != 0 {
			t.Errorf("tcp-truncated over %s: TC=%v with %d records, want TC and none", network, r.Truncated, len(r.Answer))
		}
	}
	if r, _ := rawExchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeAAAA); !r.Truncated || len(r.Answer) != 0 {
		t.Errorf("tcp-truncated-records over udp: TC=%v with %d records, want TC and none", r.Truncated, len(r.Answer))
	}
	if r, _ := rawExchange(t, "tcp", s.Addr4(), "mx1.example.", dns.TypeAAAA); !r.Truncated || len(r.Answer) != 1 {
		t.Errorf("tcp-truncated-records over tcp: TC=%v with %d records, want TC and the record", r.Truncated, len(r.Answer))
	}
	q := new(dns.Msg).SetQuestion("mx1.example.", dns.TypeMX)
	if r, _ := rawExchange(t, "tcp", s.Addr4(), "mx1.example.", dns.TypeMX); r.Id == q.Id || r.Truncated {
		t.Errorf("tcp-wrong-id: ID %d TC=%v, want another ID than the query's and no TC", r.Id, r.Truncated)
	}
	if r, _ := rawExchange(t, "tcp", s.Addr4(), "example.", dns.TypeMX); r.Question[0].Name != "wrong-question.example." || len(r.Answer) != 2 {
		t.Errorf("tcp-wrong-question: question %v with %d records, want another name", r.Question, len(r.Answer))
	}
	if r, _ := rawExchange(t, "udp", s.Addr4(), "example.", dns.TypeMX); !r.Truncated {
		t.Errorf("tcp-wrong-question over udp: TC=%v, want TC so that clients come over TCP", r.Truncated)
	}
	if r, _ := rawExchange(t, "tcp", s.Addr4(), "mx2.example.", dns.TypeA); r.Truncated || len(r.Answer) != 4 {
		t.Errorf("truncate-cut over tcp: TC=%v with %d records, want the full answer", r.Truncated, len(r.Answer))
	}
	if b := rawBytes(t, "udp", s.Addr4(), "mx2.example.", dns.TypeA); b[2]&0x02 == 0 || new(dns.Msg).Unpack(b) == nil {
		t.Errorf("truncate-cut over udp: %d bytes, flags %#x; want TC and a message that does not parse", len(b), b[2])
	}
	for _, network := range []string{"udp", "tcp"} {
		b := rawBytes(t, network, s.Addr4(), "alias.example.", dns.TypeA)
		if r, _ := rawExchange(t, network, s.Addr4(), "alias.example.", dns.TypeA); r.Truncated || len(r.Answer) != 0 || b[7] != 3 {
			t.Errorf("short over %s: TC=%v, %d records, header ANCOUNT %d; want no TC, no records and a count of 3 (CNAME, A, A)", network, r.Truncated, len(r.Answer), b[7])
		}
	}
	for qtype, want := range map[uint16]uint16{dns.TypeTXT: dns.TypeA, dns.TypeA: dns.TypeTXT} {
		r, _ := rawExchange(t, "udp", s.Addr4(), "example.", qtype)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != want {
			t.Errorf("wrong-type for %s: %v, want one %s record", dns.TypeToString[qtype], r.Answer, dns.TypeToString[want])
		}
	}
}

func TestServerTruncatesLargeUDPAnswersToTheRequestersBuffer(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "big.test. TXT \"record %03d with some padding to make it long enough\"\n", i)
	}
	s := New(t, b.String())
	r := exchange(t, "udp", s.Addr4(), "big.test.", dns.TypeTXT, true)
	if !r.Truncated {
		t.Fatalf("UDP answer with %d records not truncated", len(r.Answer))
	}
	r.Compress = true // as it came on the wire
	if r.Len() > 1232 {
		t.Errorf("UDP answer is %d bytes, over the 1232 advertised", r.Len())
	}
	r = exchange(t, "tcp", s.Addr4(), "big.test.", dns.TypeTXT, true)
	if r.Truncated || len(r.Answer) != 100 {
		t.Errorf("tcp: TC=%v with %d answers, want all 100", r.Truncated, len(r.Answer))
	}
}

func TestServerDropsAndDelays(t *testing.T) {
	s := New(t, testZone, WithFault("mx1.example.", "A", FaultDrop))
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	m := new(dns.Msg).SetQuestion("mx1.example.", dns.TypeA)
	if _, _, err := c.Exchange(m, s.Addr4()); err == nil {
		t.Error("a dropped query was answered")
	}
	s.Delay("example.", 150*time.Millisecond)
	start := time.Now()
	exchange(t, "udp", s.Addr4(), "example.", dns.TypeMX, true)
	if el := time.Since(start); el < 150*time.Millisecond {
		t.Errorf("delayed answer came after %v, want at least 150ms", el)
	}
}

func TestServerCountsQueriesPerNameAndType(t *testing.T) {
	s := New(t, testZone)
	for i := 0; i < 3; i++ {
		exchange(t, "udp", s.Addr4(), "MX1.example.", dns.TypeA, true)
	}
	exchange(t, "tcp", s.Addr4(), "mx1.example.", dns.TypeAAAA, true)
	if n := s.Queries("mx1.example", "A"); n != 3 {
		t.Errorf("Queries(A) = %d, want 3", n)
	}
	if n := s.Queries("mx1.example.", ""); n != 4 {
		t.Errorf("Queries(any) = %d, want 4", n)
	}
	if n := s.TotalQueries(); n != 4 {
		t.Errorf("TotalQueries = %d, want 4", n)
	}
	s.ResetCounts()
	if n := s.TotalQueries() + s.Queries("mx1.example.", ""); n != 0 {
		t.Errorf("after ResetCounts: %d", n)
	}
}

func TestServerSetsADWhenAsked(t *testing.T) {
	s := New(t, testZone)
	s.SetAuthentic("mx1.example.", true)
	if r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, true); !r.AuthenticatedData {
		t.Error("AD not set for mx1.example.")
	}
	if r := exchange(t, "udp", s.Addr4(), "example.", dns.TypeMX, true); r.AuthenticatedData {
		t.Error("AD set for example.")
	}
}

func TestServerListensOnIPv6Loopback(t *testing.T) {
	s := New(t, testZone)
	addr := s.RequireIPv6(t)
	for _, net := range []string{"udp", "tcp"} {
		r := exchange(t, net, addr, "mx1.example.", dns.TypeAAAA, true)
		if len(r.Answer) != 1 {
			t.Errorf("%s over ::1: %d answers, want 1", net, len(r.Answer))
		}
	}
}

func TestStartRejectsBadZoneText(t *testing.T) {
	if _, err := Start("example. IN MX notanumber mx.example."); err == nil {
		t.Error("Start accepted a malformed MX record")
	}
}

func TestCloseReleasesDelayedHandlers(t *testing.T) {
	s, err := Start(testZone, WithDelay(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c := &dns.Client{Net: "udp", Timeout: 100 * time.Millisecond}
	m := new(dns.Msg).SetQuestion("example.", dns.TypeMX)
	_, _, _ = c.Exchange(m, s.Addr4())
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a delayed handler")
	}
}

func BenchmarkServerLoad100kDomains(b *testing.B) {
	var z strings.Builder
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&z, "d%d.test. MX 10 mx.d%d.test.\nmx.d%d.test. A 192.0.2.1\n", i, i, i)
	}
	text := z.String()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := parseZone(text, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func TestServerSynthesisesWildcardAnswers(t *testing.T) {
	s := New(t, `
w.test.          SOA  ns.test. h.test. 1 1 1 1 1
*.w.test.        MX   10 mx.w.test.
mx.w.test.       A    192.0.2.5
sub.real.w.test. A    192.0.2.6
`)
	r := exchange(t, "udp", s.Addr4(), "anything.w.test.", dns.TypeMX, true)
	if len(r.Answer) != 1 || r.Answer[0].Header().Name != "anything.w.test." {
		t.Errorf("wildcard MX: %v, want one MX owned by the asked name", r.Answer)
	}
	if r := exchange(t, "udp", s.Addr4(), "a.b.w.test.", dns.TypeMX, true); len(r.Answer) != 1 {
		t.Errorf("wildcard below a non-existent name: %v, want an MX", r.Answer)
	}
	// real.w.test. exists (an empty non-terminal): it blocks the wildcard.
	if r := exchange(t, "udp", s.Addr4(), "x.real.w.test.", dns.TypeMX, true); r.Rcode != dns.RcodeNameError {
		t.Errorf("below an existing name: rcode %s, want NXDOMAIN", dns.RcodeToString[r.Rcode])
	}
	if r := exchange(t, "udp", s.Addr4(), "anything.w.test.", dns.TypeA, true); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 0 {
		t.Errorf("wildcard NODATA: rcode %s answers %v", dns.RcodeToString[r.Rcode], r.Answer)
	}
}

func TestServerBogusFaultCarriesAnExtendedDNSError(t *testing.T) {
	s := New(t, testZone, WithFault("mx1.example.", "A", FaultBogus))
	r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, true)
	if r.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[r.Rcode])
	}
	var ede *dns.EDNS0_EDE
	if o := r.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				ede = e
			}
		}
	}
	if ede == nil || ede.InfoCode != dns.ExtendedErrorCodeDNSBogus {
		t.Errorf("EDE = %v, want code 6 (DNSSEC Bogus)", ede)
	}
}

func TestServerMalformedFaultSendsAnUnparsableAnswer(t *testing.T) {
	s := New(t, testZone, WithFault("mx1.example.", "A", FaultMalformed))
	c := &dns.Client{Net: "udp", Timeout: time.Second}
	m := new(dns.Msg).SetQuestion("mx1.example.", dns.TypeA)
	if _, _, err := c.Exchange(m, s.Addr4()); err == nil {
		t.Error("a malformed answer parsed")
	}
}

func TestServerRefersDelegatedNames(t *testing.T) {
	s := New(t, `
example.                SOA  ns.example. h.example. 1 1 1 1 1
example.                NS   ns.example.
ns.example.             A    192.0.2.53
child.example.          NS   ns.child.example.
child.example.          NS   ns.elsewhere.test.
ns.child.example.       A    192.0.2.54
ns.child.example.       AAAA 2001:db8::54
alias.example.          CNAME host.child.example.
`)
	for _, name := range []string{"host.child.example.", "child.example.", "a.b.child.example."} {
		r := exchange(t, "udp", s.Addr4(), name, dns.TypeA, true)
		if r.Rcode != dns.RcodeSuccess || r.Authoritative || r.RecursionAvailable || len(r.Answer) != 0 {
			t.Errorf("%s: rcode %s AA %v RA %v answers %v, want a referral", name, dns.RcodeToString[r.Rcode], r.Authoritative, r.RecursionAvailable, r.Answer)
		}
		if len(r.Ns) != 2 || r.Ns[0].Header().Rrtype != dns.TypeNS {
			t.Errorf("%s: authority %v, want the two NS records", name, r.Ns)
		}
		glue := 0
		for _, rr := range r.Extra {
			if rr.Header().Name == "ns.child.example." {
				glue++
			}
		}
		if glue != 2 {
			t.Errorf("%s: additional %v, want the A and AAAA glue of ns.child.example.", name, r.Extra)
		}
	}
	// The parent answers DS at the cut itself, and its own apex NS normally.
	if r := exchange(t, "udp", s.Addr4(), "child.example.", dns.TypeDS, true); !r.Authoritative || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("DS at the cut: AA %v authority %v, want an authoritative NODATA", r.Authoritative, r.Ns)
	}
	if r := exchange(t, "udp", s.Addr4(), "example.", dns.TypeNS, true); !r.Authoritative || len(r.Answer) != 1 {
		t.Errorf("apex NS: AA %v answers %v", r.Authoritative, r.Answer)
	}
	// A CNAME into the delegation stops at the alias.
	if r := exchange(t, "udp", s.Addr4(), "alias.example.", dns.TypeA, true); len(r.Answer) != 1 || !r.Authoritative {
		t.Errorf("CNAME into a delegation: AA %v answers %v, want the CNAME alone", r.Authoritative, r.Answer)
	}
}

func TestSecureZonesAnswerWithADAndOtherZonesDoNot(t *testing.T) {
	s := New(t, testZone+"$ORIGIN elsewhere.test.\n@ SOA ns. h. 1 1 1 1 1\nmail A 198.51.100.1\n", WithSecureZone("example."))
	for _, c := range []struct {
		name string
		ad   bool
	}{
		{"mx1.example.", true},
		{"nothere.example.", true},         // an authenticated denial
		{"out.example.", false},            // the chain leaves the signed zone
		{"mail.elsewhere.test.", false},    // an unsigned zone
		{"example.elsewhere.test.", false}, // not a label boundary
	} {
		r := exchange(t, "udp", s.Addr4(), c.name, dns.TypeA, true)
		if r.AuthenticatedData != c.ad {
			t.Errorf("%s: AD %v, want %v", c.name, r.AuthenticatedData, c.ad)
		}
	}
	s.MustInject(t, "mx1.example.", "A", FaultBogus)
	if r := exchange(t, "udp", s.Addr4(), "mx1.example.", dns.TypeA, true); r.AuthenticatedData || r.Rcode != dns.RcodeServerFailure {
		t.Errorf("bogus: rcode %d AD %v, want SERVFAIL without AD", r.Rcode, r.AuthenticatedData)
	}
}
