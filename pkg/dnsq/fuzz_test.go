package dnsq

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// FuzzParseServer checks that ParseServer never panics and that what it
// accepts is a dialable "IP:port" that parses back to itself.
func FuzzParseServer(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "2001:db8::1",
		"[2001:db8::1]", "fe80::1%eth0", "dns.example", "1.2.3.4:0", "[::]:53", ":53", "[", "[]:53",
		"fe80::%[", "[fe80::1%a b]:53"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, err := ParseServer(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseServer(%q): empty error", s)
			}
			return
		}
		host, port, err := net.SplitHostPort(hp)
		if err != nil || port == "" || port == "0" {
			t.Fatalf("ParseServer(%q) = %q: not host:port (%v)", s, hp, err)
		}
		if _, err := netip.ParseAddr(host); err != nil {
			t.Fatalf("ParseServer(%q) = %q: host is not an IP", s, hp)
		}
		again, err := ParseServer(hp)
		if err != nil || again != hp {
			t.Fatalf("ParseServer(%q) = %q, but ParseServer(%q) = %q, %v", s, hp, hp, again, err)
		}
	})
}

// FuzzParseResolvConf checks that any file yields at least one and at most
// three dialable servers and options within glibc's caps.
func FuzzParseResolvConf(f *testing.F) {
	f.Add("nameserver 192.0.2.53\noptions timeout:1 attempts:2\n")
	f.Add("nameserver 2001:db8::53 # c\nnameserver x\n; c\noptions attempts:99 timeout:-1\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		rc := parseResolvConf(strings.NewReader(s))
		if len(rc.servers) == 0 || len(rc.servers) > maxNameservers {
			t.Fatalf("%d servers", len(rc.servers))
		}
		for _, hp := range rc.servers {
			if _, err := ParseServer(hp); err != nil && !strings.Contains(err.Error(), "unspecified") &&
				!strings.Contains(err.Error(), "multicast") && !strings.Contains(err.Error(), "zone") {
				t.Fatalf("server %q: %v", hp, err)
			}
		}
		if rc.timeout < 0 || rc.timeout > maxTimeout || rc.attempts < 0 || rc.attempts > maxAttempts {
			t.Fatalf("timeout %v attempts %d out of range", rc.timeout, rc.attempts)
		}
	})
}

// FuzzClassify feeds arbitrary answers from a "server" to the code that
// reads them: it must never panic, must give a valid status, and every
// name it returns must be printable ASCII (miekg/dns's \DDD escapes).
func FuzzClassify(f *testing.F) {
	seed := func(m *dns.Msg) {
		if b, err := m.Pack(); err == nil {
			f.Add(b)
		}
	}
	q := new(dns.Msg).SetQuestion("example.", dns.TypeMX)
	ok := new(dns.Msg).SetReply(q)
	mx, _ := dns.NewRR("example. MX 10 Mail\\000.Example.")
	cn, _ := dns.NewRR("example. CNAME other.test.")
	loop, _ := dns.NewRR("other.test. CNAME example.")
	soa, _ := dns.NewRR("example. SOA ns. h. 1 1 1 1 1")
	ok.Answer = []dns.RR{mx}
	seed(ok)
	chain := new(dns.Msg).SetReply(q)
	chain.Answer = []dns.RR{cn, loop}
	seed(chain)
	neg := new(dns.Msg).SetReply(q)
	neg.Rcode = dns.RcodeNameError
	neg.Ns = []dns.RR{soa}
	seed(neg)
	f.Fuzz(func(t *testing.T, b []byte) {
		r := new(dns.Msg)
		if r.Unpack(b) != nil {
			return
		}
		for _, qt := range []uint16{dns.TypeMX, dns.TypeA, dns.TypeAAAA, dns.TypePTR, dns.TypeTXT} {
			st := &step{res: Result{Name: "example."}}
			(&Client{}).classify(st, replyOf(r), "192.0.2.53:53", time.Millisecond, qt)
			switch st.res.Status {
			case StatusOK, StatusNoData, StatusNXDomain, StatusError:
			case "":
				if st.next == "" {
					t.Fatalf("no status and nothing to chase")
				}
			default:
				t.Fatalf("status %q", st.res.Status)
			}
			names := append([]string{st.next}, st.res.CNAMEs...)
			names = append(names, st.strs...)
			for _, m := range st.mx {
				names = append(names, m.Host)
			}
			if qt == dns.TypeTXT {
				names = names[:len(names)-len(st.strs)] // TXT is raw bytes by contract
			}
			for _, n := range names {
				for i := 0; i < len(n); i++ {
					if n[i] < 0x20 || n[i] >= 0x7f {
						t.Fatalf("name %q has byte %#x", n, n[i])
					}
				}
			}
			if len(st.res.CNAMEs) > maxCNAMEs+1 {
				t.Fatalf("chain of %d", len(st.res.CNAMEs))
			}
		}
	})
}

