package bounce

import (
	"strings"
	"testing"
)

// eximAfter is Exim's bounce text for a reply to the given command.
func eximAfter(command, reply string) string {
	return "A message that you sent could not be delivered to one or more of its\n" +
		"recipients. This is a permanent error. The following address(es) failed:\n\n" +
		"  grace@example.com\n" +
		"    host mx.example.com [192.0.2.60]\n" +
		"    SMTP error from remote mail server after " + command + ":\n" +
		"    " + reply + "\n"
}

// A reply that names no cause is read by the command it answered: at the
// greeting and at HELO only the client is known (blocked), at MAIL FROM
// the reply is about the sender (rejected).
func TestAReplyThatNamesNoCauseIsReadByTheCommandItAnswered(t *testing.T) {
	for _, tc := range []struct{ name, text, reason string }{
		{"refusal at the greeting", eximAfter("initial connection", "550 Access denied...0123abcd..."), ReasonBlocked},
		{"refusal at EHLO", eximAfter("EHLO client.example.org", "550 Rejected"), ReasonBlocked},
		{"Postfix's refused greeting", "<grace@example.com>: host mx.example.com[192.0.2.61] refused to talk to me:\n    554 Go away", ReasonBlocked},
		{"sender that does not exist at MAIL FROM", eximAfter("MAIL FROM:<judy@example.org> SIZE=1022", "553 5.1.0 judy example.org does not exist E1234"), ReasonRejected},
		{"authentication required at MAIL FROM", eximAfter("MAIL FROM:<judy@example.org>", "530 5.7.0 Authentication required"), ReasonSecurityError},
		// The same words after RCPT TO are about the recipient.
		{"mailbox that does not exist at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 5.1.1 grace does not exist"), ReasonUserUnknown},
		{"access denied at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 Access denied"), ReasonRejected},
		// qmail-remote's wording names the command.
		{"qmail: HELO refused", "<grace@example.net>:\nConnected to 192.0.2.63 but my name was rejected.\nRemote host said: 501 5.0.0 Invalid domain name\nI'm not going to try again; this message has been in the queue too long.", ReasonBlocked},
		{"qmail: sender refused", "<grace@example.net>:\nConnected to 192.0.2.64 but sender was rejected.\nRemote host said: 553 sorry, that domain isn't known here", ReasonRejected},
		{"qmail: no such mailbox after DATA", "<grace@example.net>:\n192.0.2.65 failed after I sent the message.\nRemote host said: 550 no such user here", ReasonFiltered},
		// Without a permanent reply, qmail's queue note is an expiry.
		{"qmail: gave up on a temporary failure", "<grace@example.net>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\nI'm not going to try again; this message has been in the queue too long.", ReasonExpired},
		// A temporary refusal at the greeting is not a block by itself.
		{"busy at the greeting", eximAfter("initial connection", "421 Service not available, closing channel"), ReasonSystemError},
		// A specific cause keeps its own reason whatever the command.
		{"PTR at the greeting", eximAfter("initial connection", "550 5.7.25 No reverse DNS for 192.0.2.62"), ReasonRequirePTR},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%s: reason %q (stage %q, reply %q), want %q", tc.name, r.Reason, r.Stage, r.Reply, tc.reason)
		}
	}
}

