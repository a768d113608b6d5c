package maillog

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// Outcome is what one delivery attempt came to.
type Outcome string

const (
	Delivered Outcome = "delivered" // Postfix status=sent, Exim => and ->
	Deferred  Outcome = "deferred"  // a temporary failure: retried later or at the next address
	Bounced   Outcome = "bounced"   // a permanent failure
)

// Event is one delivery attempt read from one log line.
type Event struct {
	Time time.Time // zero when the line has no time we can read
	MTA  string    // "postfix" or "exim"
	// Proc names the sequence a per-address line belongs to: Postfix's
	// "postfix/smtp[21977]" (its lines without a recipient belong to the
	// next recipient line of the same process), Exim's message id (its
	// per-host lines precede the delivery line of the same message).
	Proc    string
	QueueID string // Postfix queue id or Exim message id
	// Recipient is empty on Postfix's per-address lines ("host X[addr]
	// said:", "connect to X[addr]:25: ..."), which precede the line that
	// names the recipient.
	Recipient string
	RelayHost string
	RelayIP   netip.Addr // invalid when the line names none (relay=none, an Exim routing failure)
	Outcome   Outcome
	DSN       string // Postfix dsn=
	Reply     string // the reply or reason text, as logged
	// Final is false for a per-address line: Postfix moved on to the next
	// address (or gave up for this delivery) without a verdict for the
	// recipient yet.
	Final bool
}

// Family is "ipv4", "ipv6", or "" when the relay address is unknown
// (pkg/addr's one rule for IPv4-mapped addresses).
func (e Event) Family() string {
	if !e.RelayIP.IsValid() {
		return ""
	}
	return addr.Family(e.RelayIP)
}

// Domain is the recipient's domain, lower case.
func (e Event) Domain() string {
	_, d, ok := strings.Cut(e.Recipient, "@")
	if !ok {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(d, "."))
}

// ParseLine reads one log line. loc is the zone of times written without
// one (traditional syslog and Exim's default), year the year of syslog
// times, which have none. ok is false for lines that are not a delivery
// attempt (qmgr, smtpd, cleanup, Exim arrivals and the rest).
func ParseLine(line string, year int, loc *time.Location) (e Event, ok bool) {
	line = strings.TrimRight(line, "\r\n")
	if t, rest, isExim := eximHead(line, loc); isExim {
		if e, ok = parseExim(rest); !ok {
			return Event{}, false
		}
		e.Time = t
		return e, true
	}
	t, rest := syslogHead(line, year, loc)
	if rest == "" {
		return Event{}, false
	}
	// "HOST postfix/smtp[123]: MESSAGE": the host name, then the process.
	_, rest, _ = strings.Cut(rest, " ")
	proc, msg, found := strings.Cut(rest, ": ")
	if !found || !strings.HasPrefix(proc, "postfix") || !strings.HasSuffix(proc, "]") {
		return Event{}, false
	}
	if e, ok = parsePostfix(msg); !ok {
		return Event{}, false
	}
	e.Time, e.Proc = t, proc
	return e, true
}

// syslogHead reads the time stamp of a syslog or journal line: "Nov 29
// 10:12:01" (RFC 3164, journalctl's short form; fractions with
// short-precise), RFC 3339 ("2026-11-29T10:12:01.123+01:00", rsyslog's
// high-precision form, journalctl -o short-iso) or seconds since the epoch
// (journalctl -o short-unix). It returns the rest of
// the line after the time; rest is empty when there is no time stamp.
func syslogHead(line string, year int, loc *time.Location) (time.Time, string) {
	if len(line) > 20 && line[4] == '-' && line[10] == 'T' {
		stamp, rest, _ := strings.Cut(line, " ")
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700"} {
			if t, err := time.Parse(layout, stamp); err == nil {
				return t, rest
			}
		}
		return time.Time{}, rest
	}
	if len(line) > 12 && line[0] >= '1' && line[0] <= '9' && line[10] == '.' {
		// journalctl -o short-unix: "1764411121.123456 HOST ...".
		stamp, rest, _ := strings.Cut(line, " ")
		sec, frac, _ := strings.Cut(stamp, ".")
		s, err1 := strconv.ParseInt(sec, 10, 64)
		f, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 != nil || err2 != nil {
			return time.Time{}, ""
		}
		return time.Unix(s, f).In(loc), rest
	}
	if len(line) < 16 || line[3] != ' ' || line[6] != ' ' || line[9] != ':' {
		return time.Time{}, ""
	}
	end := 15
	if line[end] == '.' {
		for end++; end < len(line) && line[end] >= '0' && line[end] <= '9'; end++ {
		}
	}
	if end >= len(line) || line[end] != ' ' {
		return time.Time{}, ""
	}
	t, err := time.ParseInLocation("Jan _2 15:04:05.999999999", line[:end], loc)
	if err != nil {
		return time.Time{}, line[end+1:]
	}
	return t.AddDate(year, 0, 0), line[end+1:]
}

