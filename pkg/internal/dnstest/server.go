// Package dnstest is an in-process authoritative DNS server for tests,
// benchmarks and the demo sandbox.
//
// A Server is built from zone-file text, listens on UDP and TCP on the same
// port of 127.0.0.1 (and of ::1 when the host has IPv6 loopback), and answers
// like a real authoritative server: AA and RA set (glibc discards answers
// without RA), records in zone-file order, NXDOMAIN distinct from NODATA (an
// empty non-terminal is NODATA), wildcards (RFC 4592), CNAME chains followed
// inside the zone, the SOA in the authority section of negative answers,
// EDNS0 echoed, and UDP answers truncated (TC=1) to the requester's buffer
// size. Zones declared with WithSecureZone answer with the AD bit, standing
// in for a validating resolver in front of signed zones (TLSA records are
// served like any other type), so DNSSEC and DANE checks run in process.
//
// Faults are injected per name and type: SERVFAIL, REFUSED, NOTIMP, drop
// (never answer), truncate (TC=1 with no records over UDP, the full answer
// over TCP), FORMERR to EDNS0 queries (a pre-EDNS server), SERVFAIL with the
// "DNSSEC Bogus" Extended DNS Error, a malformed answer, delays, and the
// replies no correct server sends: UDP answers larger than the requester's
// buffer without TC, a UDP answer with TC=1 cut inside a record, an answer
// cut after its question without TC, TC=1 over TCP (with or without
// records), TCP answers with another ID or question, records of another
// type than the one asked.
// Query counters let tests check that a client coalesces.
//
// Start does not need a *testing.T, so the demo sandbox and benchmarks use it
// outside tests; New is the test helper that closes the server on cleanup.
package dnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Fault is a misbehaviour injected for a name (and optionally a type).
type Fault int

const (
	FaultNone     Fault = iota
	FaultServFail       // answer SERVFAIL
	FaultRefused        // answer REFUSED
	FaultDrop           // never answer (the client must time out)
	FaultTruncate       // UDP: TC=1 and no records; TCP: the full answer
	FaultNotImp         // answer NOTIMP, an rcode a stub should treat as a server failure
	FaultFormErr        // answer FORMERR to queries that carry EDNS0, like pre-EDNS servers (RFC 6891 §7)
	// FaultBogus answers SERVFAIL with the Extended DNS Error a validating
	// resolver adds when signatures do not validate (RFC 8914 §4.7, code 6
	// "DNSSEC Bogus"; Unbound and BIND send it).
	FaultBogus
	// FaultMalformed answers with the right ID and a body that does not
	// parse, as a broken middlebox might.
	FaultMalformed
	// FaultOversize ignores the requester's EDNS0 buffer size over UDP and
	// sends the whole answer, up to 65,535 bytes, without TC: what a server
	// that never truncates (or a middlebox that strips the OPT record)
	// does.
	FaultOversize
	// FaultTCPTruncated sets TC=1 and sends no records over UDP and over
	// TCP too, where no answer needs truncating (RFC 1035 §4.2.2): a
	// bogus reply that says nothing about the name.
	FaultTCPTruncated
	// FaultTCPTruncatedRecords sets TC=1 with no records over UDP and
	// TC=1 with the full answer over TCP.
	FaultTCPTruncatedRecords
	// FaultTCPWrongID answers TC=1 over UDP, and over TCP with another
	// message ID than the query's (RFC 7766 §7 makes clients match IDs).
	FaultTCPWrongID
	// FaultTCPWrongQuestion answers TC=1 over UDP, and over TCP with an
	// answer about another name.
	FaultTCPWrongQuestion
	// FaultTruncateCut answers over UDP with TC=1 and the full answer cut
	// off inside its last record, which RFC 1035 §4.1.1 allows (TC says the
	// message was cut to fit) but does not parse; over TCP, the full answer.
	FaultTruncateCut
	// FaultShort answers over UDP and TCP with the header of the full
	// answer (its record counts) and the question, but no records and no
	// TC: an answer cut at a record boundary, which a lenient parser reads
	// as NODATA.
	FaultShort
	// FaultWrongType answers NOERROR with a record of another type than the
	// one asked at the name (TXT, or A when TXT is asked), and nothing of
	// the asked type: what broken home routers do to AAAA queries.
	FaultWrongType
)

