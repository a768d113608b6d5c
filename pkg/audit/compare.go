package audit

import (
	"context"
	"fmt"
	"slices"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// check --compare-live runs every domain twice, over the zone overlay and
// over live DNS, and reports the overlay's result with what the change
// does to the live one. The two runs go at the same time, each under its
// own --timeout (the same budget a lone check has, so neither side is
// judged on less time than the other), sharing the live resolver's cache;
// the wall time of a domain is about that of one check.

// livePlan is the plan of the live side of --compare-live: the same
// request through the same Checker, with the live resolver.
func (c *Checker) livePlan(req CheckRequest) (*checkPlan, error) {
	live := req.CompareLive
	req.CompareLive, req.Baseline = nil, nil
	return c.planWith(live, req)
}

// compared checks domain over the overlay and live at once and returns
// the overlay's document compared with the live one (CompareLive).
func (p *checkPlan) compared(ctx context.Context, domain string) *document.Check {
	var live *document.Check
	done := make(chan struct{})
	go func() {
		defer close(done)
		live = p.live.check(ctx, domain)
	}()
	over := *p
	over.live = nil
	rep := over.check(ctx, domain)
	<-done
	CompareLive(live, rep)
	return rep
}

// CompareLive marks overlay's findings "new" or "known" against live's
// (same code, same subject), lists live's findings the overlay no longer
// has as resolved, fills overlay.Changes and adds MC412 for each family
// over which the domain accepts mail live and would not with the change.
// A live run that could not be determined leaves the comparison
// undetermined too: what the change does to an unknown result is unknown,
// and a gate must not pass on it.
func CompareLive(live, overlay *document.Check) {
	if live.Undetermined && !overlay.Undetermined {
		overlay.Undetermined = true
		overlay.Reason = "live DNS, the baseline of --compare-live: " + live.Reason
	}
	markAgainst(overlay, live.Findings)
	ch := &document.Changes{}
	ch.MXAdded, ch.MXRemoved = diff(mxHosts(live), mxHosts(overlay))
	ch.AddressesAdded, ch.AddressesRemoved = diff(addresses(live), addresses(overlay))
	ch.FamiliesGained, ch.FamiliesLost = diff(acceptingFamilies(live), acceptingFamilies(overlay))
	if live.Delivery != nil && overlay.Delivery != nil {
		ch.PFirstIPv6 = &document.Shift{Live: live.Delivery.PFirstIPv6, Overlay: overlay.Delivery.PFirstIPv6}
	}
	overlay.Changes = ch
	for _, fam := range ch.FamiliesLost {
		f := report.Newf(report.CodeFamilyLost, overlay.Domain, "",
			"Live, %s accepts mail over %s; with the zone change it would not (%s).", overlay.Domain, familyName(fam), lossReason(overlay, fam))
		f.Delta = document.DeltaNew
		overlay.Findings = append(overlay.Findings, f)
	}
	report.SortFindings(overlay.Findings)
}

// markAgainst sets the Delta of rep's findings against a baseline's and
// lists the baseline's findings rep no longer has in rep.Resolved.
func markAgainst(rep *document.Check, baseline []report.Finding) {
	type key struct{ code, subject string }
	known := map[key]bool{}
	for _, f := range baseline {
		known[key{f.Code, f.Subject}] = true
	}
	now := map[key]bool{}
	for i, f := range rep.Findings {
		k := key{f.Code, f.Subject}
		now[k] = true
		if known[k] {
			rep.Findings[i].Delta = document.DeltaKnown
		} else {
			rep.Findings[i].Delta = document.DeltaNew
		}
	}
	rep.Resolved = []report.Finding{}
	for _, f := range baseline {
		if !now[key{f.Code, f.Subject}] {
			f.Delta = ""
			rep.Resolved = append(rep.Resolved, f)
		}
	}
}

func mxHosts(r *document.Check) []string {
	var out []string
	for _, x := range r.MX {
		out = append(out, x.Host)
	}
	return out
}

func addresses(r *document.Check) []string {
	var out []string
	for _, x := range r.MX {
		for _, a := range x.Addresses {
			out = append(out, a.IP.String())
		}
	}
	return out
}

// acceptingFamilies are the families over which r's domain accepts mail:
// an MX address of the family, which answered SMTP when probed. A null MX
// accepts none.
func acceptingFamilies(r *document.Check) []string {
	var out []string
	if r.NullMX {
		return out
	}
	for _, x := range r.MX {
		for _, a := range x.Addresses {
			out = append(out, a.Family)
		}
	}
	if r.Probed {
		out = out[:0]
		for _, p := range r.Probes {
			if p.Status == smtpprobe.StatusOK {
				out = append(out, p.Family)
			}
		}
	}
	return out
}

// lossReason says in a few words why the overlay has no accepting
// address of the family.
func lossReason(r *document.Check, fam string) string {
	switch {
	case r.NullMX:
		return "it publishes a null MX"
	case len(r.MX) == 0:
		return fmt.Sprintf("its MX lookup is %s", r.MXStatus)
	}
	for _, x := range r.MX {
		for _, a := range x.Addresses {
			if a.Family == fam {
				return "none of its " + familyName(fam) + " addresses answers SMTP"
			}
		}
	}
	return "no MX host has an " + familyName(fam) + " address"
}

func familyName(fam string) string {
	if fam == "ipv6" {
		return "IPv6"
	}
	return "IPv4"
}

// diff returns what after has and before has not, and the reverse, each
// sorted, without duplicates and never nil.
func diff(before, after []string) (added, removed []string) {
	added, removed = []string{}, []string{}
	for _, s := range after {
		if !slices.Contains(before, s) && !slices.Contains(added, s) {
			added = append(added, s)
		}
	}
	for _, s := range before {
		if !slices.Contains(after, s) && !slices.Contains(removed, s) {
			removed = append(removed, s)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}
