// Package logtest writes mail logs for tests and benchmarks: Postfix
// syslog lines in the shapes Postfix 3.x writes them (smtp_trouble.c,
// log_adhoc.c, qmgr, cleanup, smtpd) and Exim main log lines (<=, =>, ==,
// **, Completed), with documentation addresses only, and the counts a
// reader must find in them.
package logtest

import (
	"fmt"
	"io"
	"time"
)

// Counts is what a generated log holds for one destination and family.
type Counts struct{ Attempts, Delivered, Deferred, Bounced int }

// Expected is what a generated log holds, per destination domain and
// family ("ipv4", "ipv6").
type Expected struct {
	Lines int
	// Per domain, then family.
	Dest map[string]map[string]*Counts
	// FallbackDelivered counts recipients deferred over IPv6, then
	// delivered over IPv4 (here in the same delivery: Postfix tried the
	// next address).
	FallbackDelivered int
}

func (x *Expected) add(domain, family string, c Counts) {
	if x.Dest[domain] == nil {
		x.Dest[domain] = map[string]*Counts{}
	}
	d := x.Dest[domain][family]
	if d == nil {
		d = &Counts{}
		x.Dest[domain][family] = d
	}
	d.Attempts += c.Attempts
	d.Delivered += c.Delivered
	d.Deferred += c.Deferred
	d.Bounced += c.Bounced
}

// GmailPTRReply is Gmail's rejection of an IPv6 sender without PTR, as
// Postfix logs it (one line, continuation codes kept).
const GmailPTRReply = `550-5.7.1 [2001:db8::25      12] Our system has detected that this message does 550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information 550 5.7.1 . %s - gsmtp`

// Postfix writes a log of n messages from a dual-stack Postfix host,
// starting at start, one message every 7 seconds, cycling through:
//
//   - gmail.com over IPv6: rejected with Gmail's 550 PTR reply after DATA;
//   - gmail.com over IPv4: delivered;
//   - gmail.com: 421 over IPv6 ("host X said:" line), then delivered over
//     IPv4 in the same delivery (Postfix tries the next address);
//   - example.net over IPv4: delivered;
//   - example.com: "connect to ...: Network is unreachable" over IPv6, then
//     deferred with relay=none;
//
// each with the smtpd, cleanup, qmgr and removed lines around it.
func Postfix(w io.Writer, n int, start time.Time) (Expected, error) {
	x := Expected{Dest: map[string]map[string]*Counts{}}
	var err error
	line := func(t time.Time, proc string, pid int, format string, args ...any) {
		if err != nil {
			return
		}
		x.Lines++
		_, err = fmt.Fprintf(w, "%s mail postfix/%s[%d]: %s\n", t.Format(time.Stamp), proc, pid, fmt.Sprintf(format, args...))
	}
	const gmail6, gmail4 = "gmail-smtp-in.l.google.com[2001:db8:4860::1b]:25", "gmail-smtp-in.l.google.com[192.0.2.27]:25"
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(i) * 7 * time.Second)
		qid := fmt.Sprintf("4F%08X", i)
		pid := 2000 + i%50
		line(t, "smtpd", 1000+i%9, "%s: client=submit.example.org[198.51.100.%d]", qid, 1+i%200)
		line(t, "cleanup", 900, "%s: message-id=<%d@example.org>", qid, i)
		line(t, "qmgr", 800, "%s: from=<alice@example.org>, size=%d, nrcpt=1 (queue active)", qid, 1000+i)
		switch i % 5 {
		case 0:
			line(t, "smtp", pid, "%s: to=<u%d@gmail.com>, relay=%s, delay=1.4, delays=0.05/0.01/0.32/1, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2001:db8:4860::1b] said: "+GmailPTRReply+" (in reply to end of DATA command))",
				qid, i, gmail6, fmt.Sprintf("o%dsi%dwrq.%d", i%97, i, i%60))
			line(t, "bounce", 700, "%s: sender non-delivery notification: 5B%08X", qid, i)
			x.add("gmail.com", "ipv6", Counts{Attempts: 1, Bounced: 1})
		case 1:
			line(t, "smtp", pid, "%s: to=<u%d@gmail.com>, relay=%s, delay=0.9, delays=0.05/0.01/0.3/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 x%dsi.%d - gsmtp)", qid, i, gmail4, i, i%60)
			x.add("gmail.com", "ipv4", Counts{Attempts: 1, Delivered: 1})
		case 2:
			line(t, "smtp", pid, "%s: host gmail-smtp-in.l.google.com[2001:db8:4860::1b] said: 421-4.7.0 [2001:db8::25] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. %d - gsmtp (in reply to end of DATA command)", qid, i)
			line(t, "smtp", pid, "%s: to=<u%d@gmail.com>, relay=%s, delay=2.1, delays=0.05/0.01/1.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 y%dsi.%d - gsmtp)", qid, i, gmail4, i, i%60)
			x.add("gmail.com", "ipv6", Counts{Attempts: 1, Deferred: 1})
			x.add("gmail.com", "ipv4", Counts{Attempts: 1, Delivered: 1})
			x.FallbackDelivered++
		case 3:
			line(t, "smtp", pid, "%s: to=<v%d@example.net>, relay=mx.example.net[198.51.100.70]:25, delay=0.5, delays=0.05/0.01/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9A%07X)", qid, i, i)
			x.add("example.net", "ipv4", Counts{Attempts: 1, Delivered: 1})
		case 4:
			// Postfix logs each address it gave up on, and the last one's
			// reason in the recipient's line (smtp_connect.c).
			line(t, "smtp", pid, "connect to mx.example.com[2001:db8:5::25]:25: Network is unreachable")
			line(t, "smtp", pid, "%s: to=<w%d@example.com>, relay=none, delay=30, delays=0.05/0.01/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.80]:25: Connection timed out)", qid, i)
			x.add("example.com", "ipv6", Counts{Attempts: 1, Deferred: 1})
			x.add("example.com", "ipv4", Counts{Attempts: 1, Deferred: 1})
		}
		if i%5 != 4 {
			line(t, "qmgr", 800, "%s: removed", qid)
		}
	}
	return x, err
}

