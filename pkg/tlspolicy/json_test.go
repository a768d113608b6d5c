package tlspolicy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// The field names are what the orchestrator's documents carry and what
// docs/json.md describes.
func TestJSONFieldNamesAreTheDocumentedOnes(t *testing.T) {
	rec := NewRecord(dnsq.TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)})
	for _, c := range []struct {
		v    any
		keys []string
	}{
		{DANE{Status: DANEPass, Matched: &rec, Note: "n", Publish: "p", Error: "e"}, []string{`"status":"pass"`, `"matched":{"usage":3,"selector":1,"mtype":1,"data":"00`, `"usable":true`, `"note"`, `"publish"`, `"error"`}},
		{TLSASet{Host: "mx.example", Name: "_25._tcp.mx.example", Status: DANENoTLSA, DNSSEC: DNSSECSecure, Records: []Record{}}, []string{`"host"`, `"name"`, `"status":"no_tlsa"`, `"dnssec":"secure"`, `"records":[]`}},
		{MTASTS{Fetch: []Fetch{{Family: "ipv6", IP: "::1", Status: FetchRedirect}}, MXPatterns: []string{}}, []string{`"txt"`, `"policy"`, `"fetch":[{"family":"ipv6","ip":"::1","status":"redirect"`, `"mode"`, `"mx_patterns":[]`, `"max_age"`, `"mx_covered":false`}},
		{TLSRPT{RUA: []string{"mailto:a@b.example"}, Status: RPTOK}, []string{`"record"`, `"rua":["mailto:a@b.example"]`, `"status":"ok"`}},
		{Validation{Validates: true, Status: dnsq.StatusOK}, []string{`"validates":true`, `"status":"ok"`}},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range c.keys {
			if !strings.Contains(string(b), k) {
				t.Errorf("%s lacks %s", b, k)
			}
		}
	}
}
