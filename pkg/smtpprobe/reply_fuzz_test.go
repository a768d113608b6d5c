package smtpprobe

import (
	"strings"
	"testing"
	"time"
)

// FuzzReadReply feeds arbitrary peer bytes to the reply reader: it must
// never panic, never return more lines than allowed or a line longer than
// the bound, and a reply it accepts has a valid code.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 mx.example.test ESMTP\r\n",
		"250-mx hello\r\n250-PIPELINING\r\n250 STARTTLS\r\n",
		"554 5.7.1 no\n",
		"220-a\r\n221 b\r\n",
		"HTTP/1.1 400 Bad Request\r\n\r\n",
		"250",
		"250-x\r\n250-x\r\n250-x\r\n",
		"\x00\xff\x1b[31m220 x\r\n",
	} {
		f.Add(s)
	}
	limits := Limits{MaxLineLen: 64, MaxLines: 4, MaxBytes: 512}
	f.Fuzz(func(t *testing.T, in string) {
		cnt := &counter{r: strings.NewReader(in), max: limits.MaxBytes, now: time.Now}
		rr := newReplyReader(cnt, limits, nil)
		for i := 0; i < 8; i++ {
			rep, err := rr.read()
			if len(rep.Lines) > limits.MaxLines {
				t.Fatalf("%d lines, limit %d", len(rep.Lines), limits.MaxLines)
			}
			for _, l := range rep.Lines {
				if len(l) > limits.MaxLineLen {
					t.Fatalf("line of %d bytes, limit %d", len(l), limits.MaxLineLen)
				}
			}
			if cnt.n > limits.MaxBytes {
				t.Fatalf("read %d bytes, limit %d", cnt.n, limits.MaxBytes)
			}
			if err != nil {
				return
			}
			if rep.Code < 200 || rep.Code > 559 {
				t.Fatalf("accepted code %d", rep.Code)
			}
		}
	})
}
