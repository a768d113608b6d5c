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
