package bounce

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// Whole bounce messages written for these tests, in the shapes the common
// MTAs produce (documentation addresses and example domains throughout).

// A Postfix DSN: multipart/report, the reply quoted-printable with a soft
// line break inside a word, CRLF line ends.
var postfixReport = strings.ReplaceAll(`Return-Path: <>
From: MAILER-DAEMON@mail.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: alice@example.org
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B1.1700000000/mail.example.org"

This is a MIME-encapsulated message.

--B1.1700000000/mail.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: quoted-printable

This is the mail system at host mail.example.org.

<bob@example.net>: host mx.example.net[192.0.2.70] said: 554 5.7.1 Service
    unavailable; Client host [198.51.100.99] bloc=
ked using zen.spamhaus.org (in reply to RCPT TO command)

--B1.1700000000/mail.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.example.org
X-Postfix-Queue-ID: 4F1A2B3C4D
Arrival-Date: Sun, 29 Nov 2026 10:00:00 +0100 (CET)

Final-Recipient: rfc822; bob@example.net
Original-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.7.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 554 5.7.1 Service unavailable; Client host
    [198.51.100.99] blocked using zen.spamhaus.org
Last-Attempt-Date: Sun, 29 Nov 2026 10:00:01 +0100 (CET)

--B1.1700000000/mail.example.org
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: alice@example.org
To: bob@example.net
Subject: hello

--B1.1700000000/mail.example.org--
`, "\n", "\r\n")

// A Sendmail DSN whose Diagnostic-Code keeps only the first line of
// Gmail's multi-line reply; the transcript has all of it. CR-only line
// ends, as some mail stores write them.
var sendmailTruncated = strings.ReplaceAll(`From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.org>
To: <carol@example.org>
Subject: Returned mail: see transcript for details
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="x1y2"

--x1y2

The original message was received at Sun, 29 Nov 2026 10:00:00 GMT

   ----- The following addresses had permanent fatal errors -----
<dave@gmail.com>
    (reason: 550-5.7.1 [2001:db8:1::25] Our system has detected that this message does)

   ----- Transcript of session follows -----
... while talking to gmail-smtp-in.l.google.com.:
>>> DATA
<<< 550-5.7.1 [2001:db8:1::25] Our system has detected that this message does
<<< 550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and
<<< 550-5.7.1 authentication. Please review
<<< 550 5.7.1 https://support.google.com/mail/?p=IPv6AuthError x1si2 - gsmtp
554 5.0.0 Service unavailable

--x1y2
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.org

Final-Recipient: RFC822; dave@gmail.com
Action: failed
Status: 5.7.1
Remote-MTA: DNS; gmail-smtp-in.l.google.com
Diagnostic-Code: SMTP; 550-5.7.1 [2001:db8:1::25] Our system has detected that this message does

--x1y2--
`, "\n", "\r")

// A qmail bounce: plain text, no DSN.
const qmailBounce = `From: MAILER-DAEMON@qmail.example.org
To: erin@example.org
Subject: failure notice

Hi. This is the qmail-send program at qmail.example.org.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<frank@example.com>:
192.0.2.40 does not like recipient.
Remote host said: 550 5.1.1 <frank@example.com>: Recipient address rejected: User unknown in local recipient table
Giving up on 192.0.2.40.

--- Below this line is a copy of the message.

Return-Path: <erin@example.org>
Subject: reverse dns failed
`

// An Exim bounce with two recipients and X-Failed-Recipients.
const eximBounce = `From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: grace@example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: heidi@example.com, ivan@example.net

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  heidi@example.com
    host mx.example.com [192.0.2.50]
    SMTP error from remote mail server after RCPT TO:<heidi@example.com>:
    550 5.2.2 Mailbox full
  ivan@example.net
    host mx.example.net [192.0.2.51]
    SMTP error from remote mail server after MAIL FROM:<grace@example.org> SIZE=1234:
    550 5.7.1 Reverse DNS failed for 2001:db8:77::25

------ This is a copy of the message, including all the headers. ------
`

