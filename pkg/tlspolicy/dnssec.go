package tlspolicy

import (
	"context"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// DNSSEC is the DNSSEC status of one lookup as a DANE client sees it: the
// AD bit of a validating resolver's answer (RFC 4035 §3.2.3, RFC 6840
// §5.7). The string values are part of the JSON contract.
type DNSSEC string

const (
	DNSSECSecure   DNSSEC = "secure"   // the answer carried AD
	DNSSECInsecure DNSSEC = "insecure" // an answer without AD: unsigned, or signed and not validated
	// DNSSECBogus is a SERVFAIL from a validating resolver: the data did
	// not validate (or the zone's servers failed), and a DANE client
	// defers (RFC 7672 §2.1.1).
	DNSSECBogus DNSSEC = "bogus"
	// DNSSECIndeterminate is a lookup that got no answer (timeout,
	// REFUSED, network error): nothing is known.
	DNSSECIndeterminate DNSSEC = "indeterminate"
	// DNSSECNotJudged is every lookup's status when the resolver does not
	// validate: its AD bit means nothing.
	DNSSECNotJudged DNSSEC = "not_judged"
)

// Status classifies one lookup's result. validating is the resolver's
// Validation.Validates.
func Status(res dnsq.Result, validating bool) DNSSEC {
	switch {
	case !validating:
		return DNSSECNotJudged
	case res.Status == dnsq.StatusServFail:
		return DNSSECBogus
	case res.Status.Temporary():
		return DNSSECIndeterminate
	case res.Status == dnsq.StatusSkipped:
		return DNSSECNotJudged
	case res.Authentic:
		return DNSSECSecure
	default:
		return DNSSECInsecure
	}
}

// ExtendedError returns the resolver's Extended DNS Error (RFC 8914) of a
// failed lookup as one printable line ("6 DNSSEC Bogus: signature
// expired"), or "". A validating resolver says this way why an answer is
// bogus.
func ExtendedError(res dnsq.Result) string {
	ede := dnsq.ExtendedErrorOf(res.Err)
	if ede == nil {
		return ""
	}
	return sanitize.Text(ede.String())
}

// Validation says whether the resolver validates DNSSEC, decided as
// Postfix's dnssec_probe does (default "ns:."): the answer for the root's
// NS RRset must carry the AD bit. Without it, no AD bit of that resolver is
// evidence, and DNSSEC and DANE are "not judged", never "absent".
type Validation struct {
	Validates bool        `json:"validates"`
	Status    dnsq.Status `json:"status"` // of the probe lookup
	Server    string      `json:"server,omitempty"`
	Error     string      `json:"error,omitempty"`
	Fix       string      `json:"fix,omitempty"`
}

// FixValidatingResolver is the advice when the resolver does not validate.
const FixValidatingResolver = "point --resolver at a DNSSEC-validating resolver (for example a local unbound, or 9.9.9.9); DANE is not judged without one"

// ProbeValidation asks the root's NS through r and reports whether r
// validates (Postfix dns/dns_sec.c, dnssec_probe).
func ProbeValidation(ctx context.Context, r dnsq.SecureResolver) Validation {
	res := r.LookupNS(ctx, ".")
	v := Validation{Status: res.Status, Server: res.Server}
	switch {
	case res.Status == dnsq.StatusOK && res.Authentic:
		v.Validates = true
	case res.Status == dnsq.StatusOK:
		v.Error = "the resolver's answer for the root NS has no AD bit: it does not validate DNSSEC"
		v.Fix = FixValidatingResolver
	default:
		v.Error = "the root NS lookup failed (" + string(res.Status) + ")"
		if res.Err != nil {
			v.Error += ": " + sanitize.Text(res.Err.Error())
		}
		v.Fix = FixValidatingResolver
	}
	return v
}