// Wording families added by meaning, each in the shape receivers send it.
func TestMoreWordingFamiliesAreReadByMeaning(t *testing.T) {
	for _, tc := range []struct{ text, reason string }{
		// A host name that does not forward-confirm the sending address.
		{`550 service permits 2 unverifyable sending IPs - mx.example.org is not 192.0.2.70`, ReasonRequirePTR},
		{`550 unverifiable sending IP 192.0.2.71`, ReasonRequirePTR},
		// The client is refused because it is an open relay; a relay
		// request refused stays norelaying.
		{`554 no access from mail server [192.0.2.72] which is an open relay.`, ReasonBlocked},
		{`554 5.7.1 we are not an open relay`, ReasonNoRelaying},
		// The sender's address, not its IP address, is listed.
		{`550 Sorry, you are sending to/from an address that has been blacklisted`, ReasonRejected},
		{`550 5.7.1 <judy@example.org> From: Domain is invalid. Please provide a valid From:`, ReasonRejected},
		// A mailing list refusing a post from a non-member.
		{`You are not a member of this mailing list <list@example.org>.`, ReasonRejected},
		// A temporary refusal of the whole service at the greeting.
		{`421 mx01 Service refused, please try later.`, ReasonBlocked},
		// Receivers' documented codes: Orange's OFR_506 (spam), Cox's
		// AUP#CDRBL (a block list).
		{`554 5.2.0 Mail rejected. OFR_506 [506]`, ReasonSpamDetected},
		{`550 5.1.0 <a@example.org> sender rejected. AUP#CDRBL (in reply to MAIL FROM command)`, ReasonBlocked},
		// Destinations: a domain or host name that does not exist, a null
		// MX (RFC 7505, Exim's wording), a domain without an MX, and the
		// resolver's definitive answer against its TRY_AGAIN.
		{`grace@nowhere.example: Domain does not exist`, ReasonHostUnknown},
		{`550 mx.nowhere.example does not exist`, ReasonHostUnknown},
		{`an MX or SRV record indicated no SMTP service`, ReasonNotAccept},
		{`No mx record found for domain=example.net`, ReasonNotAccept},
		{`grace@example.net: No MX found for domain`, ReasonNotAccept},
		{`554 Message rejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: judy@example.org`, ReasonNoRelaying},
		{`DNS lookup failure: host mx.nowhere.example not found`, ReasonHostUnknown},
		{`Name service error for domain example.com: Host not found, try again`, ReasonNetworkError},
		// A mailbox that does not exist stays a mailbox.
		{`550 5.1.1 <grace@example.com>: mailbox does not exist`, ReasonUserUnknown},
		{`550 5.1.1 grace.hopper does not exist here`, ReasonUserUnknown},
		{`550 5.1.1 <grace.hopper@mail.example.com> does not exist`, ReasonUserUnknown},
		{`vdelivermail: account is locked email bounced grace@example.com`, ReasonSuspend},
		{`501 Rcpt-To validation failed: 5.7.1 This system is not configured to relay mail`, ReasonNoRelaying},
		// X.1.6 (RFC 3463): moved, no forwarding address, whatever the
		// wording says.
		{`550 5.1.6 not our customer`, ReasonHasMoved},
		// Exim's "Unrouteable address" is its router finding no route to
		// the domain.
		{`Unrouteable address`, ReasonHostUnknown},
		// A sender that gave up after its retries or its time limit.
		{`Delivery failed 20 attempts: grace@example.com`, ReasonExpired},
		{`Delivery to the following recipients was aborted after 5.0 hour(s)`, ReasonExpired},
		// Addresses that cannot be parsed, commands not understood.
		{`grace@example.com <heidi@example.net>: malformed address: <heidi@example.net> may not follow grace@example.com`, ReasonSyntaxError},
		{`504 5.5.4 Command parameter not implemented`, ReasonSyntaxError},
		{`554 Insecure Mail Relay`, ReasonNoRelaying},
		// A content filter's verdict, unless X.6.x says the form was
		// refused.
		{`550 5.7.1 Message content rejected`, ReasonSpamDetected},
		{`550 5.6.1 Message content rejected`, ReasonContentError},
		// The recipient's own choice, even with a mailbox status code.
		{`550 5.1.1 RCP-P2 Refused due to recipient preferences`, ReasonFiltered},
		// A pipe recipient whose program failed (Sendmail's transcript).
		{`"|/usr/bin/procmail -f- || exit 75 #grace"... Service unavailable`, ReasonMailerError},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.text, r.Reason, tc.reason)
		}
	}
}

