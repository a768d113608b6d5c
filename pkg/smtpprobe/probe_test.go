package smtpprobe

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// start runs a fake server for the test's lifetime.
func start(t *testing.T, s smtptest.Script) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// probeServer probes srv with opts (port filled in) as host.
func probeServer(t *testing.T, srv *smtptest.Server, host string, opts Options) Result {
	t.Helper()
	opts.Port = int(srv.Addr().Port())
	if opts.HELO == "" {
		opts.HELO = "client.test"
	}
	return New(opts).Probe(context.Background(), Target{Host: host, IP: srv.Addr().Addr()})
}

// assertNoMailCommands fails if the server saw MAIL, RCPT or DATA.
func assertNoMailCommands(t *testing.T, srv *smtptest.Server) {
	t.Helper()
	for _, c := range srv.Commands() {
		verb := strings.ToUpper(strings.Fields(strings.TrimPrefix(c, "[tls] ") + " x")[0])
		if verb == "MAIL" || verb == "RCPT" || verb == "DATA" {
			t.Errorf("probe sent %q; it must never send MAIL, RCPT or DATA", c)
		}
	}
}

func TestProbeReportsOKWithVerifiedTLSFromWellBehavedServer(t *testing.T) {
	srv := start(t, smtptest.Script{BannerName: "mx.example.test", EHLOName: "mx.example.test"})
	res := probeServer(t, srv, "mx.example.test", Options{RootCAs: smtptest.CertPool(srv.Certificate())})

	if res.Status != StatusOK {
		t.Fatalf("status = %s (%s), want ok", res.Status, res.Error)
	}
	if res.Family != "ipv4" || res.BannerCode != 220 || res.BannerName != "mx.example.test" || res.EHLOName != "mx.example.test" {
		t.Errorf("family %s, banner %d %q, ehlo %q", res.Family, res.BannerCode, res.BannerName, res.EHLOName)
	}
	if res.Banner != "mx.example.test ESMTP smtptest" {
		t.Errorf("banner = %q", res.Banner)
	}
	if !res.StartTLS || !contains(res.Extensions, "STARTTLS") || !contains(res.Extensions, "SIZE 10240000") {
		t.Errorf("extensions = %v, starttls %v", res.Extensions, res.StartTLS)
	}
	if contains(res.ExtensionsTLS, "STARTTLS") || !contains(res.ExtensionsTLS, "PIPELINING") {
		t.Errorf("extensions after TLS = %v", res.ExtensionsTLS)
	}
	if res.TLS == nil {
		t.Fatal("no TLS info")
	}
	if res.TLS.Version != "TLS1.3" || res.TLS.Cipher == "" || !res.TLS.Verified || res.TLS.VerifyError != "" {
		t.Errorf("tls = %+v", res.TLS)
	}
	if len(res.TLS.CertNames) != 1 || res.TLS.CertNames[0] != "mx.example.test" || len(res.TLS.Fingerprint) != 64 {
		t.Errorf("cert names %v, fingerprint %q", res.TLS.CertNames, res.TLS.Fingerprint)
	}
	if _, err := time.Parse(time.RFC3339, res.TLS.NotAfter); err != nil {
		t.Errorf("not_after %q: %v", res.TLS.NotAfter, err)
	}
	// DANE and MTA-STS need what was presented, not only its summary.
	if !res.StartTLSTried || len(res.Chain) == 0 || !bytes.Equal(res.Chain[0].Raw, srv.Certificate().Certificate[0]) {
		t.Errorf("STARTTLS tried %v, chain of %d: want the presented leaf kept", res.StartTLSTried, len(res.Chain))
	}
	if res.Timings.Connect <= 0 || res.Timings.Banner <= 0 || res.Timings.EHLO <= 0 || res.Timings.TLS <= 0 ||
		res.Timings.BannerFirstByte > res.Timings.Banner {
		t.Errorf("timings = %+v", res.Timings)
	}
	want := []string{"EHLO client.test", "STARTTLS", "[tls] EHLO client.test", "[tls] QUIT"}
	if !srv.WaitIdle(5 * time.Second) {
		t.Fatal("the probe left its connection open")
	}
	if got := srv.Commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands = %q, want %q", got, want)
	}
	assertNoMailCommands(t, srv)
}

