package bounce

import (
	"strings"
	"testing"
)

// oldSendmailNotice is an old (version 5) Sendmail failure notice: no
// report, only the transcript, in which each recipient's line comes after
// the replies of its own session, three sessions and a host that does not
// exist in one notice.
const oldSendmailNotice = `Return-Path: <MAILER-DAEMON@relay.example.org>
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
Subject: Returned mail: User unknown
To: alice@example.org

   ----- Transcript of session follows -----
While talking to mx.example.net:
>>> MAIL From:<alice@example.org>
<<< 550 Mail from 192.0.2.10 refused, listed at bl.example.org
554 <bob@example.net>... Remote protocol error
554 <carol@example.net>... Remote protocol error
550 example.com (smtp)... 550 Host unknown
554 <dave@example.com>... 550 Host unknown (Authoritative answer from name server)
While talking to mail.example.edu:
>>> RCPT To:<erin@example.edu>
<<< 550 Requested mailbox not found. No such user here.
550 <erin@example.edu>... User unknown
While talking to mx.example.jp:
>>> DATA
<<< 554 Message refused: it looks like spam
421 mx.example.jp (smtp)... Deferred: Connection reset by peer during result wait with mx.example.jp
554 <frank@example.jp>... Remote protocol error: Connection reset by peer during result wait with mx.example.jp

   ----- Unsent message follows -----
Received: by relay.example.org; (5.65/1.37) id AA00001;
    Sun, 29 Nov 2026 10:00:00 +0100
From: alice@example.org
To: bob@example.net
Subject: lunch

Lunch?
`

func TestEachRecipientOfAnOldSendmailTranscriptGetsTheReplyOfItsOwnSession(t *testing.T) {
	rep := ParseMessage(oldSendmailNotice)
	want := []struct {
		addr, reason, stage, host string
		code                      int
		reply                     string
	}{
		// A refused MAIL FROM refuses every recipient of its session.
		{"bob@example.net", ReasonBlocked, "MAIL", "mx.example.net", 550, "Mail from 192.0.2.10 refused, listed at bl.example.org"},
		{"carol@example.net", ReasonBlocked, "MAIL", "mx.example.net", 550, "Mail from 192.0.2.10 refused, listed at bl.example.org"},
		// A line about another host ends the session: dave's only
		// words are Sendmail's own, about a host that does not exist.
		{"dave@example.com", ReasonHostUnknown, "", "", 550, "Host unknown (Authoritative answer from name server)"},
		{"erin@example.edu", ReasonUserUnknown, "RCPT", "mail.example.edu", 550, "Requested mailbox not found. No such user here."},
		// Refused at DATA, then the connection was reset: the reply is
		// the cause, Sendmail's "Remote protocol error" the consequence.
		{"frank@example.jp", ReasonSpamDetected, "DATA", "mx.example.jp", 554, "Message refused: it looks like spam"},
	}
	if len(rep.Recipients) != len(want) {
		t.Fatalf("%d recipients, want %d: %+v", len(rep.Recipients), len(want), rep.Recipients)
	}
	for i, w := range want {
		rc := rep.Recipients[i]
		if rc.Recipient != w.addr || rc.Reason != w.reason || rc.Stage != w.stage || rc.ReceivingHost != w.host ||
			rc.ReplyCode != w.code || rc.Reply != w.reply || rc.Action != "failed" {
			t.Errorf("recipient %d: %q %q stage %q host %q code %d reply %q action %q,\n want %q %q stage %q host %q code %d reply %q failed",
				i, rc.Recipient, rc.Reason, rc.Stage, rc.ReceivingHost, rc.ReplyCode, rc.Reply, rc.Action,
				w.addr, w.reason, w.stage, w.host, w.code, w.reply)
		}
	}
}

// sendmailNotice is a Sendmail failure notice (no report) with the given
// transcript lines, returning a message to grace@example.com.
func sendmailNotice(lines ...string) string {
	return "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>\nSubject: Returned mail: see transcript for details\n\n" +
		"   ----- Transcript of session follows -----\n" + strings.Join(lines, "\n") + "\n\n" +
		"   ----- Unsent message follows -----\nFrom: heidi@example.org\nTo: grace@example.com\nSubject: hello\n\nhello\n"
}

