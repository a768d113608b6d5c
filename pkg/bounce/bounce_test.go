package bounce

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// Real-world shapes of bounces and log lines, with documentation addresses
// in place of the originals.
var realWorld = []struct {
	name      string
	text      string
	receiver  string
	rule      string
	sender    string // expected sending address, "" for none
	recvHost  string
	code      int
	enhanced  string
	permanent bool
	stage     string
}{
	{
		name:     "Postfix log, Gmail IPv6 PTR/auth, multi-line reply joined by Postfix",
		text:     `Nov 29 10:12:01 mail postfix/smtp[21977]: 4F1A2B3C4D: to=<alice@gmail.com>, relay=gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b]:25, delay=1.4, delays=0.05/0.01/0.32/1, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b] said: 550-5.7.1 [2001:db8:1:2::25      12] Our system has detected that this message does 550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. Please review 550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information 550 5.7.1 . o12-20020a5d4a0c000000b00333fba1e5c9si1234567wrq.55 - gsmtp (in reply to end of DATA command))`,
		receiver: ReceiverGmail, rule: "gmail-ipv6-ptr-auth", sender: "2001:db8:1:2::25",
		recvHost: "gmail-smtp-in.l.google.com", code: 550, enhanced: "5.7.1", permanent: true, stage: "end of DATA",
	},
	{
		name: "SMTP transcript, Gmail IPv6 continuation lines",
		text: "550-5.7.1 [2001:db8::25] Our system has detected that this message does\r\n" +
			"550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and\r\n" +
			"550-5.7.1 authentication. Please review\r\n" +
			"550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information\r\n" +
			"550 5.7.1 . x7si123wrb.1 - gsmtp\r\n",
		receiver: ReceiverGmail, rule: "gmail-ipv6-ptr-auth", sender: "2001:db8::25",
		code: 550, enhanced: "5.7.1", permanent: true,
	},
	{
		name: "Postfix DSN (Undelivered Mail Returned to Sender), wrapped",
		text: `This is the mail system at host mail.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@gmail.com>: host gmail-smtp-in.l.google.com[2a00:1450:4013:c03::1a]
    said: 550-5.7.1 [2001:db8:ab::5      12] Our system has detected that this
    message does 550-5.7.1 not meet IPv6 sending guidelines regarding PTR
    records and 550-5.7.1 authentication. Please review 550-5.7.1
    https://support.google.com/mail/?p=IPv6AuthError for more information 550
    5.7.1 . a640c23a62f3a-a9a1b2c3d4si12345666b.123 - gsmtp (in reply to end of
    DATA command)

Reporting-MTA: dns; mail.example.org
Remote-MTA: dns; gmail-smtp-in.l.google.com
Diagnostic-Code: smtp; 550-5.7.1 [2001:db8:ab::5      12] Our system has
    detected that this message does not meet IPv6 sending guidelines`,
		receiver: ReceiverGmail, rule: "gmail-ipv6-ptr-auth", sender: "2001:db8:ab::5",
		recvHost: "gmail-smtp-in.l.google.com", code: 550, enhanced: "5.7.1", permanent: true, stage: "end of DATA",
	},
	{
		name:     "Gmail 550 5.7.25 missing PTR (IPv4)",
		text:     `host aspmx.l.google.com[192.0.2.27] said: 550-5.7.25 [198.51.100.7] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages 550-5.7.25 from IPs with missing PTR records. For more information, go to 550-5.7.25  https://support.google.com/mail/answer/81126#ip-practices 550 5.7.25 d2e1a72fcca58-7a1b2c3d4e5si123.45 - gsmtp (in reply to end of DATA command)`,
		receiver: ReceiverGmail, rule: "gmail-ptr-missing", sender: "198.51.100.7",
		recvHost: "aspmx.l.google.com", code: 550, enhanced: "5.7.25", permanent: true, stage: "end of DATA",
	},
	{
		name:     "Gmail 550 5.7.25 PTR name does not match",
		text:     `550-5.7.25 [2001:db8::77] The sending IP does not match the IP address of the hostname specified in the pointer (PTR) record. For more information, go to Email sender guidelines. - gsmtp`,
		receiver: ReceiverGmail, rule: "gmail-ptr-missing", sender: "2001:db8::77",
		code: 550, enhanced: "5.7.25", permanent: true,
	},
	{
		name:     "Postfix log, Gmail 421 4.7.0 PTR rate limit, deferred",
		text:     `Nov 29 08:01:02 mx1 postfix/smtp[404]: 9C3D2E1F00: to=<carol@gmail.com>, relay=gmail-smtp-in.l.google.com[192.0.2.26]:25, delay=305, delays=300/0.01/0.4/4.6, dsn=4.7.0, status=deferred (host gmail-smtp-in.l.google.com[192.0.2.26] said: 421-4.7.0 [203.0.113.9      15] The IP address sending this message does not have a 421-4.7.0 PTR record, or the corresponding forward DNS entry does not point to 421-4.7.0 the sending IP. To protect our users from spam, mail sent from your IP 421-4.7.0 address has been temporarily rate limited. For more information, go to 421-4.7.0  https://support.google.com/mail/answer/81126#ip-practices 421 4.7.0 b1si2003378lfa.12 - gsmtp (in reply to end of DATA command))`,
		receiver: ReceiverGmail, rule: "gmail-ptr-rate-limited", sender: "203.0.113.9",
		recvHost: "gmail-smtp-in.l.google.com", code: 421, enhanced: "4.7.0", permanent: false, stage: "end of DATA",
	},
	{
		name:     "Gmail 421 4.7.23 PTR not matching",
		text:     `421-4.7.23 [2001:db8:5::9] The sending IP address for this message doesn't have a PTR record, or the PTR record's forward DNS entry doesn't match the sending IP address. To protect users from spam, your email has been temporarily rate limited. - gsmtp`,
		receiver: ReceiverGmail, rule: "gmail-ptr-rate-limited", sender: "2001:db8:5::9",
		code: 421, enhanced: "4.7.23", permanent: false,
	},
	{
		name:     "Gmail 550 5.7.26 unauthenticated (SPF domain and IP named)",
		text:     `host gmail-smtp-in.l.google.com[192.0.2.26] said: 550-5.7.26 This mail is unauthenticated, which poses a security risk to the 550-5.7.26 sender and Gmail users, and has been blocked. The sender must 550-5.7.26 authenticate with at least one of SPF or DKIM. For this message, 550-5.7.26 DKIM checks did not pass and SPF check for [example.org] did not 550-5.7.26 pass with ip: [2001:db8:7::25]. To best protect our users from spam, 550-5.7.26 the message has been blocked. 550 5.7.26 - gsmtp (in reply to end of DATA command)`,
		receiver: ReceiverGmail, rule: "gmail-unauthenticated", sender: "2001:db8:7::25",
		recvHost: "gmail-smtp-in.l.google.com", code: 550, enhanced: "5.7.26", permanent: true, stage: "end of DATA",
	},
	{
		name:     "Gmail 421 4.7.26 rate limited, unauthenticated",
		text:     `421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = did not pass SPF [example.org] with ip: [198.51.100.40] = did not pass - gsmtp`,
		receiver: ReceiverGmail, rule: "gmail-unauthenticated", sender: "198.51.100.40",
		code: 421, enhanced: "4.7.26", permanent: false,
	},
	{
		name:     "Gmail 550 5.7.26 DMARC policy",
		text:     `550-5.7.26 Unauthenticated email from example.net is not accepted due to domain's DMARC policy. Please contact the administrator of example.net domain if this was a legitimate mail. - gsmtp`,
		receiver: ReceiverGmail, rule: "gmail-dmarc-policy",
		code: 550, enhanced: "5.7.26", permanent: true,
	},
	{
		name:     "Microsoft 550 5.7.25 IPv6 without reverse DNS",
		text:     `Nov 29 11:00:00 mail postfix/smtp[777]: 1A2B3C: to=<dave@contoso.com>, relay=contoso-com.mail.protection.outlook.com[2a01:111:f400:7e1a::2]:25, dsn=5.7.25, status=bounced (host contoso-com.mail.protection.outlook.com[2a01:111:f400:7e1a::2] said: 550 5.7.25 Service unavailable, sending IPv6 address [2001:db8:99::10] must have reverse DNS record. (in reply to MAIL FROM command))`,
		receiver: ReceiverMicrosoft, rule: "microsoft-ipv6-no-ptr", sender: "2001:db8:99::10",
		recvHost: "contoso-com.mail.protection.outlook.com", code: 550, enhanced: "5.7.25", permanent: true, stage: "MAIL FROM",
	},
	{
		name:     "Microsoft 450 4.7.26 IPv6 must pass SPF or DKIM",
		text:     `host contoso-com.mail.protection.outlook.com[2a01:111:f400:7e1a::2] said: 450 4.7.26 Service unavailable, message sent over IPv6 [2001:db8:99::11] must pass either SPF or DKIM validation, this message is not signed [AM4PEPF00025F98.EURPRD83.prod.outlook.com] (in reply to end of DATA command)`,
		receiver: ReceiverMicrosoft, rule: "microsoft-ipv6-auth", sender: "2001:db8:99::11",
		recvHost: "contoso-com.mail.protection.outlook.com", code: 450, enhanced: "4.7.26", permanent: false, stage: "end of DATA",
	},
	{
		name:     "Outlook.com 550 5.7.515 authentication level",
		text:     `host outlook-com.olc.protection.outlook.com[192.0.2.80] said: 550 5.7.515 Access denied, sending domain [EXAMPLE.ORG] does not meet the required authentication level. The sender's domain in the 5322.From address doesn't meet the authentication requirements defined for the sender. (in reply to end of DATA command)`,
		receiver: ReceiverMicrosoft, rule: "microsoft-auth-level",
		recvHost: "outlook-com.olc.protection.outlook.com", code: 550, enhanced: "5.7.515", permanent: true, stage: "end of DATA",
	},
	{
		name:     "Microsoft 550 5.2.1 tenant without IPv6",
		text:     `host fabrikam-com.mail.protection.outlook.com[2a01:111:f400:7e1b::5] said: 550 5.2.1 Service unavailable, [fabrikam.com] does not accept email over IPv6 (in reply to RCPT TO command)`,
		receiver: ReceiverMicrosoft, rule: "microsoft-ipv6-not-accepted",
		recvHost: "fabrikam-com.mail.protection.outlook.com", code: 550, enhanced: "5.2.1", permanent: true, stage: "RCPT TO",
	},
	{
		name:     "Yahoo 421 4.7.0 [TSS04] deferred",
		text:     `Nov 29 12:00:00 mail postfix/smtp[888]: 5E6F: to=<erin@yahoo.com>, relay=mta6.am0.yahoodns.net[192.0.2.90]:25, dsn=4.7.0, status=deferred (host mta6.am0.yahoodns.net[192.0.2.90] said: 421 4.7.0 [TSS04] Messages from 198.51.100.23 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command))`,
		receiver: ReceiverYahoo, rule: "yahoo-tss04", sender: "198.51.100.23",
		recvHost: "mta6.am0.yahoodns.net", code: 421, enhanced: "4.7.0", permanent: false, stage: "MAIL FROM",
	},
	{
		name:     "Yahoo 553 5.7.2 [TSS09] permanently deferred",
		text:     `553 5.7.2 [TSS09] All messages from 2001:db8:3::8 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes`,
		receiver: ReceiverYahoo, rule: "yahoo-permanently-deferred", sender: "2001:db8:3::8",
		code: 553, enhanced: "5.7.2", permanent: true,
	},
	{
		name:     "Yahoo 550 5.7.9 unauthenticated",
		text:     `host mta5.am0.yahoodns.net[192.0.2.91] said: 550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM. (in reply to end of DATA command)`,
		receiver: ReceiverYahoo, rule: "yahoo-unauthenticated",
		recvHost: "mta5.am0.yahoodns.net", code: 550, enhanced: "5.7.9", permanent: true, stage: "end of DATA",
	},
	{
		name:     "Receiving Postfix: reject_unknown_reverse_client_hostname, smtpd log",
		text:     `Nov 29 13:00:00 mx postfix/smtpd[999]: NOQUEUE: reject: RCPT from unknown[2001:db8:44::2]: 450 4.7.1 Client host rejected: cannot find your reverse hostname, [2001:db8:44::2]; from=<frank@example.org> to=<gina@example.com> proto=ESMTP helo=<mail.example.org>`,
		receiver: ReceiverPostfix, rule: "postfix-unknown-reverse-client", sender: "2001:db8:44::2",
		code: 450, enhanced: "4.7.1", permanent: false,
	},
	{
		name:     "Receiving Postfix: reject_unknown_client_hostname in a bounce",
		text:     `host mx.example.com[203.0.113.30] said: 550 5.7.25 Client host rejected: cannot find your hostname, [198.51.100.44] (in reply to RCPT TO command)`,
		receiver: ReceiverPostfix, rule: "postfix-unknown-client", sender: "198.51.100.44",
		recvHost: "mx.example.com", code: 550, enhanced: "5.7.25", permanent: true, stage: "RCPT TO",
	},
	{
		name:     "Local: Postfix connect to an IPv6 MX without IPv6 route",
		text:     `Nov 29 14:00:00 mail postfix/smtp[1234]: connect to gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b]:25: Network is unreachable`,
		receiver: ReceiverLocal, rule: "local-network-unreachable",
		recvHost: "gmail-smtp-in.l.google.com",
	},
	{
		name:     "Local: deferred with connection timed out",
		text:     `Nov 29 14:00:31 mail postfix/smtp[1234]: 7A8B9C: to=<h@example.com>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.55]:25: Connection timed out)`,
		receiver: ReceiverLocal, rule: "local-connect-timeout",
		recvHost: "mx.example.com", enhanced: "4.4.1",
	},
	{
		name: "Unknown receiver, RFC 7372 X.7.25",
		text: `550 5.7.25 Reverse DNS validation failed for 198.51.100.61`,
		rule: "rfc7372-reverse-dns", code: 550, enhanced: "5.7.25", permanent: true,
	},
	{
		name: "Spamhaus listing at some receiver",
		text: `host mx.example.net[192.0.2.70] said: 554 5.7.1 Service unavailable; Client host [198.51.100.99] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.99 (in reply to RCPT TO command)`,
		rule: "dnsbl-listed", sender: "198.51.100.99",
		recvHost: "mx.example.net", code: 554, enhanced: "5.7.1", permanent: true, stage: "RCPT TO",
	},
}