func TestProbeKeepsStatusOKWhenCertificateDoesNotVerify(t *testing.T) {
	srv := start(t, smtptest.Script{TLSNames: []string{"other.example.test"}})
	// Trusted root but wrong name.
	res := probeServer(t, srv, "mx.example.test", Options{RootCAs: smtptest.CertPool(srv.Certificate())})
	if res.Status != StatusOK || res.TLS == nil || res.TLS.Verified || !strings.Contains(res.TLS.VerifyError, "mx.example.test") {
		t.Fatalf("status %s, tls %+v: want ok, unverified, error naming the MX", res.Status, res.TLS)
	}
	// Untrusted root.
	res = probeServer(t, srv, "other.example.test", Options{RootCAs: smtptest.CertPool()})
	if res.Status != StatusOK || res.TLS.Verified || res.TLS.VerifyError == "" {
		t.Fatalf("status %s, tls %+v: want ok and unverified", res.Status, res.TLS)
	}
}

func TestProbeSkipsSTARTTLSWhenAsked(t *testing.T) {
	srv := start(t, smtptest.Script{})
	res := probeServer(t, srv, "mx.test", Options{NoStartTLS: true})
	if res.Status != StatusOK || !res.StartTLS || res.TLS != nil || len(res.ExtensionsTLS) != 0 || res.StartTLSTried || res.Chain != nil {
		t.Fatalf("status %s starttls %v tls %+v tried %v", res.Status, res.StartTLS, res.TLS, res.StartTLSTried)
	}
	for _, c := range srv.Commands() {
		if c == "STARTTLS" {
			t.Error("STARTTLS sent despite NoStartTLS")
		}
	}
}

