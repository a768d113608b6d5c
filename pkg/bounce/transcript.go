package bounce

import (
	"strings"

	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// A Sendmail failure notice carries the transcript of its sessions with the
// receiving hosts ("----- Transcript of session follows -----"). Sendmail
// writes it as things happen (usersmtp.c reply(), err.c fmtmsg()): when a
// reply fails (4xx, 5xx), the host once per connection ("... while talking
// to HOST.:" in Sendmail 8), the last command sent unless already shown,
// and the reply; then its own lines about the recipients and hosts the
// reply decided:
//
//	While talking to mx.example.org:
//	>>> RCPT To:<grace@example.org>
//	<<< 550 No such user here.
//	550 <grace@example.org>... User unknown    (a recipient)
//	421 example.net (smtp)... Deferred: ...    (a host and its mailer)
//
// Sendmail's own lines name what they are about before "... " (fmtmsg's
// "TO... " prefix: a recipient in angle brackets, or a host and its
// mailer). A recipient's line follows the replies of the session that
// decided it, so one notice for several hosts holds several sessions, each
// followed by the lines of its recipients; a line about another host ends
// the session before it. Old (version 5) Sendmail notices have nothing
// else (no RFC 3464 report), so these pairs are the only place that says
// which reply refused which recipient.

// sessionRecipient is one recipient of a Sendmail transcript with the reply
// of its own session.
type sessionRecipient struct {
	addr    string
	host    string // the session's host ("While talking to HOST:"), empty outside a session
	command string // the client command the reply answered ("RCPT", "MAIL", "DATA", "initial connection")
	reply   string // the server's reply, lines joined, or empty when no session reply concerns it
	own     string // Sendmail's own line for the recipient ("550 <addr>... User unknown")
	// output is what a local mailer wrote before the recipient's line,
	// outside any session ("mail.local: unknown user: grace"): the
	// mailer's words, of which Sendmail's line ("Service unavailable",
	// its text for the mailer's exit status, sysexits.h) is the summary.
	output string
}

// sessionReply is a failing reply read in a session.
type sessionReply struct {
	text    string
	command string
	claimed bool
}

var (
	// reSendmailOwnRcpt is Sendmail's own line for a recipient, with or
	// without an enhanced status code (Sendmail 8 adds one):
	// "550 <grace@example.org>... User unknown".
	reSendmailOwnRcpt = lazyRegexp(`^([45]\d\d)(?: ([245]\.\d{1,3}\.\d{1,3}))? <([^<>\s]+@[^<>\s]+)>\.\.\. ?(.*)$`)
	// reSendmailOwnHost is Sendmail's own line for a host and mailer:
	// "421 example.net (smtp)... Deferred: Connection timed out".
	reSendmailOwnHost = lazyRegexp(`^[245]\d\d(?: [245]\.\d{1,3}\.\d{1,3})? \[?([A-Za-z0-9.:-]+?)\.?\]? \([A-Za-z0-9_-]+\)\.\.\. `)
)

// maxSessionReplies bounds the failing replies kept for one session.
const maxSessionReplies = 32

// sendmailRecipients pairs each recipient line of a Sendmail transcript
// with the reply of its own session. A recipient takes, in order of
// preference, an unclaimed reply of its session that names its address,
// the reply just before its line, the latest unclaimed reply, or (when
// every reply was claimed) the session's last reply if that did not answer
// a single recipient's RCPT: a refused MAIL FROM or DATA refuses every
// recipient of the session, and Sendmail writes a line for each of them.
// A recipient named twice keeps its first line.
func sendmailRecipients(text string) []sessionRecipient {
	if !strings.Contains(text, ">...") {
		return nil // no recipient line
	}
	var out []sessionRecipient
	seen := map[string]bool{}
	host, command := "", ""
	var replies []sessionReply
	var lines []string  // the lines of a multi-line reply read so far
	var output []string // a local mailer's lines outside any session
	justReplied := -1   // index in replies of a reply that was the last line read
	inTranscript := false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if !inTranscript && strings.Contains(strings.ToLower(t), "transcript of session follows") {
			inTranscript = true
			continue
		}
		previous := justReplied
		justReplied = -1
		switch {
		case strings.HasPrefix(strings.ToLower(t), "while talking to ") || strings.HasPrefix(strings.ToLower(t), "... while talking to "):
			_, h, _ := strings.Cut(strings.ToLower(t), "talking to ")
			host = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(h), ":"), ".")
			command, replies, lines, output = "", nil, nil, nil
		case strings.HasPrefix(t, ">>> "):
			command = strings.TrimSpace(t[4:])
		case strings.HasPrefix(t, "<<< "):
			t = strings.TrimSpace(t[4:])
			lines = append(lines, t)
			if len(t) > 3 && t[3] == '-' && len(lines) < maxReplyLines {
				continue // RFC 5321 §4.2.1: not the last line of the reply
			}
			reply := strings.Join(lines, "\n")
			lines = nil
			if host == "" || !isFailingReply(reply) || len(replies) >= maxSessionReplies {
				continue
			}
			cmd := command
			if cmd == "" {
				// usersmtp.c writes the command before the first
				// reply it logs; none before it means the reply was
				// the greeting (RFC 5321 §3.1).
				cmd = "initial connection"
				if len(replies) > 0 {
					cmd = replies[len(replies)-1].command
				}
			}
			replies = append(replies, sessionReply{text: reply, command: cmd})
			justReplied = len(replies) - 1
		default:
			if m := reSendmailOwnRcpt.FindStringSubmatch(t); m != nil {
				a := strings.ToLower(m[3])
				if seen[a] || len(out) >= maxRecipients {
					continue
				}
				seen[a] = true
				rc := sessionRecipient{addr: a, own: t}
				if host != "" {
					rc.host = host
					rc.reply, rc.command = claimReply(replies, a, previous)
				} else {
					rc.output = strings.Join(output, " ")
				}
				output = nil
				out = append(out, rc)
			} else if m := reSendmailOwnHost.FindStringSubmatch(t); m != nil {
				if host != "" && !sameHost(m[1], host) {
					// A line about another host: the session is over.
					host, command, replies = "", "", nil
				}
				output = nil
			} else if inTranscript && host == "" && len(output) < maxOutputLines {
				output = append(output, t)
			}
		}
	}
	return out
}