func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultServFail:
		return "servfail"
	case FaultRefused:
		return "refused"
	case FaultDrop:
		return "drop"
	case FaultTruncate:
		return "truncate"
	case FaultNotImp:
		return "notimp"
	case FaultFormErr:
		return "formerr"
	case FaultBogus:
		return "bogus"
	case FaultMalformed:
		return "malformed"
	case FaultOversize:
		return "oversize"
	case FaultTCPTruncated:
		return "tcp-truncated"
	case FaultTCPTruncatedRecords:
		return "tcp-truncated-records"
	case FaultTCPWrongID:
		return "tcp-wrong-id"
	case FaultTCPWrongQuestion:
		return "tcp-wrong-question"
	case FaultTruncateCut:
		return "truncate-cut"
	case FaultShort:
		return "short"
	case FaultWrongType:
		return "wrong-type"
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// Option configures a Server at Start.
type Option func(*config)

type config struct {
	origin     string
	delay      time.Duration
	noIPv6     bool
	noQueryLog bool
	authentic  bool
	secureRoot bool // WithSecureRoot
	secure     []string
	faults     []faultSpec
	udpSize    uint16
	listenIPv4 string
	listenIPv6 string
}

type faultSpec struct {
	name, qtype string
	fault       Fault
}

// WithOrigin sets $ORIGIN for relative names in the zone text (default ".").
func WithOrigin(origin string) Option { return func(c *config) { c.origin = origin } }

// WithDelay delays every answer by d (benchmarks of a slow resolver).
func WithDelay(d time.Duration) Option { return func(c *config) { c.delay = d } }

// WithoutIPv6 does not listen on ::1.
func WithoutIPv6() Option { return func(c *config) { c.noIPv6 = true } }

// WithoutQueryLog keeps only the total query counter: per-name counting
// costs a map entry per (name, type), which bulk benchmarks over 100k
// domains do not want to measure.
func WithoutQueryLog() Option { return func(c *config) { c.noQueryLog = true } }

// WithAuthenticData sets the AD bit on every answer, as a validating
// resolver does for signed data (RFC 4035 §3.2.3), so that clients can be
// tested for passing it through.
func WithAuthenticData() Option { return func(c *config) { c.authentic = true } }

// WithSecureZone declares the zone at apex signed and validated: answers
// about names at or below it carry the AD bit, as a validating resolver
// sets it for data that validates (RFC 4035 §3.2.3). An answer whose CNAME
// chain leaves the secure zones, or whose question name is outside them,
// does not (RFC 4035 §3.2.3: AD only when every RRset in the answer and
// authority sections is authentic). "." declares every zone secure, the
// root's NS included, which is what Postfix's dnssec_probe asks.
func WithSecureZone(apex string) Option {
	return func(c *config) { c.secure = append(c.secure, canonical(apex)) }
}

// WithSecureRoot declares only the root zone signed and validated: the
// root's NS answer, which Postfix's dnssec_probe asks, carries the AD bit,
// so the server stands for a validating resolver, and the zones below are
// insecure unless declared with WithSecureZone.
func WithSecureRoot() Option {
	return func(c *config) { c.secureRoot = true }
}

// WithFault injects f at start; see Server.Inject.
func WithFault(name, qtype string, f Fault) Option {
	return func(c *config) { c.faults = append(c.faults, faultSpec{name, qtype, f}) }
}

// WithListenAddrs listens on the given IP addresses instead of 127.0.0.1
// and ::1 (an empty string disables that family). Used inside network
// namespaces that hold documentation addresses.
func WithListenAddrs(ipv4, ipv6 string) Option {
	return func(c *config) {
		c.listenIPv4, c.listenIPv6 = ipv4, ipv6
		c.noIPv6 = ipv6 == ""
	}
}

// key identifies a (name, type) pair; qtype 0 means every type, name ""
// every name.
type key struct {
	name  string
	qtype uint16
}

// TB is the part of testing.TB the helpers use. Taking it instead of
// testing.TB keeps the testing package out of the mailcheck binary, which
// links this package through the demo sandbox.
type TB interface {
	Helper()
	Cleanup(func())
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
}