func TestProbeSendsAddressLiteralWithoutHELOName(t *testing.T) {
	srv := start(t, smtptest.Script{NoTLS: true})
	opts := Options{Port: int(srv.Addr().Port())}
	res := New(opts).Probe(context.Background(), Target{Host: "mx.test", IP: srv.Addr().Addr()})
	if res.Status != StatusOK {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	if got := srv.Commands(); len(got) == 0 || got[0] != "EHLO [127.0.0.1]" {
		t.Errorf("commands = %q, want EHLO [127.0.0.1] first (RFC 5321 §4.1.3)", got)
	}
}

func TestProbeStatusFromEachKindOfServer(t *testing.T) {
	const cmdTimeout = 800 * time.Millisecond
	tests := []struct {
		name      string
		script    smtptest.Script
		status    Status
		phase     string
		errIs     error
		check     func(t *testing.T, r Result)
		maxFactor float64 // elapsed must stay below maxFactor * cmdTimeout + slack
	}{
		{name: "421 greeting", script: smtptest.Script{Greeting: []string{"421 4.3.2 mx.test busy, try later"}},
			status: StatusGreeting4xx, phase: PhaseBanner,
			check: func(t *testing.T, r Result) {
				var e *Error
				if !errors.As(r.Err, &e) || e.Code != 421 || e.Enhanced != "4.3.2" || e.Permanent {
					t.Errorf("error = %#v", r.Err)
				}
			}},
		{name: "554 multi-line greeting (postscreen)", script: smtptest.Script{Greeting: []string{"554-mx.test", "554 5.7.1 no SMTP service here"}},
			status: StatusGreeting5xx, phase: PhaseBanner,
			check: func(t *testing.T, r Result) {
				var e *Error
				if !errors.As(r.Err, &e) || e.Code != 554 || !e.Permanent || e.Enhanced != "5.7.1" {
					t.Errorf("error = %#v", r.Err)
				}
				if r.Banner != "mx.test\n5.7.1 no SMTP service here" || r.BannerCode != 554 {
					t.Errorf("banner %d %q", r.BannerCode, r.Banner)
				}
			}},
		{name: "silent tarpit", script: smtptest.Script{Behavior: smtptest.Tarpit},
			status: StatusTimeout, phase: PhaseBanner, errIs: os.ErrDeadlineExceeded, maxFactor: 1},
		{name: "one byte per interval", script: smtptest.Script{Behavior: smtptest.Drip, DripInterval: 100 * time.Millisecond},
			status: StatusTimeout, phase: PhaseBanner, maxFactor: 1,
			check: func(t *testing.T, r Result) {
				if r.Timings.BannerFirstByte <= 0 {
					t.Errorf("first byte not timed: %+v", r.Timings)
				}
			}},
		{name: "2 MiB line without CRLF", script: smtptest.Script{Behavior: smtptest.LongLine},
			status: StatusNotSMTP, phase: PhaseBanner, errIs: ErrLineTooLong, maxFactor: 0.5},
		{name: "endless EHLO continuation", script: smtptest.Script{Behavior: smtptest.EndlessContinuation},
			status: StatusNotSMTP, phase: PhaseEHLO, errIs: ErrTooManyLines, maxFactor: 0.5},
		{name: "endless greeting continuation", script: smtptest.Script{Behavior: smtptest.EndlessGreeting},
			status: StatusNotSMTP, phase: PhaseBanner, errIs: ErrTooManyLines, maxFactor: 0.5},
		{name: "close on accept", script: smtptest.Script{Behavior: smtptest.CloseOnAccept},
			status: StatusReset, phase: PhaseBanner, maxFactor: 0.5},
		// The RST can beat the end of connect(2) on loopback, so the phase
		// is connect or banner.
		{name: "reset on accept", script: smtptest.Script{Behavior: smtptest.ResetOnAccept},
			status: StatusReset, phase: "any", maxFactor: 0.5},
		{name: "close after greeting", script: smtptest.Script{Behavior: smtptest.CloseAfterGreeting},
			status: StatusReset, phase: PhaseEHLO, maxFactor: 0.5},
		{name: "HTTP server", script: smtptest.Script{Behavior: smtptest.HTTP},
			status: StatusNotSMTP, phase: PhaseBanner, errIs: ErrMalformed, maxFactor: 0.5},
		{name: "garbage greeting", script: smtptest.Script{Behavior: smtptest.Garbage},
			status: StatusNotSMTP, phase: PhaseBanner, errIs: ErrMalformed, maxFactor: 0.5},
		{name: "250 greeting is accepted like Postfix does", script: smtptest.Script{Greeting: []string{"250 mx.test hi"}, NoTLS: true},
			status: StatusOK},
		{name: "greeting code 354 is not SMTP", script: smtptest.Script{Greeting: []string{"354 go ahead"}},
			status: StatusNotSMTP, phase: PhaseBanner, errIs: ErrMalformed},
		{name: "broken TLS handshake", script: smtptest.Script{Behavior: smtptest.BrokenTLS},
			status: StatusTLSFailed, phase: PhaseTLS, maxFactor: 1},
		{name: "STARTTLS refused with 454", script: smtptest.Script{STARTTLSReply: "454 4.7.0 TLS not available"},
			status: StatusTLSFailed, phase: PhaseStartTLS,
			check: func(t *testing.T, r Result) {
				var e *Error
				if !errors.As(r.Err, &e) || e.Code != 454 {
					t.Errorf("error = %#v", r.Err)
				}
			}},
		{name: "data after the STARTTLS reply (RFC 3207 injection)", script: smtptest.Script{STARTTLSReply: "220 go ahead\r\n250 injected"},
			status: StatusTLSFailed, phase: PhaseStartTLS},
		{name: "EHLO refused, HELO accepted", script: smtptest.Script{RejectEHLO: true, EHLOName: "old.mx.test"},
			status: StatusOK,
			check: func(t *testing.T, r Result) {
				if !r.HELOFallback || r.EHLOName != "old.mx.test" || r.StartTLS || len(r.Extensions) != 0 {
					t.Errorf("helo fallback %v, ehlo name %q, extensions %v", r.HELOFallback, r.EHLOName, r.Extensions)
				}
			}},
		{name: "escape sequences in banner", script: smtptest.Script{Greeting: smtptest.EscapeGreeting, NoTLS: true},
			status: StatusOK,
			check: func(t *testing.T, r Result) {
				if r.BannerName != "mx.test" {
					t.Errorf("banner name = %q", r.BannerName)
				}
				if strings.ContainsAny(r.Banner, "\x1b\x07\x08\u202e") {
					t.Errorf("banner not sanitised: %q", r.Banner)
				}
				if r.Banner != "mx.test ESMTP\ngnp.exe ready" {
					t.Errorf("banner = %q", r.Banner)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, tt.script)
			begin := time.Now()
			res := probeServer(t, srv, "mx.test", Options{CommandTimeout: cmdTimeout, RootCAs: smtptest.CertPool(srv.Certificate())})
			elapsed := time.Since(begin)
			if res.Status != tt.status || (res.Phase != tt.phase && tt.phase != "any") {
				t.Errorf("status %s phase %q (%s), want %s phase %q", res.Status, res.Phase, res.Error, tt.status, tt.phase)
			}
			if tt.errIs != nil && !errors.Is(res.Err, tt.errIs) {
				t.Errorf("error %v, want it to wrap %v", res.Err, tt.errIs)
			}
			if tt.status != StatusOK && res.Error == "" {
				t.Error("no error text for a failed probe")
			}
			if tt.maxFactor > 0 {
				if limit := time.Duration(tt.maxFactor*float64(cmdTimeout)) + time.Second; elapsed > limit {
					t.Errorf("took %s, want under %s", elapsed, limit)
				}
			}
			if tt.check != nil {
				tt.check(t, res)
			}
			assertNoMailCommands(t, srv)
		})
	}
}

func TestProbeReportsRefusedWhenNothingListens(t *testing.T) {
	ap, err := smtptest.ClosedPort("tcp4")
	if err != nil {
		t.Fatal(err)
	}
	res := New(Options{Port: int(ap.Port()), HELO: "c.test"}).Probe(context.Background(), Target{IP: ap.Addr()})
	if res.Status != StatusRefused || res.Phase != PhaseConnect || !errors.Is(res.Err, syscall.ECONNREFUSED) {
		t.Fatalf("status %s phase %s err %v", res.Status, res.Phase, res.Err)
	}
	if res.Host != "127.0.0.1" {
		t.Errorf("host of a literal target = %q", res.Host)
	}
}

func TestProbeWorksOverIPv6Loopback(t *testing.T) {
	if !smtptest.IPv6Available() {
		t.Skip(smtptest.ErrNoIPv6)
	}
	srv := start(t, smtptest.Script{Listen: "[::1]:0", BannerName: "mx6.test"})
	res := probeServer(t, srv, "::1", Options{RootCAs: smtptest.CertPool(srv.Certificate())})
	if res.Status != StatusOK || res.Family != "ipv6" || res.BannerName != "mx6.test" || res.TLS == nil {
		t.Fatalf("status %s family %s banner %q tls %+v (%s)", res.Status, res.Family, res.BannerName, res.TLS, res.Error)
	}
	ap, _ := smtptest.ClosedPort("tcp6")
	res = New(Options{Port: int(ap.Port()), HELO: "c.test"}).Probe(context.Background(), Target{IP: ap.Addr()})
	if res.Status != StatusRefused {
		t.Fatalf("closed ::1 port: status %s", res.Status)
	}
}

// fakeDialer records the networks it was asked for and fails as told.
type fakeDialer struct {
	err      error
	block    bool // wait for the context instead
	calls    atomic.Int32
	networks chan string
}

func (d *fakeDialer) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	d.calls.Add(1)
	if d.networks != nil {
		d.networks <- network
	}
	if d.block {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: d.err}
}

