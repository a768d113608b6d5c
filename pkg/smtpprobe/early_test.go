package smtpprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

func TestProbeSkipsEarlyTalkAndReadsTheRealEHLOReply(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		delay time.Duration
	}{
		// Arrives with the greeting, before EHLO is sent: even a 250 line
		// is early talk then.
		{name: "text and a 250 line right after the greeting",
			lines: []string{"Welcome to the mail server of example.test", "250 unsolicited"}},
		// Arrives after EHLO went out, ahead of its reply: a 2xx other
		// than 250 cannot answer EHLO (RFC 5321 §4.3.2).
		{name: "a second banner line after a pause",
			lines: []string{"220 unsolicited second banner"}, delay: 150 * time.Millisecond},
		{name: "a multi-line second banner after a pause",
			lines: []string{"220-unsolicited", "220 still unsolicited"}, delay: 150 * time.Millisecond},
		// Not SMTP at all, after a pause: skipped, and the reply follows.
		{name: "text that is no SMTP after a pause",
			lines: []string{"*** are you a bot? ***"}, delay: 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := start(t, smtptest.Script{BannerName: "mx.example.test", EarlyTalk: tt.lines, EarlyTalkDelay: tt.delay})
			res := probeServer(t, srv, "mx.example.test", Options{RootCAs: smtptest.CertPool(srv.Certificate())})
			if res.Status != StatusOK || res.EHLOName != "mx.example.test" || !res.StartTLS || res.TLS == nil {
				t.Fatalf("status %s (%s), ehlo name %q, starttls %v: want the real EHLO reply read and STARTTLS done",
					res.Status, res.Error, res.EHLOName, res.StartTLS)
			}
			if strings.Join(res.EarlyTalk, "|") != strings.Join(tt.lines, "|") {
				t.Errorf("early talk %q, want %q", res.EarlyTalk, tt.lines)
			}
			if !contains(res.ExtensionsTLS, "PIPELINING") {
				t.Errorf("extensions after TLS %v: the replies got out of step", res.ExtensionsTLS)
			}
			assertNoMailCommands(t, srv)
		})
	}
}

func TestProbeTakesA220EHLOReplyWhenNothingElseFollows(t *testing.T) {
	// Not early talk: the server answers EHLO itself with 220, which
	// Postfix and Exim accept. The probe finds out a command timeout later.
	srv := start(t, smtptest.Script{EHLOCode: 220, NoTLS: true})
	begin := time.Now()
	res := probeServer(t, srv, "mx.test", Options{CommandTimeout: 300 * time.Millisecond})
	if res.Status != StatusOK || res.EHLOName != "mx.test" || len(res.EarlyTalk) != 0 || !contains(res.Extensions, "PIPELINING") {
		t.Fatalf("status %s (%s), ehlo name %q, early talk %q, extensions %v: want the 220 reply taken as the EHLO reply",
			res.Status, res.Error, res.EHLOName, res.EarlyTalk, res.Extensions)
	}
	if el := time.Since(begin); el < 300*time.Millisecond {
		t.Errorf("took %s: the probe should have waited for a 250 reply first", el)
	}
}

func TestProbeOfAWellBehavedServerRecordsNoEarlyTalkAndDoesNotWaitForIt(t *testing.T) {
	srv := start(t, smtptest.Script{NoTLS: true})
	begin := time.Now()
	res := probeServer(t, srv, "mx.test", Options{})
	if res.Status != StatusOK || res.EarlyTalk == nil || len(res.EarlyTalk) != 0 {
		t.Fatalf("status %s, early talk %#v: want ok and an empty list", res.Status, res.EarlyTalk)
	}
	// The look for early talk asks the socket without waiting; a wait of
	// earlyLineWait would show here.
	if el := time.Since(begin); el >= earlyLineWait {
		t.Errorf("a loopback probe took %s", el)
	}
}