// Server is a running authoritative server. It is safe for concurrent use.
type Server struct {
	zone *zone
	cfg  config

	addr4, addr6 string
	servers      []*dns.Server
	done         chan struct{}
	closeOnce    sync.Once

	mu     sync.RWMutex
	faults map[key]Fault
	delays map[string]time.Duration
	ad     map[string]bool

	countMu sync.Mutex
	counts  map[key]int
	total   atomic.Int64
}

// Start parses zoneText and starts serving it. The caller must Close the
// server.
func Start(zoneText string, opts ...Option) (*Server, error) {
	cfg := config{udpSize: 1232, listenIPv4: "127.0.0.1", listenIPv6: "::1"}
	for _, o := range opts {
		o(&cfg)
	}
	z, err := parseZone(zoneText, cfg.origin)
	if err != nil {
		return nil, err
	}
	s := &Server{
		zone:   z,
		cfg:    cfg,
		done:   make(chan struct{}),
		faults: map[key]Fault{},
		delays: map[string]time.Duration{},
		ad:     map[string]bool{},
		counts: map[key]int{},
	}
	for _, f := range cfg.faults {
		if err := s.Inject(f.name, f.qtype, f.fault); err != nil {
			return nil, err
		}
	}
	if cfg.listenIPv4 != "" {
		if s.addr4, err = s.listen(cfg.listenIPv4); err != nil {
			s.Close()
			return nil, err
		}
	}
	if !cfg.noIPv6 {
		addr6, err := s.listen(cfg.listenIPv6)
		if err == nil {
			s.addr6 = addr6
		} else if cfg.listenIPv4 == "" {
			s.Close()
			return nil, err
		}
		// Otherwise IPv6 loopback is unavailable on this host: Addr6 is "".
	}
	return s, nil
}

// New starts a server for a test and closes it when the test ends.
func New(t TB, zoneText string, opts ...Option) *Server {
	t.Helper()
	s, err := Start(zoneText, opts...)
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr4 is "127.0.0.1:port" (UDP and TCP), or "" if not listening on IPv4.
func (s *Server) Addr4() string { return s.addr4 }

// Addr6 is "[::1]:port" (UDP and TCP), or "" when IPv6 loopback is unavailable.
func (s *Server) Addr6() string { return s.addr6 }

// RequireIPv6 skips the test when the server could not listen on ::1.
func (s *Server) RequireIPv6(t TB) string {
	t.Helper()
	if s.addr6 == "" {
		t.Skip("IPv6 loopback (::1) is not available on this host")
	}
	return s.addr6
}

// Close stops the server and releases waiting (delayed, dropped) handlers.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		for _, srv := range s.servers {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = srv.ShutdownContext(ctx)
			cancel()
		}
	})
}

// listen binds UDP on ip:0 and TCP on the same port, retrying when the TCP
// port is taken, so that one "host:port" names both transports.
func (s *Server) listen(ip string) (string, error) {
	var lastErr error
	for try := 0; try < 20; try++ {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
		if err != nil {
			return "", fmt.Errorf("dnstest: listen udp %s: %w", ip, err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		addr := net.JoinHostPort(ip, strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = pc.Close() // nothing served on it yet; the listen error is what matters
			lastErr = err
			continue
		}
		if err := s.serve(&dns.Server{PacketConn: pc}, &dns.Server{Listener: ln}); err != nil {
			return "", errors.Join(err, pc.Close(), ln.Close())
		}
		return addr, nil
	}
	return "", fmt.Errorf("dnstest: listen tcp %s: %w", ip, lastErr)
}

func (s *Server) serve(srvs ...*dns.Server) error {
	for _, srv := range srvs {
		started := make(chan struct{})
		srv.Handler = dns.HandlerFunc(s.handle)
		srv.NotifyStartedFunc = func() { close(started) }
		errc := make(chan error, 1)
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
			s.servers = append(s.servers, srv)
		case err := <-errc:
			return fmt.Errorf("dnstest: serve: %w", err)
		}
	}
	return nil
}

// parseType turns "A", "aaaa", "" (every type) into a type code.
func parseType(qtype string) (uint16, error) {
	if qtype == "" {
		return 0, nil
	}
	t, ok := dns.StringToType[strings.ToUpper(qtype)]
	if !ok {
		return 0, fmt.Errorf("dnstest: unknown record type %q", qtype)
	}
	return t, nil
}

func canonical(name string) string {
	if name == "" {
		return ""
	}
	return strings.ToLower(dns.Fqdn(name))
}

// Inject makes the server misbehave for name (absolute or not; "" for every
// name) and qtype ("A", "MX"...; "" for every type). FaultNone clears it.
// The most specific match wins: (name, type), (name, any), (any, type),
// (any, any).
func (s *Server) Inject(name, qtype string, f Fault) error {
	t, err := parseType(qtype)
	if err != nil {
		return err
	}
	k := key{canonical(name), t}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == FaultNone {
		delete(s.faults, k)
	} else {
		s.faults[k] = f
	}
	return nil
}

// MustInject is Inject for tests, failing t on an unknown type.
func (s *Server) MustInject(t TB, name, qtype string, f Fault) {
	t.Helper()
	if err := s.Inject(name, qtype, f); err != nil {
		t.Fatal(err)
	}
}

// Delay delays every answer about name ("" for every name) by d; 0 clears.
func (s *Server) Delay(name string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.delays, canonical(name))
	} else {
		s.delays[canonical(name)] = d
	}
}