type fakeRoutes struct{ noRoute6 bool }

func (f fakeRoutes) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	if f.noRoute6 && !dst.Is4() {
		return netip.Addr{}, &net.OpError{Op: "dial", Net: "udp6", Err: syscall.ENETUNREACH}
	}
	if dst.Is4() {
		return netip.MustParseAddr("192.0.2.10"), nil
	}
	return netip.MustParseAddr("2001:db8::10"), nil
}

func TestProbeReportsIPv6InconclusiveWhenThisHostHasNoIPv6Route(t *testing.T) {
	d := &fakeDialer{err: syscall.ENETUNREACH}
	p := New(Options{Dialer: d, Routes: fakeRoutes{noRoute6: true}, HELO: "c.test"})
	res := p.Probe(context.Background(), Target{Host: "mx.example.test", IP: netip.MustParseAddr("2001:db8::25")})
	if res.Status != StatusInconclusive || res.Family != "ipv6" {
		t.Fatalf("status %s family %s, want inconclusive ipv6", res.Status, res.Family)
	}
	if !strings.Contains(res.Error, "no IPv6 route") || !errors.Is(res.Err, syscall.ENETUNREACH) {
		t.Errorf("error %q does not explain the missing route", res.Error)
	}
	if d.calls.Load() != 0 {
		t.Error("dialed although the self-check found no route")
	}
}

