package dnsq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Config configures a Client.
type Config struct {
	// Servers are "host:port" strings as returned by ParseServer. Empty
	// means the nameservers of ResolvConf.
	Servers []string
	// Timeout is how long one query exchange with one server waits for
	// its answer (default: the resolv.conf timeout when Servers is empty
	// and it sets one, else 2s). When the caller's context has a deadline,
	// an exchange waits a quarter of the time left instead, at least
	// Timeout and at most 10s (or Timeout if longer), and never past the
	// deadline; the time left is shared among the servers still to ask in
	// the round. The caller's context bounds the whole lookup.
	Timeout time.Duration
	// Attempts is how many rounds over the servers a query makes while they
	// time out or fail at the network level (default: resolv.conf's
	// attempts when Servers is empty and it sets one, else 2). SERVFAIL and
	// REFUSED are definite answers from a server: it is not asked again.
	Attempts int
	// CacheSize bounds the per-run cache in (name, type) answers: 0 means
	// DefaultCacheSize, a negative value disables caching and coalescing.
	CacheSize int
	// ResolvConf is the resolv.conf(5) file read when Servers is empty
	// (default DefaultResolvConf).
	ResolvConf string
	// Trace, when set, receives one line per exchange (-v).
	Trace io.Writer
	// DNSSECOK sets the DO bit in every query (RFC 3225), as Postfix does
	// with smtp_dns_support_level = dnssec (RES_USE_DNSSEC). The AD bit is
	// asked for either way (RFC 6840 §5.7), which is all a validating
	// resolver needs to report AD; DO also makes it send the signatures,
	// larger answers that only a DNSSEC check wants to pay for.
	DNSSECOK bool
}

// Client is the miekg/dns-backed Resolver: a stub resolver that sends
// recursive queries to the configured servers. It is safe for concurrent
// use, and meant to live for one run: its cache never expires entries by
// TTL, only by size.
//
// A lookup goes: cache (coalescing identical questions in flight) ->
// servers in order, UDP with EDNS0 (1232-byte buffer) and the AD bit set in
// the query (RFC 6840 §5.7, so that a validating resolver reports AD) ->
// TCP on the same server when the answer is truncated (TC, or longer than
// the 4,096 bytes read from one datagram) -> next server on timeout,
// network error, SERVFAIL, REFUSED or an answer no correct server sends
// (AnswerError: TC over TCP, another question, records of another type) ->
// another round over the servers with backoff while they time out or fail
// -> classification -> CNAME chasing when the answer stops at an alias.
//
// Each exchange waits for a share of the caller's deadline (see
// Config.Timeout): a quarter of the time left, between Timeout and 10s.
// A deadline of 20 seconds waits 5 seconds for a slow resolver; a dead one
// costs two such waits, less than half of the time left.
type Client struct {
	servers   []string
	timeout   time.Duration
	attempts  int
	defaulted bool // servers is resolv.conf's implicit default
	dnssecOK  bool // DO bit in queries
	cache     *cache
	dialer    net.Dialer
	udp       []udpPool // idle UDP sockets, one pool per server

	traceMu sync.Mutex
	trace   io.Writer

	// retransmit is when a UDP query still unanswered is first sent
	// again within its exchange (exchangeUDP).
	retransmit time.Duration

	queries, retries, retransmits, tcpFallbacks, cacheHits, coalesced, timeouts atomic.Int64
}

// Stats counts what a Client did, for benchmarks and bulk reports.
type Stats struct {
	Queries      int64 // exchanges sent, UDP and TCP
	Retries      int64 // exchanges beyond the first for one question (TCP fallbacks excluded)
	Retransmits  int64 // UDP queries sent again within their exchange, unanswered after 2-3s, 4-6s...
	TCPFallbacks int64 // UDP answers with TC=1, or cut short, repeated over TCP
	Timeouts     int64 // exchanges that got no answer in time
	CacheHits    int64 // lookups answered from the cache, coalesced ones included
	Coalesced    int64 // lookups that waited for the same question already in flight
	CacheEntries int   // answers held now
}

const (
	defaultTimeout  = 2 * time.Second
	defaultAttempts = 2
	// retransmitAfter is when a UDP query still unanswered is sent again
	// within its exchange: the lower end of the 2 to 5 seconds RFC 1035
	// §4.2.1 gives as the shortest retransmission interval.
	retransmitAfter = 2 * time.Second
	// maxCNAMEs bounds the alias chain: RFC 1034 §5.3.3 asks resolvers to
	// bound CNAME chasing; 8 is what BIND and Unbound use for the number of
	// restarts, far above any legitimate chain.
	maxCNAMEs = 8
)

