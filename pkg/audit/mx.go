package audit

import (
	"context"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// MX is `mailcheck mx`: discovery of domain (A-label form; unicode is its
// U-label form for display) with reverse DNS, judged by the same pure
// evaluation check uses, over DNS facts only. The error is the resolver's.
func (c *Checker) MX(ctx context.Context, domain, unicode string) (*document.MX, error) {
	r, err := c.Resolver()
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	ctx, zones := withZoneNotes(ctx)
	// Whether the resolver validates is asked beside discovery (once per
	// Checker): it decides what every lookup's AD bit means.
	sr, _ := r.(dnsq.SecureResolver)
	validation := make(chan tlspolicy.Validation, 1)
	go func() { validation <- c.validation(ctx, sr) }()
	res := discover.Run(ctx, r, domain, discover.Options{IPv4: c.IPv4, IPv6: c.IPv6, RDNS: true})
	if unicode != res.Domain {
		res.DomainUnicode = unicode
	}
	v := <-validation
	judgeDNSSEC(&res, v)
	doc := &document.MX{
		SchemaVersion:    report.SchemaVersion,
		Result:           res,
		DNSSECValidation: &v,
		Families:         document.Families{IPv4: c.IPv4, IPv6: c.IPv6},
	}
	// --timeout cutting lookups short is a finding (MC903).
	verdict := Evaluate(Facts{
		Discovery: res, WantIPv4: c.IPv4, WantIPv6: c.IPv6,
		DeadlineHit: deadlinePassed(ctx),
	}, Policy{Now: c.now()})
	doc.Findings = nonNil(zones.findings(verdict.Findings))
	// Nothing could be judged when the MX query got no answer at all
	// (timeout, or no server reachable). SERVFAIL and REFUSED are answers
	// about the domain (findings), not a failure of this machine.
	doc.Undetermined = verdict.Undetermined || unanswered(res.MXStatus)
	return doc, nil
}

// judgeDNSSEC sets the DNSSEC status of each lookup of res (the MX query,
// every exchange's A and AAAA) as a DANE client sees it
// (tlspolicy.Status): its AD bit, meaningful only when v says the
// resolver validates. A lookup not made (skipped, an IP literal) has none.
func judgeDNSSEC(res *discover.Result, v tlspolicy.Validation) {
	status := func(s dnsq.Status, authentic bool) string {
		if s == "" || s == dnsq.StatusSkipped {
			return ""
		}
		return string(tlspolicy.Status(dnsq.Result{Status: s, Authentic: authentic}, v.Validates))
	}
	res.MXDNSSEC = status(res.MXStatus, res.MXAuthentic)
	for i := range res.MX {
		x := &res.MX[i]
		x.ADNSSEC, x.AAAADNSSEC = status(x.AStatus, x.AAuthentic), status(x.AAAAStatus, x.AAAAAuthentic)
	}
}

// unanswered says a lookup got no answer from any server: this machine
// could not ask, which says nothing about the domain.
func unanswered(s dnsq.Status) bool { return s == dnsq.StatusTimeout || s == dnsq.StatusError }

// nonNil makes an empty findings list encode as [] rather than null.
func nonNil(fs []report.Finding) []report.Finding {
	if fs == nil {
		return []report.Finding{}
	}
	return fs
}