func TestProbeReportsUnreachableWhenRouteExistsButConnectFails(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENETUNREACH, syscall.EHOSTUNREACH} {
		d := &fakeDialer{err: errno, networks: make(chan string, 1)}
		p := New(Options{Dialer: d, Routes: fakeRoutes{}, HELO: "c.test"})
		res := p.Probe(context.Background(), Target{Host: "mx.example.test", IP: netip.MustParseAddr("2001:db8::25")})
		if res.Status != StatusUnreachable || res.Phase != PhaseConnect {
			t.Errorf("%v: status %s phase %s", errno, res.Status, res.Phase)
		}
		if n := <-d.networks; n != "tcp6" {
			t.Errorf("dialed %q for an IPv6 address, want tcp6", n)
		}
	}
}

func TestProbeMapsLocalDialErrorsToInconclusive(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EADDRNOTAVAIL, syscall.EPERM, syscall.EAFNOSUPPORT} {
		p := New(Options{Dialer: &fakeDialer{err: errno}, Routes: fakeRoutes{}, HELO: "c.test"})
		res := p.Probe(context.Background(), Target{IP: netip.MustParseAddr("192.0.2.25")})
		if res.Status != StatusInconclusive {
			t.Errorf("%v: status %s, want inconclusive", errno, res.Status)
		}
	}
}

func TestProbeRejectsSourceAddressOfTheOtherFamily(t *testing.T) {
	d := &fakeDialer{err: syscall.ECONNREFUSED}
	p := New(Options{Dialer: d, Routes: fakeRoutes{}, Source6: netip.MustParseAddr("192.0.2.1"), HELO: "c.test"})
	res := p.Probe(context.Background(), Target{IP: netip.MustParseAddr("2001:db8::25")})
	if res.Status != StatusInconclusive || d.calls.Load() != 0 {
		t.Fatalf("status %s, dial calls %d", res.Status, d.calls.Load())
	}
}

func TestProbeConnectTimeoutEndsAtConnectTimeout(t *testing.T) {
	d := &fakeDialer{block: true}
	p := New(Options{Dialer: d, Routes: fakeRoutes{}, ConnectTimeout: 200 * time.Millisecond, HELO: "c.test"})
	begin := time.Now()
	res := p.Probe(context.Background(), Target{IP: netip.MustParseAddr("192.0.2.25")})
	if res.Status != StatusTimeout || res.Phase != PhaseConnect {
		t.Fatalf("status %s phase %s", res.Status, res.Phase)
	}
	if el := time.Since(begin); el > 200*time.Millisecond+time.Second {
		t.Errorf("took %s", el)
	}
}