func TestParseRecognisesRealWorldBouncesAndLogLines(t *testing.T) {
	if len(realWorld) < 15 {
		t.Fatalf("the table must hold at least 15 real-world lines, has %d", len(realWorld))
	}
	for _, tc := range realWorld {
		t.Run(tc.name, func(t *testing.T) {
			r := Parse(tc.text)
			if !r.Recognised {
				t.Fatalf("not recognised; got %+v", r)
			}
			if r.Rule != tc.rule {
				t.Errorf("rule = %q, want %q", r.Rule, tc.rule)
			}
			if r.Receiver != tc.receiver {
				t.Errorf("receiver = %q, want %q", r.Receiver, tc.receiver)
			}
			var want netip.Addr
			if tc.sender != "" {
				want = netip.MustParseAddr(tc.sender)
			}
			if r.SenderIP != want {
				t.Errorf("sender IP = %v, want %v", r.SenderIP, want)
			}
			if r.ReceivingHost != tc.recvHost {
				t.Errorf("receiving host = %q, want %q", r.ReceivingHost, tc.recvHost)
			}
			if r.ReplyCode != tc.code || r.EnhancedCode != tc.enhanced {
				t.Errorf("codes = %d %q, want %d %q", r.ReplyCode, r.EnhancedCode, tc.code, tc.enhanced)
			}
			if tc.code != 0 && r.Permanent != tc.permanent {
				t.Errorf("permanent = %v, want %v", r.Permanent, tc.permanent)
			}
			if r.Stage != tc.stage {
				t.Errorf("stage = %q, want %q", r.Stage, tc.stage)
			}
			if r.Explanation == "" || r.Fix == "" {
				t.Errorf("explanation or fix empty: %+v", r)
			}
			if strings.Contains(r.Explanation+r.Fix, "{") {
				t.Errorf("unreplaced placeholder in %q / %q", r.Explanation, r.Fix)
			}
		})
	}
}

