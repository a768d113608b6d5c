package dnsq

import (
	"encoding/binary"
	"reflect"
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// replyMessages are answers of the shapes readReply reads itself, as a
// server packs them (with name compression).
func replyMessages(t testing.TB) map[string][]byte {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	msg := func(qname string, qtype uint16, edns bool, answer ...string) *dns.Msg {
		m := new(dns.Msg).SetQuestion(qname, qtype)
		m.Response, m.RecursionAvailable, m.Compress = true, true, true
		for _, a := range answer {
			m.Answer = append(m.Answer, rr(a))
		}
		if edns {
			m.SetEdns0(1232, true)
		}
		return m
	}
	out := map[string][]byte{}
	add := func(name string, m *dns.Msg) {
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	add("A", msg("mx.example.", dns.TypeA, true, "mx.example. 300 IN A 192.0.2.25", "mx.example. 300 IN A 192.0.2.26"))
	add("AAAA", msg("mx.example.", dns.TypeAAAA, false, "mx.example. 300 IN AAAA 2001:db8::25"))
	add("AAAA mapped", msg("mx.example.", dns.TypeAAAA, true, "mx.example. 300 IN AAAA ::ffff:192.0.2.1"))
	add("MX", msg("example.", dns.TypeMX, true, "example. 300 IN MX 10 mx1.example.", "example. 300 IN MX 20 MX2.Example."))
	glue := msg("example.", dns.TypeMX, true, "example. 300 IN MX 10 mx.example.")
	glue.Extra = append([]dns.RR{rr("mx.example. 300 IN A 192.0.2.25"), rr("mx.example. 300 IN AAAA 2001:db8::25")}, glue.Extra...)
	glue.Authoritative = true
	add("MX with glue", glue)
	add("null MX", msg("example.", dns.TypeMX, true, "example. 300 IN MX 0 ."))
	add("CNAME chain", msg("www.example.", dns.TypeA, true, "www.example. 300 IN CNAME web.example.", "web.example. 300 IN A 192.0.2.80"))
	add("PTR", msg("25.2.0.192.in-addr.arpa.", dns.TypePTR, true, "25.2.0.192.in-addr.arpa. 300 IN PTR mx.example."))
	add("NS", msg("example.", dns.TypeNS, false, "example. 300 IN NS ns1.example.", "example. 300 IN NS ns2.example."))
	add("escaped name", msg("mx.example.", dns.TypeMX, true, `mx.example. 300 IN MX 10 a\.b\032c.example.`))
	add("other class", msg("mx.example.", dns.TypeA, true, "mx.example. 300 CH A 192.0.2.25"))
	add("empty", msg("mx.example.", dns.TypeAAAA, true))
	nx := msg("none.example.", dns.TypeA, true)
	nx.Rcode = dns.RcodeNameError
	add("NXDOMAIN, no authority", nx)
	return out
}

func TestReadReplyReadsTheCommonAnswersAsUnpackWould(t *testing.T) {
	for name, b := range replyMessages(t) {
		var m dns.Msg
		if err := m.Unpack(b); err != nil {
			t.Fatal(err)
		}
		r, ok := readReply(b, m.Question[0])
		if !ok {
			t.Errorf("%s: left to Unpack", name)
			continue
		}
		if want := replyOf(&m); !reflect.DeepEqual(r, want) {
			t.Errorf("%s: read %+v, want %+v", name, r, want)
		}
	}
}

func TestReadReplyLeavesEveryOtherAnswerToUnpack(t *testing.T) {
	base := func() *dns.Msg {
		m := new(dns.Msg).SetQuestion("mx.example.", dns.TypeA)
		m.Response = true
		a, _ := dns.NewRR("mx.example. 300 IN A 192.0.2.25")
		m.Answer = []dns.RR{a}
		return m
	}
	soa, _ := dns.NewRR("example. 300 IN SOA ns.example. h.example. 1 2 3 4 5")
	txt, _ := dns.NewRR(`mx.example. 300 IN TXT "v=spf1 -all"`)
	cases := map[string]func(m *dns.Msg){
		"truncated":         func(m *dns.Msg) { m.Truncated = true },
		"SERVFAIL":          func(m *dns.Msg) { m.Rcode = dns.RcodeServerFailure },
		"not a response":    func(m *dns.Msg) { m.Response = false },
		"other opcode":      func(m *dns.Msg) { m.Opcode = dns.OpcodeNotify },
		"authority records": func(m *dns.Msg) { m.Ns = []dns.RR{soa} },
		"TXT record":        func(m *dns.Msg) { m.Answer = append(m.Answer, txt) },
		"EDNS option": func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = []dns.EDNS0{&dns.EDNS0_EDE{InfoCode: dns.ExtendedErrorCodeStaleAnswer}}
		},
		"extended rcode": func(m *dns.Msg) { m.SetEdns0(1232, false); m.Rcode = dns.RcodeBadVers },
		"other question": func(m *dns.Msg) { m.Question[0].Name = "other.example." },
		"TXT glue":       func(m *dns.Msg) { m.Extra = append(m.Extra, txt) },
		"two OPT records": func(m *dns.Msg) {
			m.SetEdns0(1232, false)
			m.Extra = append(m.Extra, &dns.OPT{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeOPT, Class: 512}})
		},
	}
	q := dns.Question{Name: "mx.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET}
	for name, change := range cases {
		m := base()
		change(m)
		b, err := m.Pack()
		if err != nil {
			t.Fatal(name, err)
		}
		if _, ok := readReply(b, q); ok {
			t.Errorf("%s: read, want it left to Unpack", name)
		}
	}
	b, err := base().Pack()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := readReply(append(b, 0), q); ok {
		t.Error("a trailing byte: read, want it left to Unpack")
	}
	// An A record whose data is not 4 bytes: b ends with the A record's
	// RDLENGTH and its 4 bytes of data; cut them to 3 and to none.
	for _, n := range []int{3, 0} {
		cut := slices.Clone(b[:len(b)-4+n])
		binary.BigEndian.PutUint16(cut[len(cut)-n-2:], uint16(n))
		if _, ok := readReply(cut, q); ok {
			t.Errorf("A with %d bytes of data: read", n)
		}
		var m dns.Msg
		if err := m.Unpack(cut); n == 0 && (err != nil || len(m.Answer) != 1 || len(m.Answer[0].(*dns.A).A) != 0) {
			t.Errorf("the edit did not leave an A record with no data: %v %v", err, m.Answer)
		}
	}
}

// What readReply reads is what replyOf makes of miekg/dns's Unpack, and
// it reads nothing Unpack rejects or the exchange would not take as the
// answer (another question, fewer records than counted, TC).
func FuzzReadReplyAgreesWithUnpack(f *testing.F) {
	for _, b := range replyMessages(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m dns.Msg
		uerr := m.Unpack(b)
		q := dns.Question{Name: "mx.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET}
		if uerr == nil && len(m.Question) == 1 {
			q = m.Question[0]
		}
		r, ok := readReply(b, q)
		if !ok {
			return
		}
		if uerr != nil {
			t.Fatalf("read %x, which Unpack rejects: %v", b, uerr)
		}
		if !matches(&m, q) || m.Truncated || short(&m, b) {
			t.Fatalf("read %x, which is not the answer to %v", b, q)
		}
		if want := replyOf(&m); !reflect.DeepEqual(r, want) {
			t.Fatalf("read %+v, Unpack %+v", r, want)
		}
	})
}