// An Office 365 style NDR: base64 text part in ISO-8859-1, the DSN
// carrying the reply, a Microsoft receiver named by a prod.outlook.com host.
var office365Bounce = `From: Microsoft Outlook <postmaster@example.onmicrosoft.com>
To: <judy@example.org>
Subject: =?iso-8859-1?Q?Non_remis_:_r=E9ponse?=
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="ndr"

--ndr
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: base64

` + "RGVsaXZlcnkgaGFzIGZhaWxlZCB0byB0aGVzZSByZWNpcGllbnRzIG9yIGdyb3VwczoKCm1hbGxvcnlAZXhhbXBsZS5jb20KUmVtb3RlIHNlcnZlciByZXR1cm5lZCAnNTUwIDUuNy4xIFNlcnZpY2UgdW5hdmFpbGFibGUsIENsaWVudCBob3N0IFsxOTguNTEuMTAwLjVdIGJsb2NrZWQgdXNpbmcgU3BhbWhhdXMnIOkK" + `
--ndr
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com

Final-Recipient: rfc822;mallory@example.com
Action: failed
Status: 5.7.515
Diagnostic-Code: smtp;550 5.7.515 Access denied, sending domain [EXAMPLE.ORG] doesn't meet the required authentication level. [AM0PR01MB1234.eurprd01.prod.outlook.com]
Remote-MTA: dns;AM0PR01MB1234.eurprd01.prod.outlook.com

--ndr--
`

func TestParseMessageReadsAPostfixReportWithQuotedPrintableAndCRLF(t *testing.T) {
	rep := ParseMessage(postfixReport)
	if len(rep.Recipients) != 1 {
		t.Fatalf("recipients = %d, want 1: %+v", len(rep.Recipients), rep.Recipients)
	}
	rc := rep.Recipients[0]
	if rc.Recipient != "bob@example.net" || rc.Action != "failed" {
		t.Errorf("recipient %q action %q", rc.Recipient, rc.Action)
	}
	if rc.Rule != "dnsbl-listed" || rc.Reason != ReasonBlocked {
		t.Errorf("rule %q reason %q, want dnsbl-listed/blocked", rc.Rule, rc.Reason)
	}
	if rc.SenderIP.String() != "198.51.100.99" || rc.ReceivingHost != "mx.example.net" || rc.ReceivingIP.String() != "192.0.2.70" {
		t.Errorf("sender %v receiving %q %v", rc.SenderIP, rc.ReceivingHost, rc.ReceivingIP)
	}
	if rc.ReplyCode != 554 || rc.EnhancedCode != "5.7.1" || rc.Stage != "RCPT TO" {
		t.Errorf("code %d %q stage %q", rc.ReplyCode, rc.EnhancedCode, rc.Stage)
	}
	if strings.Contains(rc.Reply, "--B1") || strings.Contains(rc.Reply, "=\n") || strings.Contains(rc.Reply, "\r") {
		t.Errorf("MIME debris in the reply: %q", rc.Reply)
	}
	if rc.LastAttempt == "" || rep.ReportingMTA != "mail.example.org" {
		t.Errorf("last attempt %q reporting MTA %q", rc.LastAttempt, rep.ReportingMTA)
	}
	// Parse, the single-result API, reads the same message the same way.
	if r := Parse(postfixReport); r.Rule != "dnsbl-listed" || r.Reason != ReasonBlocked {
		t.Errorf("Parse: rule %q reason %q", r.Rule, r.Reason)
	}
}

func TestParseMessagePrefersTheTranscriptOverASendmailFirstLineDiagnostic(t *testing.T) {
	rc := ParseMessage(sendmailTruncated).Recipients[0]
	if rc.Recipient != "dave@gmail.com" {
		t.Errorf("recipient %q", rc.Recipient)
	}
	if rc.Rule != "gmail-ipv6-ptr-auth" || rc.Reason != ReasonRequirePTR || rc.Receiver != ReceiverGmail {
		t.Errorf("rule %q reason %q receiver %q; reply %q", rc.Rule, rc.Reason, rc.Receiver, rc.Reply)
	}
	if rc.SenderIP.String() != "2001:db8:1::25" || rc.Stage != "DATA" {
		t.Errorf("sender %v stage %q", rc.SenderIP, rc.Stage)
	}
	if !strings.Contains(rc.Reply, "IPv6 sending guidelines") {
		t.Errorf("reply %q lacks the later lines", rc.Reply)
	}
}

func TestParseMessageReadsQmailPlainTextAndIgnoresTheReturnedMessage(t *testing.T) {
	rep := ParseMessage(qmailBounce)
	if len(rep.Recipients) != 1 {
		t.Fatalf("recipients: %+v", rep.Recipients)
	}
	rc := rep.Recipients[0]
	if rc.Recipient != "frank@example.com" || rc.Reason != ReasonUserUnknown || rc.ReplyCode != 550 || rc.EnhancedCode != "5.1.1" {
		t.Errorf("recipient %q reason %q code %d %q", rc.Recipient, rc.Reason, rc.ReplyCode, rc.EnhancedCode)
	}
	// "reverse dns failed" is in the returned message's subject, not in
	// the receiver's words.
	if rc.Rule == "generic-reverse-dns" {
		t.Errorf("the returned message was read as the reply")
	}
}