// A DSN whose only diagnostic is a local program's (Diagnostic-Code type
// x-unix) failed in that program, even when it says "temporary failure".
func TestAnXUnixDiagnosticIsAMailerError(t *testing.T) {
	msg := "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n" +
		"--B\nContent-Type: text/plain\n\n<grace@example.org>: temporary failure\n\n" +
		"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n" +
		"Final-Recipient: rfc822; grace@example.org\nAction: failed\nStatus: 4.3.0\n" +
		"Diagnostic-Code: x-unix; temporary failure\n\n--B--\n"
	rep := ParseMessage(msg)
	if rc := rep.Recipients[0]; rc.Reason != ReasonMailerError {
		t.Errorf("reason %q (reply %q), want %q", rc.Reason, rc.Reply, ReasonMailerError)
	}
	// With an SMTP reply beside it, the reply is what failed.
	smtp := strings.Replace(msg, "Diagnostic-Code: x-unix; temporary failure", "Diagnostic-Code: x-unix; 75", 1)
	smtp = strings.Replace(smtp, "<grace@example.org>: temporary failure", "<grace@example.org>: host mx.example.org[192.0.2.80] said: 452 4.3.0 temporary failure", 1)
	if rc := ParseMessage(smtp).Recipients[0]; rc.Reason == ReasonMailerError {
		t.Errorf("with an SMTP reply: reason %q, want the reply's own", rc.Reason)
	}
}

// "User unknown" after the message was transferred is a filter's answer,
// unless the receiver states that the account does not exist.
func TestAMailboxRefusedAfterDataIsFilteredUnlessTheAccountIsSaidNotToExist(t *testing.T) {
	for _, tc := range []struct{ reply, reason string }{
		{"554 delivery error: dd This user doesn't have a example.com account (grace@example.com) [0]", ReasonUserUnknown},
		{"550 Unknown user grace@example.com", ReasonFiltered},
	} {
		text := "<grace@example.com>: host mx.example.com[192.0.2.90] said: " + tc.reply + " (in reply to end of DATA command)"
		if r := Parse(text); r.Reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.reply, r.Reason, tc.reason)
		}
	}
}

// A bounce whose body says nothing readable is read by its subject.
func TestTheSubjectNamesTheReasonWhenTheBodyDoesNot(t *testing.T) {
	msg := "From: MAILER-DAEMON@example.org\nSubject: Returned mail: User unknown\n" +
		"Content-Type: text/plain\n\nThe original message was received at Thu Oct 13 15:22:22 2026\n"
	if rc := ParseMessage(msg).Recipients[0]; rc.Reason != ReasonUserUnknown {
		t.Errorf("reason %q, want %q", rc.Reason, ReasonUserUnknown)
	}
	// Another generator's subject carries the original one: the
	// sender's words.
	other := strings.Replace(msg, "Returned mail: User unknown", "Undeliverable: our spam filter settings", 1)
	if rc := ParseMessage(other).Recipients[0]; rc.Reason != ReasonUndefined {
		t.Errorf("original subject: reason %q, want %q", rc.Reason, ReasonUndefined)
	}
	// A body that says why wins over the subject.
	msg = strings.Replace(msg, "The original", "<grace@example.org>: 552 5.2.2 Mailbox full\nThe original", 1)
	if rc := ParseMessage(msg).Recipients[0]; rc.Reason != ReasonMailboxFull {
		t.Errorf("reason %q, want %q", rc.Reason, ReasonMailboxFull)
	}
}

