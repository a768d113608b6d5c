package sender

import (
	"context"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// checkDMARC discovers the DMARC policy of domain (RFC 7489 §6.6.3): the TXT
// records at _dmarc.DOMAIN that start with "v=DMARC1"; if there is none,
// the same at the organisational domain (the registrable domain by the
// Public Suffix List, §3.2), whose sp= (else p=) then applies. More than
// one record, or a record without a valid p=, means no policy applies.
func checkDMARC(ctx context.Context, r dnsq.Resolver, domain string) *DMARC {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	d := lookupDMARC(ctx, r, domain, false)
	if d.Status != "none" {
		return d
	}
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil || org == domain {
		return d
	}
	od := lookupDMARC(ctx, r, org, true)
	if od.Status == "none" {
		return d
	}
	return od
}

func lookupDMARC(ctx context.Context, r dnsq.Resolver, domain string, org bool) *DMARC {
	res := r.LookupTXT(ctx, dnsq.Fqdn("_dmarc."+domain))
	switch {
	case res.Status == dnsq.StatusNXDomain || res.Status == dnsq.StatusNoData:
		return &DMARC{Status: "none"}
	case res.Status != dnsq.StatusOK:
		e := string(res.Status)
		if res.Err != nil {
			e += ": " + res.Err.Error()
		}
		return &DMARC{Status: "temperror", Domain: domain, Error: e}
	}
	var recs []string
	for _, t := range res.TXT {
		// "v=DMARC1" must be the first tag (§6.4); the value is exact.
		if v, _, _ := strings.Cut(t, ";"); strings.EqualFold(strings.ReplaceAll(v, " ", ""), "v=DMARC1") {
			recs = append(recs, t)
		}
	}
	switch len(recs) {
	case 0:
		return &DMARC{Status: "none"}
	case 1:
	default:
		return &DMARC{Present: true, Status: "invalid", Domain: domain, Record: sanitize.Text(recs[0]),
			Error: "more than one v=DMARC1 record: receivers apply no policy (RFC 7489 §6.6.3)"}
	}
	tags := map[string]string{}
	for _, part := range strings.Split(recs[0], ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		tags[strings.ToLower(strings.TrimSpace(k))] = strings.ToLower(strings.TrimSpace(v))
	}
	// The tags are parsed from the octets published, as receivers parse
	// them; the record is shown made safe for a terminal.
	d := &DMARC{Present: true, Status: "ok", Domain: domain, Record: sanitize.Text(recs[0])}
	p := tags["p"]
	if org && tags["sp"] != "" {
		p = tags["sp"]
	}
	switch p {
	case "none", "quarantine", "reject":
		d.Policy = p
	default:
		d.Status = "invalid"
		d.Error = "no valid p= tag (none, quarantine or reject)"
	}
	return d
}