func TestParseMessageGivesEachEximRecipientItsOwnReason(t *testing.T) {
	rep := ParseMessage(eximBounce)
	if len(rep.Recipients) != 2 {
		t.Fatalf("recipients = %d, want 2: %+v", len(rep.Recipients), rep.Recipients)
	}
	h, i := rep.Recipients[0], rep.Recipients[1]
	if h.Recipient != "heidi@example.com" || h.Reason != ReasonMailboxFull || h.EnhancedCode != "5.2.2" {
		t.Errorf("first: %q %q %q", h.Recipient, h.Reason, h.EnhancedCode)
	}
	if i.Recipient != "ivan@example.net" || i.Reason != ReasonRequirePTR || i.Rule != "generic-reverse-dns" {
		t.Errorf("second: %q %q %q", i.Recipient, i.Reason, i.Rule)
	}
	if i.SenderIP.String() != "2001:db8:77::25" && i.SenderIP.IsValid() {
		t.Errorf("second: sender %v", i.SenderIP)
	}
	if !strings.Contains(i.Fix, "mailcheck sender --ip") {
		t.Errorf("fix %q", i.Fix)
	}
}

func TestParseMessageDecodesBase64AndCharsetsAndKnowsMicrosoftByItsHosts(t *testing.T) {
	rep := ParseMessage(office365Bounce)
	if rep.Subject != "Non remis : réponse" {
		t.Errorf("subject %q", rep.Subject)
	}
	rc := rep.Recipients[0]
	if rc.Recipient != "mallory@example.com" || rc.Rule != "microsoft-auth-level" || rc.Reason != ReasonAuthFailure {
		t.Errorf("recipient %q rule %q reason %q; reply %q", rc.Recipient, rc.Rule, rc.Reason, rc.Reply)
	}
	if rc.Receiver != ReceiverMicrosoft || rc.SenderDomain != "example.org" {
		t.Errorf("receiver %q domain %q", rc.Receiver, rc.SenderDomain)
	}
}

func TestUnknownSendingAddressReadsAsAPlaceholderInCommands(t *testing.T) {
	r := Parse(`550 5.7.1 Message rejected: IP address blacklisted by recipient`)
	if r.Rule != "generic-ip-blocklisted" || r.SenderIP.IsValid() {
		t.Fatalf("rule %q sender %v", r.Rule, r.SenderIP)
	}
	if strings.Contains(r.Fix, "--ip the sending address") || !strings.Contains(r.Fix, "--ip <sending address>") {
		t.Errorf("fix %q", r.Fix)
	}
	if !strings.Contains(r.Explanation, "refused the sending address") {
		t.Errorf("explanation %q", r.Explanation)
	}
}

func TestAnUnrecognisedGmailReplyIsNotCalledNoneOfGmails(t *testing.T) {
	r := Parse(`550-5.7.1 Something Gmail has not said before. x1si2 - gsmtp`)
	if r.Recognised || r.Receiver != ReceiverGmail {
		t.Fatalf("recognised %v receiver %q", r.Recognised, r.Receiver)
	}
	if strings.Contains(r.Explanation, "none of the Gmail") || !strings.Contains(r.Explanation, "from Gmail") {
		t.Errorf("explanation %q", r.Explanation)
	}
}