// parsePostfix reads the message part of a Postfix smtp(8)/lmtp(8) line
// (Postfix smtp_trouble.c, log_adhoc.c):
//
//	QUEUEID: to=<rcpt>, [orig_to=<..>,] relay=host[ip]:port, delay=.., delays=.., dsn=X.Y.Z, status=sent|deferred|bounced (reply)
//	QUEUEID: host host[ip] said: REPLY (in reply to RCPT TO command)
//	QUEUEID: lost connection with host[ip] while receiving the initial server greeting
//	QUEUEID: conversation with host[ip] timed out while sending end of data
//	connect to host[ip]:25: Connection timed out
//
// Deliveries to local, virtual, pipe and other non-SMTP relays
// (relay=local, relay=dovecot) are not attempts over a family: skipped.
func parsePostfix(msg string) (Event, bool) {
	e := Event{MTA: "postfix"}
	if qid, rest, ok := strings.Cut(msg, ": "); ok && isQueueID(qid) && strings.HasPrefix(rest, "connect to ") {
		// The same line with the queue id in front, as some versions
		// write it.
		e.QueueID, msg = qid, rest
	}
	if rest, ok := strings.CutPrefix(msg, "connect to "); ok {
		host, ip, tail := hostBracket(rest)
		if !ip.IsValid() {
			return Event{}, false
		}
		_, reason, _ := strings.Cut(tail, ": ")
		e.RelayHost, e.RelayIP, e.Outcome, e.Reply = host, ip, Deferred, "connect to "+host+"["+ip.String()+"]: "+reason
		return e, true
	}
	qid, rest, ok := strings.Cut(msg, ": ")
	if !ok || !isQueueID(qid) {
		return Event{}, false
	}
	e.QueueID = qid
	for _, prefix := range []string{"lost connection with ", "conversation with "} {
		// "lost connection with X[addr] while receiving the initial
		// server greeting", "conversation with X[addr] timed out while
		// sending end of data": per-address failures (smtp_trouble.c).
		if r, ok := strings.CutPrefix(rest, prefix); ok {
			host, ip, _ := hostBracket(r)
			if !ip.IsValid() {
				return Event{}, false
			}
			e.RelayHost, e.RelayIP, e.Outcome, e.Reply = host, ip, Deferred, rest
			return e, true
		}
	}
	if r, ok := strings.CutPrefix(rest, "host "); ok {
		host, ip, tail := hostBracket(r)
		reply, said := strings.CutPrefix(tail, " said: ")
		if !ip.IsValid() || !said {
			if reply, said = strings.CutPrefix(tail, " refused to talk to me: "); !ip.IsValid() || !said {
				return Event{}, false
			}
		}
		e.RelayHost, e.RelayIP, e.Reply = host, ip, reply
		e.Outcome = Deferred
		if strings.HasPrefix(reply, "5") {
			e.Outcome = Bounced
		}
		return e, true
	}
	rcpt, ok := strings.CutPrefix(rest, "to=<")
	if !ok {
		return Event{}, false
	}
	rcpt, fields, ok := strings.Cut(rcpt, ">")
	if !ok || rcpt == "" {
		return Event{}, false
	}
	e.Recipient, e.Final = rcpt, true
	status := ""
	for fields != "" {
		var f string
		f, fields, _ = strings.Cut(strings.TrimPrefix(fields, ", "), ", ")
		switch {
		case strings.HasPrefix(f, "relay="):
			v := f[len("relay="):]
			if v == "none" {
				break
			}
			host, ip, _ := hostBracket(v)
			if !ip.IsValid() {
				return Event{}, false // relay=local, relay=dovecot: not SMTP
			}
			e.RelayHost, e.RelayIP = host, ip
		case strings.HasPrefix(f, "dsn="):
			e.DSN = f[len("dsn="):]
		case strings.HasPrefix(f, "status="):
			// status=WORD (reply), and the reply may hold ", ".
			v := f[len("status="):]
			if fields != "" {
				v += ", " + fields
			}
			status, e.Reply, _ = strings.Cut(v, " ")
			fields = ""
		}
	}
	e.Reply = strings.TrimSuffix(strings.TrimPrefix(e.Reply, "("), ")")
	switch status {
	case "sent":
		e.Outcome = Delivered
	case "deferred":
		e.Outcome = Deferred
	case "bounced", "expired":
		e.Outcome = Bounced
	default:
		return Event{}, false // deliverable/undeliverable (address verification) and the like
	}
	if !e.RelayIP.IsValid() {
		// relay=none: the reply names the last address tried ("connect to
		// X[addr]:25: Network is unreachable").
		if i := strings.Index(e.Reply, "connect to "); i >= 0 {
			e.RelayHost, e.RelayIP, _ = hostBracket(e.Reply[i+len("connect to "):])
		}
	}
	return e, true
}

