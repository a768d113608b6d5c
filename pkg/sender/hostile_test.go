package sender

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// escZone publishes SPF and DMARC records holding terminal escapes (ESC is
// \027, BEL \007 in zone-file text): a CSI that clears the screen and an
// OSC that sets the window title. The sending address has a confirmed PTR,
// so only SPF and DMARC are at stake.
const escZone = `
$TTL 300
esc.example.       SOA ns.esc.example. hostmaster.esc.example. 1 3600 600 86400 60
perm.esc.example.  TXT "v=spf1 \027[2Jfrob\007 ip4:192.0.2.25 -all"
soft.esc.example.  TXT "v=spf1 x=\027]0;owned\007 ~all"
_dmarc.esc.example. TXT "v=DMARC1; p=none; rua=mailto:\027[31md@esc.example"
mail.esc.example.  A   192.0.2.25
25.2.0.192.in-addr.arpa. PTR mail.esc.example.
`

// What the sender report says of a record is safe for a terminal even
// through `jq -r`: no control character in any JSON string, while the
// record is still shown and still judged as published.
func TestSenderReportCarriesNoTerminalEscapesFromSPFOrDMARC(t *testing.T) {
	s := dnstest.New(t, escZone)
	c, err := dnsq.New(dnsq.Config{Servers: []string{s.Addr4()}, Timeout: 500 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{srv: s, r: c}
	for _, tc := range []struct {
		domain, result, code string
	}{
		{"perm.esc.example", "permerror", report.CodeSPFPermError},
		{"soft.esc.example", "softfail", report.CodeSPFSoftFail},
	} {
		rep := f.audit(t, Options{IPs: addrs("192.0.2.25"), Domain: tc.domain})
		if len(rep.Senders) != 1 || rep.Senders[0].SPF == nil {
			t.Fatalf("%s: senders %+v", tc.domain, rep.Senders)
		}
		spf := rep.Senders[0].SPF
		if spf.Result != tc.result || !strings.HasPrefix(spf.Record, "v=spf1 ") {
			t.Errorf("%s: result %s, record %q", tc.domain, spf.Result, spf.Record)
		}
		if _, ok := findingFor(rep.Findings, tc.code); !ok {
			t.Errorf("%s: no %s in %v", tc.domain, tc.code, codes(rep.Findings))
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/json writes a control character as \u00XX: jq -r
		// turns it back into the raw byte.
		for _, esc := range []string{`\u001b`, `\u0007`} {
			if strings.Contains(string(b), esc) {
				t.Errorf("%s: the JSON carries %s:\n%s", tc.domain, esc, b)
			}
		}
	}
	d := checkDMARC(t.Context(), c, "esc.example")
	if d.Policy != "none" || !strings.Contains(d.Record, "rua=mailto:") || strings.ContainsAny(d.Record, "\x1b\x07") {
		t.Errorf("DMARC %+v", d)
	}
}
