package smtpprobe

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// Target is one address to probe.
type Target struct {
	Host string     // the MX name (or the literal as given), no trailing dot
	IP   netip.Addr // the address; its family decides tcp4 or tcp6
	PTR  []string   // the address's PTR names when known, for CheckNames
}

// Options configure a Prober. Zero values take the defaults noted.
type Options struct {
	Port           int           // default 25
	HELO           string        // EHLO/HELO name; default the address literal of our source address (RFC 5321 §4.1.3)
	ConnectTimeout time.Duration // one TCP connect; default 10s
	CommandTimeout time.Duration // one complete reply (greeting, EHLO, STARTTLS + handshake); default 20s
	NoStartTLS     bool          // do not try STARTTLS
	Source4        netip.Addr    // source address for IPv4, when valid
	Source6        netip.Addr    // source address for IPv6, when valid
	Limits         Limits        // default DefaultLimits
	// RootCAs verifies server certificates; nil means the system roots.
	RootCAs *x509.CertPool

	Dialer Dialer           // default NetDialer
	Routes RouteChecker     // default UDPRouteChecker
	Now    func() time.Time // default time.Now (timings and certificate validity)
	// Transcript, when set, receives the SMTP conversation of every probe,
	// one sanitised line per write, prefixed with the address. Safe with
	// concurrent probes.
	Transcript io.Writer
}

// Prober probes addresses with one set of options. It is safe for
// concurrent use.
type Prober struct {
	opts Options
	tmu  sync.Mutex // serialises Transcript writes
}

