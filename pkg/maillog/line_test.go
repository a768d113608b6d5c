package maillog

import (
	"testing"
	"time"
)

func TestParseLineReadsPostfixAndEximDeliveryLines(t *testing.T) {
	utc := time.UTC
	test := func(name, line string, want Event) {
		t.Helper()
		got, ok := ParseLine(line, 2026, utc)
		if !ok {
			t.Errorf("%s: not read", name)
			return
		}
		if got.Recipient != want.Recipient || got.RelayHost != want.RelayHost || got.RelayIP != want.RelayIP ||
			got.Outcome != want.Outcome || got.QueueID != want.QueueID || got.Final != want.Final || got.MTA != want.MTA {
			t.Errorf("%s:\n got %+v\nwant %+v", name, got, want)
		}
		if want.Reply != "" && got.Reply != want.Reply {
			t.Errorf("%s: reply %q, want %q", name, got.Reply, want.Reply)
		}
		if !want.Time.IsZero() && !got.Time.Equal(want.Time) {
			t.Errorf("%s: time %v, want %v", name, got.Time, want.Time)
		}
	}
	ip := mustAddr
	t0 := time.Date(2026, 11, 29, 10, 12, 1, 0, utc)
	test("postfix syslog, bounced over IPv6",
		`Nov 29 10:12:01 mail postfix/smtp[21977]: 4F1A2B3C4D: to=<alice@Gmail.com>, relay=gmail-smtp-in.l.google.com[2001:db8:4860::1b]:25, delay=1.4, delays=0.05/0.01/0.32/1, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2001:db8:4860::1b] said: 550-5.7.1 x, y (in reply to end of DATA command))`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4D", Recipient: "alice@Gmail.com", RelayHost: "gmail-smtp-in.l.google.com", RelayIP: ip("2001:db8:4860::1b"),
			Outcome: Bounced, Final: true, Time: t0,
			Reply: "host gmail-smtp-in.l.google.com[2001:db8:4860::1b] said: 550-5.7.1 x, y (in reply to end of DATA command)"})
	test("postfix RFC 3339 time, orig_to, long queue id, sent over IPv4",
		`2026-11-29T10:12:01.123456+00:00 mail postfix/relay/smtp[5]: 4dYx2B0y3Tz9abc: to=<b@example.net>, orig_to=<b@alias.example>, relay=mx.example.net[192.0.2.7]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 1)`,
		Event{MTA: "postfix", QueueID: "4dYx2B0y3Tz9abc", Recipient: "b@example.net", RelayHost: "mx.example.net", RelayIP: ip("192.0.2.7"), Outcome: Delivered, Final: true,
			Time: t0.Add(123456 * time.Microsecond), Reply: "250 2.0.0 Ok: queued as 1"})
	test("journalctl short-iso, relay=none takes the address from the reason",
		`2026-11-29T10:12:01+0000 mail postfix/smtp[5]: 4F1A2B3C4E: to=<c@example.com>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com[2001:db8:5::25]:25: Network is unreachable)`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4E", Recipient: "c@example.com", RelayHost: "mx.example.com", RelayIP: ip("2001:db8:5::25"), Outcome: Deferred, Final: true, Time: t0})
	test("journalctl short-unix",
		`1764411121.250000 mail postfix/smtp[5]: 4F1A2B3C4E: to=<c@example.com>, relay=mx.example.com[192.0.2.80]:25, delay=1, dsn=2.0.0, status=sent (250 ok)`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4E", Recipient: "c@example.com", RelayHost: "mx.example.com", RelayIP: ip("192.0.2.80"), Outcome: Delivered, Final: true,
			Time: time.Unix(1764411121, 250_000_000)})
	test("postfix per-address reply",
		`Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4F: host mx.example.com[192.0.2.80] said: 421 4.7.0 try later (in reply to MAIL FROM command)`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4F", RelayHost: "mx.example.com", RelayIP: ip("192.0.2.80"), Outcome: Deferred})
	test("postfix connect failure",
		`Nov 29 10:12:01.5 mail postfix/smtp[5]: connect to mx.example.com[2001:db8:5::25]:25: Connection refused`,
		Event{MTA: "postfix", RelayHost: "mx.example.com", RelayIP: ip("2001:db8:5::25"), Outcome: Deferred, Time: t0.Add(500 * time.Millisecond)})
	test("postfix connect failure with a queue id",
		`Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4F: connect to mx.example.com[192.0.2.80]:25: Connection timed out`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4F", RelayHost: "mx.example.com", RelayIP: ip("192.0.2.80"), Outcome: Deferred, Time: t0})
	test("postfix lost connection",
		`Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4F: lost connection with mx.example.com[2001:db8:5::25] while receiving the initial server greeting`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4F", RelayHost: "mx.example.com", RelayIP: ip("2001:db8:5::25"), Outcome: Deferred, Time: t0})
	test("postfix conversation timed out",
		`Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4F: conversation with mx.example.com[192.0.2.80] timed out while sending end of data -- message may be sent more than once`,
		Event{MTA: "postfix", QueueID: "4F1A2B3C4F", RelayHost: "mx.example.com", RelayIP: ip("192.0.2.80"), Outcome: Deferred, Time: t0})
	test("exim delivered, with pid and original address",
		`2026-11-29 10:12:01 [1234] 1tAbCd-000Ab1-Xy => bob@gmail.com <bob@alias.example> R=dnslookup T=remote_smtp H=gmail-smtp-in.l.google.com [2001:db8:4860::1b]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C="250 2.0.0 OK 17 x1si - gsmtp"`,
		Event{MTA: "exim", QueueID: "1tAbCd-000Ab1-Xy", Recipient: "bob@gmail.com", RelayHost: "gmail-smtp-in.l.google.com", RelayIP: ip("2001:db8:4860::1b"), Outcome: Delivered, Final: true,
			Reply: "250 2.0.0 OK 17 x1si - gsmtp", Time: t0})
	test("exim deferred",
		`2026-11-29 10:12:01 1tAbCd-000Ab1-Xy == bob@example.com R=dnslookup T=remote_smtp defer (-44) H=mx.example.com [192.0.2.80]: SMTP error from remote mail server after RCPT TO:<bob@example.com>: 450 4.7.1 Client host rejected: cannot find your reverse hostname`,
		Event{MTA: "exim", QueueID: "1tAbCd-000Ab1-Xy", Recipient: "bob@example.com", RelayHost: "mx.example.com", RelayIP: ip("192.0.2.80"), Outcome: Deferred, Final: true,
			Reply: "SMTP error from remote mail server after RCPT TO:<bob@example.com>: 450 4.7.1 Client host rejected: cannot find your reverse hostname"})
	test("exim failed, address without a name",
		`2026-11-29 10:12:01.250 +0100 1tAbCd-000Ab1-Xy ** bob@gmail.com R=dnslookup T=remote_smtp H=[2001:db8:4860::1b]: SMTP error from remote mail server after end of data: 550-5.7.1 PTR`,
		Event{MTA: "exim", QueueID: "1tAbCd-000Ab1-Xy", Recipient: "bob@gmail.com", RelayIP: ip("2001:db8:4860::1b"), Outcome: Bounced, Final: true,
			Time: t0.Add(-time.Hour + 250*time.Millisecond)})
	test("exim per-host 421 greeting",
		`2026-11-29 10:12:01 1xaJ17-0004ps-2g H=mx.example.org [2001:db8:6::25]: SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available`,
		Event{MTA: "exim", QueueID: "1xaJ17-0004ps-2g", RelayHost: "mx.example.org", RelayIP: ip("2001:db8:6::25"), Outcome: Deferred, Time: t0,
			Reply: "SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available"})
	test("exim per-host 554 greeting",
		`2026-11-29 10:12:01 1xaJ17-0004ps-2g H=mx.example.org [198.51.100.80]:25: SMTP error from remote mail server after initial connection: 554 5.7.1 go away`,
		Event{MTA: "exim", QueueID: "1xaJ17-0004ps-2g", RelayHost: "mx.example.org", RelayIP: ip("198.51.100.80"), Outcome: Bounced, Time: t0})
	test("exim per-host connect failure",
		`2026-11-29 10:12:01 1xaJ17-0004ps-2g H=[2001:db8:6::26] Connection refused`,
		Event{MTA: "exim", QueueID: "1xaJ17-0004ps-2g", RelayIP: ip("2001:db8:6::26"), Outcome: Deferred, Time: t0, Reply: "Connection refused"})
}

func TestParseLineSkipsWhatIsNotADeliveryAttempt(t *testing.T) {
	for _, line := range []string{
		`Nov 29 10:12:01 mail postfix/qmgr[800]: 4F1A2B3C4D: from=<a@example.org>, size=1, nrcpt=1 (queue active)`,
		`Nov 29 10:12:01 mail postfix/local[9]: 4F1A2B3C4D: to=<a@example.org>, relay=local, delay=0, dsn=2.0.0, status=sent (delivered to mailbox)`,
		`Nov 29 10:12:01 mail postfix/smtpd[9]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 450 4.7.1 x; from=<a@example.org> to=<b@example.org>`,
		`Nov 29 10:12:01 mail postfix/smtp[9]: 4F1A2B3C4D: to=<a@example.org>, relay=mx[192.0.2.1]:25, status=deliverable (address verification)`,
		`Nov 29 10:12:01 mail dovecot[9]: to=<a@example.org>, relay=mx[192.0.2.1]:25, status=sent`,
		`2026-11-29 10:12:01 1tAbCd-000Ab1-Xy <= a@example.org H=(x) [192.0.2.9] P=esmtp S=1`,
		`2026-11-29 10:12:01 1tAbCd-000Ab1-Xy => /var/mail/a <a@example.org> R=local T=file`,
		`garbage`, ``,
	} {
		if e, ok := ParseLine(line, 2026, time.UTC); ok {
			t.Errorf("read as an attempt: %q -> %+v", line, e)
		}
	}
}