func TestProbeAllTakesAboutOneTimeoutForManyTarpits(t *testing.T) {
	const cmdTimeout = 500 * time.Millisecond
	var targets []Target
	var port uint16
	// One tarpit serves every target; each probe is its own connection.
	srv := start(t, smtptest.Script{Behavior: smtptest.Tarpit})
	port = srv.Addr().Port()
	for i := 0; i < 6; i++ {
		targets = append(targets, Target{Host: "mx.test", IP: srv.Addr().Addr()})
	}
	p := New(Options{Port: int(port), CommandTimeout: cmdTimeout, HELO: "c.test"})
	begin := time.Now()
	results := p.ProbeAll(context.Background(), targets, 8)
	elapsed := time.Since(begin)
	if len(results) != len(targets) {
		t.Fatalf("%d results for %d targets", len(results), len(targets))
	}
	for i, r := range results {
		if r.Status != StatusTimeout {
			t.Errorf("result %d: %s", i, r.Status)
		}
	}
	if limit := 2 * cmdTimeout; elapsed > limit+time.Second {
		t.Errorf("6 tarpits took %s, want about one command timeout (%s), not six", elapsed, cmdTimeout)
	}
}

func TestProbeAllKeepsInputOrderUnderALimit(t *testing.T) {
	a := start(t, smtptest.Script{BannerName: "a.test", NoTLS: true})
	b := start(t, smtptest.Script{BannerName: "b.test", NoTLS: true, Listen: "127.0.0.2:0"})
	if b.Addr().Port() == 0 {
		t.Skip("127.0.0.2 unusable")
	}
	// Same port is unlikely; use a dialer that maps the IP to its server.
	dial := dialMap{a.Addr().Addr(): a.Addr(), b.Addr().Addr(): b.Addr()}
	p := New(Options{Dialer: dial, HELO: "c.test"})
	targets := []Target{{IP: b.Addr().Addr()}, {IP: a.Addr().Addr()}, {IP: b.Addr().Addr()}}
	rs := p.ProbeAll(context.Background(), targets, 1)
	got := []string{rs[0].BannerName, rs[1].BannerName, rs[2].BannerName}
	if strings.Join(got, ",") != "b.test,a.test,b.test" {
		t.Errorf("banner names in result order = %v", got)
	}
}

// dialMap dials the server registered for an address, whatever port asked.
type dialMap map[netip.Addr]netip.AddrPort

func (m dialMap) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, m[raddr.Addr()].String())
}

func TestProbeCutShortByTheRunDeadlineIsInconclusiveNotATimeout(t *testing.T) {
	srv := start(t, smtptest.Script{Behavior: smtptest.Tarpit})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	p := New(Options{Port: int(srv.Addr().Port()), CommandTimeout: time.Minute, HELO: "c.test"})
	begin := time.Now()
	res := p.Probe(ctx, Target{IP: srv.Addr().Addr()})
	if res.Status != StatusInconclusive || res.Phase != PhaseBanner || !res.DeadlineReached() {
		t.Fatalf("status %s phase %s (%s): want inconclusive in the banner phase, cut by the run's deadline", res.Status, res.Phase, res.Error)
	}
	if !strings.Contains(res.Error, "--timeout") || !strings.Contains(res.Error, "before the 1m0s command timeout") {
		t.Errorf("error %q should blame the run's deadline and say the command timeout was not used up", res.Error)
	}
	if el := time.Since(begin); el > 300*time.Millisecond+time.Second {
		t.Errorf("took %s despite the run deadline", el)
	}
	if sc := CheckSelf([]Result{res}); sc.NoRoute["ipv4"] || sc.Port25Blocked["ipv4"] {
		t.Errorf("self-check %+v: a deadline says nothing about this host's routes or port 25", sc)
	}
}

func TestProbeInterruptedByTheUserIsATimeoutMarkedInterrupted(t *testing.T) {
	srv := start(t, smtptest.Script{Behavior: smtptest.Tarpit})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	p := New(Options{Port: int(srv.Addr().Port()), CommandTimeout: time.Minute, HELO: "c.test"})
	res := p.Probe(ctx, Target{IP: srv.Addr().Addr()})
	if res.Status != StatusTimeout || !errors.Is(res.Err, ErrInterrupted) || res.DeadlineReached() {
		t.Fatalf("status %s err %v: want a timeout marked interrupted", res.Status, res.Err)
	}
}