func TestProbeEarlyTalkIsSanitisedAndBounded(t *testing.T) {
	var lines []string
	for i := 0; i < 30; i++ {
		lines = append(lines, "\x1b]0;pwned\x07220 early \x1b[31mred\x1b[0m")
	}
	srv := start(t, smtptest.Script{EarlyTalk: lines, NoTLS: true})
	res := probeServer(t, srv, "mx.test", Options{})
	if res.Status != StatusOK {
		t.Fatalf("status %s (%s)", res.Status, res.Error)
	}
	if len(res.EarlyTalk) != MaxEarlyTalk {
		t.Errorf("%d early lines kept, want at most %d", len(res.EarlyTalk), MaxEarlyTalk)
	}
	for _, l := range res.EarlyTalk {
		if strings.ContainsAny(l, "\x1b\x07") || l != "220 early red" {
			t.Fatalf("early line %q not sanitised", l)
		}
	}
}

func TestProbeStopsSkippingEarlyTalkAtTheLineLimit(t *testing.T) {
	var lines []string
	for i := 0; i < 250; i++ {
		lines = append(lines, "220 again")
	}
	srv := start(t, smtptest.Script{EarlyTalk: lines, EarlyTalkDelay: 50 * time.Millisecond, NoTLS: true})
	res := probeServer(t, srv, "mx.test", Options{CommandTimeout: 2 * time.Second})
	if res.Status != StatusNotSMTP || res.Phase != PhaseEHLO || !errors.Is(res.Err, ErrTooManyLines) {
		t.Fatalf("status %s phase %s (%s): want not_smtp after %d lines out of turn", res.Status, res.Phase, res.Error, DefaultLimits.MaxLines)
	}
}

// pipeServer is a scripted peer over net.Pipe: it writes script, keeps
// what the client sends, and hangs up when the client does (or at once
// after the script when hangUp is set). After the probe, written says how
// many bytes of script the client took and sent what it sent.
type pipeServer struct {
	script []byte
	hangUp bool

	written chan int
	sent    chan []byte
}

func (p *pipeServer) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	client, server := net.Pipe()
	p.written, p.sent = make(chan int, 1), make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(server, 1<<20)) // the client's commands, until it hangs up
		p.sent <- b
		_, _ = io.Copy(io.Discard, server)
	}()
	go func() {
		n, _ := server.Write(p.script)
		p.written <- n
		if p.hangUp {
			server.Close()
		}
	}()
	return client, nil
}

func TestProbeOfAServerThatSendsTextThatIsNoSMTPAndNoEHLOReplyIsNotSMTP(t *testing.T) {
	// The text is skipped as early talk, but no reply follows: the server
	// spoke, and not SMTP. It is not called slow.
	d := &pipeServer{script: []byte("220 mx.test ESMTP\r\nI do not speak your language\r\n")}
	p := New(Options{Dialer: d, Routes: fakeRoutes{}, CommandTimeout: 200 * time.Millisecond, HELO: "c.test"})
	res := p.Probe(context.Background(), Target{IP: netip.MustParseAddr("192.0.2.25")})
	if res.Status != StatusNotSMTP || res.Phase != PhaseEHLO || !errors.Is(res.Err, ErrMalformed) {
		t.Fatalf("status %s phase %s (%s): want not_smtp at ehlo", res.Status, res.Phase, res.Error)
	}
	if len(res.EarlyTalk) != 1 || res.EarlyTalk[0] != "I do not speak your language" {
		t.Errorf("early talk %q", res.EarlyTalk)
	}
}

func TestProbeNegotiatesTLS10WithAServerThatKnowsNothingNewer(t *testing.T) {
	srv := start(t, smtptest.Script{
		BannerName:      "mx.example.test",
		TLSMaxVersion:   tls.VersionTLS10,
		TLSCipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA},
	})
	res := probeServer(t, srv, "mx.example.test", Options{RootCAs: smtptest.CertPool(srv.Certificate())})
	if res.Status != StatusOK || res.TLS == nil {
		t.Fatalf("status %s (%s), tls %+v: want the TLS 1.0 session recorded", res.Status, res.Error, res.TLS)
	}
	if res.TLS.Version != "TLS1.0" || !strings.HasSuffix(res.TLS.Cipher, "_CBC_SHA") || !res.TLS.Verified {
		t.Errorf("tls %+v: want TLS1.0 with a CBC-SHA suite, certificate still verified", res.TLS)
	}
}