func TestParseJoinsGmailContinuationLinesIntoOneReply(t *testing.T) {
	r := Parse(realWorld[0].text)
	want := "[2001:db8:1:2::25 12] Our system has detected that this message does not meet IPv6 sending guidelines " +
		"regarding PTR records and authentication. Please review https://support.google.com/mail/?p=IPv6AuthError " +
		"for more information . o12-20020a5d4a0c000000b00333fba1e5c9si1234567wrq.55 - gsmtp"
	if r.Reply != want {
		t.Errorf("reply =\n%q\nwant\n%q", r.Reply, want)
	}
	if r.Family != "ipv6" {
		t.Errorf("family = %q, want ipv6", r.Family)
	}
	if r.Status != "bounced" {
		t.Errorf("postfix status = %q, want bounced", r.Status)
	}
	if !slices.Contains(r.Checks, CheckPTR) || !slices.Contains(r.Checks, CheckSPF) {
		t.Errorf("checks = %v, want PTR and SPF among them", r.Checks)
	}
}

// Exim 4.96's main log, as the logs lab records it: the reply's line
// breaks written as the two characters "\n", the host as "H=NAME [ADDR]".
func TestParseReadsAnEximMainLogLineWithItsEscapedLineBreaks(t *testing.T) {
	r := Parse(`2026-12-06 20:39:25 1xaJ13-0004nn-2V ** e1@gmail.example R=dnslookup T=remote_smtp H=mx.gmail.example [2001:db8:c1:2::25]: SMTP error from remote mail server after end of data: 550-5.7.1 [2001:db8:1::1      12] Our system has detected that this message does\n550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and\n550-5.7.1 authentication. Please review\n550 5.7.1 . lab50si565 - gsmtp`)
	want := "[2001:db8:1::1 12] Our system has detected that this message does not meet IPv6 sending guidelines " +
		"regarding PTR records and authentication. Please review . lab50si565 - gsmtp"
	if r.Reply != want {
		t.Errorf("reply =\n%q\nwant\n%q", r.Reply, want)
	}
	if r.Rule != "gmail-ipv6-ptr-auth" || r.ReceivingHost != "mx.gmail.example" || r.ReceivingIP.String() != "2001:db8:c1:2::25" ||
		r.SenderIP.String() != "2001:db8:1::1" || r.Stage != "end of DATA" {
		t.Errorf("rule %q host %q ip %v sender %v stage %q", r.Rule, r.ReceivingHost, r.ReceivingIP, r.SenderIP, r.Stage)
	}
	// A "\n" that does not precede a reply code is left alone.
	if got := eximLogBreaks(`C:\new 550 x`); got != `C:\new 550 x` {
		t.Errorf("eximLogBreaks changed %q", got)
	}
}