// Messages that are not bounces say so: an abuse report (RFC 5965, or
// Amazon SES's complaint notification) and an automatic reply (RFC 3834). Bounces carry Auto-Submitted too, and stay
// bounces.
func TestAbuseReportsAndAutomaticRepliesAreNotReadAsBounces(t *testing.T) {
	arf := "From: abuse@example.net\nSubject: Abuse report\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n" +
		"--A\nContent-Type: text/plain\n\nThis is an abuse report; the message was classified as spam.\n\n" +
		"--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\n\n--A--\n"
	away := "From: grace@example.org\nSubject: Automatic reply: Lunch\nAuto-Submitted: auto-replied\n\n" +
		"I am away until Monday.\n"
	outlook := "From: grace@example.org\nSubject: Automatic reply: Lunch\n\nI am away until Monday.\n"
	exim := "From: Mail Delivery System <Mailer-Daemon@example.org>\nSubject: Mail delivery failed\n" +
		"Auto-Submitted: auto-replied\n\n" + eximAfter("RCPT TO:<grace@example.com>", "552 5.2.2 Mailbox full")
	postfix := "From: MAILER-DAEMON@example.org\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"P\"\n\n" +
		"--P\nContent-Type: text/plain\n\n--- Delivery report unavailable ---\n\n--P--\n"
	ses := "From: SES Notifications <no-reply@sns.example.com>\nSubject: AWS Notification Message\n\n" +
		`{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"grace@example.com"}],` +
		`"complaintFeedbackType":"abuse"},"mail":{"source":"heidi@example.org","destination":["grace@example.com"]}}` + "\n"
	for _, tc := range []struct{ name, msg, reason string }{
		{"ARF report", arf, ReasonFeedback},
		{"Amazon SES complaint notification", ses, ReasonFeedback},
		{"RFC 3834 auto-reply", away, ReasonVacation},
		{"Outlook's automatic reply", outlook, ReasonVacation},
		{"Exim bounce with Auto-Submitted", exim, ReasonMailboxFull},
		{"Postfix report without fields", postfix, ReasonUndefined},
	} {
		rc := ParseMessage(tc.msg).Recipients[0]
		if rc.Reason != tc.reason {
			t.Errorf("%s: reason %q, want %q", tc.name, rc.Reason, tc.reason)
		}
		if notBounce := tc.reason == ReasonFeedback || tc.reason == ReasonVacation; notBounce != strings.HasPrefix(rc.Explanation, "Not a bounce") {
			t.Errorf("%s: explanation %q", tc.name, rc.Explanation)
		}
	}
}

// "Action: expired" (not RFC 3464's, but written by some senders) is a
// message whose retries ran out, unless a permanent reply says otherwise.
func TestAnExpiredActionIsAnExpiry(t *testing.T) {
	msg := func(diag string) string {
		return "From: MAILER-DAEMON@example.org\nSubject: Undelivered\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=\"E\"\n\n" +
			"--E\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n" +
			"--E\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n" +
			"Final-Recipient: rfc822; grace@example.com\nAction: expired\nStatus: \nDiagnostic-Code: " + diag + "\n\n--E--\n"
	}
	for _, tc := range []struct{ diag, reason string }{
		{"Connection timed out", ReasonExpired},
		{"smtp; 552 5.2.2 Mailbox full", ReasonMailboxFull},
	} {
		if rc := ParseMessage(msg(tc.diag)).Recipients[0]; rc.Reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.diag, rc.Reason, tc.reason)
		}
	}
}

// A returned message sent as a later text/plain part is the sender's
// headers: a filter's header in it ("X-Proofpoint-...") says nothing about
// why delivery failed.
func TestReturnedHeadersInAPlainTextPartAreNotTheReceiversWords(t *testing.T) {
	msg := "From: postmaster@example.org\nSubject: Delivery delayed\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n" +
		"--R\nContent-Type: text/plain\n\nYour message has been enqueued and undeliverable for 1 day.\n" +
		"Failed connect() to TCP port 25 of 192.0.2.100  Error: Connection timed out\n\n" +
		"--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n" +
		"Final-Recipient: rfc822; grace@example.com\nAction: delayed\n" +
		"Status: 4.4.7 (unable to deliver this message after 1 day)\n\n" +
		"--R\nContent-Type: text/plain\n\nReturn-path: <judy@example.org>\n" +
		"Received: from client.example.org by mx.example.org; Fri, 21 Nov 2026 00:30:14 +0000\n" +
		"From: Judy <judy@example.org>\nSubject: Lunch\n" +
		"X-Proofpoint-Spam-Details: rule=notspam policy=default score=0\n\nHello\n--R--\n"
	rc := ParseMessage(msg).Recipients[0]
	if rc.Reason != ReasonExpired || rc.Recognised {
		t.Errorf("reason %q rule %q, want %q and no rule", rc.Reason, rc.Rule, ReasonExpired)
	}
}

// Without a marker line, the returned message starts at its first
// Received field: its headers and body are the sender's words.
func TestTheReturnedMessageStartsAtItsFirstReceivedField(t *testing.T) {
	msg := "From: mailer-daemon@example.org\nSubject: Undeliverable\n\n" +
		"grace@example.com Error, connection timed out.\n\n" +
		"Received: from client.example.org by mx.example.org; Fri, 21 Nov 2026 00:30:14 +0000\n" +
		"Content-Type: text/plain\nSubject: our spam filter and virus scanner\n\nHello\n"
	if rc := ParseMessage(msg).Recipients[0]; rc.Reason != ReasonNetworkError {
		t.Errorf("reason %q, want %q", rc.Reason, ReasonNetworkError)
	}
}

