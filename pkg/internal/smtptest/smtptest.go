// Package smtptest runs scripted fake SMTP servers on loopback for tests and
// for the demo sandbox: a well-behaved ESMTP server with STARTTLS (a
// self-signed certificate made at start for the names asked), and hostile
// or broken ones (421 and 554 greetings, a silent tarpit, a one-byte drip,
// a 2 MiB line without CRLF, endless continuation lines, close or reset on
// accept, an HTTP server, escape sequences in the banner, EHLO refused,
// a broken TLS handshake, every reply late, lines sent out of turn after
// the greeting, TLS 1.0 only).
//
// A Server records every command line it receives, so tests can assert that
// a probe never sends MAIL, RCPT or DATA. It needs no *testing.T:
//
//	srv, err := smtptest.Start(smtptest.Script{BannerName: "mx.example"})
//	defer srv.Close()
//	dial(srv.Addr())
package smtptest

import (
	"bufio"
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Behavior selects how a server treats a connection.
type Behavior int

const (
	// Normal is a well-behaved ESMTP server (the Greeting may still be 421
	// or 554).
	Normal Behavior = iota
	// Tarpit accepts and never says anything.
	Tarpit
	// Drip sends the greeting one byte per DripInterval.
	Drip
	// LongLine sends 2 MiB without a line ending, then waits.
	LongLine
	// EndlessContinuation greets normally and answers EHLO with "250-x"
	// lines forever (until the peer goes away).
	EndlessContinuation
	// EndlessGreeting sends "220-x" continuation lines forever.
	EndlessGreeting
	// CloseOnAccept closes each connection as soon as it is accepted.
	CloseOnAccept
	// ResetOnAccept closes each connection with a TCP RST (SO_LINGER 0).
	ResetOnAccept
	// HTTP answers like a web server that talks first: an HTTP/1.1 400
	// response with an HTML body, then close.
	HTTP
	// Garbage sends a line that is no SMTP reply.
	Garbage
	// BrokenTLS offers STARTTLS, answers 220 to it, then sends bytes that
	// are not a TLS handshake.
	BrokenTLS
	// CloseAfterGreeting greets, then closes when the first command arrives.
	CloseAfterGreeting
)

// Script configures a Server. The zero value is a well-behaved ESMTP
// server on 127.0.0.1 with STARTTLS.
type Script struct {
	// Listen is the address to listen on; default "127.0.0.1:0". Use
	// "[::1]:0" for IPv6.
	Listen string
	// BannerName is the name in the greeting and, unless EHLOName is set,
	// in the EHLO reply; default "mx.test".
	BannerName string
	// EHLOName is the first word of the EHLO reply; default BannerName.
	EHLOName string
	// Greeting are the greeting's reply lines, codes included, without
	// CRLF; default "220 BannerName ESMTP smtptest". A 4xx or 5xx greeting
	// makes the server answer every later command with 503 except QUIT
	// (RFC 5321 §3.1).
	Greeting []string
	// GreetingDelay waits before the greeting (a slow or tarpitting server).
	GreetingDelay time.Duration
	// Extensions are the EHLO keywords after the name line; default
	// PIPELINING, SIZE 10240000, 8BITMIME, ENHANCEDSTATUSCODES, and
	// STARTTLS unless NoTLS.
	Extensions []string
	// NoTLS withholds STARTTLS.
	NoTLS bool
	// TLSNames are the DNS names in the generated certificate; default
	// BannerName. Ignored when Cert is set.
	TLSNames []string
	// Cert is the certificate to serve (share one between servers that
	// stand for the same host); default a fresh self-signed one.
	Cert *tls.Certificate
	// RejectEHLO answers EHLO with 502 so a client falls back to HELO.
	RejectEHLO bool
	// EHLOCode is the code of the EHLO reply; default 250. RFC 5321
	// §4.3.2 allows only 250, but some servers send another 2xx.
	EHLOCode int
	// STARTTLSReply replaces the "220 ready" answer to STARTTLS, e.g.
	// "454 4.7.0 TLS not available".
	STARTTLSReply string
	// Behavior picks a hostile mode; default Normal.
	Behavior Behavior
	// DripInterval is the pause between bytes for Drip; default 1s.
	DripInterval time.Duration
	// ReplyDelay waits before every reply, the greeting included (a slow
	// server that answers each command late, but answers).
	ReplyDelay time.Duration
	// EarlyTalk are lines, without CRLF, sent out of turn after the
	// greeting and before the first command is read: a second banner, a
	// welcome text. They are written after EarlyTalkDelay, so a client
	// that sends EHLO during the pause gets them ahead of its EHLO reply.
	EarlyTalk      []string
	EarlyTalkDelay time.Duration
	// TLSMaxVersion caps the TLS version served (tls.VersionTLS10 for a
	// server that knows nothing newer); the minimum then follows it down.
	// Default: what crypto/tls offers.
	TLSMaxVersion uint16
	// TLSCipherSuites limits the TLS 1.0-1.2 cipher suites served, e.g.
	// only CBC-SHA ones; default crypto/tls's.
	TLSCipherSuites []uint16
}

// Server is a running fake SMTP server.
type Server struct {
	ln     net.Listener
	script Script
	tlsCfg *tls.Config
	cert   *tls.Certificate

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	commands []string
	accepted int
	closed   bool
	done     chan struct{}
	wg       sync.WaitGroup
}

// Start listens and serves s until Close.
func Start(s Script) (*Server, error) {
	if s.Listen == "" {
		s.Listen = "127.0.0.1:0"
	}
	if s.BannerName == "" {
		s.BannerName = "mx.test"
	}
	if s.EHLOName == "" {
		s.EHLOName = s.BannerName
	}
	if len(s.Greeting) == 0 {
		s.Greeting = []string{"220 " + s.BannerName + " ESMTP smtptest"}
	}
	if s.Extensions == nil {
		s.Extensions = []string{"PIPELINING", "SIZE 10240000", "8BITMIME", "ENHANCEDSTATUSCODES"}
	}
	if s.DripInterval <= 0 {
		s.DripInterval = time.Second
	}
	srv := &Server{script: s, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	if !s.NoTLS {
		cert := s.Cert
		if cert == nil {
			names := s.TLSNames
			if len(names) == 0 {
				names = []string{s.BannerName}
			}
			c, err := NewCert(time.Now().Add(24*time.Hour), names...)
			if err != nil {
				return nil, err
			}
			cert = &c
		}
		srv.cert = cert
		srv.tlsCfg = &tls.Config{Certificates: []tls.Certificate{*cert}, CipherSuites: s.TLSCipherSuites}
		if s.TLSMaxVersion != 0 {
			srv.tlsCfg.MaxVersion = s.TLSMaxVersion
			srv.tlsCfg.MinVersion = min(s.TLSMaxVersion, tls.VersionTLS12)
		}
	}
	network := "tcp4"
	if ap, err := netip.ParseAddrPort(s.Listen); err == nil && ap.Addr().Is6() {
		network = "tcp6"
	}
	ln, err := net.Listen(network, s.Listen)
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen %s: %w", s.Listen, err)
	}
	srv.ln = ln
	srv.wg.Add(1)
	go srv.serve()
	return srv, nil
}

// Addr returns the listening address.
func (s *Server) Addr() netip.AddrPort {
	return s.ln.Addr().(*net.TCPAddr).AddrPort()
}

// Certificate returns the served certificate (nil with NoTLS).
func (s *Server) Certificate() *tls.Certificate { return s.cert }

// Commands returns every command line received so far, in order, across
// connections.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// WaitIdle waits until every accepted connection has ended (the client
// closed it and the server read all it sent), for at most d; false means
// some were still open. A client that does not wait for the reply to its
// last command returns before the server has read that command.
func (s *Server) WaitIdle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		open := len(s.conns)
		s.mu.Unlock()
		if open == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// Accepted returns how many connections were accepted.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Close stops listening, closes every open connection and waits for the
// server's goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.accepted++
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.handle(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Server) record(line string) {
	s.mu.Lock()
	s.commands = append(s.commands, line)
	s.mu.Unlock()
}

// sleep waits for d or until the server closes; false means closed.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

func (s *Server) handle(c net.Conn) {
	sc := s.script
	switch sc.Behavior {
	case CloseOnAccept:
		return
	case ResetOnAccept:
		if tc, ok := c.(*net.TCPConn); ok {
			// A failure leaves an orderly close, which the probe's tests
			// would report as the wrong outcome.
			_ = tc.SetLinger(0)
		}
		return
	case Tarpit:
		<-s.done
		return
	case Drip:
		greeting := strings.Join(sc.Greeting, "\r\n") + "\r\n"
		for i := 0; i < len(greeting); i++ {
			if !s.sleep(sc.DripInterval) {
				return
			}
			if _, err := c.Write([]byte{greeting[i]}); err != nil {
				return
			}
		}
		<-s.done
		return
	case LongLine:
		chunk := []byte(strings.Repeat("A", 64<<10))
		for sent := 0; sent < 2<<20; sent += len(chunk) {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		<-s.done
		return
	case EndlessGreeting:
		for {
			if _, err := c.Write([]byte("220-x\r\n")); err != nil {
				return
			}
		}
	case HTTP:
		resp := "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body>400 Bad Request</body></html>\r\n"
		_, _ = c.Write([]byte(resp)) // the client may already be gone; we hang up either way
		return
	case Garbage:
		if _, err := c.Write([]byte("\x00\x01 hello? *** not an SMTP server ***\r\n")); err != nil {
			return
		}
		<-s.done
		return
	}
	if sc.GreetingDelay > 0 && !s.sleep(sc.GreetingDelay) {
		return
	}
	s.converse(c)
}

// converse runs the command loop of a (mostly) well-behaved server.
func (s *Server) converse(c net.Conn) {
	sc := s.script
	w := bufio.NewWriter(c)
	reply := func(lines ...string) bool {
		if sc.ReplyDelay > 0 && !s.sleep(sc.ReplyDelay) {
			return false
		}
		for _, l := range lines {
			if _, err := w.WriteString(l + "\r\n"); err != nil {
				return false
			}
		}
		return w.Flush() == nil
	}
	greeting := sc.Greeting
	if sc.EarlyTalkDelay == 0 {
		// Without a pause the early lines go out in the greeting's own
		// write, so they arrive before the client can send anything.
		greeting = append(slices.Clone(greeting), sc.EarlyTalk...)
	}
	if !reply(greeting...) {
		return
	}
	if len(sc.EarlyTalk) > 0 && sc.EarlyTalkDelay > 0 {
		if !s.sleep(sc.EarlyTalkDelay) {
			return
		}
		if _, err := w.WriteString(strings.Join(sc.EarlyTalk, "\r\n") + "\r\n"); err != nil || w.Flush() != nil {
			return
		}
	}
	refused := !strings.HasPrefix(sc.Greeting[0], "2")
	r := bufio.NewReaderSize(c, 4096)
	inTLS := false
	for {
		if c.SetReadDeadline(time.Now().Add(time.Minute)) != nil {
			return
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if inTLS {
			s.record("[tls] " + line)
		} else {
			s.record(line)
		}
		if sc.Behavior == CloseAfterGreeting {
			return
		}
		verb := strings.ToUpper(line)
		if i := strings.IndexByte(verb, ' '); i >= 0 {
			verb = verb[:i]
		}
		if refused && verb != "QUIT" {
			reply("503 5.5.1 no SMTP service here")
			continue
		}
		switch verb {
		case "EHLO":
			if sc.RejectEHLO {
				reply("502 5.5.2 EHLO not implemented")
				continue
			}
			if sc.Behavior == EndlessContinuation {
				for {
					if !reply("250-x") {
						return
					}
				}
			}
			lines := []string{sc.EHLOName + " hello"}
			lines = append(lines, sc.Extensions...)
			if s.tlsCfg != nil && !inTLS {
				lines = append(lines, "STARTTLS")
			}
			out := make([]string, len(lines))
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				out[i] = fmt.Sprint(cmp.Or(sc.EHLOCode, 250)) + sep + l
			}
			reply(out...)
		case "HELO":
			reply("250 " + sc.EHLOName)
		case "STARTTLS":
			if s.tlsCfg == nil || inTLS {
				reply("502 5.5.1 STARTTLS not available")
				continue
			}
			if sc.STARTTLSReply != "" {
				reply(sc.STARTTLSReply)
				continue
			}
			reply("220 2.0.0 ready to start TLS")
			if sc.Behavior == BrokenTLS {
				// Wait for the ClientHello so the junk is the answer to it,
				// not data trailing our 220.
				buf := make([]byte, 512)
				if c.SetReadDeadline(time.Now().Add(10*time.Second)) != nil {
					return
				}
				if _, err := r.Read(buf); err != nil {
					return
				}
				_, _ = c.Write([]byte("this is not a TLS ServerHello\r\n")) // we hang up either way
				return
			}
			tc := tls.Server(c, s.tlsCfg)
			if tc.SetDeadline(time.Now().Add(30*time.Second)) != nil {
				return
			}
			if err := tc.Handshake(); err != nil {
				return
			}
			if tc.SetDeadline(time.Time{}) != nil {
				return
			}
			c = tc
			w = bufio.NewWriter(c)
			r = bufio.NewReaderSize(c, 4096)
			inTLS = true
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		case "NOOP", "RSET":
			reply("250 2.0.0 ok")
		case "MAIL", "RCPT", "DATA":
			// Recorded above so tests can fail on them; never accepted.
			reply("503 5.5.1 smtptest accepts no mail")
		default:
			reply("500 5.5.2 unrecognised command")
		}
	}
}

// ClosedPort returns a loopback address on network ("tcp4" or "tcp6")
// where nothing listens: a connect there is refused.
func ClosedPort(network string) (netip.AddrPort, error) {
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	// The port is only free for others once the listener is closed.
	if err := ln.Close(); err != nil {
		return netip.AddrPort{}, err
	}
	return ap, nil
}

// IPv6Available reports whether this host can listen on ::1.
func IPv6Available() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	_ = ln.Close() // only probing whether ::1 can be bound
	return true
}

// EscapeGreeting is a greeting full of terminal escape sequences: an OSC
// window title, CSI colour and screen clearing, BEL, backspace and a bidi
// override. Its banner name sanitises to "mx.test".
var EscapeGreeting = []string{
	"220-\x1b]0;pwned\x07mx.test\x1b[0m \x1b[31mESMTP\x1b[0m\x07\x08",
	"220 \x1b[2J\x1b[H\u202egnp.exe\x1b]52;c;ZXZpbA==\x1b\\ ready",
}

// ErrNoIPv6 is returned by StartPair when ::1 is not available.
var ErrNoIPv6 = errors.New("smtptest: IPv6 loopback (::1) not available")

// StartPair starts s4 on 127.0.0.1 and s6 on ::1 on the same port, so one
// --port reaches both (a dual-stack MX on loopback). Listen in the scripts
// is ignored. It fails with ErrNoIPv6 when ::1 is not available.
func StartPair(s4, s6 Script) (v4, v6 *Server, err error) {
	if !IPv6Available() {
		return nil, nil, ErrNoIPv6
	}
	for try := 0; try < 20; try++ {
		s4.Listen = "127.0.0.1:0"
		v4, err = Start(s4)
		if err != nil {
			return nil, nil, err
		}
		s6.Listen = fmt.Sprintf("[::1]:%d", v4.Addr().Port())
		v6, err = Start(s6)
		if err == nil {
			return v4, v6, nil
		}
		_ = v4.Close() // never used; the next try binds a new port
	}
	return nil, nil, fmt.Errorf("smtptest: no port free on both 127.0.0.1 and ::1: %w", err)
}
