package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeSMTP accepts one connection and answers like Postfix's smtpd, except
// that it rejects RCPT TO for addresses containing "reject". It returns the
// envelopes it accepted ("FROM>TO") on the channel when the client quits.
func fakeSMTP(t *testing.T) (string, <-chan []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan []string, 1)
	go func() {
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			out <- nil
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		w := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
		w("220 fake ESMTP")
		var got []string
		var from, to string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				out <- got
				return
			}
			line = strings.TrimRight(line, "\r\n")
			switch {
			case strings.HasPrefix(line, "EHLO"):
				w("250-fake")
				w("250 PIPELINING")
			case strings.HasPrefix(line, "MAIL FROM:"):
				from = strings.TrimPrefix(line, "MAIL FROM:")
				w("250 2.1.0 Ok")
			case strings.HasPrefix(line, "RCPT TO:"):
				to = strings.TrimPrefix(line, "RCPT TO:")
				if strings.Contains(to, "reject") {
					w("554 5.7.1 Relay access denied")
				} else {
					w("250 2.1.5 Ok")
				}
			case line == "DATA":
				w("354 End data with <CR><LF>.<CR><LF>")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
				}
				got = append(got, from+">"+to)
				w("250 2.0.0 Ok: queued")
			case line == "QUIT":
				w("221 2.0.0 Bye")
				out <- got
				return
			default:
				w("502 5.5.2 Error: command not recognized")
			}
		}
	}()
	return ln.Addr().String(), out
}

func TestSubmitSendsCountMessagesPerRecipientWithTheNullSender(t *testing.T) {
	addr, got := fakeSMTP(t)
	if err := run([]string{"-addr", addr, "-n", "3", "-timeout", "5s", "u@a.lab.example", "u@b.lab.example"}); err != nil {
		t.Fatal(err)
	}
	envs := <-got
	want := "<>><u@a.lab.example> <>><u@b.lab.example> <>><u@a.lab.example> <>><u@b.lab.example> <>><u@a.lab.example> <>><u@b.lab.example>"
	if strings.Join(envs, " ") != want {
		t.Errorf("envelopes %v, want %s", envs, want)
	}
}

func TestSubmitFailsOnARejectedRecipient(t *testing.T) {
	addr, got := fakeSMTP(t)
	err := run([]string{"-addr", addr, "-n", "1", "-timeout", "5s", "u@reject.lab.example"})
	if err == nil || !strings.Contains(err.Error(), "554") {
		t.Errorf("err = %v, want the 554 reply", err)
	}
	<-got
}

func TestSubmitNeedsARecipient(t *testing.T) {
	if err := run([]string{"-n", "1"}); err == nil {
		t.Error("no recipient accepted")
	}
}