func TestParseNamesTheIPv4AddressInTheExplanation(t *testing.T) {
	r := Parse(realWorld[3].text)
	if !strings.Contains(r.Explanation, "198.51.100.7") || !strings.Contains(r.Fix, "198.51.100.7") {
		t.Errorf("explanation/fix do not name the sender: %q / %q", r.Explanation, r.Fix)
	}
}

func TestParseExtractsTheSenderDomainFromGmailAndMicrosoftTexts(t *testing.T) {
	cases := map[string]string{
		realWorld[7].text:  "example.org",
		realWorld[9].text:  "example.net",
		realWorld[12].text: "example.org",
	}
	for text, want := range cases {
		if got := Parse(text).SenderDomain; got != want {
			t.Errorf("sender domain = %q, want %q in %.60q", got, want, text)
		}
	}
}

func TestParseTakesEnvelopeDomainAndHELOFromAReceivingPostfixLog(t *testing.T) {
	r := Parse(realWorld[17].text)
	if r.SenderDomain != "example.org" || r.HELO != "mail.example.org" {
		t.Errorf("sender domain, HELO = %q, %q, want example.org, mail.example.org", r.SenderDomain, r.HELO)
	}
	if want := "Client host rejected: cannot find your reverse hostname, [2001:db8:44::2]"; r.Reply != want {
		t.Errorf("reply = %q, want %q (the log's from=/to= tail removed)", r.Reply, want)
	}
}