// Exim writes an Exim main log of n messages from a dual-stack host,
// starting at start, one message every 7 seconds, cycling through:
//
//   - gmail.com over IPv6: failed (**) with Gmail's 550 PTR reply;
//   - gmail.com: deferred (==) over IPv6 with Gmail's 421, delivered (=>)
//     over IPv4 at the next queue run (the same message id);
//   - example.net over IPv4: delivered;
//   - example.org: 421 greeting over IPv6 (a per-host line), delivered
//     over IPv4 in the same delivery (Exim tries the next host);
//   - example.org: 421 greeting over both families, then deferred (==):
//     the last host's failure is logged twice, per host and in the ==
//     line (transports/smtp.c write_logs, deliver.c), one attempt;
//
// each with its arrival (<=) and Completed lines.
func Exim(w io.Writer, n int, start time.Time) (Expected, error) {
	x := Expected{Dest: map[string]map[string]*Counts{}}
	var err error
	line := func(t time.Time, format string, args ...any) {
		if err != nil {
			return
		}
		x.Lines++
		_, err = fmt.Fprintf(w, "%s %s\n", t.Format("2006-01-02 15:04:05"), fmt.Sprintf(format, args...))
	}
	for i := 0; i < n; i++ {
		t := start.Add(time.Duration(i) * 7 * time.Second)
		id := fmt.Sprintf("1t%04X-%06X-AB", i%65536, i)
		line(t, "%s <= alice@example.org H=submit.example.org [198.51.100.%d] P=esmtpsa S=%d", id, 1+i%200, 1000+i)
		const org6, org4 = "H=mx.example.org [2001:db8:6::25]", "H=mx.example.org [198.51.100.80]"
		const greet421 = ": SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available"
		switch i % 5 {
		case 0:
			line(t, "%s ** u%d@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [2001:db8:4860::1b]: SMTP error from remote mail server after end of data: "+GmailPTRReply,
				id, i, fmt.Sprintf("e%dsi%d", i%97, i))
			x.add("gmail.com", "ipv6", Counts{Attempts: 1, Bounced: 1})
		case 1:
			line(t, "%s == u%d@gmail.com R=dnslookup T=remote_smtp defer (-46) H=gmail-smtp-in.l.google.com [2001:db8:4860::1b]: SMTP error from remote mail server after end of data: 421-4.7.0 [2001:db8::25] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. %d - gsmtp", id, i, i)
			line(t.Add(5*time.Second), "%s => u%d@gmail.com R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [192.0.2.27] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 2.0.0 OK  1700000000 z%dsi - gsmtp\"", id, i, i)
			x.add("gmail.com", "ipv6", Counts{Attempts: 1, Deferred: 1})
			x.add("gmail.com", "ipv4", Counts{Attempts: 1, Delivered: 1})
			x.FallbackDelivered++
		case 2:
			line(t, "%s => v%d@example.net R=dnslookup T=remote_smtp H=mx.example.net [198.51.100.70] C=\"250 2.0.0 Ok: queued as 9A%07X\"", id, i, i)
			x.add("example.net", "ipv4", Counts{Attempts: 1, Delivered: 1})
		case 3:
			line(t, "%s %s%s", id, org6, greet421)
			line(t, "%s => x%d@example.org R=dnslookup T=remote_smtp %s C=\"250 2.0.0 Ok: queued as 9B%07X\"", id, i, org4, i)
			x.add("example.org", "ipv6", Counts{Attempts: 1, Deferred: 1})
			x.add("example.org", "ipv4", Counts{Attempts: 1, Delivered: 1})
			x.FallbackDelivered++
		case 4:
			line(t, "%s %s%s", id, org6, greet421)
			line(t, "%s %s%s", id, org4, greet421)
			line(t, "%s == y%d@example.org R=dnslookup T=remote_smtp defer (0) %s%s", id, i, org4, greet421)
			x.add("example.org", "ipv6", Counts{Attempts: 1, Deferred: 1})
			x.add("example.org", "ipv4", Counts{Attempts: 1, Deferred: 1})
		}
		line(t.Add(6*time.Second), "%s Completed", id)
	}
	return x, err
}
