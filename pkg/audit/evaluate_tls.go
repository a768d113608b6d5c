package audit

import (
	"fmt"
	"strings"

	ipfam "github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// EvaluateTLS judges the TLS policy of what `mailcheck probe` measured:
// the DANE verdict of every probe (f.Probes) and the resolver's
// validation. check judges the same within Evaluate.
func EvaluateTLS(f Facts, p Policy) Verdict {
	return evaluate(&f, &p, (*evaluator).tlsPolicy)
}

// tlsPolicy judges DNSSEC, DANE, MTA-STS and TLS-RPT (MC7xx).
func (e *evaluator) tlsPolicy() {
	t := e.f.TLS
	if t.Cut {
		// docs/exit-codes.md: --timeout is never the domain's fault.
		e.undecided("the run's deadline cut the TLS-policy lookups of " + e.f.Discovery.Domain)
	}
	if !t.Validation.Validates {
		e.add(report.CodeResolverNotValidates, e.f.Discovery.Domain, "",
			"DANE not judged: %s.", strings.TrimSuffix(t.Validation.Error, "."))
	} else {
		for i := range t.TLSA {
			e.dane(&t.TLSA[i])
		}
	}
	if t.MTASTS != nil {
		e.mtaSTS(t.MTASTS)
	}
	if r := t.TLSRPT; r != nil && r.Status == tlspolicy.RPTInvalid {
		dom := e.f.Discovery.Domain
		e.add(report.CodeTLSRPTInvalid, "_smtp._tls."+dom, fmt.Sprintf("Publish exactly one record: `_smtp._tls.%s. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@%s\"`.", dom, dom),
			"The TLS-RPT record of %s is invalid (%s): senders send no TLS reports.", dom, r.Error)
	}
}

// dane judges one exchange's TLSA set and the verdicts of its addresses.
func (e *evaluator) dane(set *tlspolicy.TLSASet) {
	host := set.Host
	switch set.Status {
	case tlspolicy.DANELookupError:
		e.add(report.CodeDANELookupError, host, "", "The TLSA lookup of %s failed (%s): DANE senders defer mail to %s.", set.Name, set.Error, host)
	case tlspolicy.DANEUnusable:
		var why []string
		for _, r := range set.Records {
			why = append(why, r.Fields()+": "+r.Problem)
		}
		e.add(report.CodeDANEOnlyUnusable, host, "", "%s publishes only unusable TLSA records at %s (%s): DANE senders require TLS but authenticate nothing.", host, set.Name, strings.Join(why, "; "))
	case tlspolicy.DANEPass:
		if !tlspolicy.HasRolloverCover(set.Records) {
			e.add(report.CodeDANENoRollover, host, fmt.Sprintf("Publish the next key's record beside the current one at %s (another `3 1 1`), or a `2 1 1` record for the issuing CA.", set.Name),
				"The TLSA records of %s name one key and no trust anchor: a key change before the DNS changes stops mail from DANE senders.", host)
		}
	}
	if x := e.exchange(host); x != nil && set.MXSecure && (set.IPv4Secure || set.IPv6Secure) {
		for _, fam := range []string{ipfam.IPv4, ipfam.IPv6} {
			secure, has := set.IPv4Secure, false
			if fam == ipfam.IPv6 {
				secure = set.IPv6Secure
			}
			for _, a := range x.Addresses {
				has = has || a.Family == fam
			}
			if has && !secure {
				e.add(report.CodeDANEInsecureAddress, host, "", "The MX of %s is DNSSEC-secure but the %s records of %s are not: DANE senders reaching it over %s do not look for TLSA records.", e.f.Discovery.Domain, recordType(fam), host, ipfam.Label(fam))
			}
		}
	} else if x != nil && set.MXSecure && !set.IPv4Secure && !set.IPv6Secure && len(x.Addresses) > 0 {
		e.add(report.CodeDANEInsecureAddress, host, "", "The MX of %s is DNSSEC-secure but the address records of %s are not: DANE senders do not look for its TLSA records.", e.f.Discovery.Domain, host)
	}

	// The verdicts of this exchange's addresses, by family.
	var pass, fail []smtpprobe.Result
	for _, r := range e.f.Probes {
		if !strings.EqualFold(r.Host, host) || r.DANE == nil {
			continue
		}
		switch r.DANE.Status {
		case tlspolicy.DANEPass:
			pass = append(pass, r)
			if r.DANE.Note != "" {
				e.add(report.CodeDANEPostfixLimit, r.IP.String(), "", "DANE passes at %s (%s), but %s.", r.IP, host, r.DANE.Note)
			}
		case tlspolicy.DANEFail:
			fail = append(fail, r)
		case tlspolicy.DANENoSTARTTLS:
			e.add(report.CodeDANENoSTARTTLS, r.IP.String(), "", "%s (%s) has TLSA records but %s: DANE senders defer mail to it (%s).", r.IP, host, noTLSWhy(r), noTLSReason(r))
		}
	}
	for _, r := range fail {
		fix := "Install the key the TLSA records name, or publish the record of the presented key beside them."
		if r.DANE.Publish != "" {
			fix = fmt.Sprintf("Publish `%s` beside the existing records (the key %s presents), or install the key the records name on %s.", r.DANE.Publish, r.IP, r.IP)
		}
		if other := otherFamily(pass, r.Family); other != nil {
			e.add(report.CodeDANEFamilyFails, r.IP.String(), fix, "DANE passes for %s over %s (%s) and fails over %s (%s): the certificate presented at %s matches no TLSA record, so DANE senders that try %s first defer to the next address.",
				host, ipfam.Label(other.Family), other.IP, ipfam.Label(r.Family), r.IP, r.IP, ipfam.Label(r.Family))
			continue
		}
		e.add(report.CodeDANEFails, r.IP.String(), fix, "The certificate %s (%s) presents over %s matches no TLSA record of %s: DANE senders do not deliver to it.", r.IP, host, ipfam.Label(r.Family), host)
	}
}

func otherFamily(rs []smtpprobe.Result, fam string) *smtpprobe.Result {
	for i := range rs {
		if rs[i].Family != fam {
			return &rs[i]
		}
	}
	return nil
}

func recordType(fam string) string {
	if fam == ipfam.IPv6 {
		return "AAAA"
	}
	return "A"
}

func noTLSWhy(r smtpprobe.Result) string {
	if !r.StartTLS {
		return "does not offer STARTTLS"
	}
	return "its STARTTLS fails"
}

// noTLSReason is what Postfix logs for it (tlspolicy.PostfixAttempt).
func noTLSReason(r smtpprobe.Result) string {
	a := tlspolicy.PostfixAttempt(tlspolicy.LevelDANE, *r.DANE, r.StartTLS, false, false)
	if r.Error != "" && r.StartTLS {
		return a.Reason + ": " + r.Error
	}
	return a.Reason
}

// mtaSTS judges the domain's MTA-STS: the TXT record, the policy fetched
// over each family, the MX coverage and, in enforce mode, each MX
// address's certificate.
func (e *evaluator) mtaSTS(m *tlspolicy.MTASTS) {
	dom := e.f.Discovery.Domain
	host := tlspolicy.PolicyHost(dom)
	policyURL := "https://" + host + "/.well-known/mta-sts.txt"
	// What the run's deadline or this host's routes kept from being
	// fetched is not judged (MC903 or the probes' self-check says so).
	cut := e.f.TLS.MTASTSNotJudged == deadlineCut
	switch {
	case m.Status == tlspolicy.STSNoPolicy && e.f.TLS.MTASTSNotJudged != "":
	case m.Status == tlspolicy.STSNoPolicy:
		e.add(report.CodeSTSNoPolicy, host, fmt.Sprintf("Serve the policy at %s (HTTP 200, text/plain, a certificate valid for %s) over every address of %s, or remove the TXT record _mta-sts.%s.", policyURL, host, host, dom),
			"_mta-sts.%s announces a policy (id %s) that could not be fetched over any address of %s%s.", dom, m.ID, host, fetchSummary(m.Fetch))
	case m.Status == tlspolicy.STSPolicyNoTXT:
		e.add(report.CodeSTSPolicyNoTXT, "_mta-sts."+dom, fmt.Sprintf("Publish `_mta-sts.%s. IN TXT \"v=STSv1; id=%s\"`.", dom, "20240101000000"),
			"A policy is served at %s but _mta-sts.%s has no TXT record: senders never fetch it.", policyURL, dom)
	case m.Status == tlspolicy.STSInvalidTXT:
		e.add(report.CodeSTSInvalidTXT, "_mta-sts."+dom, fmt.Sprintf("Publish exactly one record: `_mta-sts.%s. IN TXT \"v=STSv1; id=20240101000000\"`.", dom),
			"The MTA-STS TXT record of %s is invalid (%s): senders treat the domain as having no policy.", dom, m.Error)
	}
	enforce := m.Mode == tlspolicy.ModeEnforce
	if m.Mode != "" { // a policy was fetched
		code := report.CodeSTSFamilyTesting
		if enforce {
			code = report.CodeSTSFamilyEnforce
		}
		var good *tlspolicy.Fetch
		for i := range m.Fetch {
			if m.Fetch[i].Status == tlspolicy.FetchOK {
				good = &m.Fetch[i]
				break
			}
		}
		for _, f := range m.Fetch {
			switch {
			case f.Status != tlspolicy.FetchOK && cut:
			case f.Status != tlspolicy.FetchOK:
				e.add(code, f.IP, fmt.Sprintf("Make %s serve the policy at %s (fix the service on %s or remove that address record).", f.IP, policyURL, f.IP),
					"The MTA-STS policy of %s is fetched over %s (%s) but not over %s at %s: %s (%s).", dom, ipfam.Label(good.Family), good.IP, ipfam.Label(f.Family), f.IP, f.Status, f.Error)
			case f.Digest != good.Digest:
				e.add(code, f.IP, fmt.Sprintf("Serve the same policy file at every address of %s.", host),
					"%s serves another MTA-STS policy than %s: senders over %s and %s may apply different policies.", f.IP, good.IP, ipfam.Label(f.Family), ipfam.Label(good.Family))
			}
		}
		if !m.MXCovered && m.Mode != tlspolicy.ModeNone {
			var lines []string
			for _, h := range m.MXUncovered {
				lines = append(lines, "`mx: "+h+"`")
			}
			fix := fmt.Sprintf("Add %s to the policy at %s and change the id of the TXT record _mta-sts.%s.", strings.Join(lines, " and "), policyURL, dom)
			if enforce {
				e.add(report.CodeSTSUncoveredEnforce, dom, fix, "The enforced MTA-STS policy of %s does not cover %s: senders that honour it do not deliver there.", dom, strings.Join(m.MXUncovered, ", "))
			} else {
				e.add(report.CodeSTSUncoveredTesting, dom, fix, "The MTA-STS policy of %s (testing) does not cover %s: enforce mode would stop mail to it.", dom, strings.Join(m.MXUncovered, ", "))
			}
		}
	}
	if !enforce || e.f.TLS.NoStartTLS {
		return
	}
	uncovered := map[string]bool{}
	for _, h := range m.MXUncovered {
		uncovered[strings.ToLower(h)] = true
	}
	for _, r := range e.f.Probes {
		cs, ok := e.f.TLS.MXCert[r.IP]
		if !ok || cs.Status != "fail" || uncovered[strings.ToLower(r.Host)] {
			continue
		}
		e.add(report.CodeSTSCertEnforce, r.IP.String(), fmt.Sprintf("Install a certificate from a public CA naming %s, with its full chain, on %s.", r.Host, r.IP),
			"Under the enforced MTA-STS policy of %s, the certificate %s presents over %s fails: %s. Senders over %s do not deliver to it.", dom, r.IP, ipfam.Label(r.Family), cs.Error, ipfam.Label(r.Family))
	}
}

func fetchSummary(fs []tlspolicy.Fetch) string {
	if len(fs) == 0 {
		return " (the policy host has no address)"
	}
	var parts []string
	for _, f := range fs {
		parts = append(parts, fmt.Sprintf("%s %s", f.IP, f.Status))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
