package audit

import (
	"slices"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// Each TLS-policy fact of an otherwise healthy domain, and the one code it
// must bring (and the codes it must not).
func TestEvaluateTLSPolicyFindings(t *testing.T) {
	usable := []tlspolicy.Record{{Usage: 3, Selector: 1, MType: 1, Data: "aa", Usable: true}, {Usage: 2, Selector: 1, MType: 1, Data: "bb", Usable: true}}
	secure := func(host string, status tlspolicy.DANEStatus, recs []tlspolicy.Record) tlspolicy.TLSASet {
		return tlspolicy.TLSASet{Host: host, Name: "_25._tcp." + host, Status: status, Records: recs, MXSecure: true, IPv4Secure: true, IPv6Secure: true}
	}
	validating := tlspolicy.Validation{Validates: true, Status: dnsq.StatusOK}
	policy := func(mode string, covered bool, fetch ...tlspolicy.Fetch) *tlspolicy.MTASTS {
		m := &tlspolicy.MTASTS{Status: tlspolicy.STSOK, ID: "1", Mode: mode, MXCovered: covered, Fetch: fetch}
		if !covered {
			m.MXUncovered = []string{"mx2.example.org"}
		}
		return m
	}
	ok4 := tlspolicy.Fetch{Family: "ipv4", IP: "192.0.2.80", Status: tlspolicy.FetchOK, Digest: "d"}
	down6 := tlspolicy.Fetch{Family: "ipv6", IP: "2001:db8::80", Status: tlspolicy.FetchTimeout, Error: "connect: i/o timeout"}
	cases := []struct {
		name  string
		tls   TLSFacts
		dane  map[string]tlspolicy.DANEStatus // probe IP -> verdict
		want  string
		never []string
	}{
		{name: "resolver does not validate", tls: TLSFacts{}, want: "MC708", never: []string{"MC702", "MC703"}},
		{name: "no STARTTLS where TLSA exists", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{secure("mx1.example.org", tlspolicy.DANEPass, usable)}},
			dane: map[string]tlspolicy.DANEStatus{"2001:db8:1::10": tlspolicy.DANENoSTARTTLS}, want: "MC704"},
		{name: "fails over both families", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{secure("mx1.example.org", tlspolicy.DANEPass, usable)}},
			dane: map[string]tlspolicy.DANEStatus{"192.0.2.10": tlspolicy.DANEFail, "2001:db8:1::10": tlspolicy.DANEFail}, want: "MC703", never: []string{"MC702"}},
		{name: "only unusable records", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{secure("mx1.example.org", tlspolicy.DANEUnusable, []tlspolicy.Record{{Usage: 1, Problem: "PKIX-EE"}})}}, want: "MC705"},
		{name: "rollover covered by a trust anchor", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{secure("mx1.example.org", tlspolicy.DANEPass, usable)}}, never: []string{"MC706"}},
		{name: "secure MX, insecure AAAA", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{func() tlspolicy.TLSASet {
			s := secure("mx1.example.org", tlspolicy.DANEPass, usable)
			s.IPv6Secure = false
			return s
		}()}}, want: "MC707"},
		{name: "TLSA lookup bogus", tls: TLSFacts{Validation: validating, TLSA: []tlspolicy.TLSASet{secure("mx1.example.org", tlspolicy.DANELookupError, nil)}}, want: "MC709"},
		{name: "policy unreachable over IPv6 in testing mode", tls: TLSFacts{Validation: validating, MTASTS: policy(tlspolicy.ModeTesting, true, ok4, down6)}, want: "MC713", never: []string{"MC712"}},
		{name: "TXT without a policy, the fetches cut by the deadline", tls: TLSFacts{Validation: validating, MTASTSNotJudged: deadlineCut, MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSNoPolicy, ID: "1", Fetch: []tlspolicy.Fetch{down6}}}, never: []string{"MC714"}},
		{name: "policy fetched over IPv4, IPv6 cut by the deadline", tls: TLSFacts{Validation: validating, MTASTSNotJudged: deadlineCut, MTASTS: policy(tlspolicy.ModeEnforce, true, ok4, down6)}, never: []string{"MC712", "MC713"}},
		{name: "TXT without a policy, no IPv6 route here", tls: TLSFacts{Validation: validating, MTASTSNotJudged: "this host has no IPv6 route toward 2001:db8::80", MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSNoPolicy, ID: "1", Fetch: []tlspolicy.Fetch{down6}}}, never: []string{"MC714"}},
		{name: "TXT without a policy", tls: TLSFacts{Validation: validating, MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSNoPolicy, ID: "1", Fetch: []tlspolicy.Fetch{down6}}}, want: "MC714"},
		{name: "policy without TXT", tls: TLSFacts{Validation: validating, MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSPolicyNoTXT}}, want: "MC715"},
		{name: "invalid TXT", tls: TLSFacts{Validation: validating, MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSInvalidTXT, Error: "no id field"}}, want: "MC716"},
		{name: "no MTA-STS, no TLS-RPT", tls: TLSFacts{Validation: validating, MTASTS: &tlspolicy.MTASTS{Status: tlspolicy.STSNone}, TLSRPT: &tlspolicy.TLSRPT{Status: tlspolicy.RPTNone}},
			never: []string{"MC712", "MC713", "MC714", "MC715", "MC716", "MC717", "MC718", "MC720"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := healthy()
			for i := range f.Probes {
				if s, ok := c.dane[f.Probes[i].IP.String()]; ok {
					f.Probes[i].DANE = &tlspolicy.DANE{Status: s}
				}
			}
			tf := c.tls
			f.TLS = &tf
			v := Evaluate(f, Policy{Now: now})
			var codes []string
			for _, fd := range v.Findings {
				codes = append(codes, fd.Code)
			}
			if c.want != "" && !slices.Contains(codes, c.want) {
				t.Errorf("findings %v lack %s", codes, c.want)
			}
			for _, n := range c.never {
				if slices.Contains(codes, n) {
					t.Errorf("findings %v include %s", codes, n)
				}
			}
		})
	}
}

// A pass that holds only beyond Postfix's own limits is a warning, not a pass.
func TestEvaluateReportsADANEPassBeyondPostfixLimits(t *testing.T) {
	f := healthy()
	f.TLS = &TLSFacts{Validation: tlspolicy.Validation{Validates: true},
		TLSA: []tlspolicy.TLSASet{{Host: "mx1.example.org", Status: tlspolicy.DANEPass, MXSecure: true, IPv4Secure: true, IPv6Secure: true,
			Records: []tlspolicy.Record{{Usage: 2, Selector: 1, MType: 1, Data: "aa", Usable: true}}}}}
	f.Probes[0].DANE = &tlspolicy.DANE{Status: tlspolicy.DANEPass, Note: "the matching record is number 101 of the RRset; Postfix uses only the first 100, so it would not match"}
	v := Evaluate(f, Policy{Now: now})
	for _, fd := range v.Findings {
		if fd.Code == "MC710" && fd.Subject == "192.0.2.10" {
			return
		}
	}
	t.Errorf("findings %v lack MC710 for 192.0.2.10", v.Findings)
}
