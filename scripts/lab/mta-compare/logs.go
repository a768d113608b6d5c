package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// delivery is one delivery attempt of one message as an MTA logged it: the
// addresses it connected to, in order, and how the attempt ended.
type delivery struct {
	Domain string   // recipient domain
	Status string   // deferred, bounced, sent, expired...
	DSN    string   // "4.4.1", "5.1.0" (Postfix); "" when the MTA logs none
	Order  []string // IP addresses in attempt order
	// Stream names the process whose random sequence chose the order
	// ("smtp[PID]" for Postfix, whose smtp(8) processes each serve many
	// deliveries); "" when every delivery is its own process (Exim -odi).
	Stream string
}

// maxLogLine bounds one log line; longer lines are cut (they are ours, but
// a log read must still be bounded).
const maxLogLine = 64 << 10

var (
	// postfix/smtp[PID]: connect to HOST[ADDR]:PORT: REASON
	pfConnect = regexp.MustCompile(`postfix/smtp\[(\d+)\]: connect to [^\[\s]+\[([0-9A-Fa-f:.]+)\]:\d+: `)
	// postfix/smtp[PID]: QUEUEID: host HOST[ADDR] refused to talk to me: ...
	// postfix/smtp[PID]: QUEUEID: lost connection with HOST[ADDR] while ...
	// postfix/smtp[PID]: QUEUEID: conversation with HOST[ADDR] timed out while ...
	// A session with a server that failed before mail transfer, on a server
	// that was not the last one tried (smtp_trouble.c logs it and goes on).
	pfSession = regexp.MustCompile(`postfix/smtp\[(\d+)\]: [0-9A-Za-z]+: (?:host|lost connection with|conversation with) [^\[\s]+\[([0-9A-Fa-f:.]+)\]`)
	// postfix/smtp[PID]: QUEUEID: to=<RCPT>, relay=HOST[ADDR]:PORT|none, ..., dsn=X.Y.Z, status=WORD
	pfStatus    = regexp.MustCompile(`postfix/smtp\[(\d+)\]: [0-9A-Za-z]+: to=<[^>]*@([^>]+)>, (?:orig_to=<[^>]*>, )?relay=([^,]+), .*?dsn=([0-9.]+), status=(\w+)`)
	pfRelayAddr = regexp.MustCompile(`^[^\[\s]*\[([0-9A-Fa-f:.]+)\]:\d+$`)
)

// parsePostfixLog reads a Postfix maillog and returns one delivery per
// smtp(8) status line.
//
// How the order is read (research/lab-notes.md, "Reading the order from the
// log"): one smtp process handles one delivery at a time, so its lines are
// grouped by PID. Every failed connect has its own "connect to" line; a
// failed session on a server that was not the last one tried has a
// "host ... refused to talk to me" (or lost connection, timeout) line; the
// session with the last server tried appears only as relay=HOST[ADDR] in the
// status line, which closes the delivery. Without that last address every
// delivery that ended in a session would be undercounted by one.
func parsePostfixLog(r io.Reader) ([]delivery, error) {
	pending := map[string][]string{} // smtp PID -> addresses so far
	var out []delivery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLogLine)
	for sc.Scan() {
		line := sc.Text()
		if m := pfStatus.FindStringSubmatch(line); m != nil {
			pid, domain, relay, dsn, status := m[1], strings.ToLower(m[2]), m[3], m[4], m[5]
			order := pending[pid]
			delete(pending, pid)
			if rm := pfRelayAddr.FindStringSubmatch(relay); rm != nil {
				ip, err := canonIP(rm[1])
				if err != nil {
					return nil, fmt.Errorf("postfix log: %w in %q", err, line)
				}
				order = append(order, ip)
			}
			out = append(out, delivery{Domain: domain, Status: status, DSN: dsn, Order: order, Stream: "smtp[" + pid + "]"})
			continue
		}
		m := pfConnect.FindStringSubmatch(line)
		if m == nil {
			m = pfSession.FindStringSubmatch(line)
		}
		if m != nil {
			ip, err := canonIP(m[2])
			if err != nil {
				return nil, fmt.Errorf("postfix log: %w in %q", err, line)
			}
			pending[m[1]] = append(pending[m[1]], ip)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("postfix log: %w", err)
	}
	return out, nil
}