func TestProbeOfAServerSlowerThanTheCommandTimeoutBlamesTheServer(t *testing.T) {
	// Each reply comes 400 ms late; the command timeout is 150 ms and the
	// run has seconds to spare: the server is at fault, and the error
	// names the command timeout.
	srv := start(t, smtptest.Script{ReplyDelay: 400 * time.Millisecond, NoTLS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := New(Options{Port: int(srv.Addr().Port()), CommandTimeout: 150 * time.Millisecond, HELO: "c.test"})
	res := p.Probe(ctx, Target{IP: srv.Addr().Addr()})
	if res.Status != StatusTimeout || res.Phase != PhaseBanner || res.DeadlineReached() {
		t.Fatalf("status %s phase %s (%s): want a server timeout in the banner phase", res.Status, res.Phase, res.Error)
	}
	if !strings.Contains(res.Error, "within the 150ms command timeout") {
		t.Errorf("error %q should name the command timeout", res.Error)
	}
}

func TestProbeOfASlowServerCutByTheRunDeadlineDoesNotBlameTheServer(t *testing.T) {
	// The hostile case scaled down: each reply comes 300 ms late, the
	// command timeout (400 ms) would wait for it, but the run's deadline
	// (450 ms) ends the EHLO wait 150 ms in.
	srv := start(t, smtptest.Script{ReplyDelay: 300 * time.Millisecond, NoTLS: true})
	ctx, cancel := context.WithTimeout(context.Background(), 450*time.Millisecond)
	defer cancel()
	p := New(Options{Port: int(srv.Addr().Port()), CommandTimeout: 400 * time.Millisecond, HELO: "c.test"})
	res := p.Probe(ctx, Target{IP: srv.Addr().Addr()})
	if res.Status != StatusInconclusive || res.Phase != PhaseEHLO || !res.DeadlineReached() {
		t.Fatalf("status %s phase %s (%s): want inconclusive in the ehlo phase, cut by the run's deadline", res.Status, res.Phase, res.Error)
	}
	if res.BannerCode != 220 {
		t.Errorf("banner code %d: the greeting did arrive", res.BannerCode)
	}
	if strings.Contains(res.Error, "within the") || !strings.Contains(res.Error, "before the 400ms command timeout") {
		t.Errorf("error %q should name the run's deadline, not a command timeout", res.Error)
	}
}

func TestProbeTranscriptIsSanitised(t *testing.T) {
	srv := start(t, smtptest.Script{Greeting: smtptest.EscapeGreeting})
	var buf bytes.Buffer
	res := probeServer(t, srv, "mx.test", Options{Transcript: &buf})
	if res.Status != StatusOK {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	out := buf.String()
	for _, want := range []string{"< 220-", "> EHLO client.test", "> STARTTLS", "~> EHLO client.test", "<~ 250", "~> QUIT"} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	for i := 0; i < len(out); i++ {
		if (out[i] < 0x20 && out[i] != '\n') || out[i] == 0x7f {
			t.Fatalf("transcript holds control byte %#x: %q", out[i], out)
		}
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestProbeCallsIPv4MappedAAAAUnreachableWithoutDialing(t *testing.T) {
	d := &fakeDialer{err: syscall.ECONNREFUSED}
	p := New(Options{Dialer: d, Routes: fakeRoutes{}, HELO: "c.test"})
	res := p.Probe(context.Background(), Target{Host: "mx.example.test", IP: netip.MustParseAddr("::ffff:192.0.2.25")})
	if res.Status != StatusUnreachable || res.Family != "ipv6" || !strings.Contains(res.Error, "IPv4-mapped") || d.calls.Load() != 0 {
		t.Fatalf("status %s family %s error %q dials %d", res.Status, res.Family, res.Error, d.calls.Load())
	}
}

func TestProbeBindsTheGivenSourceAddress(t *testing.T) {
	srv := start(t, smtptest.Script{NoTLS: true})
	// Linux answers on all of 127/8; without a HELO name the EHLO argument
	// is the address literal of the source, which shows the binding.
	src := netip.MustParseAddr("127.0.0.2")
	p := New(Options{Port: int(srv.Addr().Port()), Source4: src})
	res := p.Probe(context.Background(), Target{IP: srv.Addr().Addr()})
	if res.Status != StatusOK {
		t.Skipf("cannot bind %s here: %s", src, res.Error)
	}
	if got := srv.Commands(); len(got) == 0 || got[0] != "EHLO [127.0.0.2]" {
		t.Errorf("commands %q, want EHLO [127.0.0.2]", got)
	}
}

func TestProbeAfterTheRunDeadlineIsInconclusiveWithoutDialling(t *testing.T) {
	d := &fakeDialer{err: syscall.ECONNREFUSED}
	p := New(Options{Dialer: d, HELO: "c.test"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	res := p.Probe(ctx, Target{IP: netip.MustParseAddr("192.0.2.25")})
	if res.Status != StatusInconclusive || res.Phase != PhaseConnect || !res.DeadlineReached() ||
		!errors.Is(res.Err, context.DeadlineExceeded) || d.calls.Load() != 0 {
		t.Fatalf("status %s phase %s err %v dials %d", res.Status, res.Phase, res.Err, d.calls.Load())
	}
	// Not a missing route, and not a blocked port: the run simply ended.
	if sc := CheckSelf([]Result{res}); len(sc.NoRoute) != 0 || len(sc.Port25Blocked) != 0 || AllTimedOut([]Result{res}) {
		t.Errorf("self-check %+v", sc)
	}
}

func TestProbeConnectCutByTheRunDeadlineIsInconclusive(t *testing.T) {
	d := &fakeDialer{block: true}
	p := New(Options{Dialer: d, Routes: fakeRoutes{}, ConnectTimeout: 10 * time.Second, HELO: "c.test"})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	res := p.Probe(ctx, Target{IP: netip.MustParseAddr("192.0.2.25")})
	if res.Status != StatusInconclusive || res.Phase != PhaseConnect || !res.DeadlineReached() {
		t.Fatalf("status %s phase %s (%s)", res.Status, res.Phase, res.Error)
	}
	if !strings.Contains(res.Error, "before the 10s connect timeout") {
		t.Errorf("error %q should say the connect timeout was not used up", res.Error)
	}
}

func TestProbeRecordsTheGreetingDelay(t *testing.T) {
	srv := start(t, smtptest.Script{GreetingDelay: 300 * time.Millisecond, NoTLS: true})
	res := probeServer(t, srv, "mx.test", Options{})
	if res.Status != StatusOK || res.Timings.BannerFirstByte < 290 || res.Timings.Banner < res.Timings.BannerFirstByte {
		t.Fatalf("status %s, timings %+v: want the 300 ms greeting delay in banner_first_byte", res.Status, res.Timings)
	}
}

func TestProbeOfAnIPLiteralVerifiesTheChainOnly(t *testing.T) {
	srv := start(t, smtptest.Script{TLSNames: []string{"mx.example.test"}})
	res := probeServer(t, srv, "127.0.0.1", Options{RootCAs: smtptest.CertPool(srv.Certificate())})
	if res.Status != StatusOK || res.TLS == nil || !res.TLS.Verified {
		t.Fatalf("status %s tls %+v: a trusted chain verifies when there is no name to check", res.Status, res.TLS)
	}
}

func TestProbeNeverSendsAHELONameThatWouldInjectACommand(t *testing.T) {
	srv := start(t, smtptest.Script{NoTLS: true})
	p := New(Options{Port: int(srv.Addr().Port()), HELO: "x.test\r\nMAIL FROM:<a@b.test>"})
	if res := p.Probe(context.Background(), Target{IP: srv.Addr().Addr()}); res.Status != StatusOK {
		t.Fatalf("status %s: %s", res.Status, res.Error)
	}
	assertNoMailCommands(t, srv)
	if got := srv.Commands(); got[0] != "EHLO [127.0.0.1]" {
		t.Errorf("commands %q", got)
	}
}

// cipherName names every suite as crypto/tls does, the ones it knows and
// the ones it does not.
func TestCipherNameIsCryptoTLSsName(t *testing.T) {
	ids := []uint16{0, 0x0a0a, 0xffff}
	for _, c := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		if got, want := cipherName(id), tls.CipherSuiteName(id); got != want {
			t.Errorf("%#04x: %q, want %q", id, got, want)
		}
	}
}