// The wording families: each a shape real receivers send, with the rule
// and reason it must get.
func TestWordingFamiliesAreRecognisedByMeaning(t *testing.T) {
	for _, tc := range []struct {
		text, rule, reason, sender string
	}{
		{`550 5.7.1 Reverse DNS failed for 192.0.2.1`, "generic-reverse-dns", ReasonRequirePTR, ""},
		{`550 5.7.1 Client host must have a PTR record`, "generic-reverse-dns", ReasonRequirePTR, ""},
		{`554 Fix reverse DNS for 198.51.100.2`, "generic-reverse-dns", ReasonRequirePTR, ""},
		{`550 5.7.1 Bad DNS PTR resource record.`, "generic-reverse-dns", ReasonRequirePTR, ""},
		{`550 5.0.0 Access denied. IP name lookup failed [198.51.100.3]`, "generic-reverse-dns", ReasonRequirePTR, "198.51.100.3"},
		{`550 5.7.1 Email rejected due to example.org's DMARC policy`, "generic-dmarc", ReasonAuthFailure, ""},
		{`550 5.7.1 DMARC check failed`, "generic-dmarc", ReasonAuthFailure, ""},
		{`550 5.7.1 rejected because of the owner DMARC policy`, "generic-dmarc", ReasonAuthFailure, ""},
		{`550 5.7.1 Unfortunately, messages from [198.51.100.4] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).`, "microsoft-network-blocklist", ReasonBlocked, "198.51.100.4"},
		{`554 Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.5`, "generic-ip-blocklisted", ReasonBlocked, ""},
		{`554 Service unavailable; Client host [198.51.100.6] blocked using Barracuda Reputation`, "dnsbl-listed", ReasonBlocked, "198.51.100.6"},
		{`554 5.7.1 Service unavailable; client [198.51.100.7] blocked using bl.spamcop.net`, "dnsbl-listed", ReasonBlocked, "198.51.100.7"},
		{`550 5.7.1 Message rejected: IP address blacklisted by recipient`, "generic-ip-blocklisted", ReasonBlocked, ""},
		{`550 5.7.1 Client host rejected: blocked using cbl.abuseat.org; [198.51.100.8]`, "dnsbl-listed", ReasonBlocked, ""},
		{`421 4.7.0 [TSS04] Messages from 198.51.100.9 temporarily deferred`, "yahoo-tss04", ReasonBadReputation, "198.51.100.9"},
		{`550 5.7.26 SPF [example.org] with the ip: [198.51.100.10] did not pass`, "rfc7372-auth-failed", ReasonAuthFailure, "198.51.100.10"},
	} {
		r := Parse(tc.text)
		if r.Rule != tc.rule || r.Reason != tc.reason {
			t.Errorf("%q: rule %q reason %q, want %q %q", tc.text, r.Rule, r.Reason, tc.rule, tc.reason)
		}
		if tc.sender != "" && r.SenderIP.String() != tc.sender {
			t.Errorf("%q: sender %v, want %s", tc.text, r.SenderIP, tc.sender)
		}
	}
}

func TestReasonsWithoutARuleComeFromWordingThenStatus(t *testing.T) {
	for _, tc := range []struct{ text, reason string }{
		{`550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in local recipient table`, ReasonUserUnknown},
		{`552 5.2.2 Mailbox full`, ReasonMailboxFull},
		{`552 5.3.4 Message size exceeds fixed limit`, ReasonMesgTooBig},
		{`554 5.7.1 <a@example.com>: Relay access denied`, ReasonNoRelaying},
		{`553 5.1.8 <b@example.org>: Sender address rejected: Domain not found`, ReasonRejected},
		{`550 5.1.2 Host unknown`, ReasonHostUnknown},
		{`550 5.6.0 Something about the body`, ReasonContentError},
		{`250 2.0.0 Ok: queued`, ReasonDelivered},
		{`nothing at all`, ReasonUndefined},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.text, r.Reason, tc.reason)
		}
	}
}

func TestParseMessageSurvivesBrokenStructure(t *testing.T) {
	for _, text := range []string{
		"Subject: x\nContent-Type: multipart/report; boundary=\"nope\"\n\n550 5.1.1 user unknown\n",
		"Subject: x\nContent-Type: multipart/mixed\n\nno boundary parameter\n",
		"Subject: x\nContent-Transfer-Encoding: base64\n\n!!!not base64!!!\n",
		"Subject: x\nContent-Type: text/plain; charset=x-unknown\n\n550 5.7.1 blocked\n",
		"From: a\n",
	} {
		rep := ParseMessage(text)
		if len(rep.Recipients) == 0 {
			t.Errorf("%q: no result", text)
		}
	}
}

func TestParseMessageTakesEximsReceivingHostAndStage(t *testing.T) {
	rep := ParseMessage(eximBounce)
	if len(rep.Recipients) != 2 {
		t.Fatalf("recipients %+v", rep.Recipients)
	}
	for i, want := range []struct{ host, ip, stage string }{
		{"mx.example.com", "192.0.2.50", "RCPT TO"},
		{"mx.example.net", "192.0.2.51", "MAIL FROM"},
	} {
		rc := rep.Recipients[i]
		if rc.ReceivingHost != want.host || rc.ReceivingIP.String() != want.ip || rc.Stage != want.stage {
			t.Errorf("%s: host %q ip %v stage %q, want %+v", rc.Recipient, rc.ReceivingHost, rc.ReceivingIP, rc.Stage, want)
		}
	}
}