// Flags of a FuzzExchange input: how the replay server sends its bytes.
const (
	replayPatchID       = 1 << iota // copy the query's ID into each reply
	replayPatchQuestion             // insert the query's question after the reply's header, QDCOUNT 1
	replayNoRefusal                 // send no well-formed REFUSED after the UDP reply (see serveUDP)
	replayTCPUnframed               // over TCP, send the bytes without the 2-byte length
	replayUDPSilent                 // send no UDP reply of the input's
	replayTCPHold                   // keep the TCP connection open after the reply
	replayUDPTruncated              // over UDP, a well-formed TC=1 reply, so the client asks over TCP
)

// replayServer answers every query with the bytes of the current fuzz
// input, over UDP and TCP on one port of 127.0.0.1. One serves all the
// inputs of a fuzz process, so an input costs a lookup, not a server.
type replayServer struct {
	addr string
	pc   net.PacketConn
	ln   net.Listener

	mu    sync.Mutex
	flags byte
	udp   []byte
	tcp   []byte
}

func startReplayServer(tb testing.TB) *replayServer {
	tb.Helper()
	s := &replayServer{}
	for try := 0; ; try++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			if try < 20 {
				continue
			}
			tb.Fatal(err)
		}
		s.pc, s.ln, s.addr = pc, ln, pc.LocalAddr().String()
		break
	}
	tb.Cleanup(func() { s.pc.Close(); s.ln.Close() })
	go s.serveUDP()
	go s.serveTCP()
	return s
}

func (s *replayServer) set(flags byte, udp, tcp []byte) {
	s.mu.Lock()
	s.flags, s.udp, s.tcp = flags, udp, tcp
	s.mu.Unlock()
}

func (s *replayServer) get() (byte, []byte, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flags, s.udp, s.tcp
}

// questionEnd returns the offset just past the question of query, or 0.
func questionEnd(query []byte) int {
	if len(query) < 12 {
		return 0
	}
	_, off, err := dns.UnpackDomainName(query, 12)
	if err != nil || off+4 > len(query) {
		return 0
	}
	return off + 4
}

// patch returns reply with the query's ID and question put in as flags say.
func patch(reply, query []byte, flags byte) []byte {
	b := slices.Clone(reply)
	if qend := questionEnd(query); flags&replayPatchQuestion != 0 && len(b) >= 12 && qend > 0 {
		b = slices.Concat(b[:12], query[12:qend], b[12:])
		binary.BigEndian.PutUint16(b[4:], 1)
	}
	if flags&replayPatchID != 0 && len(b) >= 2 {
		copy(b, query[:2])
	}
	return b
}

// wellFormed is a reply to query with no records: flags2 and flags3 are
// the header's third and fourth octets.
func wellFormed(query []byte, flags2, flags3 byte) []byte {
	qend := questionEnd(query)
	if qend == 0 {
		return nil
	}
	b := slices.Clone(query[:qend])
	b[2], b[3] = flags2, flags3
	binary.BigEndian.PutUint16(b[4:], 1)
	clear(b[6:12])
	return b
}