// SetAuthentic sets (or clears) the AD bit on answers about name.
func (s *Server) SetAuthentic(name string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if on {
		s.ad[canonical(name)] = true
	} else {
		delete(s.ad, canonical(name))
	}
}

// Queries returns how many queries for (name, qtype) arrived over any
// transport; qtype "" sums every type of name. Always 0 with
// WithoutQueryLog.
func (s *Server) Queries(name, qtype string) int {
	t, err := parseType(qtype)
	if err != nil {
		return 0
	}
	name = canonical(name)
	s.countMu.Lock()
	defer s.countMu.Unlock()
	if t != 0 {
		return s.counts[key{name, t}]
	}
	n := 0
	for k, c := range s.counts {
		if k.name == name {
			n += c
		}
	}
	return n
}

// TotalQueries returns how many queries arrived, over every transport.
func (s *Server) TotalQueries() int { return int(s.total.Load()) }

// ResetCounts zeroes the query counters.
func (s *Server) ResetCounts() {
	s.countMu.Lock()
	s.counts = map[key]int{}
	s.countMu.Unlock()
	s.total.Store(0)
}

// lookupFault returns the fault, delay and AD setting for a question.
func (s *Server) lookupFault(name string, qtype uint16) (Fault, time.Duration, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.faults) == 0 && len(s.delays) == 0 && len(s.ad) == 0 {
		return FaultNone, 0, false
	}
	f := FaultNone
	for _, k := range [...]key{{name, qtype}, {name, 0}, {"", qtype}, {"", 0}} {
		if v, ok := s.faults[k]; ok {
			f = v
			break
		}
	}
	d, ok := s.delays[name]
	if !ok {
		d = s.delays[""]
	}
	return f, d, s.ad[name] || s.ad[""]
}

// errClosed stops a handler that was waiting when the server closed.
var errClosed = errors.New("closed")

func (s *Server) wait(d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.done:
		return errClosed
	}
}

