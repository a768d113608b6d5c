package document

import (
	"slices"

	"github.com/mailcheck/mailcheck/pkg/report"
)

// probeCodes need SMTP probes; simCodes need the simulation; compareCodes
// need --compare-live; the TLS policy codes (MC7xx) need the lookups of
// their part of it. Everything else in the receiving-side areas
// (MC1xx-MC5xx, MC9xx) is judged by every run that gets past the MX lookup.
var (
	probeCodes = []string{
		report.CodeSMTPUnreachable, report.CodeGreeting5xx, report.CodeGreeting4xx, report.CodeNotSMTP,
		report.CodeNoMXAcceptsSMTP, report.CodeNoSTARTTLS, report.CodeTLSFailed, report.CodeCertNotVerified,
		report.CodeCertExpiresSoon, report.CodeCertExpired, report.CodeEHLONotPTR, report.CodeSTARTTLSRequired,
		report.CodeEHLONotMXName, report.CodeSMTPTimeoutPartial, report.CodeExpectedIPv6,
		report.CodeIPv6DownIPv4Up, report.CodeIPv4DownIPv6Up, report.CodeEHLODiffers, report.CodeBannerDiffers,
		report.CodeSTARTTLSOneFamily, report.CodeCertDiffers, report.CodeIPv6OnlyUnreachable,
		report.CodeNoIPv6Route, report.CodePort25Blocked, report.CodeEarlyTalk, report.CodeOldTLS,
	}
	mxAnswerCodes = []string{report.CodeMXLookupFailed, report.CodeDomainNXDomain, report.CodeNullMX, report.CodeImplicitMX, report.CodeNullMXMixed}
	simCodes      = []string{report.CodeCertainBounce, report.CodeFirstAttemptFails, report.CodeDeliveryDefers, report.CodeFirstIPv6Share, report.CodeAddressLimitCuts}
	// tlsCodes need a probe that tried STARTTLS (not --no-starttls).
	tlsCodes = []string{
		report.CodeNoSTARTTLS, report.CodeTLSFailed, report.CodeCertNotVerified, report.CodeCertExpiresSoon,
		report.CodeCertExpired, report.CodeSTARTTLSRequired, report.CodeEHLONotMXName,
		report.CodeSTARTTLSOneFamily, report.CodeCertDiffers, report.CodeOldTLS,
		// The certificate-dependent TLS policy codes.
		report.CodeDANEFamilyFails, report.CodeDANEFails, report.CodeDANENoSTARTTLS, report.CodeDANEPostfixLimit,
		report.CodeSTSCertEnforce,
	}
	compareCodes = []string{report.CodeFamilyLost}
	// daneCodes are judged when the DANE lookups ran and the resolver
	// validates (MC708 says when it does not); stsCodes when the MTA-STS
	// policy was looked up; tlsrptCodes when the TLS-RPT record was.
	daneCodes = []string{
		report.CodeDANEFamilyFails, report.CodeDANEFails, report.CodeDANENoSTARTTLS, report.CodeDANEOnlyUnusable,
		report.CodeDANENoRollover, report.CodeDANEInsecureAddress, report.CodeDANELookupError, report.CodeDANEPostfixLimit,
	}
	stsCodes = []string{
		report.CodeSTSFamilyEnforce, report.CodeSTSFamilyTesting, report.CodeSTSNoPolicy, report.CodeSTSPolicyNoTXT,
		report.CodeSTSInvalidTXT, report.CodeSTSUncoveredEnforce, report.CodeSTSUncoveredTesting, report.CodeSTSCertEnforce,
	}
	tlsrptCodes = []string{report.CodeTLSRPTInvalid}
)

// CheckedCodes returns, in code order, the catalogue codes this document
// actually judged (for JUnit's one testcase per code checked): the
// receiving-side codes, less those that need probes or a simulation it did
// not have, plus every code it reported (sending-side codes included).
func (r *Check) CheckedCodes() []string {
	var out []string
	for _, e := range report.Entries() {
		area := e.Code[2]
		if area == '6' && r.Sender == nil {
			continue
		}
		// Without exchanges (NXDOMAIN, failed lookup, null MX) only the
		// MX answer itself and the self-checks were judged.
		if len(r.MX) == 0 && area != '9' && !slices.Contains(mxAnswerCodes, e.Code) {
			continue
		}
		if !r.Probed && slices.Contains(probeCodes, e.Code) {
			continue
		}
		if r.Simulation == nil && slices.Contains(simCodes, e.Code) {
			continue
		}
		if r.NoStartTLS && slices.Contains(tlsCodes, e.Code) {
			continue
		}
		if r.Changes == nil && slices.Contains(compareCodes, e.Code) {
			continue
		}
		if !r.tlsPolicyJudged(e.Code) {
			continue
		}
		out = append(out, e.Code)
	}
	for _, f := range r.Findings {
		if !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

// tlsPolicyJudged says whether the part of the TLS policy a code belongs
// to was looked up (codes outside MC7xx: true; an MC7xx code of no known
// part: when any part was).
func (r *Check) tlsPolicyJudged(code string) bool {
	switch {
	case code == report.CodeResolverNotValidates:
		return r.DANE != nil
	case slices.Contains(daneCodes, code):
		return r.DANE != nil && r.DANE.Validation.Validates
	case slices.Contains(stsCodes, code):
		return r.MTASTS != nil
	case slices.Contains(tlsrptCodes, code):
		return r.TLSRPT != nil
	}
	return code[2] != '7' || r.DANE != nil || r.MTASTS != nil || r.TLSRPT != nil
}
