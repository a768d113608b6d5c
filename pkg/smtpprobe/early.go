package smtpprobe

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// SMTP is a dialogue in turns: after its greeting the server only answers
// the client's commands (RFC 5321 §4.3.1; a successful EHLO or HELO is
// answered with 250, §4.3.2). A server that sends more after its complete
// greeting talks out of turn ("early talk"): a second banner line after a
// pause, a welcome text, a proxy's own banner. A client that takes those
// lines for its EHLO reply loses the real one: it misses STARTTLS and the
// extensions, and every later reply is off by one. Postfix's postscreen
// tests clients the other way round: its pregreet test (POSTSCREEN_README,
// postscreen_greet_action) rejects a client that talks before its turn,
// and a server may likewise talk out of turn on purpose, as a trap for bots
// that do not read replies.
//
// The probe therefore looks for early talk twice: before it sends EHLO
// (what has already arrived, without waiting), and while it reads the EHLO
// reply (what cannot be that reply: a 2xx other than 250, or a line that is
// no SMTP reply). Early lines are recorded in Result.EarlyTalk and skipped.

// MaxEarlyTalk is the most out-of-turn lines kept in Result.EarlyTalk; more
// are skipped (up to Limits.MaxLines) but not kept.
const MaxEarlyTalk = 10

// earlyLineWait is how long a line that has begun to arrive before our EHLO
// may take to end. Only a server that talks early pays it.
const earlyLineWait = 200 * time.Millisecond

// earlyPeekWait is the wait for early talk when the connection cannot be
// asked without waiting (no file descriptor: net.Pipe in tests).
const earlyPeekWait = time.Millisecond

// earlyTalk reads, line by line, what the server sent after its complete
// greeting and before our EHLO, and records it. It never waits for talk
// that has not begun to arrive, so a well-behaved server costs nothing.
func (s *session) earlyTalk() *Error {
	for n := 0; n < s.p.opts.Limits.MaxLines; n++ {
		if s.rr.br.Buffered() == 0 && !s.peerWaiting() {
			return nil
		}
		start := time.Now()
		dl := start.Add(earlyLineWait)
		if d := s.deadline(start); d.Before(dl) {
			dl = d
		}
		if err := s.conn.SetReadDeadline(dl); err != nil {
			// Not a finding about the server: the EHLO that follows meets
			// the same connection and reports what it is worth.
			return nil //nolint:nilerr // early talk is best effort
		}
		line, err := s.rr.line()
		if line != "" {
			s.early(line)
			if _, _, _, ok := parseLine(line); !ok && s.garbled == nil {
				s.garbled = fmt.Errorf("%w: %q", ErrMalformed, truncate(line, 80))
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrLineTooLong):
			s.res.Status = StatusNotSMTP
			return &Error{Phase: PhaseEHLO, Err: fmt.Errorf("before EHLO: %w", err)}
		default:
			// An unfinished line (kept above), or the peer went away: the
			// EHLO that follows finds out what the connection is worth.
			return nil
		}
	}
	return nil
}

// peerWaiting reports whether bytes from the peer are waiting to be read.
func (s *session) peerWaiting() bool {
	if waiting, ok := pending(s.raw); ok {
		return waiting
	}
	if s.conn.SetReadDeadline(time.Now().Add(earlyPeekWait)) != nil {
		return false
	}
	// bufio.Reader hands a timeout back once and forgets it, so the reader
	// stays usable after a Peek that found nothing.
	_, err := s.rr.br.Peek(1)
	return err == nil
}

// early records one line sent out of turn.
func (s *session) early(line string) {
	if s.tracing() {
		s.logf("=== out of turn (not a reply to a command): skipped")
	}
	if len(s.res.EarlyTalk) < MaxEarlyTalk {
		s.res.EarlyTalk = append(s.res.EarlyTalk, sanitize.Text(line))
	}
}

// helloCommand sends EHLO or HELO and reads its reply (readHello).
func (s *session) helloCommand(line string) (Reply, error) {
	if err := s.send(line); err != nil {
		return Reply{}, err
	}
	return s.readHello()
}

// readHello reads the reply to EHLO or HELO under one command timeout,
// skipping what cannot be that reply and was sent out of turn: a reply
// whose code is 2xx but not 250 (a second greeting), or a line that is no
// SMTP reply. At most Limits.MaxLines such lines are skipped. A server that
// sent lines that are no SMTP (here or before EHLO) and then no reply is
// not_smtp, not slow. A server that answers EHLO itself with a 2xx other
// than 250 is served too, a command timeout later: when nothing follows the
// last skipped 2xx reply, that reply was the answer (Postfix, smtp_proto.c,
// and Exim accept any 2xx).
func (s *session) readHello() (Reply, error) {
	start := time.Now()
	if err := s.conn.SetReadDeadline(s.deadline(start)); err != nil {
		return Reply{}, fmt.Errorf("setting the read deadline: %w", err)
	}
	s.quickAck()
	notSMTP := s.garbled
	var last2xx *Reply // the last 2xx reply skipped, and where its lines start in EarlyTalk
	kept := 0
	for skipped := 0; ; {
		rep, err := s.rr.read()
		switch {
		case errors.Is(err, ErrMalformed) && len(rep.Lines) == 0:
			if notSMTP == nil {
				notSMTP = err
			}
			s.early(s.rr.last)
			skipped++
		case err == nil && rep.Code/100 == 2 && rep.Code != 250:
			last2xx, kept = &rep, len(s.res.EarlyTalk)
			for i, l := range rep.Lines {
				sep := "-"
				if i == len(rep.Lines)-1 {
					sep = " "
				}
				s.early(strings.TrimRight(fmt.Sprintf("%d%s%s", rep.Code, sep, l), " "))
			}
			skipped += len(rep.Lines)
		default:
			err = s.waitErr(err, start)
			deadline := errors.Is(err, ErrDeadline) || errors.Is(err, ErrInterrupted)
			switch {
			case err == nil || deadline:
			case notSMTP != nil:
				err = fmt.Errorf("%w, and no reply to the command followed (%v)", notSMTP, err)
			case last2xx != nil && isTimeout(err):
				s.res.EarlyTalk = s.res.EarlyTalk[:kept]
				s.logf("=== no other reply came: the %d reply was the answer", last2xx.Code)
				return *last2xx, nil
			}
			return rep, err
		}
		if skipped >= s.p.opts.Limits.MaxLines {
			return Reply{}, fmt.Errorf("%w (more than %d lines out of turn before the reply)", ErrTooManyLines, s.p.opts.Limits.MaxLines)
		}
	}
}
