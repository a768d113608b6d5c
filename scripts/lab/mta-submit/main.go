// Command mta-submit queues the conformance lab's messages into the client
// Postfix over one SMTP connection to its loopback smtpd: one message per
// recipient per round, with the null sender (research/lab-notes.md, "One
// attempt per message") or, with -from, a sender that gets the bounces (the
// logs lab reads the DSNs). One connection for all messages instead of one
// sendmail+postdrop process pair per message keeps submission cheap on a
// busy machine.
//
//	mta-submit -addr 127.0.0.1:10025 -n 200 u@a.lab.example u@b.lab.example
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mta-submit:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mta-submit", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:10025", "SMTP server host:port")
	n := fs.Int("n", 1, "messages per recipient")
	from := fs.String("from", "", "envelope sender (default: the null sender)")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline for each reply")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rcpts := fs.Args()
	if len(rcpts) == 0 || *n < 1 {
		return errors.New("need -n >= 1 and at least one recipient")
	}
	conn, err := net.DialTimeout("tcp", *addr, *timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	c := &client{conn: conn, r: bufio.NewReaderSize(conn, 4096), timeout: *timeout, from: *from}
	if err := c.expect("", 220); err != nil {
		return err
	}
	if err := c.expect("EHLO submit.lab.example", 250); err != nil {
		return err
	}
	for i := 1; i <= *n; i++ {
		for _, rc := range rcpts {
			if err := c.send(rc, i); err != nil {
				return fmt.Errorf("message %d to %s: %w", i, rc, err)
			}
		}
	}
	return c.expect("QUIT", 221)
}

type client struct {
	conn    net.Conn
	r       *bufio.Reader
	timeout time.Duration
	from    string
}

func (c *client) send(rcpt string, i int) error {
	if err := c.expect("MAIL FROM:<"+c.from+">", 250); err != nil {
		return err
	}
	if err := c.expect("RCPT TO:<"+rcpt+">", 250); err != nil {
		return err
	}
	if err := c.expect("DATA", 354); err != nil {
		return err
	}
	body := fmt.Sprintf("Subject: lab %d\r\n\r\nconformance lab message\r\n.", i)
	return c.expect(body, 250)
}

// expect writes cmd (unless empty) and reads one reply, bounded in time and
// size, that must carry the wanted code.
func (c *client) expect(cmd string, code int) error {
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	if cmd != "" {
		if _, err := io.WriteString(c.conn, cmd+"\r\n"); err != nil {
			return err
		}
	}
	for lines := 0; lines < 100; lines++ {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("reading reply to %q: %w", firstWord(cmd), err)
		}
		s := strings.TrimRight(string(line), "\r\n")
		if len(s) < 3 {
			return fmt.Errorf("short reply %q", s)
		}
		if len(s) > 3 && s[3] == '-' {
			continue
		}
		if s[:3] != fmt.Sprint(code) {
			return fmt.Errorf("%q: got %q, want %d", firstWord(cmd), s, code)
		}
		return nil
	}
	return errors.New("reply longer than 100 lines")
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
