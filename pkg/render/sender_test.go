package render

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/iprev"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// sampleSenderReport has one sender of each shape the text shows: a
// rejected IPv6 address with a hostile PTR name, a healthy IPv4 one, and a
// NAT'd one.
func sampleSenderReport() *sender.Report {
	dmarc := &sender.DMARC{Present: true, Status: "ok", Policy: "none", Domain: "example.org", Record: "v=DMARC1; p=none"}
	return &sender.Report{
		SchemaVersion: 1, Domain: "example.org", DMARC: dmarc,
		Postfix: &sender.Postfix{File: "main.cf", InetProtocols: "all", SMTPAddressPreference: "any"},
		Senders: []sender.Sender{
			{
				IP: netip.MustParseAddr("2001:db8:1::27"), Family: "ipv6", Origin: sender.OriginRoute, SourceKind: sender.KindPublic,
				PTR: []string{"v4only.example.org\x1b[2J"}, PTRStatus: dnsq.StatusOK, FCrDNS: iprev.StatusFail,
				GenericRDNS: true, GenericReason: "v4only.example.org: pool word",
				HELO:  &sender.HELO{Name: "mail.example.org", Origin: "--helo", FQDN: true, Status: dnsq.StatusNoData, Resolves: true},
				SPF:   &sender.SPF{Domain: "example.org", Result: "softfail", Mechanism: "~all"},
				DMARC: dmarc,
				DNSBL: []sender.Listing{{Zone: "bl.example", Status: "listed", Listed: true, Codes: []string{"127.0.0.3"}, Network: "2001:db8:1::/64"}},
				Receivers: sender.Receivers{
					Gmail: sender.Verdict{Action: sender.ActionReject, ReplyCode: 550, EnhancedCode: "5.7.1", Reason: "over IPv6 Gmail requires a PTR record",
						Reply: "[2001:db8:1::27] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication."},
					Microsoft: sender.Verdict{Action: sender.ActionDefer, ReplyCode: 450, EnhancedCode: "4.7.26", Reason: "SPF is softfail",
						Condition: "unless the message carries a valid DKIM signature"},
				},
			},
			{
				IP: netip.MustParseAddr("192.0.2.25"), Family: "ipv4", Origin: sender.OriginFlag, SourceKind: sender.KindPublic,
				PTR: []string{"mail.example.org"}, PTRStatus: dnsq.StatusOK, FCrDNS: iprev.StatusPass, Confirmed: []string{"mail.example.org"},
				HELO:  &sender.HELO{Name: "mail.example.org", Origin: "--helo", FQDN: true, Status: dnsq.StatusOK, Resolves: true, Matches: true, PTRMatch: true},
				SPF:   &sender.SPF{Domain: "example.org", Result: "pass", Mechanism: "ip4:192.0.2.25"},
				DMARC: dmarc,
				Receivers: sender.Receivers{
					Gmail:     sender.Verdict{Action: sender.ActionAccept, Reason: "forward-confirmed reverse DNS and SPF pass"},
					Microsoft: sender.Verdict{Action: sender.ActionAccept, Reason: "no Microsoft rule refuses this address on DNS grounds"},
				},
			},
			{
				IP: netip.MustParseAddr("172.17.0.2"), Family: "ipv4", Origin: sender.OriginRoute, SourceKind: sender.KindPrivate,
				PTR: []string{}, PTRStatus: dnsq.StatusSkipped, Skipped: "a private address; receivers see the public address it is translated to",
				Receivers: sender.Receivers{
					Gmail:     sender.Verdict{Action: sender.ActionUnknown, Reason: "not checked"},
					Microsoft: sender.Verdict{Action: sender.ActionUnknown, Reason: "not checked"},
				},
			},
		},
		Findings: []report.Finding{
			{Code: "MC602", Severity: report.SeverityFail, Subject: "2001:db8:1::27", Message: "The PTR of 2001:db8:1::27 names v4only.example.org, but no AAAA record of that name holds it.", Fix: "Publish `v4only.example.org. AAAA 2001:db8:1::27`."},
		},
	}
}

func TestSenderTextMatchesGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := SenderText(&buf, NewStyles(false), sampleSenderReport()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Fatalf("escape sequence from a PTR name reached the output:\n%q", buf.String())
	}
	golden(t, "sender.txt", buf.Bytes())
}

func TestSenderTextInColourKeepsTheSameWords(t *testing.T) {
	var plain, colour bytes.Buffer
	if err := SenderText(&plain, NewStyles(false), sampleSenderReport()); err != nil {
		t.Fatal(err)
	}
	if err := SenderText(&colour, NewStyles(true), sampleSenderReport()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(colour.String(), "\x1b[") {
		t.Fatal("no colour with colour enabled")
	}
	if stripANSI(colour.String()) != plain.String() {
		t.Errorf("colour changes the text:\n%s\n---\n%s", stripANSI(colour.String()), plain.String())
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestExplainTextMatchesGolden(t *testing.T) {
	res := bounce.Parse(`host gmail-smtp-in.l.google.com[2a00:1450:400c:c0a::1b] said: 550-5.7.1 [2001:db8:1::27      12] Our system has detected that this message does 550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and 550-5.7.1 authentication. 550 5.7.1 - gsmtp (in reply to end of DATA command)`)
	doc := document.Explain{SchemaVersion: 1, Result: res, ChecksNote: "Checks not run (--no-checks).", Findings: []report.Finding{}}
	var buf bytes.Buffer
	if err := ExplainText(&buf, NewStyles(false), doc); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain.txt", buf.Bytes())

	un := document.Explain{SchemaVersion: 1, Result: bounce.Parse("552 5.3.4 too big for mx.example.com from 192.0.2.1"), Findings: []report.Finding{}}
	buf.Reset()
	if err := ExplainText(&buf, NewStyles(false), un); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain_unrecognised.txt", buf.Bytes())

	// A whole message: the primary recipient explained, every one listed.
	rep := bounce.ParseMessage(eximTwoRecipients)
	msg := document.Explain{SchemaVersion: 1, Result: rep.Primary(), Subject: rep.Subject, From: rep.From, ReportingMTA: rep.ReportingMTA,
		Recipients: rep.Recipients, ChecksNote: "Checks not run (--no-checks).", Findings: []report.Finding{}}
	buf.Reset()
	if err := ExplainText(&buf, NewStyles(false), msg); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain_message.txt", buf.Bytes())
}

// eximTwoRecipients is an Exim bounce for two recipients, one rejected by
// Gmail over IPv6 for want of a PTR record, one unknown.
const eximTwoRecipients = `From: Mail Delivery System <Mailer-Daemon@mx.example.org>
To: grace@example.org
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  heidi@gmail.com
    host gmail-smtp-in.l.google.com [2001:db8:4860::1b]
    SMTP error from remote mail server after end of data:
    550-5.7.1 [2001:db8:77::25] Our system has detected that this message does
    550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and
    550 5.7.1 authentication. x1si2 - gsmtp
  ivan@example.net
    host mx.example.net [192.0.2.51]
    SMTP error from remote mail server after RCPT TO:<ivan@example.net>:
    550 5.1.1 <ivan@example.net>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------
`
