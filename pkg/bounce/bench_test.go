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