var (
	// DATE TIME MSGID H=HOST [ADDR] REASON   or   DATE TIME MSGID H=HOST [ADDR]: REASON
	exAttempt = regexp.MustCompile(`^\S+ \S+ (\S+) H=\S+ \[([0-9A-Fa-f:.]+)\](?::\d+)?[: ]`)
	// DATE TIME MSGID == RCPT ...   (defer)   ** RCPT ...  (fail)   => RCPT ... (delivered)
	exFinal = regexp.MustCompile(`^\S+ \S+ (\S+) (==|\*\*|=>|->) <?[^@\s<>]+@([^\s:>]+)>?`)
)

// parseEximLog reads an Exim mainlog written with one `exim -odi` run per
// message: the transport logs one "H=HOST [ADDR] ..." line per address it
// tried (a refused connect, a 4xx greeting), in order, then one line per
// recipient that says how the run ended (== defer, ** fail, => delivered).
func parseEximLog(r io.Reader) ([]delivery, error) {
	pending := map[string][]string{}
	var out []delivery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLogLine)
	for sc.Scan() {
		line := sc.Text()
		if m := exFinal.FindStringSubmatch(line); m != nil {
			id, flag, domain := m[1], m[2], strings.ToLower(m[3])
			status := map[string]string{"==": "deferred", "**": "bounced", "=>": "sent", "->": "sent"}[flag]
			out = append(out, delivery{Domain: domain, Status: status, Order: pending[id]})
			delete(pending, id)
			continue
		}
		if m := exAttempt.FindStringSubmatch(line); m != nil {
			ip, err := canonIP(m[2])
			if err != nil {
				return nil, fmt.Errorf("exim log: %w in %q", err, line)
			}
			pending[m[1]] = append(pending[m[1]], ip)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("exim log: %w", err)
	}
	return out, nil
}

var (
	// makeconnection (HOST. [ADDR].PORT (FAMILY)): Sendmail's -d16.1 debug
	// line before each connect (daemon.c makeconnection); IPv6 addresses
	// are written "IPv6:2001:db8:0:0:0:0:0:1".
	smConnect = regexp.MustCompile(`^makeconnection \(\S+ \[(?:IPv6:)?([0-9A-Fa-f:.]+)\]\.\d+ \(\d+\)\)$`)
	// == delivery DOMAIN / == end STATUS: the lab's markers around one
	// `sendmail -odi` run (one message, one process).
	smStart = regexp.MustCompile(`^== delivery (\S+)$`)
	smEnd   = regexp.MustCompile(`^== end (\w+)$`)
)

// parseSendmailLog reads the debug output of one `sendmail -d16.1 -odi`
// run per message, each framed by the lab's "== delivery DOMAIN" and
// "== end STATUS" lines: every connect attempt has its makeconnection
// line, in order. Sendmail logs attempts to syslog only at LogLevel 14
// and above, and the lab has no syslog; the debug output needs neither.
func parseSendmailLog(r io.Reader) ([]delivery, error) {
	return parseFramedLog(r, "sendmail log", func(line string) (string, uint32, bool) {
		m := smConnect.FindStringSubmatch(line)
		if m == nil {
			return "", 0, false
		}
		return m[1], 0, true
	})
}

// osConnect is OpenSMTPD's line before each connect (mta_session.c
// mta_connect: "ID mta connecting address=SCHEME://ADDR:PORT host=NAME",
// an IPv6 ADDR in brackets), logged at info level, so smtpd -d prints it.
var osConnect = regexp.MustCompile(`^([0-9a-f]{8})[0-9a-f]{8} mta connecting address=[a-z+]+://\[?([0-9A-Fa-f:.]+?)\]?:\d+ host=`)

// parseOpenSMTPDLog reads the output of one foreground smtpd per message,
// framed like Sendmail's runs, and returns the addresses in the order the
// mta chose them, which is not always the order of the connect lines: a
// session is created when mta_find_route picks its route, and logs its
// connect only after a PTR lookup of the address, so on a loaded machine
// a session started 2 s later (conn-delay-relay, while the first is still
// waiting) can log first. The session ID's upper 32 bits count up per
// process (util.c generate_uid), so they give the creation order. The
// walk ends at the first address tried again: a route is disabled for
// 15 s after a failure, and a walk slower than that starts over.
func parseOpenSMTPDLog(r io.Reader) ([]delivery, error) {
	ds, err := parseFramedLog(r, "opensmtpd log", func(line string) (string, uint32, bool) {
		m := osConnect.FindStringSubmatch(line)
		if m == nil {
			return "", 0, false
		}
		var seq uint32
		if _, err := fmt.Sscanf(m[1], "%x", &seq); err != nil {
			return "", 0, false
		}
		return m[2], seq, true
	})
	for i, d := range ds {
		for j, ip := range d.Order {
			if slices.Contains(d.Order[:j], ip) {
				ds[i].Order = d.Order[:j]
				break
			}
		}
	}
	return ds, err
}