// The multipart/report Exim 4.96 writes for a rejection: its Remote-MTA
// names the host only, the text part names the host with its address, and
// Status is the generic 5.0.0 beside the receiver's own 5.7.25.
const eximReport = `From: Mail Delivery System <Mailer-Daemon@client.example.org>
To: kate@client.example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: leo@example.com
Content-Type: multipart/report; report-type=delivery-status; boundary=1796-eximdsn-1621
MIME-Version: 1.0

--1796-eximdsn-1621
Content-type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  leo@example.com
    host mx.example.com [2001:db8:c1:3::25]
    SMTP error from remote mail server after RCPT TO:<leo@example.com>:
    550 5.7.25 Service unavailable, sending IPv6 address [2001:db8:1::1] must have reverse DNS record.

--1796-eximdsn-1621
Content-type: message/delivery-status

Reporting-MTA: dns; client.example.org

Action: failed
Final-Recipient: rfc822;leo@example.com
Status: 5.0.0
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.7.25 Service unavailable, sending IPv6 address [2001:db8:1::1] must have reverse DNS record.

--1796-eximdsn-1621--
`

func TestParseMessageTakesTheReceivingAddressFromEximsTextWhenRemoteMTANamesAHostOnly(t *testing.T) {
	rep := ParseMessage(eximReport)
	if len(rep.Recipients) != 1 {
		t.Fatalf("recipients %+v", rep.Recipients)
	}
	rc := rep.Recipients[0]
	if rc.Recipient != "leo@example.com" || rc.ReceivingHost != "mx.example.com" || rc.ReceivingIP.String() != "2001:db8:c1:3::25" {
		t.Errorf("recipient %q host %q ip %v", rc.Recipient, rc.ReceivingHost, rc.ReceivingIP)
	}
	if rc.EnhancedCode != "5.7.25" || rc.Reason != ReasonRequirePTR || rc.Rule != "microsoft-ipv6-no-ptr" || rc.SenderIP.String() != "2001:db8:1::1" {
		t.Errorf("status %q reason %q rule %q sender %v", rc.EnhancedCode, rc.Reason, rc.Rule, rc.SenderIP)
	}
}

func TestEximHostAddrIsTheNamedHostsAddressOnly(t *testing.T) {
	text := "  a@example.com\n    host mx1.example.com [192.0.2.50]\n  b@example.com\n    host mx2.example.com [2001:db8::51]\n"
	for host, want := range map[string]string{"mx2.example.com": "2001:db8::51", "MX1.example.com": "192.0.2.50", "": "192.0.2.50", "mx3.example.com": "invalid IP"} {
		if got := eximHostAddr(text, host).String(); got != want {
			t.Errorf("%q: %s, want %s", host, got, want)
		}
	}
}

// A bounce for many recipients names one host per recipient: the one
// asked for is found wherever it stands in the scanned text.
func TestEximHostAddrFindsTheHostOfALaterRecipient(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "  u%d@example.com\n    host mx%d.example.com [192.0.2.%d]\n", i, i, 50+i)
	}
	if got := eximHostAddr(b.String(), "mx7.example.com").String(); got != "192.0.2.57" {
		t.Errorf("mx7: %s, want 192.0.2.57", got)
	}
}

// zohoNotice is Zoho Mail's failure notice: the reply code and the rest of
// the reply in two ERROR_CODE fields after each recipient,
// quoted-printable with a soft line break inside the status code.
func zohoNotice(lines ...string) string {
	return "From: Mail Delivery System <mailer-daemon@mail.example.com>\nSubject: Undelivered Mail Returned to Sender\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"z1\"\n\n--z1\n" +
		"Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n" +
		"This message was created automatically by mail delivery software.\nA message that you sent could not be delivered to one or more of its recip=\nients. This is a permanent error.=20\n\n" +
		strings.Join(lines, "\n") + "\n\n\nReceived:from mail.example.com by mx.example.com\nFrom:heidi@example.com\nTo:<grace@example.org>\nSubject:hello\n--z1--\n"
}

