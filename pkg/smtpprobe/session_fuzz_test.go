package smtpprobe

import (
	"bytes"
	"context"
	"crypto/x509"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// FuzzProbeSession runs a whole probe (greeting, early talk, EHLO and its
// HELO fallback, STARTTLS, QUIT) against a peer over net.Pipe that sends
// arbitrary bytes, all at once, then hangs up or stays silent. Whatever it
// sends, the probe must not panic, must end by the run's deadline, must
// take no more from the peer than the byte limit (plus what one TLS
// handshake may read), must keep every text it stores sanitised and within
// its bounds, and must never send MAIL, RCPT or DATA. The deadlines are a
// few milliseconds so that a silent peer costs little per execution.
func FuzzProbeSession(f *testing.F) {
	for _, seed := range []struct {
		script string
		hangUp bool
	}{
		{"220 mx.test ESMTP\r\n250-mx.test hi\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 go ahead\r\n", true},
		{"220 mx.test ESMTP\r\n220 unsolicited second banner\r\n250-mx.test\r\n250 STARTTLS\r\n", true},
		{"220 mx.test\r\nWelcome!\r\n250 unsolicited\r\n250 mx.test\r\n", false},
		{"220 mx.test\r\n502 no\r\n250 mx.test\r\n", true},
		{"220-mx.test\r\n220 ok\r\n421 4.3.2 bye\r\n", true},
		{"554 5.7.1 go away\r\n", false},
		{"220 mx.test\r\n250 ok", false},
		{"\x1b]0;x\x07220 \x1b[31mmx\r\n250-\x00\r\n250 \u202eSTARTTLS\r\n", true},
	} {
		f.Add([]byte(seed.script), seed.hangUp)
	}
	limits := Limits{MaxLineLen: 128, MaxLines: 8, MaxBytes: 2048}
	const (
		cmdTimeout = 5 * time.Millisecond
		runTimeout = 25 * time.Millisecond
		// A TLS handshake reads through the connection itself, not the
		// byte counter; crypto/tls bounds a handshake message at 64 KiB.
		tlsSlack = 70 << 10
	)
	roots := x509.NewCertPool()
	f.Fuzz(func(t *testing.T, script []byte, hangUp bool) {
		peer := &pipeServer{script: script, hangUp: hangUp}
		p := New(Options{Dialer: peer, Routes: fakeRoutes{}, CommandTimeout: cmdTimeout, ConnectTimeout: cmdTimeout,
			HELO: "c.test", Limits: limits, RootCAs: roots})
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		defer cancel()
		begin := time.Now()
		r := p.Probe(ctx, Target{Host: "mx.test", IP: netip.MustParseAddr("192.0.2.25")})
		if el := time.Since(begin); el > runTimeout+2*time.Second {
			t.Fatalf("probe took %s, the run's deadline is %s", el, runTimeout)
		}
		if peer.written == nil {
			t.Fatalf("status %s (%s) without a connection", r.Status, r.Error)
		}
		if taken := <-peer.written; taken > int(limits.MaxBytes)+tlsSlack ||
			taken > int(limits.MaxBytes) && r.TLS == nil && r.Phase != PhaseTLS {
			t.Fatalf("the probe took %d bytes from the peer, limit %d (status %s phase %s)", taken, limits.MaxBytes, r.Status, r.Phase)
		}
		sent := <-peer.sent
		for _, line := range bytes.Split(sent, []byte("\r\n")) {
			for _, verb := range []string{"MAIL", "RCPT", "DATA"} {
				if bytes.HasPrefix(bytes.ToUpper(line), []byte(verb)) {
					t.Fatalf("the probe sent %q", line)
				}
			}
		}
		if !slices.Contains([]Status{StatusOK, StatusTimeout, StatusReset, StatusGreeting4xx, StatusGreeting5xx,
			StatusNotSMTP, StatusTLSFailed, StatusInconclusive}, r.Status) {
			t.Fatalf("status %q", r.Status)
		}
		if r.Status != StatusOK && r.Error == "" {
			t.Fatalf("status %s without an error text", r.Status)
		}
		if len(r.EarlyTalk) > MaxEarlyTalk || len(r.Extensions) > limits.MaxLines || len(r.ExtensionsTLS) > limits.MaxLines {
			t.Fatalf("%d early lines, %d extensions, %d after TLS: over the bounds", len(r.EarlyTalk), len(r.Extensions), len(r.ExtensionsTLS))
		}
		texts := append([]string{r.BannerName, r.EHLOName, r.Error}, r.EarlyTalk...)
		texts = append(append(texts, r.Extensions...), r.ExtensionsTLS...)
		for _, s := range texts {
			if sanitize.Text(s) != s || len(s) > 4*limits.MaxLineLen+1024 {
				t.Fatalf("stored text %q is not sanitised or not bounded", s)
			}
		}
		if sanitize.MultiLine(r.Banner) != r.Banner {
			t.Fatalf("banner %q is not sanitised", r.Banner)
		}
	})
}
