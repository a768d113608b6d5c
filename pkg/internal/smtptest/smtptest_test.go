package smtptest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// dial connects to srv for the test's lifetime, with a 5 s deadline.
func dial(t *testing.T, srv *Server) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c, bufio.NewReader(c)
}

func TestServerRecordsCommandsAndAnswersLikeESMTP(t *testing.T) {
	srv, err := Start(Script{BannerName: "mx.example.test", NoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, r := dial(t, srv)
	line, _ := r.ReadString('\n')
	if line != "220 mx.example.test ESMTP smtptest\r\n" {
		t.Fatalf("greeting %q", line)
	}
	c.Write([]byte("EHLO client.test\r\nMAIL FROM:<>\r\nQUIT\r\n"))
	var got []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			break
		}
		got = append(got, strings.TrimSpace(l))
	}
	if got[0] != "250-mx.example.test hello" || got[len(got)-1] != "221 2.0.0 bye" {
		t.Errorf("replies %q", got)
	}
	for _, l := range got {
		if strings.Contains(l, "STARTTLS") {
			t.Errorf("STARTTLS offered with NoTLS: %q", got)
		}
	}
	if cmds := srv.Commands(); strings.Join(cmds, "|") != "EHLO client.test|MAIL FROM:<>|QUIT" {
		t.Errorf("recorded %q", cmds)
	}
	if srv.Accepted() != 1 {
		t.Errorf("accepted %d", srv.Accepted())
	}
}

func TestCloseEndsTarpitsAndDrips(t *testing.T) {
	for _, b := range []Behavior{Tarpit, Drip, LongLine, Garbage} {
		srv, err := Start(Script{Behavior: b})
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		begin := time.Now()
		srv.Close()
		if el := time.Since(begin); el > 2*time.Second {
			t.Errorf("behavior %d: Close took %s", b, el)
		}
		c.Close()
	}
}

func TestStartPairSharesOnePort(t *testing.T) {
	v4, v6, err := StartPair(Script{BannerName: "four"}, Script{BannerName: "six"})
	if err == ErrNoIPv6 {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	defer v6.Close()
	if v4.Addr().Port() != v6.Addr().Port() || !v4.Addr().Addr().Is4() || v6.Addr().Addr().Is4() {
		t.Errorf("addresses %s and %s", v4.Addr(), v6.Addr())
	}
}

func TestServerTalksOutOfTurnAheadOfTheEHLOReplyAndAnswersLate(t *testing.T) {
	srv, err := Start(Script{NoTLS: true, EarlyTalk: []string{"220 again"}, EarlyTalkDelay: 100 * time.Millisecond,
		ReplyDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The server's delay starts when it accepts, which may be before the
	// dial returns here: time from before the dial.
	begin := time.Now()
	c, r := dial(t, srv)
	greeting, _ := r.ReadString('\n')
	if el := time.Since(begin); greeting != "220 mx.test ESMTP smtptest\r\n" || el < 50*time.Millisecond {
		t.Fatalf("greeting %q after %s, want it after the 50 ms reply delay", greeting, el)
	}
	// EHLO goes out during the pause: the early line still comes first.
	c.Write([]byte("EHLO client.test\r\n"))
	early, _ := r.ReadString('\n')
	reply, _ := r.ReadString('\n')
	if early != "220 again\r\n" || !strings.HasPrefix(reply, "250-mx.test hello") {
		t.Errorf("after EHLO: %q then %q, want the early line ahead of the EHLO reply", early, reply)
	}
}