func TestParseMessageReadsZohosErrorCodeFields(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lines     []string
		recipient string
		code      int
		status    string
		reply     string
		reason    string
		action    string
	}{
		{"a refused mailbox, the status split by a soft line break", []string{
			"grace@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.=",
			"1 <grace@example.org>... User Unknown"},
			"grace@example.org", 550, "5.1.1", "<grace@example.org>... User Unknown", ReasonUserUnknown, "failed"},
		{"a host never reached, in a failure notice", []string{
			"ivan@example.net Error, ERROR_CODE :421, ERROR_CODE :, Host not reachable."},
			"ivan@example.net", 421, "", "Host not reachable.", ReasonExpired, "failed"},
		{"the warning's status line", []string{
			"----- The following addresses had fatal errors -----",
			"[Status: Error, Address: <ivan@example.net>, ResponseCode 421, , Host not reachable.]",
			"", "Message will be retried for 4 more day(s)"},
			"ivan@example.net", 421, "", "Host not reachable.", ReasonExpired, "delayed"},
	} {
		rep := ParseMessage(zohoNotice(tc.lines...))
		rc := rep.Recipients[0]
		if len(rep.Recipients) != 1 || rc.Recipient != tc.recipient || rc.ReplyCode != tc.code || rc.EnhancedCode != tc.status ||
			rc.Reply != tc.reply || rc.Reason != tc.reason || rc.Action != tc.action {
			t.Errorf("%s: %d recipients, first %q %d %q %q %q %q,\n want %q %d %q %q %q %q", tc.name, len(rep.Recipients),
				rc.Recipient, rc.ReplyCode, rc.EnhancedCode, rc.Reply, rc.Reason, rc.Action, tc.recipient, tc.code, tc.status, tc.reply, tc.reason, tc.action)
		}
	}
}

// GMX names each recipient in quotes and writes Exim's wording with the
// host on its own line and the reply without its code.
const gmxNotice = `From: "Mail Delivery System" <mailer-daemon@gmx.example.net>
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address
failed:

"grace@example.org":
SMTP error from remote server after RCPT command:
host: mx.example.org
5.1.1 <grace@example.org>... User Unknown
"ivan@example.org":
SMTP error from remote server after RCPT command:
host: mx.example.org
5.2.2 <ivan@example.org>... Mailbox Full

--- The header of the original message is following. ---

From: heidi@example.com
To: grace@example.org, ivan@example.org
Subject: hello
`

func TestParseMessageReadsGMXsQuotedRecipientsAndCodelessReplies(t *testing.T) {
	rep := ParseMessage(gmxNotice)
	if len(rep.Recipients) != 2 {
		t.Fatalf("%d recipients, want 2: %+v", len(rep.Recipients), rep.Recipients)
	}
	for i, w := range []struct{ addr, status, reason, reply string }{
		{"grace@example.org", "5.1.1", ReasonUserUnknown, "<grace@example.org>... User Unknown"},
		{"ivan@example.org", "5.2.2", ReasonMailboxFull, "<ivan@example.org>... Mailbox Full"},
	} {
		rc := rep.Recipients[i]
		if rc.Recipient != w.addr || rc.EnhancedCode != w.status || rc.Reason != w.reason || rc.Reply != w.reply ||
			rc.Stage != "RCPT" || rc.ReceivingHost != "mx.example.org" || !rc.Permanent || rc.Action != "failed" {
			t.Errorf("recipient %d: %q %q %q %q stage %q host %q permanent %v action %q, want %q %q %q %q after RCPT at mx.example.org",
				i, rc.Recipient, rc.EnhancedCode, rc.Reason, rc.Reply, rc.Stage, rc.ReceivingHost, rc.Permanent, rc.Action,
				w.addr, w.status, w.reason, w.reply)
		}
	}
}

func TestAReplyThatKeptOnlyItsStatusCodeGivesTheStatus(t *testing.T) {
	for _, tc := range []struct{ reply, status, text string }{
		{"5.2.2 <grace@example.org>... Mailbox Full", "5.2.2", "<grace@example.org>... Mailbox Full"},
		// A relay's category before the reply it quotes is not the
		// reply's status.
		{"5.1.0 - Unknown address error 550-'5.7.1 Access denied'", "", "5.1.0 - Unknown address error 550-'5.7.1 Access denied'"},
		{"550 5.1.1 User unknown", "5.1.1", "User unknown"},
	} {
		if _, status, text := normaliseReply(tc.reply); status != tc.status || text != tc.text {
			t.Errorf("%q: status %q text %q, want %q %q", tc.reply, status, text, tc.status, tc.text)
		}
	}
}