// Postfix's smtpd transcript for the postmaster: the failure is the first
// refusing "Out:" reply, not the 250s around it.
func TestTheSmtpdTranscriptFailureIsTheFirstRefusingReply(t *testing.T) {
	text := "Transcript of session follows.\n\n" +
		" Out: 220 mx.example.org ESMTP\n In:  EHLO client.example.net\n Out: 250-mx.example.org\n Out: 250 DSN\n" +
		" In:  MAIL FROM:<judy@example.net>\n Out: 250 2.1.0 Ok\n In:  RCPT TO:<grace@example.org>\n Out: 250 2.1.5 Ok\n" +
		" In:  DATA\n Out: 354 End data with <CR><LF>.<CR><LF>\n Out: 451 4.3.0 Error: queue file write error\n" +
		" In:  QUIT\n Out: 221 2.0.0 Bye\n"
	r := Parse(text)
	if r.ReplyCode != 451 || r.Stage != "DATA" || r.Reason != ReasonSystemError {
		t.Errorf("code %d stage %q reason %q, want 451 DATA %q", r.ReplyCode, r.Stage, r.Reason, ReasonSystemError)
	}
}

// Sisimai defines securityerror as the reason of an X.7.x status that says
// nothing more specific, and rejected as a refusal of the envelope sender:
// a bare "Access denied" is read by whom it refuses and by its status.
func TestABareAccessDeniedIsReadByItsCommandAndStatus(t *testing.T) {
	for _, tc := range []struct{ name, text, reason string }{
		{"X.7.1 at MAIL FROM", "<grace@example.com>: host mx.example.com[192.0.2.80] said: 550 5.7.1 Access denied (in reply to MAIL FROM command)", ReasonRejected},
		{"qmail: sender refused with X.7.1", "<grace@example.net>:\nConnected to 192.0.2.81 but sender was rejected.\nRemote host said: 550 5.7.1 <judy@example.org>... Access denied", ReasonRejected},
		{"X.7.1 with no command", "The error that the other server returned was: 550 550 5.7.1 <grace@example.com>... Access denied (state 13).", ReasonSecurityError},
		{"X.7.1 at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 5.7.1 Access denied"), ReasonSecurityError},
		{"no status at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 Access denied"), ReasonRejected},
		{"at the greeting", eximAfter("initial connection", "550 5.7.1 Access denied"), ReasonBlocked},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%s: reason %q (stage %q), want %q", tc.name, r.Reason, r.Stage, tc.reason)
		}
	}
}

// A relay that reports "STATUS - its own category" before the receiver's
// quoted reply is read by the receiver's words, not by its category.
func TestARelaysCategoryGivesWayToTheQuotedReply(t *testing.T) {
	for _, tc := range []struct{ reply, reason string }{
		{"5.1.0 - Unknown address error 550-'5.7.1 <bounce-1@relay.example.net>... Access denied' (delivery attempts: 0)", ReasonSecurityError},
		{"5.1.0 - Unknown address error 550-'5.2.2 <grace@example.com>... Mailbox Full' (delivery attempts: 0)", ReasonMailboxFull},
		{"5.3.0 - Other mail system problem 550-'Unknown user grace@example.com' (delivery attempts: 0)", ReasonUserUnknown},
	} {
		r := Result{Reply: tc.reply, ReplyCode: 550, EnhancedCode: "5.0.0", Permanent: true}
		if got := classify(&r, tc.reply); got != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.reply, got, tc.reason)
		}
	}
}

