package bounce

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse guards the parser's promises on any input: no panic, bounded
// output, no control characters in text meant for a terminal, and a
// recognised result always names its rule and fix. The seed corpus is in
// testdata/fuzz/FuzzParse plus the real-world table.
func FuzzParse(f *testing.F) {
	for _, tc := range realWorld {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := Parse(text)
		if r.Recognised && (r.Rule == "" || r.Fix == "" || r.Explanation == "") {
			t.Fatalf("recognised without rule, fix or explanation: %+v", r)
		}
		if !r.Recognised && r.Rule != "" {
			t.Fatalf("rule %q on an unrecognised result", r.Rule)
		}
		if r.ReplyCode != 0 && (r.ReplyCode < 200 || r.ReplyCode > 599) {
			t.Fatalf("reply code %d out of range", r.ReplyCode)
		}
		if len(r.Reply) > maxReply+len("…") {
			t.Fatalf("reply of %d bytes", len(r.Reply))
		}
		if len(r.Addresses) > maxExtracted || len(r.Codes) > maxExtracted || len(r.Hosts) > maxExtracted {
			t.Fatalf("unbounded extraction: %d %d %d", len(r.Addresses), len(r.Codes), len(r.Hosts))
		}
		for _, s := range append([]string{r.Reply, r.Explanation, r.Fix, r.ReceivingHost, r.Stage, r.SenderDomain, r.HELO}, r.Hosts...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
			if strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) }) {
				t.Fatalf("control character in %q", s)
			}
		}
		if r.SenderIP.IsValid() && r.SenderIP == r.ReceivingIP {
			t.Fatalf("sender and receiving address are the same: %v", r.SenderIP)
		}
	})
}

// FuzzParseMessage holds ParseMessage to the same promises on whole
// messages, for every recipient: at least one result, bounded, clean text,
// a reason always named. Seeds: the test messages of message_test.go and
// transcript_test.go.
func FuzzParseMessage(f *testing.F) {
	for _, m := range []string{postfixReport, sendmailTruncated, qmailBounce, eximBounce, office365Bounce, oldSendmailNotice} {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rep := ParseMessage(text)
		if len(rep.Recipients) == 0 || len(rep.Recipients) > maxRecipients {
			t.Fatalf("%d recipients", len(rep.Recipients))
		}
		for _, rc := range rep.Recipients {
			if rc.Reason == "" {
				t.Fatalf("no reason: %+v", rc)
			}
			if rc.Recognised && (rc.Rule == "" || rc.Fix == "") {
				t.Fatalf("recognised without rule or fix: %+v", rc)
			}
			if len(rc.Reply) > maxReply+len("…") {
				t.Fatalf("reply of %d bytes", len(rc.Reply))
			}
			for _, s := range []string{rc.Recipient, rc.Action, rc.LastAttempt, rc.Reply, rc.Explanation, rc.Fix,
				rc.ReceivingHost, rc.Stage, rc.SenderDomain, rep.Subject, rep.From, rep.ReportingMTA} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %q", s)
				}
				if strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) }) {
					t.Fatalf("control character in %q", s)
				}
			}
		}
	})
}