// A report whose delivery-status fields sit in the text (no
// message/delivery-status part) lists several recipients: each takes its
// own Diagnostic-Code, never another recipient's reply with the same code,
// and a recipient without one is read from its status comment.
func TestEachRecipientOfAReportKeepsItsOwnDiagnostic(t *testing.T) {
	msg := `From: postmaster@relay.example.org
Subject: Delivery Status Notification

   ----- The following addresses had delivery problems -----
<grace@example.com> (unrecoverable error)
<ivan@example.net> (unrecoverable error)

Reporting-MTA: dns; relay.example.org

Final-Recipient: rfc822;grace@example.com
Action: failed
Status: 5.0.0 (permanent failure)
Diagnostic-Code: smtp;  550 'grace@example.com' is not a
 registered gateway user
Remote-MTA: dns; mx.example.com

Final-Recipient: rfc822;judy@example.org
Action: delayed
Status: 4.0.0 (example.org: host name lookup failure)

Final-Recipient: rfc822;ivan@example.net
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 user unknown
Remote-MTA: dns; mx.example.net
`
	rep := ParseMessage(msg)
	if len(rep.Recipients) != 3 {
		t.Fatalf("%d recipients, want 3", len(rep.Recipients))
	}
	for i, w := range []struct{ addr, reason, reply string }{
		{"grace@example.com", ReasonRejected, "'grace@example.com' is not a registered gateway user"},
		{"judy@example.org", ReasonNetworkError, ""},
		{"ivan@example.net", ReasonUserUnknown, "user unknown"},
	} {
		rc := rep.Recipients[i]
		if rc.Recipient != w.addr || rc.Reason != w.reason || rc.Reply != w.reply {
			t.Errorf("recipient %d: %q %q reply %q, want %q %q %q", i, rc.Recipient, rc.Reason, rc.Reply, w.addr, w.reason, w.reply)
		}
	}
}

func TestADiagnosticIsExtendedOnlyByTheWholeOfItsOwnReply(t *testing.T) {
	for _, tc := range []struct {
		long, short string
		want        bool
	}{
		{"550-5.7.1 Our system has detected that this message does 550-5.7.1 not meet the guidelines", "550-5.7.1 Our system has detected that this message does", true},
		{"550 5.1.1 <grace@example.com>... User unknown", "550 5.1.1 <ivan@example.com>... User unknown", false},
		{"451 4.3.0 Try again", "550 5.3.0 Try", false},
	} {
		if got := extends(tc.long, tc.short); got != tc.want {
			t.Errorf("extends(%q, %q) = %v, want %v", tc.long, tc.short, got, tc.want)
		}
	}
}

// A notice that names its recipient only in its text ("There was an error
// delivering your mail to <a@b>.", dma's dsn.c) has that recipient, not
// the sender's address nor a Message-ID.
func TestARecipientNamedOnlyInTheTextIsFound(t *testing.T) {
	msg := "From: MAILER-DAEMON <>\nTo: heidi@example.org\nSubject: Mail delivery failed\n\n" +
		"This is the DragonFly Mail Agent at mail.example.org.\n" +
		"> Message-Id: <e071e@mail.example.org>\n> From: <heidi@example.org>\n" +
		"There was an error delivering your mail to <grace@example.com>.\n" +
		"mx.example.com [192.0.2.25] did not like our RCPT TO:\n" +
		"550 5.1.1 <grace@example.com>: Recipient address rejected: User unknown\n"
	if rc := ParseMessage(msg).Recipients[0]; rc.Recipient != "grace@example.com" || rc.Reason != ReasonUserUnknown {
		t.Errorf("recipient %q reason %q, want grace@example.com userunknown", rc.Recipient, rc.Reason)
	}
}

// sesMessage is a mail carrying an Amazon SES notification (JSON).
func sesMessage(json string) string {
	return "From: SES Notifications <no-reply@sns.example.com>\nSubject: AWS Notification Message\n\n" + json +
		"\n--\nIf you wish to stop receiving notifications from this topic, please click the link below.\n"
}