func (s *Server) handle(w dns.ResponseWriter, req *dns.Msg) {
	s.total.Add(1)
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	// Real authoritative servers usually leave RA clear, but glibc's stub
	// discards answers without RA, and these servers stand in for the
	// recursive resolver that mailcheck and the system talk to.
	m.RecursionAvailable = true
	m.Compress = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if !s.cfg.noQueryLog {
		s.countMu.Lock()
		s.counts[key{name, q.Qtype}]++
		s.countMu.Unlock()
	}
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	fault, delay, ad := s.lookupFault(name, q.Qtype)
	if err := s.wait(s.cfg.delay + delay); err != nil {
		return
	}
	opt := req.IsEdns0()
	switch fault {
	case FaultDrop:
		return
	case FaultMalformed:
		// A header claiming one answer record, then bytes that are not one.
		b := []byte{byte(req.Id >> 8), byte(req.Id), 0x84, 0x80, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 0xff, 0xff}
		_, _ = w.Write(b)
		return
	case FaultServFail:
		m.Rcode = dns.RcodeServerFailure
	case FaultRefused:
		m.Rcode = dns.RcodeRefused
	case FaultNotImp:
		m.Rcode = dns.RcodeNotImplemented
	case FaultFormErr:
		if opt != nil {
			m.Rcode = dns.RcodeFormatError
			_ = w.WriteMsg(m) // no OPT in the reply: this server predates EDNS
			return
		}
	case FaultTruncate:
		if udp {
			m.Truncated = true
		}
	case FaultTCPTruncated, FaultTCPTruncatedRecords:
		m.Truncated = true
	case FaultTCPWrongID, FaultTCPWrongQuestion:
		m.Truncated = udp
	case FaultBogus:
		m.Rcode = dns.RcodeServerFailure
	}
	if m.Rcode == dns.RcodeSuccess && (!m.Truncated || fault == FaultTCPTruncatedRecords && !udp) {
		if !s.zone.answer(m, q.Name, q.Qtype) {
			m.Rcode = dns.RcodeRefused
			m.Authoritative = false
		}
	}
	if !udp {
		switch fault {
		case FaultTCPWrongID:
			m.Id ^= 0x5a5a
		case FaultTCPWrongQuestion:
			m.Question[0].Name = "wrong-question." + q.Name
		}
	}
	if fault == FaultWrongType {
		m.Rcode, m.Answer, m.Ns = dns.RcodeSuccess, []dns.RR{wrongType(q)}, nil
	}
	m.AuthenticatedData = s.cfg.authentic || ad || m.Rcode != dns.RcodeServerFailure && s.secureAnswer(name, m)
	size := dns.MinMsgSize
	if opt != nil {
		// RFC 6891 §6.2.3-6.2.5: answer with our own buffer size and the
		// requester's DO bit; honour the smaller of the two sizes.
		m.SetEdns0(s.cfg.udpSize, opt.Do())
		if fault == FaultBogus {
			o := m.IsEdns0()
			o.Option = append(o.Option, &dns.EDNS0_EDE{
				InfoCode:  dns.ExtendedErrorCodeDNSBogus,
				ExtraText: "signature expired",
			})
		}
		size = min(int(opt.UDPSize()), int(s.cfg.udpSize))
	}
	if !udp || fault == FaultOversize {
		size = dns.MaxMsgSize
	}
	// The uncompressed length is an upper bound that is cheap to compute;
	// only answers that may not fit pay for Truncate's compressed sizing.
	m.Compress = false
	if m.Len() > size {
		m.Compress = true
		m.Truncate(size) // sets TC when records had to be left out
	}
	m.Compress = true
	if fault == FaultTruncateCut && udp {
		if b, err := m.Pack(); err == nil && len(b) > 15 {
			b[2] |= 0x02 // TC
			_, _ = w.Write(b[:len(b)-3])
		}
		return
	}
	if fault == FaultShort {
		if b, err := m.Pack(); err == nil {
			if _, off, err := dns.UnpackDomainName(b, 12); err == nil {
				_, _ = w.Write(b[:off+4]) // the header, then the question
			}
		}
		return
	}
	_ = w.WriteMsg(m)
}

// secureAnswer reports whether the question name and every owner name in
// the answer section are in a zone declared with WithSecureZone.
func (s *Server) secureAnswer(qname string, m *dns.Msg) bool {
	if s.cfg.secureRoot && qname == "." {
		return true
	}
	if len(s.cfg.secure) == 0 || !s.inSecureZone(qname) {
		return false
	}
	for _, rr := range m.Answer {
		if !s.inSecureZone(strings.ToLower(rr.Header().Name)) {
			return false
		}
	}
	return true
}

func (s *Server) inSecureZone(name string) bool {
	for _, apex := range s.cfg.secure {
		if apex == "." || name == apex || strings.HasSuffix(name, "."+apex) {
			return true
		}
	}
	return false
}

// wrongType is a record at q's name of another type than q's.
func wrongType(q dns.Question) dns.RR {
	h := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Ttl: 300}
	if q.Qtype == dns.TypeTXT {
		h.Rrtype = dns.TypeA
		return &dns.A{Hdr: h, A: net.IPv4(192, 0, 2, 66)}
	}
	h.Rrtype = dns.TypeTXT
	return &dns.TXT{Hdr: h, Txt: []string{"not the type asked"}}
}