// New returns a Client for cfg. It fails only when no server can be
// determined (an unreadable resolv.conf) or a configured server is invalid.
func New(cfg Config) (*Client, error) {
	c := &Client{
		servers:    cfg.Servers,
		timeout:    cfg.Timeout,
		attempts:   cfg.Attempts,
		trace:      cfg.Trace,
		dnssecOK:   cfg.DNSSECOK,
		retransmit: retransmitAfter,
	}
	if len(c.servers) == 0 {
		path := cfg.ResolvConf
		if path == "" {
			path = DefaultResolvConf
		}
		rc, err := readResolvConf(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		c.servers, c.defaulted = rc.servers, rc.defaulted
		if c.timeout <= 0 {
			c.timeout = rc.timeout
		}
		if c.attempts <= 0 {
			c.attempts = rc.attempts
		}
	} else {
		c.servers = slices.Clone(cfg.Servers)
		for i, s := range c.servers {
			hp, err := ParseServer(s)
			if err != nil {
				return nil, fmt.Errorf("DNS server %q: %w", s, err)
			}
			c.servers[i] = hp
		}
	}
	c.udp = make([]udpPool, len(c.servers))
	if c.timeout <= 0 {
		c.timeout = defaultTimeout
	}
	if c.attempts <= 0 {
		c.attempts = defaultAttempts
	}
	if cfg.CacheSize >= 0 {
		size := cfg.CacheSize
		if size == 0 {
			size = DefaultCacheSize
		}
		c.cache = newCache(size)
	}
	return c, nil
}

// Close releases the sockets kept for reuse. The client stays usable.
func (c *Client) Close() error {
	for i := range c.udp {
		c.udp[i].close()
	}
	return nil
}

// Servers returns the servers the client asks, in order.
func (c *Client) Servers() []string { return slices.Clone(c.servers) }

// Stats returns the client's counters so far.
func (c *Client) Stats() Stats {
	s := Stats{
		Queries:      c.queries.Load(),
		Retries:      c.retries.Load(),
		Retransmits:  c.retransmits.Load(),
		TCPFallbacks: c.tcpFallbacks.Load(),
		Timeouts:     c.timeouts.Load(),
		CacheHits:    c.cacheHits.Load(),
		Coalesced:    c.coalesced.Load(),
	}
	if c.cache != nil {
		s.CacheEntries = c.cache.len()
	}
	return s
}

// LookupMX asks for the MX records of name, in answer order.
func (c *Client) LookupMX(ctx context.Context, name string) (out MXResult) {
	st := c.lookupInto(ctx, name, dns.TypeMX, &out.Result)
	out.MX = slices.Clone(st.mx)
	return out
}

// LookupA asks for the IPv4 addresses of name, in answer order.
func (c *Client) LookupA(ctx context.Context, name string) (out AddrResult) {
	st := c.lookupInto(ctx, name, dns.TypeA, &out.Result)
	out.Addrs = slices.Clone(st.addrs)
	return out
}

// LookupAAAA asks for the IPv6 addresses of name, in answer order.
func (c *Client) LookupAAAA(ctx context.Context, name string) (out AddrResult) {
	st := c.lookupInto(ctx, name, dns.TypeAAAA, &out.Result)
	out.Addrs = slices.Clone(st.addrs)
	return out
}

// LookupPTR asks for the names of ip (in-addr.arpa or ip6.arpa).
func (c *Client) LookupPTR(ctx context.Context, ip netip.Addr) (out NameResult) {
	if !ip.IsValid() {
		out.Status, out.Err = StatusError, errors.New("reverse lookup of an invalid IP address")
		return out
	}
	st := c.lookupInto(ctx, addr.ReverseName(ip), dns.TypePTR, &out.Result)
	out.Names = slices.Clone(st.strs)
	return out
}

// LookupTXT asks for the TXT records of name, each record's strings
// concatenated.
func (c *Client) LookupTXT(ctx context.Context, name string) (out TXTResult) {
	st := c.lookupInto(ctx, name, dns.TypeTXT, &out.Result)
	out.TXT = slices.Clone(st.strs)
	return out
}

// LookupTLSA asks for the TLSA records of name (RFC 6698), in answer order.
func (c *Client) LookupTLSA(ctx context.Context, name string) (out TLSAResult) {
	st := c.lookupInto(ctx, name, dns.TypeTLSA, &out.Result)
	out.TLSA = slices.Clone(st.tlsa)
	return out
}

// LookupNS asks for the NS records of name.
func (c *Client) LookupNS(ctx context.Context, name string) (out NameResult) {
	st := c.lookupInto(ctx, name, dns.TypeNS, &out.Result)
	out.Names = slices.Clone(st.strs)
	return out
}

// step is the outcome of one question to the servers: what one answer
// says about (name, type), with the CNAMEs it contained. When the answer
// ends at an alias without records or a negative-answer SOA, next names the
// alias target still to be asked (an authoritative server does not chase
// out of its zones; RFC 1034 §4.3.2).
type step struct {
	res   Result // Name is the question name; CNAMEs the chain in this answer
	next  string
	mx    []MX
	addrs []netip.Addr
	strs  []string // PTR or NS names, or TXT strings
	tlsa  []TLSA
}

// lookup resolves (name, qtype), chasing CNAMEs across answers when an
// answer stops at an alias (RFC 1034 §5.3.3), with a loop and length limit.
func (c *Client) lookup(ctx context.Context, name string, qtype uint16) (Result, *step) {
	var res Result
	st := c.lookupInto(ctx, name, qtype, &res)
	return res, st
}

// lookupInto is lookup writing its result to res rather than returning it:
// a Result returned by value takes room in the frames of the lookup and of
// its caller, which stay on the stack while the answer is awaited
// (docs/performance.md, "Memory per domain in flight"). The Lookup methods
// use it.
func (c *Client) lookupInto(ctx context.Context, name string, qtype uint16, res *Result) *step {
	name = Fqdn(name)
	if !ascii(name) {
		return notALabel(name, res)
	}
	st := c.cachedStep(ctx, name, qtype)
	if st.next == "" {
		*res = st.res
		res.CNAMEs = slices.Clone(res.CNAMEs) // the cached step is shared
		return st
	}
	return c.follow(ctx, name, qtype, st, res)
}

// notALabel is the result of a lookup of a name that is not in A-label
// form. DNS names on the wire are A-labels (RFC 5890 §2.3.2.1); a U-label
// here is a caller's bug that would ask for raw UTF-8. Like follow, it is
// kept out of lookupInto's frame.
//
//go:noinline
func notALabel(name string, res *Result) *step {
	*res = Result{Name: name, Status: StatusError,
		Err: fmt.Errorf("%q is not in A-label (ASCII) form; convert it with IDNA first", name)}
	return &step{}
}

// follow follows the CNAME chain that st, the first step of name's lookup,
// starts, and writes the lookup's result to res. It is kept out of
// lookupInto's frame, which is on the stack of every lookup for as long as
// it waits (docs/performance.md, "Memory per domain in flight"): most
// names are no alias.
//
//go:noinline
func (c *Client) follow(ctx context.Context, name string, qtype uint16, st *step, res *Result) *step {
	chain := slices.Clone(st.res.CNAMEs)
	auth := st.res.Authentic
	for st.next != "" {
		if len(chain) >= maxCNAMEs {
			return chainErrorInto(name, chain, fmt.Errorf("CNAME chain longer than %d: %s -> %s", maxCNAMEs, name, strings.Join(chain, " -> ")), res)
		}
		st = c.cachedStep(ctx, st.next, qtype)
		for _, cn := range st.res.CNAMEs {
			loop := cn == name || slices.Contains(chain, cn)
			chain = append(chain, cn)
			if loop {
				return chainErrorInto(name, chain, fmt.Errorf("CNAME loop: %s -> %s", name, strings.Join(chain, " -> ")), res)
			}
		}
		auth = auth && st.res.Authentic
	}
	if len(chain) > maxCNAMEs {
		return chainErrorInto(name, chain, fmt.Errorf("CNAME chain longer than %d: %s -> %s", maxCNAMEs, name, strings.Join(chain, " -> ")), res)
	}
	*res = st.res
	res.Name, res.CNAMEs, res.Authentic = name, chain, auth
	return st
}

// chainError is the result of a CNAME chain that loops or is too long.
func chainError(name string, chain []string, err error) (Result, *step) {
	return Result{Name: name, Status: StatusError, CNAMEs: chain, Err: err}, &step{}
}

// chainErrorInto is chainError written to res.
func chainErrorInto(name string, chain []string, err error, res *Result) *step {
	r, st := chainError(name, chain, err)
	*res = r
	return st
}

// cachedStep answers one question from the cache, coalescing with an
// identical question in flight. A waiter never holds an entry of its own,
// so chains that cross (a -> b while b -> a) cannot deadlock.
func (c *Client) cachedStep(ctx context.Context, name string, qtype uint16) *step {
	if c.cache == nil {
		return c.resolve(ctx, name, qtype)
	}
	k := cacheKey{name, qtype}
	for {
		e, val, wait, leader := c.cache.acquire(k)
		if leader {
			st := c.resolve(ctx, name, qtype)
			c.settle(ctx, k, e, st)
			return st
		}
		if st, ok := c.await(ctx, name, e, val, wait); ok {
			return st
		}
		// The leader gave up; ask again, perhaps as leader.
	}
}

// settle publishes st, the answer its caller led, to the cache.
func (c *Client) settle(ctx context.Context, k cacheKey, e *cacheEntry, st *step) {
	if ended(ctx) && st.res.Status.Temporary() {
		// The failure is the caller's deadline, not the DNS's: do not
		// let it answer other callers.
		c.cache.abandon(k, e)
		return
	}
	c.cache.complete(e, st)
}

// await is the answer of an entry its caller does not lead: val when the
// cache had it, else the leader's once it is in. ok is false when the
// leader gave up, and the question is to be asked again.
func (c *Client) await(ctx context.Context, name string, e *cacheEntry, val *step, wait <-chan struct{}) (*step, bool) {
	if val != nil {
		c.cacheHits.Add(1)
		return val, true
	}
	c.coalesced.Add(1)
	select {
	case <-wait:
	case <-ctx.Done():
		return ctxStep(ctx, name), true
	}
	if val := e.answer(); val != nil {
		c.cacheHits.Add(1)
		return val, true
	}
	return nil, false
}

// ended reports whether ctx is done or past its deadline. The socket
// deadline and the context's timer fire independently, so an exchange can
// time out at the deadline an instant before ctx.Err() turns non-nil.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// ctxStep is the result of a lookup whose context ended before an answer.
func ctxStep(ctx context.Context, name string) *step {
	st := &step{res: Result{Name: name, Status: StatusTimeout, Err: fmt.Errorf("gave up waiting for the answer: %w", ctx.Err())}}
	if errors.Is(ctx.Err(), context.Canceled) {
		st.res.Status = StatusError
	}
	return st
}

// NoAnswerError says that no server gave a usable answer, and why for each.
// The CLI treats it as "resolver unreachable" (exit 3) for the lookups a
// verdict depends on.
type NoAnswerError struct {
	Failures []ServerError
	// Hint explains a likely cause, e.g. that resolv.conf named no server.
	Hint string
}

// ServerError is one server's failure.
type ServerError struct {
	Server string
	Err    error
}

func (e *ServerError) Error() string { return e.Server + ": " + e.Err.Error() }
func (e *ServerError) Unwrap() error { return e.Err }

func (e *NoAnswerError) Error() string {
	var b strings.Builder
	if Unreachable(e) {
		b.WriteString("no DNS server answered")
	} else {
		b.WriteString("no usable DNS answer") // a server answered, with a failure
	}
	seen := map[string]bool{}
	sep := ": "
	for _, f := range e.Failures {
		s := f.Error()
		if seen[s] {
			continue
		}
		seen[s] = true
		b.WriteString(sep)
		b.WriteString(s)
		sep = "; "
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap exposes every server's error to errors.Is / errors.As.
func (e *NoAnswerError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i := range e.Failures {
		errs[i] = &e.Failures[i]
	}
	return errs
}

// Unreachable reports whether err says that no DNS server could be reached
// at all: every attempt timed out or failed at the network level. This is
// what the CLI turns into exit 3 ("could not determine"). A SERVFAIL or
// REFUSED answer is not unreachability: a server did answer.
func Unreachable(err error) bool {
	var nae *NoAnswerError
	if !errors.As(err, &nae) || len(nae.Failures) == 0 {
		return false
	}
	for _, f := range nae.Failures {
		var re *RcodeError
		var ae *AnswerError
		if errors.As(f.Err, &re) || errors.As(f.Err, &ae) {
			return false
		}
	}
	return true
}

// AnswerError is an answer no correct server sends, so that nothing can be
// concluded from it: malformed, truncated over TCP, for another question
// over TCP, records of another type than the one asked, NXDOMAIN with the
// records asked for. The server answered, so it is not unreachable; the
// next server is asked, and when none does better the lookup's status is
// error, a temporary failure: a bogus reply must never pass for NODATA or
// NXDOMAIN, which are definite facts about the domain.
type AnswerError struct {
	Reason string
	Err    error // the parse error of a malformed answer, else nil
	// truncated marks a UDP answer that was cut and is to be asked again
	// over TCP (RFC 2181 §9).
	truncated bool
}

func (e *AnswerError) Error() string { return e.Reason }
func (e *AnswerError) Unwrap() error { return e.Err }

// truncation reports whether err is a UDP answer cut short, to be asked
// again over TCP.
func truncation(err error) bool {
	var ae *AnswerError
	return errors.As(err, &ae) && ae.truncated
}

// contradiction returns why a NOERROR or NXDOMAIN answer cannot be
// believed, or nil. It follows the CNAME chain from the question name as
// classify does and looks at what the last name owns:
//   - only records of another type (say TXT or A for an AAAA question):
//     a server answers with records of the asked type or CNAMEs (RFC 1034
//     §4.3.2 step 3; RRSIG and NSEC records may come along, RFC 4035 §3.1),
//     so such an answer is not an empty answer (NODATA, RFC 2308 §2.2) but a
//     broken server or middlebox. Records owned by unrelated names are
//     ignored, as classify does (RFC 2181 §5.4.1);
//   - records of the asked type under NXDOMAIN, which says the name does
//     not exist (RFC 1035 §4.1.1; RFC 6604 §3: the rcode is about the last
//     name of the chain).
func contradiction(r *reply, q dns.Question) error {
	cur := q.Name
	for hop := 0; hop <= maxCNAMEs; hop++ {
		next := ""
		var other uint16
		for i := range r.Answer {
			rr := &r.Answer[i]
			if rr.class != dns.ClassINET || !equalFold(rr.name, cur) {
				continue
			}
			switch rr.rtype {
			case q.Qtype:
				if r.Rcode == dns.RcodeNameError {
					return &AnswerError{Reason: "NXDOMAIN with " + typeString(q.Qtype) + " records for the name"}
				}
				return nil
			case dns.TypeCNAME:
				if next == "" {
					next = rr.target
				}
			case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
			default:
				if other == 0 {
					other = rr.rtype
				}
			}
		}
		if next == "" {
			if other != 0 && r.Rcode == dns.RcodeSuccess {
				return &AnswerError{Reason: "answer holds " + typeString(other) + " records, not the " + typeString(q.Qtype) + " asked for"}
			}
			return nil
		}
		cur = next
	}
	return nil // a chain too long; classify reports it
}

// RcodeError is a DNS answer with an rcode that ends the lookup for that
// server (SERVFAIL, REFUSED, NOTIMP, FORMERR...).
type RcodeError struct {
	Rcode string // "SERVFAIL"
	// Extended is the Extended DNS Error the server attached (RFC 8914),
	// nil if none: it says why a resolver failed, e.g. "DNSSEC Bogus".
	Extended *ExtendedError
}

// ExtendedError is an RFC 8914 Extended DNS Error.
type ExtendedError struct {
	Code uint16 // INFO-CODE, e.g. 6
	Name string // its registered name, e.g. "DNSSEC Bogus"
	Text string // EXTRA-TEXT from the server, sanitised and bounded; may be empty
}

func (e *ExtendedError) String() string {
	s := fmt.Sprintf("extended error %d", e.Code)
	if e.Name != "" {
		s += ": " + e.Name
	}
	if e.Text != "" {
		s += " (" + e.Text + ")"
	}
	return s
}

func (e *RcodeError) Error() string {
	if e.Extended != nil {
		return e.Rcode + ", " + e.Extended.String()
	}
	return e.Rcode
}

// extendedError returns the first Extended DNS Error option of r.
func extendedError(r *dns.Msg) *ExtendedError {
	opt := r.IsEdns0()
	if opt == nil {
		return nil
	}
	for _, o := range opt.Option {
		if ede, ok := o.(*dns.EDNS0_EDE); ok {
			text := ede.ExtraText
			if len(text) > 200 {
				text = text[:200] + "..."
			}
			return &ExtendedError{Code: ede.InfoCode, Name: dns.ExtendedErrorCodeToString[ede.InfoCode], Text: sanitize(text)}
		}
	}
	return nil
}

// resolve asks the servers one question, with retries, and classifies the
// answer. name is absolute and lower-case.
func (c *Client) resolve(ctx context.Context, name string, qtype uint16) *step {
	return c.resolveFrom(ctx, name, qtype, nil)
}

// asked is the outcome of one ask.
type asked struct {
	r   *reply
	rtt time.Duration
	err error
}

// plain reports whether a is a whole NOERROR or NXDOMAIN answer that ends
// its question's resolve at once, as resolveFrom judges it.
func (a *asked) plain(q dns.Question) bool {
	return a.err == nil && !a.r.Truncated && (a.r.Rcode == dns.RcodeSuccess || a.r.Rcode == dns.RcodeNameError) && contradiction(a.r, q) == nil
}

// resolveFrom is resolve whose first ask, of the first server, was made
// already when first is not nil (askPair): its outcome is taken as that
// ask's, and the servers and rounds go on from there.
func (c *Client) resolveFrom(ctx context.Context, name string, qtype uint16, first *asked) *step {
	st := &step{res: Result{Name: name}}
	q := dns.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET}
	plain, wire, err := packQuery(q, c.dnssecOK)
	if err != nil {
		cannotAsk(st, err)
		return st
	}

	var t failures
	done := make([]bool, len(c.servers)) // server gave a definite failure
	sent := 0
	for round := 0; round < c.attempts; round++ {
		if round > 0 {
			if !c.backoff(ctx, round) {
				break
			}
		}
		for i, srv := range c.servers {
			if done[i] {
				continue
			}
			if first == nil && ctx.Err() != nil {
				break
			}
			if sent > 0 {
				c.retries.Add(1)
			}
			sent++
			left := 0 // servers still to ask in this round, this one included
			for _, d := range done[i:] {
				if !d {
					left++
				}
			}
			var r *reply
			var rtt time.Duration
			var err error
			if first != nil {
				r, rtt, err, first = first.r, first.rtt, first.err, nil
			} else {
				r, rtt, err = c.ask(ctx, i, q, wire, left)
			}
			if err == nil && r.Rcode == dns.RcodeFormatError && !r.edns {
				// RFC 6891 §7: a server that does not know EDNS0 answers
				// FORMERR without an OPT; ask it again without one.
				r, rtt, err = c.ask(ctx, i, q, plain, left)
			}
			if err != nil {
				t.exchange(srv, err)
				continue
			}
			if r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError {
				if err := contradiction(r, q); err != nil {
					t.add(srv, err)
					continue
				}
				c.classify(st, r, srv, rtt, qtype)
				return st
			}
			done[i] = true
			t.rcode(srv, r)
			st.res.Server, st.res.RTT = srv, rtt
		}
		if !slices.Contains(done, false) {
			break
		}
	}
	c.noAnswer(ctx, st, &t)
	return st
}

// cannotAsk sets st to the failure to pack a query. Like the failures'
// methods, it is kept out of resolve's frame, which is on the stack of
// every lookup for as long as it waits.
//
//go:noinline
func cannotAsk(st *step, err error) {
	st.res.Status, st.res.Err = StatusError, fmt.Errorf("cannot ask about %q: %w", st.res.Name, err)
}

// failures are the servers' failures to answer one question.
type failures struct {
	list                                []ServerError
	sawServFail, sawRefused, sawTimeout bool
}

// add records a failure of srv.
//
//go:noinline
func (t *failures) add(srv string, err error) {
	t.list = append(t.list, ServerError{srv, err})
}

// exchange records an exchange with srv that failed (a timeout, a network
// error, an answer that could not be used).
//
//go:noinline
func (t *failures) exchange(srv string, err error) {
	if isTimeout(err) {
		t.sawTimeout = true
	}
	t.add(srv, err)
}

// rcode records an answer of srv whose rcode ends the question for it.
//
//go:noinline
func (t *failures) rcode(srv string, r *reply) {
	switch r.Rcode {
	case dns.RcodeServerFailure:
		t.sawServFail = true
	case dns.RcodeRefused:
		t.sawRefused = true
	}
	t.add(srv, &RcodeError{Rcode: rcodeString(r.Rcode), Extended: r.ede})
}

// noAnswer sets st's status and error when no server answered the
// question: SERVFAIL or REFUSED if a server said so, a timeout if one timed
// out or the deadline passed, an error otherwise. It is resolve's ending,
// kept out of resolve's frame, which is on the stack of every lookup for as
// long as it waits for its answer (docs/performance.md, "Memory per domain
// in flight").
//
//go:noinline
func (c *Client) noAnswer(ctx context.Context, st *step, t *failures) {
	switch {
	case t.sawServFail:
		st.res.Status = StatusServFail
	case t.sawRefused:
		st.res.Status = StatusRefused
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		st.res.Status = StatusError
	case t.sawTimeout || ctx.Err() != nil:
		st.res.Status = StatusTimeout
	default:
		st.res.Status = StatusError
	}
	if len(t.list) == 0 {
		// No exchange was made: the caller's context had already ended.
		st.res.Err = fmt.Errorf("no query sent: %w", ctx.Err())
		return
	}
	nae := &NoAnswerError{Failures: t.list}
	if c.defaulted {
		nae.Hint = "no nameserver in resolv.conf; the default is the local host. Use --resolver to name one"
	}
	st.res.Err = nae
}

// packQuery packs a recursive query for q, asking for the AD bit (RFC 6840
// §5.7): plain without EDNS0 and wire with it (appendEDNS), each with a
// header of its own, both in one allocation of their size. They are held
// for as long as the question waits for its answer: a pooled 512-byte
// buffer per question cost about half a megabyte per 1,000 questions in
// flight. The message is built in packQuery's frame, not in resolve's,
// which waits for the answer.
//
//go:noinline
func packQuery(q dns.Question, do bool) (plain, wire []byte, err error) {
	m := &dns.Msg{Question: []dns.Question{q}}
	m.RecursionDesired = true
	m.AuthenticatedData = true
	// A header (12 bytes), the name (at most its presentation length plus
	// the root label's byte), type and class (4), and the byte more that
	// PackBuffer wants before it uses a buffer.
	n := 12 + len(q.Name) + 1 + 4 + 1
	buf := make([]byte, 2*n+ednsOptLen)
	if plain, err = m.PackBuffer(buf[:n:n]); err != nil {
		return nil, nil, err
	}
	wire = appendEDNS(append(buf[n:n], plain...), do)
	return plain[:len(plain):len(plain)], wire, nil
}

// ednsOptLen is the length of the OPT record appendEDNS appends.
const ednsOptLen = 11

// appendEDNS appends an OPT record to the packed query msg (RFC 6891
// §6.1.2): root owner, type 41, class = our UDP payload size, TTL 0
// (extended rcode 0, version 0, DO as asked, RFC 3225 §3), no options.
// Appending the 11 bytes avoids building (and racing on) an OPT record per
// query.
func appendEDNS(msg []byte, do bool) []byte {
	var flags byte
	if do {
		flags = 0x80 // DO is the top bit of the OPT TTL's flags field
	}
	out := append(msg, 0, 0, 41, byte(ednsSize>>8), byte(ednsSize&0xff), 0, 0, flags, 0, 0, 0)
	binary.BigEndian.PutUint16(out[10:], binary.BigEndian.Uint16(out[10:])+1) // ARCOUNT
	return out
}

// backoff waits before another round over the servers: 100ms, 200ms...
// capped at 1s, and never past the caller's deadline. It reports whether to
// go on.
func (c *Client) backoff(ctx context.Context, round int) bool {
	d := min(100*time.Millisecond<<(round-1), time.Second)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// ask does one exchange with one server: UDP, then TCP if the answer is
// truncated (RFC 1035 §4.2.1, RFC 7766 §5) or was cut by our buffer. Each
// transport gets its own per-exchange timeout, cut short by the caller's
// deadline.
func (c *Client) ask(ctx context.Context, i int, q dns.Question, wire []byte, left int) (*reply, time.Duration, error) {
	binary.BigEndian.PutUint16(wire, uint16(rand.Uint32()))
	r, rtt, err := c.exchange(ctx, "udp", i, wire, q, c.deadline(ctx, left))
	return c.afterUDP(ctx, i, q, wire, r, rtt, err)
}

// afterUDP is ask after its UDP exchange: the wording of the error, the
// counters and the trace, and TCP when the answer was truncated.
func (c *Client) afterUDP(ctx context.Context, i int, q dns.Question, wire []byte, r *reply, rtt time.Duration, err error) (*reply, time.Duration, error) {
	srv := c.servers[i]
	if err != nil {
		err = exchangeErr(ctx, "udp", err)
	}
	c.queries.Add(1)
	c.traceLine(q, srv, "udp", rtt, r, err)
	if err == nil && !r.Truncated || err != nil && !truncation(err) {
		if err != nil && isTimeout(err) {
			c.timeouts.Add(1)
		}
		return r, rtt, err
	}
	c.tcpFallbacks.Add(1)
	binary.BigEndian.PutUint16(wire, uint16(rand.Uint32()))
	r, rtt, err = c.exchange(ctx, "tcp", i, wire, q, c.deadline(ctx, 1))
	if err != nil {
		err = exchangeErr(ctx, "tcp", err)
	}
	c.queries.Add(1)
	c.traceLine(q, srv, "tcp", rtt, r, err)
	if err != nil && isTimeout(err) {
		c.timeouts.Add(1)
	}
	if err == nil && r.Truncated {
		// TC says the answer did not fit the transport (RFC 1035 §4.1.1),
		// and a TCP message holds 65,535 bytes (§4.2.2): no answer needs
		// it here. RFC 2181 §9 says to ignore a truncated answer, so its
		// records, or their absence, say nothing: NODATA it is not.
		return nil, rtt, &exchangeError{network: "tcp", err: &AnswerError{Reason: "truncated (TC) answer where nothing needs truncating"}}
	}
	return r, rtt, err
}

// Bounds of the time one exchange waits for its answer when the caller's
// context has a deadline.
const (
	// exchangeShare is the part of the time left that one exchange may
	// wait: a lookup whose server never answers (two rounds) uses less
	// than half of what is left, so the lookups that depend on it (the
	// addresses of an MX host, forward confirmation of a PTR name) and the
	// SMTP probes still have time.
	exchangeShare = 4
	// maxExchangeTimeout is the longest one exchange waits, however far the
	// deadline: a recursive resolver answers within about 10 seconds or
	// not at all, with SERVFAIL if its authoritative servers do not answer
	// (BIND's resolver-query-timeout defaults to 10 seconds).
	maxExchangeTimeout = 10 * time.Second
)

// deadline is the end of one exchange. Without a caller's deadline it is
// Timeout from now. With one, it is a quarter of the time left, at least
// Timeout and at most 10 seconds (or Timeout if that is longer), so that a
// slow but working resolver (3 seconds) is waited for when the deadline
// allows it (20 seconds left: 5 seconds) while a dead one still leaves
// time for the rest. When other servers are still to be asked in this
// round, the time left is also shared among them, so that a dead first
// server cannot use up the time of a live second one (glibc res_send
// divides its timeout likewise). It never passes the caller's deadline.
func (c *Client) deadline(ctx context.Context, left int) time.Time {
	now := time.Now()
	dl, ok := ctx.Deadline()
	if !ok {
		return now.Add(c.timeout)
	}
	rest := dl.Sub(now)
	wait := min(max(rest/exchangeShare, c.timeout), max(maxExchangeTimeout, c.timeout))
	if left > 1 {
		wait = min(wait, rest/time.Duration(left))
	}
	if d := now.Add(wait); d.Before(dl) {
		return d
	}
	return dl
}

func rcodeString(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// classify turns a NOERROR or NXDOMAIN answer into st: it follows the CNAME
// chain inside the answer from the question name, keeps the records of the
// asked type owned by the last name (RFC 1034 §3.6.2, §4.3.2), and decides
// between ok, nodata, nxdomain and "chase the alias target".
func (c *Client) classify(st *step, r *reply, srv string, rtt time.Duration, qtype uint16) {
	res := &st.res
	res.Server, res.RTT, res.Authentic = srv, rtt, r.AuthenticatedData
	cur := res.Name
	found := false
	for hop := 0; ; hop++ {
		var alias string
		for i := range r.Answer {
			rr := &r.Answer[i]
			if rr.class != dns.ClassINET || !equalFold(rr.name, cur) {
				continue
			}
			if rr.rtype == qtype {
				found = true
				st.add(rr)
			} else if rr.rtype == dns.TypeCNAME && alias == "" {
				alias = lowerName(rr.target)
			}
		}
		if found || alias == "" {
			break
		}
		if alias == res.Name || slices.Contains(res.CNAMEs, alias) || hop >= maxCNAMEs {
			res.CNAMEs = append(res.CNAMEs, alias)
			if hop >= maxCNAMEs {
				res.Status, res.Err = StatusError, fmt.Errorf("CNAME chain longer than %d: %s", maxCNAMEs, strings.Join(res.CNAMEs, " -> "))
			} else {
				res.Status, res.Err = StatusError, fmt.Errorf("CNAME loop: %s -> %s", res.Name, strings.Join(res.CNAMEs, " -> "))
			}
			return
		}
		res.CNAMEs = append(res.CNAMEs, alias)
		cur = alias
	}
	switch {
	case r.Rcode == dns.RcodeNameError:
		// RFC 6604 §3: with a CNAME chain, the rcode is about the last name.
		res.Status = StatusNXDomain
		st.clear()
	case found:
		res.Status = StatusOK
	case len(res.CNAMEs) > 0 && !r.nsSOA:
		// The answer stops at an alias whose target this server did not
		// resolve (an authoritative server for another zone): ask for it.
		st.next = cur
	case !r.Authoritative && !r.RecursionAvailable && r.nsNS:
		res.Status = StatusError
		res.Err = fmt.Errorf("%s answered with a referral: it is not a recursive resolver", srv)
	default:
		res.Status = StatusNoData
	}
}

// add appends the data of one record of the asked type.
func (st *step) add(rr *record) {
	switch rr.rtype {
	case dns.TypeMX:
		st.mx = append(st.mx, MX{Preference: rr.pref, Host: lowerName(rr.target)})
	case dns.TypeA, dns.TypeAAAA:
		if rr.addr.IsValid() {
			st.addrs = append(st.addrs, rr.addr)
		}
	case dns.TypePTR, dns.TypeNS:
		st.strs = append(st.strs, lowerName(rr.target))
	case dns.TypeTXT:
		st.strs = append(st.strs, rr.txt)
	case dns.TypeTLSA:
		if rr.tlsa != nil {
			st.tlsa = append(st.tlsa, *rr.tlsa)
		}
	}
}

func (st *step) clear() {
	st.mx, st.addrs, st.strs, st.tlsa = nil, nil, nil, nil
}

// lowerName lower-cases a name in presentation format. miekg/dns escapes
// bytes outside printable ASCII as \DDD, so the result is plain ASCII and
// safe to print; only A-Z need folding (RFC 4343).
func lowerName(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// unescapeTXT concatenates a TXT record's character-strings (RFC 7208 §3.3)
// and undoes miekg/dns's presentation escapes (\" \\ \DDD), so callers get
// the record's bytes. These bytes come from the network: sanitise them
// before printing.
func unescapeTXT(parts []string) string {
	if len(parts) == 1 && strings.IndexByte(parts[0], '\\') < 0 {
		return parts[0]
	}
	var b strings.Builder
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			ch := p[i]
			if ch != '\\' || i+1 >= len(p) {
				b.WriteByte(ch)
				continue
			}
			if i+3 < len(p) && isDigit(p[i+1]) && isDigit(p[i+2]) && isDigit(p[i+3]) {
				n := int(p[i+1]-'0')*100 + int(p[i+2]-'0')*10 + int(p[i+3]-'0')
				if n <= 255 {
					b.WriteByte(byte(n))
					i += 3
					continue
				}
			}
			b.WriteByte(p[i+1])
			i++
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// traceLine writes one line per exchange to the trace, in dig's comment
// style: ";; MX example.com. @127.0.0.1:5353 udp 1.2ms NOERROR answers=2".
func (c *Client) traceLine(q dns.Question, srv, network string, rtt time.Duration, r *reply, err error) {
	if c.trace == nil {
		return
	}
	var b strings.Builder
	b.WriteString(";; ")
	b.WriteString(typeString(q.Qtype))
	b.WriteByte(' ')
	b.WriteString(q.Name)
	b.WriteString(" @")
	b.WriteString(srv)
	b.WriteByte(' ')
	b.WriteString(network)
	b.WriteByte(' ')
	b.WriteString(formatRTT(rtt))
	b.WriteByte(' ')
	switch {
	case err != nil && isTimeout(err):
		b.WriteString("timeout")
	case err != nil:
		b.WriteString("error: ")
		b.WriteString(sanitize(err.Error()))
	default:
		b.WriteString(rcodeString(r.Rcode))
		if r.Truncated {
			b.WriteString(" tc")
		}
		if r.AuthenticatedData {
			b.WriteString(" ad")
		}
		if r.ede != nil {
			fmt.Fprintf(&b, " ede=%d", r.ede.Code)
		}
		fmt.Fprintf(&b, " answers=%d", len(r.Answer))
	}
	b.WriteByte('\n')
	c.traceMu.Lock()
	_, _ = io.WriteString(c.trace, b.String())
	c.traceMu.Unlock()
}

func typeString(t uint16) string {
	if s, ok := dns.TypeToString[t]; ok {
		return s
	}
	return fmt.Sprintf("TYPE%d", t)
}

// formatRTT prints milliseconds with one decimal below a second.
func formatRTT(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

// sanitize keeps an error text printable on one line (errors can quote
// remote data).
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}

var _ SecureResolver = (*Client)(nil)