// Sisimai's policyviolation is a refusal of the message (its header, its
// format); at RCPT TO the receiver has no message yet, so a policy
// refusal there with an X.7.x status is securityerror. After DATA it
// stays policyviolation.
func TestAPolicyRefusalOfARecipientIsASecurityError(t *testing.T) {
	dma := "mx.example.com [192.0.2.82] did not like our RCPT TO:\n" +
		"550 5.7.0 <grace@example.com>: Recipient address rejected: Policy violation\n"
	for _, tc := range []struct{ name, text, reason string }{
		{"dma, RCPT TO", dma, ReasonSecurityError},
		{"Exim, RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 5.7.0 Policy violation"), ReasonSecurityError},
		{"Postfix, end of DATA", "<grace@example.com>: host mx.example.com[192.0.2.83] said: 550 5.7.0 Local Policy Violation (in reply to end of DATA command)", ReasonPolicyViolation},
		{"RCPT TO without a status", eximAfter("RCPT TO:<grace@example.com>", "550 Policy violation"), ReasonPolicyViolation},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%s: reason %q (stage %q), want %q", tc.name, r.Reason, r.Stage, tc.reason)
		}
	}
}

// sendmailTranscript is a Sendmail failure notice with the given session
// transcript lines.
func sendmailTranscript(lines ...string) string {
	return "   ----- The following addresses had permanent fatal errors -----\n<grace@example.com>\n\n" +
		"   ----- Transcript of session follows -----\n" + strings.Join(lines, "\n") + "\n"
}

// Sendmail's transcript tells the command a reply answered in two more
// ways: a reply read before any command is the greeting, and Sendmail's
// own "<addr>... User unknown" line after a reply shown under ">>> DATA"
// (a pipelined group) says the reply refused that recipient's RCPT.
func TestSendmailTranscriptsTellTheGreetingAndPipelinedRecipients(t *testing.T) {
	for _, tc := range []struct {
		name, text, stage, reason string
	}{
		{"refused greeting", sendmailTranscript(
			"... while talking to mx.example.com.:",
			"<<< 554 IP=192.0.2.84 - A problem occurred. (BL)",
			"554 5.0.0 Service unavailable"), "initial connection", ReasonBlocked},
		{"pipelined RCPT refusal", sendmailTranscript(
			"... while talking to mx.example.com.:",
			">>> DATA",
			"<<< 550 5.5.0 Invalid recipient",
			"550 5.1.1 <grace@example.com>... User unknown",
			"<<< 554 5.5.1 Error: no valid recipients"), "RCPT", ReasonUserUnknown},
		{"refusal after DATA", sendmailTranscript(
			"... while talking to mx.example.com.:",
			">>> DATA",
			"<<< 550 Unknown user grace@example.com",
			"554 5.0.0 Service unavailable"), "DATA", ReasonFiltered},
	} {
		r := Parse(tc.text)
		if r.Stage != tc.stage || r.Reason != tc.reason {
			t.Errorf("%s: stage %q reason %q, want %q %q", tc.name, r.Stage, r.Reason, tc.stage, tc.reason)
		}
	}
}

// More wording read by meaning: the cause a reply names comes before the
// queue or delay wording around it, and a reply that names no cause is
// onhold.
func TestCausesAheadOfQueueWordingAndRepliesWithoutACause(t *testing.T) {
	for _, tc := range []struct{ name, text, reason string }{
		{"Exchange's X.4.x expiry", "Remote Server returned '550 5.4.316 Message expired, connection refused(Socket error code 10061)'", ReasonExpired},
		{"a receiver's 5.7.1 beside queue wording", "<grace@example.net>:\n192.0.2.85 does not like recipient.\nRemote host said: 553 sorry, no mailbox here by that name. (#5.1.1)\nI'm not going to try again; this message has been in the queue too long.", ReasonUserUnknown},
		{"delay notice", "The following recipients have not yet received your message:\ngrace@example.com\nThe server will continue trying for up to 21 hours.", ReasonExpired},
		{"Sendmail's EX_OSERR", "<grace@example.com>... Operating system error\nWarning: message still undelivered after 4 hours", ReasonMailerError},
		{"LDAP failure before qmail-send's queue note", "<grace@example.net>:\nUnable to contact LDAP server. (#4.4.3)I'm not going to try again; this\nmessage has been in the queue too long.", ReasonSystemError},
		{"duplicate DKIM-Signature", "<grace@example.com>: host mx.example.com[192.0.2.86] said: 554 Transaction failed: Duplicate header 'DKIM-Signature'. (in reply to end of DATA command)", ReasonNotCompliantRFC},
		{"bare temporary failure", eximAfter("RCPT TO:<grace@example.com>", "450 4.0.0 Temporary failure"), ReasonOnHold},
		{"try again later", eximAfter("end of data", "450 4.3.0 This message could not be delivered due to a recipient error. Please try again later."), ReasonOnHold},
		{"held", eximAfter("RCPT TO:<grace@example.com>", "550 5.0.0 <grace@example.com>: Recipient address rejected: On hold"), ReasonOnHold},
		{"m-FILTER's SMTP command heading", "-------server message\n550 unknown user <grace@example.com>\n\n-------SMTP command\nDATA\n", ReasonFiltered},
		{"Gmail's Send mail as", "You're sending this from a different address or alias using the 'Send mail as' feature. The settings for your 'Send mail as' account are misconfigured or out of date.\nLearn more here: https://support.google.com/mail/?p=CustomFromDenied", ReasonRejected},
		{"Domino in Japanese", "because:\n  ユーザー Grace (grace@example.co.jp) は Domino ディレクトリには見つかりません。", ReasonUserUnknown},
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%s: reason %q (stage %q, reply %q), want %q", tc.name, r.Reason, r.Stage, r.Reply, tc.reason)
		}
	}
}