func TestSendmailTranscriptPairsPipelinedRefusalsByTheAddressTheyName(t *testing.T) {
	// Sendmail shows only ">>> DATA" for a pipelined group; the replies
	// that name a recipient answered its RCPT TO, whatever their order.
	rep := ParseMessage(sendmailNotice(
		"... while talking to mx.example.com.:",
		">>> DATA",
		"<<< 550 5.1.1 <grace@example.com>... User unknown",
		"<<< 552 5.2.2 <ivan@example.com>... Mailbox full",
		"550 5.1.1 <grace@example.com>... User unknown",
		"552 5.2.2 <ivan@example.com>... Mailbox full",
		"<<< 503 5.0.0 Need RCPT (recipient)"))
	if len(rep.Recipients) != 2 {
		t.Fatalf("%d recipients, want 2: %+v", len(rep.Recipients), rep.Recipients)
	}
	for i, w := range []struct{ addr, reason, status string }{
		{"grace@example.com", ReasonUserUnknown, "5.1.1"},
		{"ivan@example.com", ReasonMailboxFull, "5.2.2"},
	} {
		rc := rep.Recipients[i]
		if rc.Recipient != w.addr || rc.Reason != w.reason || rc.EnhancedCode != w.status || rc.Stage != "RCPT" || rc.ReceivingHost != "mx.example.com" {
			t.Errorf("recipient %d: %q %q %q stage %q host %q, want %q %q %q after RCPT at mx.example.com",
				i, rc.Recipient, rc.Reason, rc.EnhancedCode, rc.Stage, rc.ReceivingHost, w.addr, w.reason, w.status)
		}
	}
}

func TestSendmailTranscriptReadsARefusedGreetingAndAnEndOfData(t *testing.T) {
	for _, tc := range []struct {
		name, stage, reason string
		lines               []string
	}{
		{"no command before the reply", "initial connection", ReasonBlocked, []string{
			"While talking to mx.example.com:",
			"<<< 554 mx.example.com Service unavailable",
			"554 <grace@example.com>... Service unavailable"}},
		{"the end of the data", "end of DATA", ReasonSpamDetected, []string{
			"... while talking to mx.example.com.:",
			">>> .",
			"<<< 550 5.7.1 Message refused as spam",
			"554 5.0.0 <grace@example.com>... Service unavailable"}},
	} {
		rep := ParseMessage(sendmailNotice(tc.lines...))
		rc := rep.Recipients[0]
		if len(rep.Recipients) != 1 || rc.Recipient != "grace@example.com" || rc.Stage != tc.stage || rc.Reason != tc.reason {
			t.Errorf("%s: %d recipients, first %q stage %q reason %q, want grace@example.com %q %q",
				tc.name, len(rep.Recipients), rc.Recipient, rc.Stage, rc.Reason, tc.stage, tc.reason)
		}
	}
}

func TestASendmailNoticeThatNamesOnlyAHostTakesTheRecipientFromTheReturnedMessage(t *testing.T) {
	rep := ParseMessage(sendmailNotice(
		"421 example.com (smtp)... Deferred: Connection timed out during user open with example.com"))
	rc := rep.Recipients[0]
	// The notice returned the message: Sendmail gave up (failed), its
	// last attempt temporary.
	if len(rep.Recipients) != 1 || rc.Recipient != "grace@example.com" || rc.Reason != ReasonExpired || rc.ReplyCode != 421 || rc.Action != "failed" {
		t.Errorf("%d recipients, first %q %q %d %q, want grace@example.com expired 421 failed", len(rep.Recipients), rc.Recipient, rc.Reason, rc.ReplyCode, rc.Action)
	}
}

// A Sendmail 8 report lists its recipients in the text and in the
// delivery-status part; the transcript after the list still says which
// session refused which recipient, and so which command.
func TestADeliveryReportRecipientTakesItsOwnSessionsReply(t *testing.T) {
	msg := `From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
Subject: Returned mail: see transcript for details
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1

   ----- The following addresses had permanent fatal errors -----
<grace@example.com>
    (reason: 550 5.1.1 <grace@example.com>... User unknown)
<ivan@example.net>
    (reason: 554 5.7.1 Rejected: 192.0.2.10 listed at bl.example.org)

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<grace@example.com>
<<< 550 5.1.1 <grace@example.com>... User unknown
550 5.1.1 <grace@example.com>... User unknown
... while talking to mx.example.net.:
>>> MAIL From:<heidi@example.org> SIZE=120
<<< 554 5.7.1 Rejected: 192.0.2.10 listed at bl.example.org
554 5.0.0 <ivan@example.net>... Service unavailable

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.org

Final-Recipient: RFC822; grace@example.com
Action: failed
Status: 5.1.1
Remote-MTA: DNS; mx.example.com
Diagnostic-Code: SMTP; 550 5.1.1 <grace@example.com>... User unknown

Final-Recipient: RFC822; ivan@example.net
Action: failed
Status: 5.7.1
Remote-MTA: DNS; mx.example.net
Diagnostic-Code: SMTP; 554 5.7.1 Rejected: 192.0.2.10 listed at bl.example.org

--b1--
`
	rep := ParseMessage(msg)
	if len(rep.Recipients) != 2 {
		t.Fatalf("%d recipients, want 2", len(rep.Recipients))
	}
	for i, w := range []struct{ addr, stage, reason, reply string }{
		{"grace@example.com", "RCPT", ReasonUserUnknown, "<grace@example.com>... User unknown"},
		{"ivan@example.net", "MAIL", ReasonBlocked, "Rejected: 192.0.2.10 listed at bl.example.org"},
	} {
		rc := rep.Recipients[i]
		if rc.Recipient != w.addr || rc.Stage != w.stage || rc.Reason != w.reason || rc.Reply != w.reply {
			t.Errorf("recipient %d: %q stage %q %q reply %q, want %q %q %q %q", i, rc.Recipient, rc.Stage, rc.Reason, rc.Reply,
				w.addr, w.stage, w.reason, w.reply)
		}
	}
}