func (s *replayServer) serveUDP() {
	buf := make([]byte, 512)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		query := buf[:n]
		flags, udp, _ := s.get()
		switch {
		case flags&replayUDPTruncated != 0:
			_, _ = s.pc.WriteTo(wellFormed(query, 0x83, 0x80), from) // QR TC RD, RA NOERROR
		case flags&replayUDPSilent == 0:
			_, _ = s.pc.WriteTo(patch(udp, query, flags), from)
		}
		if flags&replayNoRefusal == 0 {
			// When the client ignores the reply (another ID or question),
			// this ends the exchange at once instead of at its timeout,
			// which keeps most inputs fast.
			_, _ = s.pc.WriteTo(wellFormed(query, 0x81, 0x85), from) // QR RD, RA REFUSED
		}
	}
}

func (s *replayServer) serveTCP() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			var l [2]byte
			if _, err := io.ReadFull(conn, l[:]); err != nil {
				return
			}
			query := make([]byte, binary.BigEndian.Uint16(l[:]))
			if _, err := io.ReadFull(conn, query); err != nil {
				return
			}
			flags, _, tcp := s.get()
			b := patch(tcp, query, flags)
			if flags&replayTCPUnframed == 0 {
				b = append([]byte{byte(len(b) >> 8), byte(len(b))}, b...)
			}
			_, _ = conn.Write(b)
			if flags&replayTCPHold != 0 {
				_, _ = conn.Read(l[:]) // until the client gives up and closes
			}
		}()
	}
}

// FuzzExchange drives the client with arbitrary server replies over UDP
// and TCP: whatever the bytes, a lookup must end within its deadline with
// a valid status, never panic, and return only printable names and error
// texts. The input is the replay flags, the UDP reply and the TCP reply.
func FuzzExchange(f *testing.F) {
	srv := startReplayServer(f)
	// Short waits keep an input that times out cheap: each exchange waits
	// a quarter of the deadline, 10ms.
	c, err := New(Config{Servers: []string{srv.addr}, Timeout: 10 * time.Millisecond, Attempts: 1, CacheSize: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.Close() })
	q := new(dns.Msg).SetQuestion("example.", dns.TypeMX)
	pack := func(edit func(m *dns.Msg)) []byte {
		m := new(dns.Msg).SetReply(q)
		m.RecursionAvailable = true
		edit(m)
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	mx := func(m *dns.Msg) {
		m.Answer = []dns.RR{&dns.MX{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeMX, Class: dns.ClassINET, Ttl: 300}, Preference: 10, Mx: "mx.example."}}
	}
	good := pack(mx)
	f.Add(byte(replayPatchID), good, good)
	f.Add(byte(replayPatchID|replayUDPTruncated), good, good)
	f.Add(byte(replayPatchID|replayUDPTruncated), good, pack(func(m *dns.Msg) { m.Truncated = true }))
	f.Add(byte(replayPatchID), good[:len(good)-3], good)
	f.Add(byte(0), good, good) // another ID
	f.Add(byte(replayNoRefusal), good, good)
	f.Add(byte(replayPatchID|replayUDPTruncated|replayTCPUnframed), good, good)
	f.Add(byte(replayPatchID|replayUDPTruncated|replayTCPUnframed|replayTCPHold), good, []byte{0, 50, 1, 2, 3})
	f.Add(byte(replayPatchID|replayPatchQuestion), good[:12], good[:12])
	f.Add(byte(replayPatchID), pack(func(m *dns.Msg) {
		for i := range 400 {
			m.Answer = append(m.Answer, &dns.MX{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeMX, Class: dns.ClassINET}, Preference: uint16(i), Mx: "mx.example."})
		}
	}), good)
	f.Add(byte(replayPatchID), pack(func(m *dns.Msg) {
		m.Answer = []dns.RR{&dns.CNAME{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeCNAME, Class: dns.ClassINET}, Target: "example."}}
	}), good)
	f.Add(byte(replayPatchID), pack(func(m *dns.Msg) {
		m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeTXT, Class: dns.ClassINET}, Txt: []string{"\x1b[31m"}}}
	}), good)
	f.Add(byte(replayPatchID), pack(func(m *dns.Msg) { m.Rcode = dns.RcodeFormatError }), good)
	f.Add(byte(replayUDPSilent|replayNoRefusal), []byte{}, []byte{})

	const deadline = 40 * time.Millisecond
	f.Fuzz(func(t *testing.T, flags byte, udp, tcp []byte) {
		srv.set(flags, udp, tcp)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		res := c.LookupMX(ctx, "example.")
		if el := time.Since(start); el > deadline+time.Second { // slack for a loaded machine; a hang is far longer
			t.Fatalf("lookup took %v with a %v deadline", el, deadline)
		}
		switch st := res.Status; st {
		case StatusOK:
			if len(res.MX) == 0 {
				t.Fatalf("status ok without records")
			}
		case StatusNoData, StatusNXDomain:
			if len(res.MX) != 0 {
				t.Fatalf("status %s with records %v", st, res.MX)
			}
		case StatusServFail, StatusRefused, StatusTimeout, StatusError:
			if res.Err == nil || len(res.MX) != 0 {
				t.Fatalf("status %s with err %v and records %v", st, res.Err, res.MX)
			}
		default:
			t.Fatalf("status %q", st)
		}
		texts := slices.Clone(res.CNAMEs)
		for _, m := range res.MX {
			texts = append(texts, m.Host)
		}
		if res.Err != nil {
			texts = append(texts, res.Err.Error())
		}
		for _, s := range texts {
			for i := 0; i < len(s); i++ {
				if s[i] < 0x20 || s[i] == 0x7f {
					t.Fatalf("%q has byte %#x", s, s[i])
				}
			}
		}
	})
}