// maxReplyLines bounds the lines of one multi-line reply, and
// maxOutputLines the lines of a local mailer's output kept for a
// recipient.
const (
	maxReplyLines  = 32
	maxOutputLines = 8
)

// claimReply picks the reply of a session that decided recipient a (see
// sendmailRecipients); previous is the index of the reply read right
// before the recipient's line, or -1.
func claimReply(replies []sessionReply, a string, previous int) (reply, command string) {
	pick := -1
	for i := range replies {
		if !replies[i].claimed && strings.Contains(strings.ToLower(replies[i].text), "<"+a+">") {
			pick = i
			break
		}
	}
	if pick < 0 && previous >= 0 && !replies[previous].claimed {
		pick = previous
	}
	if pick < 0 {
		for i := len(replies) - 1; i >= 0; i-- {
			if !replies[i].claimed {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		if n := len(replies); n > 0 && commandVerb(replies[n-1].command) != "RCPT" {
			return replies[n-1].text, replies[n-1].command
		}
		return "", ""
	}
	replies[pick].claimed = true
	command = replies[pick].command
	if commandVerb(command) == "DATA" && (pick == previous || strings.Contains(strings.ToLower(replies[pick].text), "<"+a+">")) {
		// Sendmail shows only the last command of a pipelined group
		// (RFC 2920), ">>> DATA"; a refusal answered right before a
		// recipient's own line, or naming that recipient, refused its
		// RCPT TO, which the group held.
		command = "RCPT"
	}
	return replies[pick].text, command
}

// isFailingReply says whether a reply refused something: 4xx or 5xx, other
// than 503 (bad sequence), which only follows an earlier refusal.
func isFailingReply(reply string) bool {
	return len(reply) >= 3 && (reply[0] == '4' || reply[0] == '5') && !strings.HasPrefix(reply, "503")
}

// sameHost compares two host names as Sendmail writes them (any case, a
// trailing dot or not).
func sameHost(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
}

// commandVerb reduces a client command as a transcript shows it
// ("RCPT To:<grace@example.org>", "MAIL From:<...> SIZE=100", ".") to the
// verb the rest of the reader uses ("RCPT", "MAIL", "end of DATA").
func commandVerb(cmd string) string {
	if cmd == "initial connection" {
		return cmd
	}
	if strings.TrimSpace(cmd) == "." {
		// The end of the message data (RFC 5321 §4.1.1.4).
		return "end of DATA"
	}
	verb, _, _ := strings.Cut(strings.TrimSpace(cmd), " ")
	verb, _, _ = strings.Cut(verb, ":")
	return strings.ToUpper(verb)
}

// ownReply is what Sendmail's own line for a recipient says when no reply
// of a session concerns it: the reply it quotes ("554 <a>... 550 Host
// unknown" quotes the 550), else its own code and text.
func ownReply(own string) string {
	m := reSendmailOwnRcpt.FindStringSubmatch(own)
	if m == nil {
		return own
	}
	text := strings.TrimSpace(m[4])
	if code, _, _ := normaliseReply(text); code != 0 {
		return text
	}
	reply := m[1]
	if m[2] != "" {
		reply += " " + m[2]
	}
	return reply + " " + text
}

// diagnostic is what says why the recipient failed: its session's reply,
// else a local mailer's words under the code of Sendmail's line, else
// Sendmail's line itself.
func (s sessionRecipient) diagnostic() string {
	switch {
	case s.reply != "":
		return s.reply
	case s.output != "":
		return s.own[:3] + " " + s.output
	}
	return ownReply(s.own)
}

// fromSession reads one recipient of a Sendmail transcript: the reply of
// its session when there is one (with the command it answered and the
// session's host), else the words of a local mailer or Sendmail's own
// about it. trying says the notice is a delay notice (finalRecipient).
func fromSession(s sessionRecipient, trying bool) Recipient {
	reply := s.diagnostic()
	ctx := sanitize.MultiLine(reply + "\n" + s.own)
	var r Result
	if isHostName(s.host) {
		r.ReceivingHost = s.host
	}
	finish(&r, "", sanitize.MultiLine(reply), ctx)
	if r.Stage == "" && s.reply != "" {
		r.Stage = sanitize.Text(commandVerb(s.command))
	}
	r.Reason = classify(&r, ctx)
	// As for every plain-text notice (fromText): a temporary reply that
	// ended a failure notice is an expiry.
	rc := finalRecipient(r, trying)
	rc.Recipient = sanitize.Text(s.addr)
	return rc
}