func TestParseDoesNotMistakeYahoosInternalCodeForAnAddress(t *testing.T) {
	r := Parse(realWorld[14].text)
	if slices.Contains(r.Addresses, netip.MustParseAddr("4.16.55.1")) {
		t.Errorf("addresses = %v include Yahoo's 4.16.55.1 code", r.Addresses)
	}
}

func TestParseNeverTakesTheReceivingAddressAsTheSender(t *testing.T) {
	r := Parse(`host mx.example.com[2001:db8::53] said: 550 5.7.1 rejected, [2001:db8::53] is not welcome`)
	if r.SenderIP == netip.MustParseAddr("2001:db8::53") {
		t.Errorf("took the receiving host's address as the sender")
	}
}

func TestParseReportsUnrecognisedTextHonestlyWithWhatItExtracted(t *testing.T) {
	r := Parse("Hello, my mail to bob@example.com via mx.example.com bounced with 552 5.3.4 " +
		"message too big, my server is 192.0.2.1 and 2001:db8::1.")
	if r.Recognised {
		t.Fatalf("recognised as %q, want not recognised", r.Rule)
	}
	if r.Rule != "" || r.Fix != "" {
		t.Errorf("unrecognised result carries a rule or fix: %+v", r)
	}
	if !strings.HasPrefix(r.Explanation, "Not recognised") {
		t.Errorf("explanation = %q", r.Explanation)
	}
	if !slices.Contains(r.Codes, "552 5.3.4") {
		t.Errorf("codes = %v, want 552 5.3.4", r.Codes)
	}
	wantAddrs := []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1")}
	if !slices.Equal(r.Addresses, wantAddrs) {
		t.Errorf("addresses = %v, want %v", r.Addresses, wantAddrs)
	}
	if !slices.Contains(r.Hosts, "mx.example.com") {
		t.Errorf("hosts = %v, want mx.example.com", r.Hosts)
	}
	if !r.Permanent || r.ReplyCode != 552 {
		t.Errorf("code = %d permanent = %v", r.ReplyCode, r.Permanent)
	}
}

