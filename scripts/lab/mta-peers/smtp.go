package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"
)

// A receiver mode says how a scripted SMTP listener (-smtp ADDR=MODE)
// answers every transaction. The logs lab (scripts/lab/t-logs.sh) gives
// each family of a test domain's exchange its own mode, and compares what
// `mailcheck logs` counts with what the listeners recorded answering.
const (
	modeAccept    = "accept"           // 250 after DATA
	modeGreet421  = "greet421"         // 421 instead of the greeting (RFC 5321 §3.1)
	modeRcpt451   = "rcpt451"          // 451 to RCPT TO
	modeGmail550  = "gmail-ipv6-ptr"   // Gmail's IPv6 PTR rejection after DATA
	modeOutlook55 = "outlook-ipv6-ptr" // Exchange Online's IPv6 PTR rejection to RCPT TO
)

var receiverModes = []string{modeAccept, modeGreet421, modeRcpt451, modeGmail550, modeOutlook55}

// receiver limits: what a lab client sends is ours, but reads stay bounded.
const (
	maxCommandLine = 4096
	maxMessage     = 1 << 20
	sessionTimeout = 30 * time.Second
)

// listener is one scripted SMTP listener.
type listener struct {
	ln   net.Listener
	mode string
	log  *eventLog
	seq  *atomic.Int64
}

// parseSMTPFlag reads "ADDR=MODE" ("203.0.113.11:25=accept",
// "[2001:db8:c1::1]:25=gmail-ipv6-ptr").
func parseSMTPFlag(v string) (addr, mode string, err error) {
	i := strings.LastIndexByte(v, '=')
	if i <= 0 {
		return "", "", fmt.Errorf("-smtp %q: want ADDR=MODE", v)
	}
	addr, mode = v[:i], v[i+1:]
	for _, m := range receiverModes {
		if m == mode {
			return addr, mode, nil
		}
	}
	return "", "", fmt.Errorf("-smtp %q: mode %q is none of %s", v, mode, strings.Join(receiverModes, ", "))
}

func (l *listener) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.log.printf("smtp accept local=%s remote=%s", c.LocalAddr(), c.RemoteAddr())
		go l.session(c)
	}
}

// answer records the final answer of one transaction: the line the logs
// lab counts. outcome is what the client MTA must log for it: a 2xx is
// delivered, a 4xx deferred, a 5xx bounced.
func (l *listener) answer(c net.Conn, rcpt string, code int) {
	outcome := map[int]string{2: "delivered", 4: "deferred", 5: "bounced"}[code/100]
	l.log.printf("smtp answer local=%s remote=%s mode=%s rcpt=%s code=%d outcome=%s",
		hostOf(c.LocalAddr()), hostOf(c.RemoteAddr()), l.mode, rcpt, code, outcome)
}

// hostOf is the address without its port, in its canonical text form.
func hostOf(a net.Addr) string {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return a.String()
	}
	return ap.Addr().Unmap().String()
}

// session speaks just enough SMTP (RFC 5321 §4.1) for Postfix's and Exim's
// clients: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, several
// transactions per session (Postfix's connection cache).
func (l *listener) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(sessionTimeout))
	w := bufio.NewWriter(c)
	say := func(lines ...string) bool {
		for _, s := range lines {
			if _, err := w.WriteString(s + "\r\n"); err != nil {
				return false
			}
		}
		return w.Flush() == nil
	}
	if l.mode == modeGreet421 {
		l.answer(c, "", 421)
		if !say("421 4.3.2 lab receiver not available") {
			return
		}
		// Read (bounded) what the client says before it hangs up, typically QUIT.
		if line, _ := bufio.NewReader(io.LimitReader(c, maxCommandLine)).ReadString('\n'); line != "" {
			say("221 2.0.0 bye")
		}
		return
	}
	r := bufio.NewReaderSize(c, maxCommandLine)
	if !say("220 mx.lab.example ESMTP mailcheck-lab receiver") {
		return
	}
	rcpt, accepted := "", false
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			say("250-mx.lab.example", "250 8BITMIME")
		case "HELO":
			say("250 mx.lab.example")
		case "MAIL":
			rcpt, accepted = "", false
			say("250 2.1.0 Ok")
		case "RCPT":
			rcpt = rcptAddr(arg)
			switch l.mode {
			case modeRcpt451:
				l.answer(c, rcpt, 451)
				say("451 4.3.0 lab receiver: try again later")
			case modeOutlook55:
				// Exchange Online's wording (research: Microsoft NDR 5.7.25).
				l.answer(c, rcpt, 550)
				say(fmt.Sprintf("550 5.7.25 Service unavailable, sending IPv6 address [%s] must have reverse DNS record.", hostOf(c.RemoteAddr())))
			default:
				accepted = true
				say("250 2.1.5 Ok")
			}
		case "DATA":
			if !accepted {
				// RFC 5321 §3.3: no DATA without an accepted recipient.
				say("554 5.5.1 Error: no valid recipients")
				continue
			}
			accepted = false
			if !say("354 End data with <CR><LF>.<CR><LF>") {
				return
			}
			if err := readData(r); err != nil {
				return
			}
			if l.mode == modeGmail550 {
				// Gmail's reply as it answers an IPv6 sender without PTR:
				// the client address in brackets, five lines.
				l.answer(c, rcpt, 550)
				say(fmt.Sprintf("550-5.7.1 [%s      12] Our system has detected that this message does", hostOf(c.RemoteAddr())),
					"550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and",
					"550-5.7.1 authentication. Please review",
					"550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information",
					fmt.Sprintf("550 5.7.1 . lab%dsi%d - gsmtp", l.seq.Add(1), time.Now().Unix()%1000))
				continue
			}
			l.answer(c, rcpt, 250)
			say(fmt.Sprintf("250 2.0.0 Ok: queued as LAB%d", l.seq.Add(1)))
		case "RSET":
			rcpt, accepted = "", false
			say("250 2.0.0 Ok")
		case "NOOP":
			say("250 2.0.0 Ok")
		case "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

// rcptAddr is the address of "TO:<a@b> PARAMS", lower case.
func rcptAddr(arg string) string {
	if len(arg) >= 3 && strings.EqualFold(arg[:3], "TO:") {
		arg = arg[3:]
	}
	a, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
	return strings.ToLower(strings.Trim(a, "<>"))
}

// readLine reads one command line; a longer one ends the session.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// readData reads a message up to its "." line, at most maxMessage bytes.
func readData(r *bufio.Reader) error {
	n := 0
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			return err
		}
		if n += len(line); n > maxMessage {
			return fmt.Errorf("message over %d bytes", maxMessage)
		}
		if err == nil && (string(line) == ".\r\n" || string(line) == ".\n") {
			return nil
		}
	}
}