func TestParseMessageReadsAmazonSESNotifications(t *testing.T) {
	bounce := `{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bouncedRecipients":[` +
		`{"emailAddress":"grace@example.com","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"},` +
		`{"emailAddress":"ivan@example.net","action":"failed","status":"5.2.2","diagnosticCode":"smtp; 552 5.2.2 Mailbox full"}],` +
		`"remoteMtaIp":"192.0.2.89","reportingMTA":"dsn; a1.smtp-out.example.com"},"mail":{"source":"heidi@example.org"}}`
	// Sendmail breaks a long line into "!", a line end and a space.
	broken := bounce[:120] + "!\n " + bounce[120:]
	// Amazon SNS wraps the notification as a string.
	quoted, _ := json.Marshal(bounce)
	sns := `{"Type" : "Notification", "MessageId" : "1", "Message" : ` + string(quoted) + `}`
	for name, msg := range map[string]string{"plain": bounce, "broken by Sendmail": broken, "wrapped by SNS": sns} {
		rep := ParseMessage(sesMessage(msg))
		if len(rep.Recipients) != 2 {
			t.Errorf("%s: %d recipients, want 2", name, len(rep.Recipients))
			continue
		}
		g, i := rep.Recipients[0], rep.Recipients[1]
		if g.Recipient != "grace@example.com" || g.Reason != ReasonUserUnknown || g.ReplyCode != 550 || g.Reply != "user unknown" ||
			g.Action != "failed" || g.ReceivingIP.String() != "192.0.2.89" {
			t.Errorf("%s: first %q %q %d %q %q %v", name, g.Recipient, g.Reason, g.ReplyCode, g.Reply, g.Action, g.ReceivingIP)
		}
		if i.Recipient != "ivan@example.net" || i.Reason != ReasonMailboxFull || i.EnhancedCode != "5.2.2" {
			t.Errorf("%s: second %q %q %q", name, i.Recipient, i.Reason, i.EnhancedCode)
		}
	}
	delivery := `{"notificationType":"Delivery","delivery":{"recipients":["grace@example.com"],"smtpResponse":"250 2.6.0 Message received"}}`
	if rc := ParseMessage(sesMessage(delivery)).Recipients[0]; rc.Recipient != "grace@example.com" || rc.Reason != ReasonDelivered || rc.Action != "delivered" {
		t.Errorf("delivery: %q %q %q", rc.Recipient, rc.Reason, rc.Action)
	}
}

func TestNumbersInAReplyStayWhereTheyAreNotContinuationPrefixes(t *testing.T) {
	for _, tc := range []struct{ reply, text string }{
		{"450 Greylisted, please retry in 450 seconds", "Greylisted, please retry in 450 seconds"},
		{"552 Message size exceeds 552 limit", "Message size exceeds 552 limit"},
		{"450 Greylisted, retry in 450-600 seconds", "Greylisted, retry in 450-600 seconds"},
		// The prefixes of a reply of several lines go, glued or not.
		{"550-Reason: blocked 550-Contact postmaster 550 Bye", "Reason: blocked Contact postmaster Bye"},
		{"550-5.7.26 Unauthenticated 550-5.7.26 550 5.7.26 mail", "Unauthenticated mail"},
	} {
		if _, _, text := normaliseReply(tc.reply); text != tc.text {
			t.Errorf("%q: text %q, want %q", tc.reply, text, tc.text)
		}
	}
}

// Delay notices say that delivery goes on once, in their introduction or
// around a transcript, not in the recipient's own lines: their
// recipients are delayed, not failed.
func TestADelayNoticeSaysSoOnceAndItsRecipientsAreDelayed(t *testing.T) {
	postfix := "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n" +
		"Subject: Delayed Mail (still being retried)\r\nTo: alice@example.com\r\n\r\n" +
		"This is the mail system at host mail.example.com.\r\n\r\n" +
		"####################################################################\r\n" +
		"# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n" +
		"####################################################################\r\n\r\n" +
		"Your message could not be delivered for more than 4 hour(s).\r\n" +
		"It will be retried until it is 5 day(s) old.\r\n\r\n" +
		"<bob@example.org>: connect to mx.example.org[192.0.2.25]:25: 421 4.4.1\r\n" +
		"    Connection timed out\r\n"
	sendmail := "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\n" +
		"Subject: Warning: could not send message for past 4 hours\nTo: alice@example.com\n\n" +
		"    **********************************************\n" +
		"    **      THIS IS A WARNING MESSAGE ONLY      **\n" +
		"    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n" +
		"    **********************************************\n\n" +
		"The original message was received at Mon, 7 Dec 2026 01:00:00 GMT\n\n" +
		"   ----- Transcript of session follows -----\n" +
		"While talking to mx.example.org.:\n>>> RCPT To:<bob@example.org>\n" +
		"<<< 451 4.4.1 Temporary failure, host unreachable\n" +
		"<bob@example.org>... Deferred: 451 4.4.1 Temporary failure, host unreachable\n" +
		"Warning: message still undelivered after 4 hours\n" +
		"Will keep trying until message is 5 days old\n"
	for name, msg := range map[string]string{"postfix": postfix, "sendmail": sendmail} {
		rep := ParseMessage(msg)
		if len(rep.Recipients) != 1 {
			t.Fatalf("%s: %d recipients, want 1: %+v", name, len(rep.Recipients), rep.Recipients)
		}
		if rc := rep.Recipients[0]; rc.Recipient != "bob@example.org" || rc.Action != "delayed" {
			t.Errorf("%s: %q action %q, want bob@example.org delayed", name, rc.Recipient, rc.Action)
		}
	}
}