// fml quotes the returned message, indented, after "Original mail as
// follows:"; its trace fields (Postfix's "No client certificate
// requested") are the sender's, not a reason.
func TestFmlsQuotedOriginalIsNotTheReason(t *testing.T) {
	msg := "From: list-admin@example.org\nSubject: Loop Alert: Duplicated Message-ID (list ML)\n\n" +
		"Duplicated Message-ID in <list@example.org>.\n\n\nOriginal mail as follows:\n\n" +
		"   Received: from mx.example.net (mx.example.net [192.0.2.87])\n" +
		"   \t(using TLSv1.2 with cipher ECDHE-RSA-AES256-SHA384 (256/256 bits))\n" +
		"   \t(No client certificate requested)\n" +
		"   \tby mx.example.org (Postfix) with ESMTPS id 1234\n   Subject: Lunch\n\n   Hello\n"
	if rc := ParseMessage(msg).Recipients[0]; rc.Reason == ReasonSecurityError {
		t.Errorf("reason %q from the quoted original's trace fields", rc.Reason)
	}
}

// A transcript cut off in the middle of a multi-line refusal still has the
// refusal: the lines read so far are the reply.
func TestATruncatedMultiLineRefusalInTheTranscriptIsStillTheFailure(t *testing.T) {
	text := "Transcript of session follows.\n\n" +
		" Out: 220 mx.example.org ESMTP\n In:  RCPT TO:<grace@example.org>\n" +
		" Out: 550-5.7.1 The sending address has no PTR record.\n Out: 550-5.7.1 Publish one for it"
	reply, command := chatFailure(text)
	if !strings.HasPrefix(reply, "550-5.7.1 The sending address") || !strings.Contains(reply, "Publish one") || command != "RCPT" {
		t.Errorf("reply %q after %q, want both 550 lines after RCPT", reply, command)
	}
}

// A temporary failure that ended a failure notice is an expiry when the
// host could not be reached at all (Sisimai's expired: "delivery time has
// expired due to a connection failure"); a DNS failure or a connection
// lost mid-session stays a network error.
func TestAnUnreachableHostInAFailureNoticeIsAnExpiry(t *testing.T) {
	for _, tc := range []struct{ name, text, reason string }{
		{"not reachable", "<grace@example.com>:\n421 Host not reachable.", ReasonExpired},
		{"timed out", "<grace@example.com>:\n421 4.4.1 Connection timed out", ReasonExpired},
		{"DNS failure", "<grace@example.com>:\n451 4.4.3 DNS Error: lookup failure for example.com", ReasonNetworkError},
		{"lost connection", "<grace@example.com>:\n421 4.4.2 lost connection with mx.example.com[192.0.2.88] while performing the HELO handshake", ReasonNetworkError},
	} {
		if rc := ParseMessage(tc.text).Recipients[0]; rc.Reason != tc.reason {
			t.Errorf("%s: reason %q (reply %q), want %q", tc.name, rc.Reason, rc.Reply, tc.reason)
		}
	}
}