// parseFramedLog reads one delivery per "== delivery DOMAIN" ... "== end
// STATUS" frame. connect recognises an attempt's line and returns its
// address and its place in the attempt order: a counter that may wrap,
// compared as a difference from the frame's first (0 everywhere: line
// order).
func parseFramedLog(r io.Reader, what string, connect func(string) (string, uint32, bool)) ([]delivery, error) {
	var out []delivery
	var cur *delivery
	var seqs []uint32
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLogLine)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case smStart.MatchString(line):
			if cur != nil {
				return nil, fmt.Errorf("%s: delivery to %s has no end line", what, cur.Domain)
			}
			cur = &delivery{Domain: strings.ToLower(smStart.FindStringSubmatch(line)[1])}
			seqs = seqs[:0]
		case smEnd.MatchString(line):
			if cur == nil {
				return nil, fmt.Errorf("%s: %q outside a delivery", what, line)
			}
			cur.Status = smEnd.FindStringSubmatch(line)[1]
			idx := make([]int, len(cur.Order))
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int {
				return cmp.Compare(int32(seqs[a]-seqs[0]), int32(seqs[b]-seqs[0]))
			})
			order := make([]string, len(idx))
			for i, j := range idx {
				order[i] = cur.Order[j]
			}
			if len(order) > 0 {
				cur.Order = order
			}
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			raw, seq, ok := connect(line)
			if !ok {
				continue
			}
			ip, err := canonIP(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w in %q", what, err, line)
			}
			cur.Order = append(cur.Order, ip)
			seqs = append(seqs, seq)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s: delivery to %s has no end line", what, cur.Domain)
	}
	return out, nil
}

// canonIP returns the canonical text form of an address (RFC 5952 for IPv6),
// so log text and the model's JSON compare equal. An IPv4-mapped address
// is a dual-stack socket's way of printing an IPv4 peer: it becomes IPv4.
func canonIP(s string) (string, error) {
	a, err := addr.ParseLiteralZone(s)
	if err != nil {
		return "", fmt.Errorf("bad address %q", s)
	}
	return a.Unmap().String(), nil
}

// isIPv6 reports whether a connection to ip (log text or canonIP's form)
// used IPv6: the socket's family, so an IPv4-mapped address is IPv4.
func isIPv6(ip string) bool {
	a, err := addr.ParseLiteralZone(ip)
	return err == nil && addr.Family(a.Unmap()) == addr.IPv6
}

// writeDeliveries writes deliveries as TSV: domain, status, dsn, order,
// stream.
func writeDeliveries(w io.Writer, ds []delivery) error {
	bw := bufio.NewWriter(w)
	for _, d := range ds {
		dsn := d.DSN
		if dsn == "" {
			dsn = "-"
		}
		stream := d.Stream
		if stream == "" {
			stream = "-"
		}
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\n", d.Domain, d.Status, dsn, strings.Join(d.Order, ","), stream)
	}
	return bw.Flush()
}

// readDeliveries reads the TSV written by writeDeliveries (and the older
// four-field form, without the stream).
func readDeliveries(r io.Reader) ([]delivery, error) {
	var out []delivery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLogLine)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 && len(f) != 5 {
			return nil, fmt.Errorf("deliveries line %d: want 5 tab-separated fields, got %d", n, len(f))
		}
		d := delivery{Domain: f[0], Status: f[1], DSN: f[2]}
		if len(f) == 5 && f[4] != "-" {
			d.Stream = f[4]
		}
		if d.DSN == "-" {
			d.DSN = ""
		}
		if f[3] != "" {
			d.Order = strings.Split(f[3], ",")
		}
		out = append(out, d)
	}
	return out, sc.Err()
}
