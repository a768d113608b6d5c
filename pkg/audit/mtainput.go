package audit

import (
	"fmt"
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// The MTA models (pkg/mta) are pure and import nothing of mailcheck: these
// adapters turn what discovery and the probes measured into the models'
// inputs. Each status is mapped by name, so that a status added on either
// side is noticed by the tests, and an unknown one takes the default branch,
// which says what it assumes.

// MTAInput converts a discovery into the models' Input. Addresses keep the
// order discovery recorded (A records then AAAA, each in answer order).
func MTAInput(r discover.Result) mta.Input {
	in := mta.Input{
		Domain:     r.Domain,
		MXStatus:   MTALookupStatus(r.MXStatus),
		NullMX:     r.NullMX || r.NullMXMixed,
		ImplicitMX: r.ImplicitMX,
	}
	if r.MXStatus == dnsq.StatusNXDomain && len(r.MX) == 0 {
		// discover asks nothing more for a domain that does not exist;
		// an MTA that falls back to the domain's own A/AAAA (Postfix's
		// implicit-MX path, research §1.2) gets NXDOMAIN there too.
		in.ImplicitMX = true
		in.MX = []mta.Exchange{{Host: r.Domain, AStatus: mta.LookupNXDomain, AAAAStatus: mta.LookupNXDomain}}
	}
	for _, x := range r.MX {
		e := mta.Exchange{
			Preference:  x.Preference,
			Host:        x.Host,
			IPLiteral:   x.IPLiteral,
			InvalidName: x.InvalidName,
			AStatus:     MTALookupStatus(x.AStatus),
			AAAAStatus:  MTALookupStatus(x.AAAAStatus),
		}
		for _, a := range x.Addresses {
			if addr.Family(a.IP) == addr.IPv4 {
				e.A = append(e.A, a.IP)
			} else {
				e.AAAA = append(e.AAAA, a.IP)
			}
		}
		in.MX = append(in.MX, e)
	}
	return in
}

// MTALookupStatus maps a resolver status onto the models' lookup status.
// The empty status (a query that was never reported) stays empty: the
// models treat it as "not looked up".
func MTALookupStatus(s dnsq.Status) mta.LookupStatus {
	switch s {
	case dnsq.StatusOK:
		return mta.LookupOK
	case dnsq.StatusNoData:
		return mta.LookupNoData
	case dnsq.StatusNXDomain:
		return mta.LookupNXDomain
	case dnsq.StatusServFail:
		return mta.LookupServFail
	case dnsq.StatusRefused:
		return mta.LookupRefused
	case dnsq.StatusTimeout:
		return mta.LookupTimeout
	case dnsq.StatusError:
		return mta.LookupError
	case dnsq.StatusSkipped:
		return mta.LookupSkipped
	case "":
		return ""
	}
	// A status this mapping does not know: the answer was not usable, which
	// every model treats as a temporary failure.
	return mta.LookupError
}

// MTAOutcomes turns probe results into replay outcomes, one per address
// (the first result for an address wins).
func MTAOutcomes(rs []smtpprobe.Result) map[netip.Addr]mta.Outcome {
	out, _ := MTAOutcomesAt(rs, "")
	return out
}

// MTAOutcomesAt is MTAOutcomes for a Postfix client at the effective
// smtp_tls_security_level (mta.TLSLevel; "" for none and may): an address
// that greeted but that the level refuses, by tlspolicy.PostfixAttempt's
// verdict over its STARTTLS, handshake, DANE verdict (set on the probe by
// the TLS stages) and PKIX verification, gets a TLS-policy outcome, which
// the replay counts as a failed attempt. notes name the addresses whose
// TLS the probes could not judge; the replay assumes the level lets them
// deliver.
func MTAOutcomesAt(rs []smtpprobe.Result, level string) (out map[netip.Addr]mta.Outcome, notes []string) {
	out = map[netip.Addr]mta.Outcome{}
	for _, r := range rs {
		ip := r.IP.Unmap()
		if _, ok := out[ip]; ok || !ip.IsValid() {
			continue
		}
		out[ip] = MTAOutcome(r.Status)
		if level == "" || (r.Status != smtpprobe.StatusOK && r.Status != smtpprobe.StatusTLSFailed) {
			continue
		}
		o, why := mtaTLSOutcome(r, level)
		if why != "" {
			notes = append(notes, fmt.Sprintf("%s: smtp_tls_security_level = %s not judged (%s): the replay assumes it delivers", ip, level, why))
			continue
		}
		if o != "" {
			out[ip] = o
		}
	}
	return out, notes
}

// mtaTLSOutcome is the replay outcome of an address that greeted, at a
// mandatory TLS level: "" when the level lets it deliver, or why its TLS
// was not judged.
func mtaTLSOutcome(r smtpprobe.Result, level string) (mta.Outcome, string) {
	if r.StartTLS && !r.StartTLSTried {
		return "", "STARTTLS was not tried (--no-starttls)"
	}
	dane := tlspolicy.DANE{Status: tlspolicy.DANENotJudged}
	if r.DANE != nil {
		dane = *r.DANE
	}
	handshake := r.Status == smtpprobe.StatusOK && r.TLS != nil
	// The probe verifies the chain for the MX name, as Postfix's verify
	// level does (smtp_tls_verify_cert_match = hostname); secure's default
	// match (nexthop, dot-nexthop) is taken to agree with it.
	pkix := handshake && r.TLS.Verified
	a := tlspolicy.PostfixAttempt(level, dane, r.StartTLS, handshake, pkix)
	switch {
	case !a.Judged:
		why := "no DANE verdict"
		if dane.Error != "" {
			why = dane.Error
		}
		return "", why
	case a.Delivers:
		return "", ""
	}
	switch a.Reason {
	case tlspolicy.ReasonNotOffered:
		return mta.OutcomeTLSNotOffered, ""
	case tlspolicy.ReasonHandshake:
		return mta.OutcomeTLSHandshake, ""
	case tlspolicy.ReasonTLSAError:
		return mta.OutcomeTLSAError, ""
	}
	// "Server certificate not verified", and any reason this mapping does
	// not know: the address is refused after the handshake.
	return mta.OutcomeTLSUntrusted, ""
}

// MTAOutcome maps a probe status onto the replay outcome of connecting to
// that address.
func MTAOutcome(s smtpprobe.Status) mta.Outcome {
	switch s {
	case smtpprobe.StatusOK:
		return mta.OutcomeOK
	case smtpprobe.StatusRefused:
		return mta.OutcomeRefused
	case smtpprobe.StatusTimeout:
		return mta.OutcomeTimeout
	case smtpprobe.StatusUnreachable:
		return mta.OutcomeUnreachable
	case smtpprobe.StatusReset:
		return mta.OutcomeReset
	case smtpprobe.StatusGreeting4xx:
		return mta.OutcomeGreeting4xx
	case smtpprobe.StatusGreeting5xx:
		return mta.OutcomeGreeting5xx
	case smtpprobe.StatusNotSMTP:
		return mta.OutcomeNotSMTP
	case smtpprobe.StatusTLSFailed:
		return mta.OutcomeTLSFailed
	}
	// inconclusive, and any status this mapping does not know: the probe
	// says nothing about the server, and the MTA moves on to the next
	// address as after any soft error.
	return mta.OutcomeInconclusive
}
