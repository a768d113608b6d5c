package audit

import (
	"context"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
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
	res := discover.Run(ctx, r, domain, discover.Options{IPv4: c.IPv4, IPv6: c.IPv6, RDNS: true})
	if unicode != res.Domain {
		res.DomainUnicode = unicode
	}
	doc := &document.MX{
		SchemaVersion: report.SchemaVersion,
		Result:        res,
		Families:      document.Families{IPv4: c.IPv4, IPv6: c.IPv6},
	}
	// --timeout cutting lookups short is a finding (MC903).
	v := Evaluate(Facts{
		Discovery: res, WantIPv4: c.IPv4, WantIPv6: c.IPv6,
		DeadlineHit: deadlinePassed(ctx),
	}, Policy{Now: c.now()})
	doc.Findings = nonNil(zones.findings(v.Findings))
	// Nothing could be judged when the MX query got no answer at all
	// (timeout, or no server reachable). SERVFAIL and REFUSED are answers
	// about the domain (findings), not a failure of this machine.
	doc.Undetermined = v.Undetermined || unanswered(res.MXStatus)
	return doc, nil
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
