package bounce

import "testing"

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
		// The same words after RCPT TO are about the recipient.
		{"mailbox that does not exist at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 5.1.1 grace does not exist"), ReasonUserUnknown},
		{"access denied at RCPT TO", eximAfter("RCPT TO:<grace@example.com>", "550 Access denied"), ReasonRejected},
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
	} {
		if r := Parse(tc.text); r.Reason != tc.reason {
			t.Errorf("%q: reason %q, want %q", tc.text, r.Reason, tc.reason)
		}
	}
}