// New returns a Prober with defaults filled in.
func New(opts Options) *Prober {
	if opts.Port == 0 {
		opts.Port = 25
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 20 * time.Second
	}
	if opts.Limits.MaxLineLen <= 0 {
		opts.Limits.MaxLineLen = DefaultLimits.MaxLineLen
	}
	if opts.Limits.MaxLines <= 0 {
		opts.Limits.MaxLines = DefaultLimits.MaxLines
	}
	if opts.Limits.MaxBytes <= 0 {
		opts.Limits.MaxBytes = DefaultLimits.MaxBytes
	}
	if opts.Dialer == nil {
		opts.Dialer = NetDialer{}
	}
	if opts.RootCAs == nil && !opts.NoStartTLS {
		// Loading the system roots takes tens of milliseconds; start now so
		// that it overlaps DNS and the TCP connects instead of sitting on
		// the first STARTTLS's critical path (crypto/x509 loads them once).
		go func() { _, _ = x509.SystemCertPool() }()
	}
	if opts.Routes == nil {
		opts.Routes = UDPRouteChecker{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Prober{opts: opts}
}

// ProbeAll probes every target concurrently, at most limit at a time
// (limit <= 0: all at once), and returns the results in the order of
// targets. A domain's probe so takes about as long as its slowest address.
func (p *Prober) ProbeAll(ctx context.Context, targets []Target, limit int) []Result {
	results := make([]Result, len(targets))
	if limit <= 0 || limit > len(targets) {
		limit = len(targets)
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = p.Probe(ctx, t)
		}()
	}
	wg.Wait()
	return results
}

// session is one probe in progress.
type session struct {
	p    *Prober
	ctx  context.Context
	res  *Result
	conn net.Conn
	// raw is the dialled socket under any TLS layer, for the socket
	// options and peeks no net.Conn method offers; nil without one
	// (net.Pipe in tests).
	raw syscall.RawConn
	// sent is set once a command went out (quickAck).
	sent   bool
	cnt    *counter
	rr     *replyReader
	prefix string
	inTLS  bool
	// garbled is set when the server sent, out of turn before EHLO, a
	// line that is no SMTP reply (earlyTalk).
	garbled error
}

// Probe probes one address. It never returns an error: the outcome is in
// Result.Status, with Result.Err holding the typed cause.
func (p *Prober) Probe(ctx context.Context, t Target) Result {
	o := &p.opts
	ip := t.IP.WithZone("")
	res := Result{
		Host:          t.Host,
		IP:            ip,
		Family:        addr.Family(ip),
		Port:          o.Port,
		PTR:           t.PTR,
		Extensions:    []string{},
		ExtensionsTLS: []string{},
		EarlyTalk:     []string{},
	}
	if res.Host == "" {
		res.Host = ip.String()
	}
	fail := func(st Status, e *Error) Result {
		res.Status, res.Phase, res.Err = st, e.Phase, e
		res.Error = sanitize.Text(e.Error())
		return res
	}

	src, network := o.Source4, "tcp4"
	if !ip.Is4() {
		src, network = o.Source6, "tcp6"
	}
	if !ip.IsValid() {
		return fail(StatusInconclusive, &Error{Phase: PhaseConnect, Err: errors.New("no address to probe")})
	}
	if src.IsValid() && src.Is4() != ip.Is4() {
		return fail(StatusInconclusive, &Error{Phase: PhaseConnect,
			Err: fmt.Errorf("source address %s is not of the %s family", src, res.Family)})
	}

	if ip.Is4In6() {
		// An AAAA holding ::ffff:a.b.c.d names no IPv6 host: the prefix is
		// only an API convention for IPv4 peers of IPv6 sockets and never
		// appears on an IPv6 network (RFC 4291 §2.5.5.2). No sender reaches
		// it over IPv6, whatever this host's connectivity.
		return fail(StatusUnreachable, &Error{Phase: PhaseConnect,
			Err: fmt.Errorf("%s is an IPv4-mapped IPv6 address, which cannot be reached over IPv6 (RFC 4291 §2.5.5.2)", ip)})
	}

	if err := ctx.Err(); err != nil {
		// The run's deadline passed (or it was interrupted) before this
		// probe's turn: nothing was measured. It is neither a route
		// problem nor the server's fault.
		if errors.Is(err, context.Canceled) {
			return fail(StatusTimeout, &Error{Phase: PhaseConnect, Err: fmt.Errorf("%w before the probe started", ErrInterrupted)})
		}
		return fail(StatusInconclusive, &Error{Phase: PhaseConnect, Err: fmt.Errorf("%w: it passed before the probe started (%w)", ErrDeadline, err)})
	}

	// 1. Self-check: can this host reach that family at all?
	if _, err := o.Routes.CheckRoute(ctx, src, ip); err != nil && ctx.Err() == nil {
		return fail(StatusInconclusive, &Error{Phase: PhaseConnect,
			Err: fmt.Errorf("this host has no %s route or source address toward %s: %w", addr.Label(addr.Family(ip)), ip, err)})
	}

	// 2. Connect over the address's own family.
	waitStart := time.Now() // deadlines are wall-clock, whatever o.Now says
	dctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	start := o.Now()
	conn, err := o.Dialer.DialContext(dctx, network, src, netip.AddrPortFrom(ip, uint16(o.Port)))
	cancel()
	res.Timings.Connect = ms(o.Now().Sub(start))
	if err != nil {
		err = waitError(ctx, err, waitStart, "connect", o.ConnectTimeout, "answer")
		return fail(dialStatus(err), &Error{Phase: PhaseConnect, Err: err})
	}
	defer conn.Close()
	// Cancelling the run (SIGINT, --timeout) unblocks any read or write;
	// a connection that takes no deadline is closed instead.
	stop := context.AfterFunc(ctx, func() {
		if conn.SetDeadline(time.Unix(1, 0)) != nil {
			conn.Close()
		}
	})
	defer stop()

	s := &session{p: p, ctx: ctx, res: &res, conn: conn,
		prefix: netip.AddrPortFrom(ip, uint16(o.Port)).String()}
	if sc, ok := conn.(syscall.Conn); ok {
		s.raw, _ = sc.SyscallConn()
	}
	s.cnt = &counter{r: conn, max: o.Limits.MaxBytes, now: o.Now}
	s.rr = newReplyReader(s.cnt, o.Limits, s.onLine())
	if s.tracing() {
		s.logf("=== connected to %s (%s) from %s", s.prefix, res.Host, conn.LocalAddr())
	}

	if e := s.run(); e != nil {
		res.Err = e
		res.Phase = e.Phase
		res.Error = sanitize.Text(e.Error())
	}
	return res
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// run does greeting, EHLO, STARTTLS, EHLO, QUIT and sets res.Status. The
// returned error, if any, explains a status other than ok (or an ok with a
// problem worth telling, such as a failing QUIT; those are not reported).
func (s *session) run() *Error {
	o := &s.p.opts
	res := s.res
	connectedAt := o.Now()

	// 3. Greeting (RFC 5321 §4.3.2: 220, or 554 for no service).
	rep, err := s.readReply()
	if !s.cnt.first.IsZero() {
		res.Timings.BannerFirstByte = ms(s.cnt.first.Sub(connectedAt))
	}
	res.Timings.Banner = ms(o.Now().Sub(connectedAt))
	if len(rep.Lines) > 0 {
		res.BannerCode = rep.Code
		res.Banner = sanitize.MultiLine(rep.Text())
		res.BannerName = sanitize.Text(firstWord(rep.Lines[0]))
	}
	if err != nil {
		res.Status = sessionStatus(err)
		return s.replyError(PhaseBanner, rep, err)
	}
	switch rep.Code / 100 {
	case 2:
		// Postfix accepts any 2xx greeting (smtp_proto.c, smtp_helo).
	case 4:
		res.Status = StatusGreeting4xx
		s.quit()
		return s.replyError(PhaseBanner, rep, nil)
	case 5:
		res.Status = StatusGreeting5xx
		// RFC 5321 §3.1: after a 554 greeting the client should send QUIT.
		s.quit()
		return s.replyError(PhaseBanner, rep, nil)
	default:
		res.Status = StatusNotSMTP
		return s.replyError(PhaseBanner, rep, fmt.Errorf("%w: greeting code %d", ErrMalformed, rep.Code))
	}

	// 4. Early talk: anything after the complete greeting and before our
	// EHLO was sent out of turn.
	if e := s.earlyTalk(); e != nil {
		return e
	}

	// 5. EHLO, HELO on 5xx.
	t0 := o.Now()
	lines, e := s.hello(false)
	res.Timings.EHLO = ms(o.Now().Sub(t0))
	if e != nil {
		return e
	}
	res.Extensions, res.StartTLS = parseExtensions(lines)
	res.Extensions = sanitize.Strings(res.Extensions)

	// 6. STARTTLS (RFC 3207) unless told not to.
	if res.StartTLS && !o.NoStartTLS {
		res.StartTLSTried = true
		e := s.startTLS()
		if e != nil {
			return e
		}
		lines, e := s.hello(true)
		if e != nil {
			return e
		}
		res.ExtensionsTLS, _ = parseExtensions(lines)
		res.ExtensionsTLS = sanitize.Strings(res.ExtensionsTLS)
	}
	res.Status = StatusOK
	s.quit()
	return nil
}

// hello sends EHLO and, on a 5xx reply, HELO (RFC 5321 §4.1.4 and
// §3.2: a client that gets 5xx to EHLO may fall back to HELO). It returns
// the reply lines and sets EHLOName on the first call.
func (s *session) hello(afterTLS bool) ([]string, *Error) {
	res := s.res
	name := s.heloName()
	rep, err := s.helloCommand("EHLO " + name)
	if err == nil && rep.Code/100 == 5 && !afterTLS {
		res.HELOFallback = true
		rep, err = s.helloCommand("HELO " + name)
		if err == nil && rep.Code/100 == 2 {
			res.EHLOName = sanitize.Text(firstWord(rep.Text()))
			return nil, nil
		}
	}
	if err != nil {
		res.Status = sessionStatus(err)
		return nil, s.replyError(PhaseEHLO, rep, err)
	}
	switch rep.Code / 100 {
	case 2:
		if !afterTLS {
			res.EHLOName = sanitize.Text(firstWord(rep.Lines[0]))
		}
		return rep.Lines, nil
	case 4:
		// A server that defers us at EHLO (421, postscreen after its
		// tests) turns the delivery away like a 4xx greeting would.
		res.Status = StatusGreeting4xx
	default:
		res.Status = StatusGreeting5xx
	}
	s.quit()
	return nil, s.replyError(PhaseEHLO, rep, nil)
}

// heloName is the EHLO argument: the configured name, or the address
// literal of our end of the connection (RFC 5321 §4.1.3 and §4.1.4: a
// client without a meaningful name sends its address literal).
func (s *session) heloName() string {
	// A name with white space or a line break would smuggle a second
	// command into the session (MAIL, RCPT): never send it.
	if h := s.p.opts.HELO; h != "" && !strings.ContainsAny(h, " \t\r\n") {
		return h
	}
	ap, err := netip.ParseAddrPort(s.conn.LocalAddr().String())
	if err != nil {
		return "[127.0.0.1]"
	}
	a := ap.Addr().Unmap().WithZone("")
	if a.Is4() {
		return "[" + a.String() + "]"
	}
	return "[IPv6:" + a.String() + "]"
}

// startTLS sends STARTTLS and does the handshake with any certificate, then
// records what the server presented and whether it verifies.
func (s *session) startTLS() *Error {
	o := &s.p.opts
	res := s.res
	t0 := o.Now()
	// The TLS timing covers the STARTTLS command and the handshake, not our
	// own certificate verification (loading the system roots is slow).
	defer func() {
		if res.Timings.TLS == 0 {
			res.Timings.TLS = ms(o.Now().Sub(t0))
		}
	}()
	rep, err := s.command("STARTTLS")
	if err != nil {
		res.Status = sessionStatus(err)
		return s.replyError(PhaseStartTLS, rep, err)
	}
	if rep.Code != 220 {
		// RFC 3207 §4: 454 TLS not available; the session could go on in
		// plain text, but a server that offers STARTTLS and then refuses
		// it fails every client that insists on TLS.
		res.Status = StatusTLSFailed
		s.quit()
		return s.replyError(PhaseStartTLS, rep, nil)
	}
	if s.rr.br.Buffered() > 0 {
		// RFC 3207 §4.2 / CVE-2011-0411: data after the 220 must not be
		// carried into the TLS session.
		res.Status = StatusTLSFailed
		return &Error{Phase: PhaseStartTLS, Err: errors.New("server sent data after its STARTTLS reply (command injection risk)")}
	}
	host := res.Host
	if _, err := addr.ParseLiteralZone(host); err == nil {
		host = "" // no SNI for an IP literal (RFC 6066 §3)
	}
	cfg := &tls.Config{
		ServerName: host,
		// Opportunistic STARTTLS accepts any certificate, like an MTA does
		// by default (RFC 7435); we verify ourselves below and record it.
		InsecureSkipVerify: true,
		// Record what the server really negotiates, old versions and
		// ciphers included, rather than failing where an MTA would not.
		MinVersion:   tls.VersionTLS10,
		CipherSuites: allCipherSuites(),
		// Classical key shares only: the hybrid post-quantum share Go
		// offers first costs about a third of each client handshake and
		// is not what the MTAs we compare with (OpenSSL 3.0) offer.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
	}
	tc := tls.Client(s.conn, cfg)
	waitStart := time.Now()
	hctx, cancel := context.WithTimeout(s.ctx, o.CommandTimeout)
	err = tc.HandshakeContext(hctx)
	cancel()
	res.Timings.TLS = ms(o.Now().Sub(t0))
	if err != nil {
		err = waitError(s.ctx, err, waitStart, "command", o.CommandTimeout, "end of the TLS handshake")
		switch {
		case errors.Is(err, ErrDeadline):
			res.Status = StatusInconclusive
		case isTimeout(err), errors.Is(err, ErrInterrupted):
			res.Status = StatusTimeout
		default:
			res.Status = StatusTLSFailed
		}
		s.logf("=== TLS handshake failed: %v", err)
		return &Error{Phase: PhaseTLS, Err: err}
	}
	s.conn = tc
	s.inTLS = true
	s.cnt.r = tc
	// Nothing buffered before the handshake may survive (checked empty
	// above; Reset drops it all the same), and the buffer is reused.
	s.rr.reset(s.cnt)
	st := tc.ConnectionState()
	res.TLS = tlsInfo(st, res.Host, o.RootCAs, o.Now())
	res.Chain = st.PeerCertificates[:min(len(st.PeerCertificates), tlspolicy.MaxChain)]
	if s.tracing() {
		s.logf("=== TLS %s %s, certificate for %s, verified %v", res.TLS.Version, res.TLS.Cipher,
			strings.Join(res.TLS.CertNames, ", "), res.TLS.Verified)
	}
	return nil
}

// allCipherSuites lists every suite crypto/tls implements, secure and
// insecure; built once, every handshake offers the same list (crypto/tls
// only reads Config.CipherSuites).
var allCipherSuites = sync.OnceValue(func() []uint16 {
	var ids []uint16
	for _, c := range tls.CipherSuites() {
		ids = append(ids, c.ID)
	}
	for _, c := range tls.InsecureCipherSuites() {
		ids = append(ids, c.ID)
	}
	return ids
})

// cipherNames names every suite crypto/tls implements, built once:
// tls.CipherSuiteName builds both suite lists anew on every call.
var cipherNames = sync.OnceValue(func() map[uint16]string {
	names := map[uint16]string{}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		names[c.ID] = c.Name
	}
	return names
})

// cipherName is tls.CipherSuiteName.
func cipherName(id uint16) string {
	if n, ok := cipherNames()[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}

// tlsInfo records the session and verifies the chain with x509 for host,
// the MX name. For an IP-literal target there is no name to check, so only
// the chain is verified (mail server certificates do not carry IP SANs).
func tlsInfo(st tls.ConnectionState, host string, roots *x509.CertPool, now time.Time) *TLSInfo {
	info := &TLSInfo{
		Version:   strings.ReplaceAll(tls.VersionName(st.Version), " ", ""),
		Cipher:    cipherName(st.CipherSuite),
		CertNames: []string{},
	}
	if len(st.PeerCertificates) == 0 {
		info.VerifyError = "server sent no certificate"
		return info
	}
	leaf := st.PeerCertificates[0]
	names := leaf.DNSNames
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	for _, n := range names {
		info.CertNames = append(info.CertNames, sanitize.Text(n))
	}
	info.NotAfter = leaf.NotAfter.UTC().Format(time.RFC3339)
	sum := sha256.Sum256(leaf.Raw)
	info.Fingerprint = hex.EncodeToString(sum[:])
	inter := x509.NewCertPool()
	for _, c := range st.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := addr.ParseLiteralZone(host); err == nil {
		host = "" // an IP literal has no name to verify
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       host,
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	info.Verified = err == nil
	if err != nil {
		info.VerifyError = sanitize.Text(err.Error())
	}
	return info
}

// command sends one line and reads the reply, all under one command
// timeout.
func (s *session) command(line string) (Reply, error) {
	if err := s.send(line); err != nil {
		return Reply{}, err
	}
	return s.readReply()
}

func (s *session) send(line string) error {
	// A write without a deadline could block for ever on a peer that
	// stops reading, so a connection that refuses one is an error.
	start := time.Now()
	if err := s.conn.SetWriteDeadline(s.deadline(start)); err != nil {
		return fmt.Errorf("setting the write deadline: %w", err)
	}
	s.logSend(line)
	s.sent = true
	_, err := io.WriteString(s.conn, line+"\r\n")
	return waitError(s.ctx, err, start, "command", s.p.opts.CommandTimeout, "room to send the command")
}

// readReply reads one reply with one deadline for all of it, so a server
// dripping a byte at a time cannot stretch it (a per-read deadline would
// restart on every byte).
func (s *session) readReply() (Reply, error) {
	start := time.Now()
	if err := s.conn.SetReadDeadline(s.deadline(start)); err != nil {
		return Reply{}, fmt.Errorf("setting the read deadline: %w", err)
	}
	s.quickAck()
	rep, err := s.rr.read()
	return rep, s.waitErr(err, start)
}

// waitErr names the limit that ended a wait for a reply begun at start
// (waitError): the command timeout, or the run's deadline.
func (s *session) waitErr(err error, start time.Time) error {
	return waitError(s.ctx, err, start, "command", s.p.opts.CommandTimeout, "complete reply")
}

// deadline is start + the command timeout, or the run's deadline if sooner.
func (s *session) deadline(start time.Time) time.Time {
	d := start.Add(s.p.opts.CommandTimeout)
	if cd, ok := s.ctx.Deadline(); ok && cd.Before(d) {
		d = cd
	}
	if s.ctx.Err() != nil {
		d = time.Unix(1, 0)
	}
	return d
}

// quit says goodbye and does not wait for the 221: nothing in it changes
// the result, and waiting costs every probe one more round trip. Postfix's
// own SMTP client does the same by default (smtp_skip_quit_response = yes;
// smtp_proto.c: "By default, the receiver skips the QUIT response"). The
// server has the QUIT before our FIN, so it ends the session cleanly.
func (s *session) quit() {
	_ = s.send("QUIT")
}

// replyError builds the typed error for a failed phase.
func (s *session) replyError(phase string, rep Reply, err error) *Error {
	e := &Error{Phase: phase, Err: err}
	if len(rep.Lines) > 0 && rep.Code != 0 {
		e.Code = rep.Code
		e.Enhanced = rep.Enhanced()
		e.Line = sanitize.Text(fmt.Sprintf("%d %s", rep.Code, rep.Lines[len(rep.Lines)-1]))
		e.Permanent = rep.Code/100 == 5
	}
	return e
}

// quickAck sets TCP_QUICKACK before a reply is read, once we have sent a
// command. Setting it only takes the socket out of Linux's "pingpong"
// (interactive) mode and sends an ACK that is already due (tcp.c,
// __tcp_sock_set_quickack); the kernel enters that mode when we send data
// soon after receiving some (tcp_output.c, tcp_event_data_sent). Before
// our first command it is off and no ACK waits, so the call would change
// nothing: the greeting is read without it, one system call less.
func (s *session) quickAck() {
	if s.sent && s.raw != nil {
		quickAck(s.raw)
	}
}

// tracing reports whether a transcript is written: callers skip building
// the lines of one that is not.
func (s *session) tracing() bool { return s.p.opts.Transcript != nil }

// onLine is the reply reader's hook for the transcript, nil without one.
func (s *session) onLine() func(string) {
	if !s.tracing() {
		return nil
	}
	return s.logRecv
}

func (s *session) logSend(line string) {
	if !s.tracing() {
		return
	}
	arrow := ">"
	if s.inTLS {
		arrow = "~>"
	}
	s.logf("%s %s", arrow, line)
}

func (s *session) logRecv(line string) {
	arrow := "<"
	if s.inTLS {
		arrow = "<~"
	}
	s.logf("%s %s", arrow, line)
}

func (s *session) logf(format string, args ...any) {
	w := s.p.opts.Transcript
	if w == nil {
		return
	}
	line := sanitize.Text(fmt.Sprintf(format, args...))
	s.p.tmu.Lock()
	fmt.Fprintf(w, "%s %s\n", s.prefix, line)
	s.p.tmu.Unlock()
}