// FuzzParseZone feeds arbitrary master-file text (with a file it may
// $INCLUDE, itself included) to the zone parser and the overlay's
// authoritative answers: no panic, no hang; an error is a *ZoneError naming
// the file, with a short printable message; a loaded zone holds only names
// under its apex, and every name it holds answers without panicking.
func FuzzParseZone(f *testing.F) {
	for _, s := range []string{
		"$ORIGIN example.com.\n@ SOA ns h 1 2 3 4 5\n@ MX 10 mx\nmx A 192.0.2.1\n",
		"$TTL 60\n@ SOA ns h 1 2 3 4 5\n$INCLUDE inc.zone\n*.w TXT \"x\"\nsub NS ns.sub\nd DNAME example.net.\n",
		"$INCLUDE f.zone\n",
		"$GENERATE 1-20 h$ CNAME h${1,3,x}\n",
		"a (\n A\n 192.0.2.1 )\nb.example.org. A 192.0.2.2\nc CH TXT x\n",
		"\x00\xff\"\\(;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		fsys := files("f.zone", text, "inc.zone", "i A 192.0.2.9\nj CNAME i\n")
		// A few $GENERATE lines make millions of records, which takes
		// seconds; the bound on records is tested on its own.
		z, err := parseZone(fsys, "f.zone", "example.com", func(n string) string { return n }, 10_000)
		if err != nil {
			ze, ok := err.(*ZoneError)
			if !ok || ze.File == "" || ze.Msg == "" || len(ze.Msg) > maxZoneMsg+3 || strings.ContainsAny(ze.Msg, "\n\r\x00") {
				t.Fatalf("error %T %q", err, err)
			}
			return
		}
		for name := range z.nodes {
			if !dns.IsSubDomain(z.apex, name) {
				t.Fatalf("%q held outside the apex %q", name, z.apex)
			}
			for _, qt := range []uint16{dns.TypeA, dns.TypeMX, dns.TypeTXT, dns.TypeCNAME} {
				z.answer(name, qt)
				z.answer("x."+name, qt)
			}
		}
		for _, w := range z.Warnings() {
			if w.Line <= 0 || w.File == "" {
				t.Fatalf("warning without a place: %+v", w)
			}
		}
	})
}
