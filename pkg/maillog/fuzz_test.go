package maillog

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseLine feeds arbitrary lines to the parser: it must never panic,
// and what it returns must come from the line (testdata/fuzz/FuzzParseLine
// holds the seed corpus: one line of each shape ParseLine reads).
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`Nov 29 10:12:01 mail postfix/smtp[21977]: 4F1A2B3C4D: to=<alice@gmail.com>, relay=gmail-smtp-in.l.google.com[2001:db8::1b]:25, delay=1.4, dsn=5.7.1, status=bounced (host x[2001:db8::1b] said: 550 5.7.1 no (in reply to end of DATA command))`,
		`2026-11-29 10:12:01 1tAbCd-000Ab1-Xy == bob@example.com R=d T=t defer (-44) H=mx.example.com [192.0.2.80]: 450 later`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, ok := ParseLine(line, 2026, time.UTC)
		if !ok {
			if e != (Event{}) {
				t.Errorf("not an attempt, yet an event: %+v", e)
			}
			return
		}
		switch e.Outcome {
		case Delivered, Deferred, Bounced:
		default:
			t.Errorf("outcome %q", e.Outcome)
		}
		if e.Final && e.Recipient == "" && e.MTA == "postfix" {
			t.Errorf("a final Postfix line without a recipient: %q", line)
		}
		for _, field := range []string{e.Recipient, e.RelayHost, e.QueueID} {
			if !strings.Contains(line, field) {
				t.Errorf("%q is not in the line %q", field, line)
			}
		}
		if utf8.ValidString(line) && !utf8.ValidString(e.Reply) {
			t.Errorf("reply %q of a valid line is not valid UTF-8", e.Reply)
		}
		_ = e.Domain()
		_ = e.Family()
	})
}
