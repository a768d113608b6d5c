package main

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is an io.Writer safe for the listener's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// converse runs one SMTP transaction against a receiver in mode and returns
// the last reply line of each command, and the event log.
func converse(t *testing.T, mode string) ([]string, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logBuf syncBuffer
	l := &listener{ln: ln, mode: mode, log: &eventLog{w: &logBuf}, seq: new(atomic.Int64)}
	go l.serve()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	reply := func() string {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return "EOF"
			}
			if len(line) < 4 || line[3] != '-' {
				return strings.TrimRight(line, "\r\n")
			}
		}
	}
	var got []string
	got = append(got, reply())
	for _, cmd := range []string{"EHLO client.lab.example", "MAIL FROM:<s@client.lab.example>", "RCPT TO:<U1@Gmail.lab.example> NOTIFY=FAILURE", "DATA"} {
		if last := got[len(got)-1]; last == "EOF" || last[0] == '4' || last[0] == '5' {
			break
		}
		c.Write([]byte(cmd + "\r\n"))
		got = append(got, reply())
	}
	if strings.HasPrefix(got[len(got)-1], "354") {
		c.Write([]byte("Subject: x\r\n\r\nbody\r\n.\r\n"))
		got = append(got, reply())
	}
	c.Write([]byte("QUIT\r\n"))
	reply()
	time.Sleep(50 * time.Millisecond)
	return got, logBuf.String()
}

func TestReceiverAnswersEachModeAndRecordsTheOutcome(t *testing.T) {
	for _, tc := range []struct {
		mode, last, logged string
	}{
		{modeAccept, "250 2.0.0 Ok: queued as LAB1", "rcpt=u1@gmail.lab.example code=250 outcome=delivered"},
		{modeGreet421, "421 4.3.2 lab receiver not available", "rcpt= code=421 outcome=deferred"},
		{modeRcpt451, "451 4.3.0 lab receiver: try again later", "rcpt=u1@gmail.lab.example code=451 outcome=deferred"},
		{modeGmail550, "550 5.7.1 . lab1si", "rcpt=u1@gmail.lab.example code=550 outcome=bounced"},
		{modeOutlook55, "550 5.7.25 Service unavailable, sending IPv6 address [127.0.0.1] must have reverse DNS record.", "code=550 outcome=bounced"},
	} {
		got, log := converse(t, tc.mode)
		last := got[len(got)-1]
		if !strings.HasPrefix(last, tc.last) {
			t.Errorf("%s: last reply %q, want %q (all: %q)", tc.mode, last, tc.last, got)
		}
		if strings.Count(log, "smtp answer ") != 1 || !strings.Contains(log, "local=127.0.0.1 ") || !strings.Contains(log, tc.logged) {
			t.Errorf("%s: log %q, want one answer with %q", tc.mode, log, tc.logged)
		}
	}
}

func TestSMTPFlagNamesAnAddressAndAKnownMode(t *testing.T) {
	if a, m, err := parseSMTPFlag("[2001:db8:c1::1]:25=gmail-ipv6-ptr"); err != nil || a != "[2001:db8:c1::1]:25" || m != modeGmail550 {
		t.Errorf("got %q %q %v", a, m, err)
	}
	for _, bad := range []string{"203.0.113.1:25", "203.0.113.1:25=bogus", "=accept"} {
		if _, _, err := parseSMTPFlag(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
