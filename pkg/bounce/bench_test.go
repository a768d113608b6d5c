package bounce

import (
	"strings"
	"testing"
)

// BenchmarkParseGmailLogLine is the common case: one pasted Postfix log line.
func BenchmarkParseGmailLogLine(b *testing.B) {
	text := realWorld[0].text
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Parse(text)
	}
}

// BenchmarkParseMaxInput is the worst case explain accepts: MaxInput bytes
// of log lines without a recognisable reply.
func BenchmarkParseMaxInput(b *testing.B) {
	line := "Nov 29 10:00:00 mail postfix/qmgr[12]: 4F1A2B3C4D: from=<a@example.org>, size=1234, nrcpt=1 (queue active)\n"
	text := strings.Repeat(line, MaxInput/len(line))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Parse(text)
	}
}

// BenchmarkParseMessage is a whole multipart/report bounce: headers, a
// quoted-printable text part, the delivery-status fields and the returned
// headers. The target is at most 1 ms of CPU per message.
func BenchmarkParseMessage(b *testing.B) {
	b.SetBytes(int64(len(postfixReport)))
	for b.Loop() {
		ParseMessage(postfixReport)
	}
}

// BenchmarkParseMessageTranscript is a Sendmail DSN with CR line ends
// whose reply is rebuilt from the transcript.
func BenchmarkParseMessageTranscript(b *testing.B) {
	b.SetBytes(int64(len(sendmailTruncated)))
	for b.Loop() {
		ParseMessage(sendmailTruncated)
	}
}