func TestParseOfEmptyTextIsNotRecognised(t *testing.T) {
	for _, s := range []string{"", "   \n\t", "hello"} {
		r := Parse(s)
		if r.Recognised || r.ReplyCode != 0 || len(r.Addresses) != 0 {
			t.Errorf("Parse(%q) = %+v", s, r)
		}
	}
}

func TestParseStripsTerminalEscapesFromRemoteText(t *testing.T) {
	text := "550-5.7.1 [2001:db8::25] Our system \x1b]0;pwned\x07has detected \x1b[2Jthat this message does not meet IPv6 sending guidelines - gsmtp"
	r := Parse(text)
	if strings.ContainsAny(r.Reply, "\x1b\x07") || strings.Contains(r.Reply, "pwned") {
		t.Errorf("escape sequence survived: %q", r.Reply)
	}
	if r.Rule != "gmail-ipv6-ptr-auth" {
		t.Errorf("rule = %q", r.Rule)
	}
}

func TestParseBoundsItsInputAndItsReply(t *testing.T) {
	long := "550 5.7.1 " + strings.Repeat("x ", MaxInput)
	r := Parse(long)
	if len(r.Reply) > maxReply+len("…") {
		t.Errorf("reply is %d bytes, want at most %d", len(r.Reply), maxReply)
	}
}

func TestParseRemovesTheCodesOfEmptyContinuationLines(t *testing.T) {
	r := Parse("550-5.7.26 This mail has been blocked. 550-5.7.26 550-5.7.26 Authentication results: 550-5.7.26 550-5.7.26 550 5.7.26 More")
	if r.Reply != "This mail has been blocked. Authentication results: More" {
		t.Errorf("reply %q", r.Reply)
	}
}

func TestParseRemovesContinuationCodesWithoutAnEnhancedCode(t *testing.T) {
	r := Parse("554-mx.example.com Service not available 554-No SMTP service 554-Bad DNS PTR resource record. 554 See the postmaster page")
	if r.Reply != "mx.example.com Service not available No SMTP service Bad DNS PTR resource record. See the postmaster page" {
		t.Errorf("reply %q", r.Reply)
	}
}

func TestParseReadsTheStatusAfterACodeWrittenTwice(t *testing.T) {
	// Gmail quotes another server's reply as "554 554 5.7.0 ...".
	r := Parse("The error that the other server returned was: 554 554 5.7.0 Header error (state 18).")
	if r.ReplyCode != 554 || r.EnhancedCode != "5.7.0" || r.Reply != "Header error (state 18)." {
		t.Errorf("code %d status %q reply %q", r.ReplyCode, r.EnhancedCode, r.Reply)
	}
}
