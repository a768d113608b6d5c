package main

import (
	"bufio"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = `$ORIGIN lab.example.
$TTL 300
@        SOA  ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
pair     MX   10 mx2.pair
pair     MX   10 mx1.pair
mx1.pair AAAA 2001:db8:c0:2::1
mx1.pair A    203.0.113.22
mx1.pair A    203.0.113.21
alias    CNAME mx1.pair
broken   A    203.0.113.81
broken   AAAA 2001:db8:c0:8::1
`

func testHandler(t *testing.T, servfail ...string) *handler {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lab.zone")
	if err := os.WriteFile(p, []byte(testZone), 0o644); err != nil {
		t.Fatal(err)
	}
	z, err := loadZone(p, servfail)
	if err != nil {
		t.Fatal(err)
	}
	return &handler{zone: z, log: &eventLog{w: io.Discard}}
}

func ask(h *handler, name string, t uint16) *dns.Msg {
	q := new(dns.Msg)
	q.SetQuestion(name, t)
	q.RecursionDesired = true
	return h.answer(q)
}

func TestAnswersKeepZoneFileOrderAndSetRA(t *testing.T) {
	h := testHandler(t)
	m := ask(h, "MX1.pair.lab.example.", dns.TypeA)
	if !m.RecursionAvailable || !m.Authoritative || m.Rcode != dns.RcodeSuccess {
		t.Fatalf("RA=%v AA=%v rcode=%s", m.RecursionAvailable, m.Authoritative, dns.RcodeToString[m.Rcode])
	}
	var got []string
	for _, rr := range m.Answer {
		got = append(got, rr.(*dns.A).A.String())
	}
	if strings.Join(got, " ") != "203.0.113.22 203.0.113.21" {
		t.Errorf("A answer order %v, want file order", got)
	}
	mx := ask(h, "pair.lab.example.", dns.TypeMX)
	if len(mx.Answer) != 2 || mx.Answer[0].(*dns.MX).Mx != "mx2.pair.lab.example." {
		t.Errorf("MX answer %v, want file order (mx2 first)", mx.Answer)
	}
}

func TestServfailHitsOnlyTheNamedType(t *testing.T) {
	h := testHandler(t, "broken.lab.example./AAAA")
	if m := ask(h, "broken.lab.example.", dns.TypeAAAA); m.Rcode != dns.RcodeServerFailure {
		t.Errorf("AAAA rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
	if m := ask(h, "broken.lab.example.", dns.TypeA); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
		t.Errorf("A rcode %s with %d answers, want one A", dns.RcodeToString[m.Rcode], len(m.Answer))
	}
}

func TestNegativeAnswersTellNXDOMAINFromNODATA(t *testing.T) {
	h := testHandler(t)
	tests := []struct {
		name  string
		qtype uint16
		rcode int
	}{
		{"pair.lab.example.", dns.TypeA, dns.RcodeSuccess},      // NODATA: name has only MX
		{"nope.lab.example.", dns.TypeMX, dns.RcodeNameError},   // NXDOMAIN
		{"lab.example.", dns.TypeMX, dns.RcodeSuccess},          // apex exists
		{"example.", dns.TypeMX, dns.RcodeRefused},              // not our zone
		{"other.test.", dns.TypeA, dns.RcodeRefused},            // not our zone
		{"alias.lab.example.", dns.TypeAAAA, dns.RcodeSuccess},  // CNAME chased
		{"alias.lab.example.", dns.TypeCNAME, dns.RcodeSuccess}, // CNAME itself
	}
	for _, tc := range tests {
		m := ask(h, tc.name, tc.qtype)
		if m.Rcode != tc.rcode {
			t.Errorf("%s %s: rcode %s, want %s", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[m.Rcode], dns.RcodeToString[tc.rcode])
		}
		if tc.rcode != dns.RcodeRefused && len(m.Answer) == 0 && len(m.Ns) != 1 {
			t.Errorf("%s: negative answer without SOA", tc.name)
		}
	}
	if m := ask(h, "alias.lab.example.", dns.TypeAAAA); len(m.Answer) != 2 {
		t.Errorf("CNAME chase gave %v, want CNAME + AAAA", m.Answer)
	}
}

func TestThe421PeerGreetsAndLogsEachConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	lg := &eventLog{w: &syncWriter{b: &log}}
	done := make(chan struct{})
	go func() { serve421(ln, lg); close(done) }()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	greeting, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || !strings.HasPrefix(greeting, "421 ") {
		t.Errorf("greeting %q, err %v; want a 421 reply", greeting, err)
	}
	ln.Close()
	<-done
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if !strings.Contains(log.String(), "smtp accept local="+ln.Addr().String()) {
		t.Errorf("log %q lacks the accepted connection", log.String())
	}
}

type syncWriter struct{ b *strings.Builder }

func (w *syncWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

func TestEachSOAStartsAZoneOfItsOwn(t *testing.T) {
	p := filepath.Join(t.TempDir(), "two.zone")
	two := testZone + `
$ORIGIN mx.test.
@    SOA  ns.lab.example. hostmaster.lab.example. 1 3600 600 86400 300
mx1  A    203.0.113.91
`
	if err := os.WriteFile(p, []byte(two), 0o644); err != nil {
		t.Fatal(err)
	}
	z, err := loadZone(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{zone: z, log: &eventLog{w: io.Discard}}
	if m := ask(h, "mx1.mx.test.", dns.TypeA); m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
		t.Errorf("mx1.mx.test A: %s %v", dns.RcodeToString[m.Rcode], m.Answer)
	}
	m := ask(h, "mx2.mx.test.", dns.TypeA)
	if m.Rcode != dns.RcodeNameError || len(m.Ns) != 1 || m.Ns[0].Header().Name != "mx.test." {
		t.Errorf("mx2.mx.test: %s, authority %v, want NXDOMAIN with mx.test's SOA", dns.RcodeToString[m.Rcode], m.Ns)
	}
	if m := ask(h, "nope.lab.example.", dns.TypeA); len(m.Ns) != 1 || m.Ns[0].Header().Name != "lab.example." {
		t.Errorf("nope.lab.example: authority %v, want lab.example's SOA", m.Ns)
	}
	if m := ask(h, "other.test.", dns.TypeA); m.Rcode != dns.RcodeRefused {
		t.Errorf("other.test: %s, want REFUSED (in neither zone)", dns.RcodeToString[m.Rcode])
	}
}