// A local mailer's words in the transcript ("mail.local: unknown user")
// say why; Sendmail's line after them is its text for the mailer's exit
// status (sysexits.h: "Service unavailable", "Insufficient permission").
func TestALocalMailersWordsAreTheRecipientsDiagnostic(t *testing.T) {
	for _, tc := range []struct {
		name, output, own, reason string
	}{
		{"mail.local", "mail.local: unknown user: grace", "554 <grace@example.com>... Service unavailable", ReasonUserUnknown},
		{"maildrop", "maildrop: maildir over quota.", "550 5.0.0 <grace@example.com>... Insufficient permission", ReasonMailboxFull},
	} {
		rep := ParseMessage(sendmailNotice(tc.output, tc.own))
		rc := rep.Recipients[0]
		if len(rep.Recipients) != 1 || rc.Recipient != "grace@example.com" || rc.Reason != tc.reason || rc.Reply != tc.output {
			t.Errorf("%s: %d recipients, first %q %q reply %q, want grace@example.com %q %q",
				tc.name, len(rep.Recipients), rc.Recipient, rc.Reason, rc.Reply, tc.reason, tc.output)
		}
	}
	// The same in a delivery report whose recipient has no
	// Diagnostic-Code, only the status Sendmail made of the exit code.
	report := "From: MAILER-DAEMON@relay.example.org\nSubject: Returned mail: see transcript for details\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n--R\n\n" +
		"   ----- The following addresses had permanent fatal errors -----\n<grace@example.com>\n\n" +
		"   ----- Transcript of session follows -----\nmail.local: unknown user: grace\n554 <grace@example.com>... Service unavailable\n\n" +
		"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\n" +
		"Final-Recipient: RFC822; grace@example.com\nAction: failed\nStatus: 5.5.0\n\n--R--\n"
	if rc := ParseMessage(report).Recipients[0]; rc.Reason != ReasonUserUnknown || rc.EnhancedCode != "5.5.0" {
		t.Errorf("report: reason %q status %q (reply %q), want userunknown 5.5.0", rc.Reason, rc.EnhancedCode, rc.Reply)
	}
}

// A notice without a report that lists its recipients before the
// transcript keeps the list's order; a listed recipient that has no line in
// the transcript is read from its own part of the list.
func TestASendmailNoticesRecipientListKeepsItsOrder(t *testing.T) {
	msg := "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>\nSubject: Returned mail: see transcript for details\n\n" +
		"   ----- The following addresses had permanent fatal errors -----\n" +
		"<judy@example.org>\n    (reason: 552 5.2.2 Mailbox full)\n" +
		"<grace@example.com>\n    (reason: 550 5.1.1 User unknown)\n\n" +
		"   ----- Transcript of session follows -----\n" +
		"... while talking to mx.example.com.:\n>>> RCPT To:<grace@example.com>\n<<< 550 5.1.1 No such user here\n" +
		"550 5.1.1 <grace@example.com>... User unknown\n"
	rep := ParseMessage(msg)
	if len(rep.Recipients) != 2 {
		t.Fatalf("%d recipients, want 2: %+v", len(rep.Recipients), rep.Recipients)
	}
	j, g := rep.Recipients[0], rep.Recipients[1]
	// The reply quoted in "(reason: ...)" ends before the parenthesis
	// closes.
	if j.Recipient != "judy@example.org" || j.Reason != ReasonMailboxFull || j.Reply != "Mailbox full" {
		t.Errorf("first: %q %q reply %q, want judy@example.org mailboxfull \"Mailbox full\"", j.Recipient, j.Reason, j.Reply)
	}
	if g.Recipient != "grace@example.com" || g.Reason != ReasonUserUnknown || g.Stage != "RCPT" || g.ReceivingHost != "mx.example.com" {
		t.Errorf("second: %q %q stage %q host %q, want grace@example.com userunknown after RCPT at mx.example.com",
			g.Recipient, g.Reason, g.Stage, g.ReceivingHost)
	}
}