// isQueueID accepts Postfix's short (hex) and long (enable_long_queue_ids)
// queue ids, and NOQUEUE is not one.
func isQueueID(s string) bool {
	if len(s) < 5 || len(s) > 32 || s == "NOQUEUE" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// hostBracket reads "host[ip]" (Postfix) at the start of s, with an
// optional ":port", and returns the rest.
func hostBracket(s string) (host string, ip netip.Addr, rest string) {
	i := strings.IndexByte(s, '[')
	if i <= 0 {
		return "", netip.Addr{}, s
	}
	j := strings.IndexByte(s[i:], ']')
	if j < 0 {
		return "", netip.Addr{}, s
	}
	ip, err := netip.ParseAddr(s[i+1 : i+j])
	if err != nil {
		return "", netip.Addr{}, s
	}
	rest = s[i+j+1:]
	if len(rest) > 1 && rest[0] == ':' && rest[1] >= '0' && rest[1] <= '9' {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		rest = rest[k:]
	}
	return s[:i], ip.Unmap(), rest
}

// eximHead reads the time stamp of an Exim main log line, "2026-11-29
// 10:12:01" with optional ".123" (+millisec) and " +0100" (log_timezone),
// then an optional "[pid]" (+pid).
func eximHead(line string, loc *time.Location) (time.Time, string, bool) {
	if len(line) < 20 || line[4] != '-' || line[10] != ' ' || line[13] != ':' {
		return time.Time{}, "", false
	}
	end := 19
	if line[end] == '.' {
		for end++; end < len(line) && line[end] >= '0' && line[end] <= '9'; end++ {
		}
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", line[:end], loc)
	if err != nil {
		return time.Time{}, "", false
	}
	rest := strings.TrimPrefix(line[end:], " ")
	if len(rest) > 5 && (rest[0] == '+' || rest[0] == '-') && rest[1] >= '0' && rest[1] <= '9' {
		if z, err := time.Parse("2006-01-02 15:04:05.999999999 -0700", line[:end]+" "+rest[:5]); err == nil {
			t = z
		}
		rest = strings.TrimPrefix(rest[5:], " ")
	}
	if strings.HasPrefix(rest, "[") {
		if _, after, ok := strings.Cut(rest, "] "); ok {
			rest = after
		}
	}
	return t, rest, true
}

// parseExim reads an Exim delivery line after the time (Exim spec,
// "Log files": => delivered, -> further address delivered in the same
// transaction, == deferred, ** failed), or a per-host line:
//
//	MSGID => rcpt [<orig>] R=router T=transport H=host [ip]:port ... C="250 ..."
//	MSGID == rcpt R=dnslookup T=remote_smtp defer (-44) H=host [ip]: SMTP error from remote mail server after RCPT TO:<rcpt>: 450 ...
//	MSGID ** rcpt R=dnslookup T=remote_smtp H=host [ip]: SMTP error from remote mail server after end of data: 550 ...
//	MSGID H=host [ip]: SMTP error from remote mail server after initial connection: 421 ...
//	MSGID H=host [ip] Connection refused
func parseExim(rest string) (Event, bool) {
	e := Event{MTA: "exim", Final: true}
	id, rest, ok := strings.Cut(rest, " ")
	if !ok || strings.Count(id, "-") != 2 {
		return Event{}, false
	}
	e.Proc, e.QueueID = id, id
	if strings.HasPrefix(rest, "H=") {
		return parseEximHost(e, rest)
	}
	flag, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return Event{}, false
	}
	switch flag {
	case "=>", "->":
		e.Outcome = Delivered
	case "==":
		e.Outcome = Deferred
	case "**":
		e.Outcome = Bounced
	default:
		return Event{}, false
	}
	e.QueueID = id
	rcpt, rest, _ := strings.Cut(rest, " ")
	e.Recipient = strings.TrimSuffix(strings.Trim(rcpt, "<>"), ":")
	if e.Recipient == "" || strings.HasPrefix(e.Recipient, "/") || strings.HasPrefix(e.Recipient, "|") {
		return Event{}, false // a file or pipe delivery
	}
	if i := strings.Index(rest, "H="); i >= 0 && (i == 0 || rest[i-1] == ' ') {
		if name, ip, tail := eximHost(rest[i+2:]); ip.IsValid() {
			e.RelayHost, e.RelayIP, rest = name, ip, tail
		}
	}
	if e.Outcome == Delivered {
		if i := strings.Index(rest, ` C="`); i >= 0 {
			e.Reply, _, _ = strings.Cut(rest[i+4:], `"`)
		}
	} else if _, reply, ok := strings.Cut(rest, ": "); ok {
		e.Reply = eximUnescape(reply)
	} else {
		e.Reply = strings.TrimSpace(rest)
	}
	return e, true
}

// eximUnescape restores the line breaks of a multi-line reply, which Exim
// writes into its log as the two characters `\n` ("550-5.7.1 ...
// does\n550-5.7.1 not meet ..."; Exim's string_printing), so that the
// reply reads as the receiver sent it and its continuation codes can be
// taken off.
//
// string_printing escapes non-printing bytes only, never a backslash, so a
// reply's own backslash before an n reads the same as a line break; a
// line break is what replies carry, so `\n` is read as one.
func eximUnescape(reply string) string { return strings.ReplaceAll(reply, `\n`, "\n") }

// eximHost reads "host [ip]:port" or "[ip]" (no name) after Exim's "H=".
func eximHost(h string) (name string, ip netip.Addr, rest string) {
	if !strings.HasPrefix(h, "[") {
		name, h, _ = strings.Cut(h, " ")
	}
	_, ip, rest = hostBracket("h" + h)
	return name, ip, rest
}

// parseEximHost reads the line Exim's smtp transport writes for each host
// that fails before the delivery moves on (transports/smtp.c write_logs):
// "H=host [ip]: MESSAGE" or "H=host [ip] ERRNO TEXT". Like Postfix's
// per-address lines it names no recipient: the message's delivery line
// that follows does. A 5xx reply is a permanent failure at that host, any
// other failure a temporary one.
func parseEximHost(e Event, rest string) (Event, bool) {
	name, ip, tail := eximHost(rest[len("H="):])
	if !ip.IsValid() {
		return Event{}, false
	}
	e.RelayHost, e.RelayIP, e.Final = name, ip, false
	e.Reply = eximUnescape(strings.TrimSpace(strings.TrimPrefix(tail, ":")))
	e.Outcome = Deferred
	// "SMTP error from remote mail server after COMMAND: REPLY": the first
	// ": " after the command ("RCPT TO:<a@b>" has none) precedes the reply.
	if i := strings.Index(e.Reply, "SMTP error from remote "); i >= 0 {
		if _, reply, ok := strings.Cut(e.Reply[i:], ": "); ok && strings.HasPrefix(reply, "5") {
			e.Outcome = Bounced
		}
	}
	return e, true
}
