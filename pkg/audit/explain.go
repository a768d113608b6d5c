package audit

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// ExplainRequest is what `mailcheck explain` asks for: the text (already
// bounded by the command layer) and how far to check what it implies.
type ExplainRequest struct {
	Text     string
	NoChecks bool   // only explain, look nothing up
	Domain   string // A-label form; "" means the one named in the text
	HELO     string // "" means the one named in the text
	DNSBL    bool
}

// Explain is `mailcheck explain`: the bounce recognised, and the sending
// checks it implies (PTR, FCrDNS, HELO, SPF, DMARC, blocklists) run
// against the sending address it names, under one deadline. When the
// checks cannot or may not run, ChecksNote says what they would look at.
//
// A whole message (headers first) is read recipient by recipient; its
// primary recipient's result is the document's inline result, and the one
// the checks run for.
func (c *Checker) Explain(ctx context.Context, req ExplainRequest) *document.Explain {
	doc := &document.Explain{SchemaVersion: report.SchemaVersion, Findings: []report.Finding{}}
	if bounce.IsMessage(req.Text) {
		rep := bounce.ParseMessage(req.Text)
		doc.Result = rep.Primary()
		doc.Subject, doc.From, doc.ReportingMTA, doc.Recipients = rep.Subject, rep.From, rep.ReportingMTA, rep.Recipients
	} else {
		doc.Result = bounce.Parse(req.Text)
	}
	res := doc.Result
	domain := req.Domain
	if domain == "" {
		domain = res.SenderDomain
	}
	helo := req.HELO
	if helo == "" {
		helo = res.HELO
	}
	switch {
	case len(explainCheckable(res.Checks)) == 0:
		// Nothing on the sending side to look up (a receiver-side rule, or
		// not recognised).
	case !res.SenderIP.IsValid():
		doc.ChecksNote = "The text does not name the sending address. To check it: mailcheck sender --ip ADDRESS" +
			explainDomainFlag(domain) + "  (would check " + wouldCheck(res.Checks, "the address", domain) + ")."
	case req.NoChecks:
		doc.ChecksNote = "Checks not run (--no-checks). They would check " + wouldCheck(res.Checks, res.SenderIP.String(), domain) +
			": mailcheck sender --ip " + res.SenderIP.String() + explainDomainFlag(domain)
	default:
		r, rerr := c.Resolver()
		if rerr != nil {
			doc.ChecksNote = fmt.Sprintf("DNS is not available (%v); the checks would look at %s.", rerr, wouldCheck(res.Checks, res.SenderIP.String(), domain))
			break
		}
		cctx, cancel := c.deadline(ctx)
		rep := sender.Audit(cctx, r, sender.Options{
			IPs: []netip.Addr{res.SenderIP}, Origin: sender.OriginBounce, Domain: domain, HELO: helo,
			Want4: true, Want6: true, DNSBL: req.DNSBL,
		})
		cancel()
		if rep.Undetermined {
			doc.ChecksNote = "DNS did not answer, so nothing could be verified; the checks would look at " +
				wouldCheck(res.Checks, res.SenderIP.String(), domain) + "."
		}
		doc.ChecksRun = true
		doc.Sender = rep
		doc.Findings = rep.Findings
		if slices.Contains(res.Checks, bounce.CheckDNSBL) && !req.DNSBL {
			doc.ChecksNote = strings.TrimSpace(doc.ChecksNote + " Blocklists were not queried: add --dnsbl.")
		}
		if domain == "" && (slices.Contains(res.Checks, bounce.CheckSPF) || slices.Contains(res.Checks, bounce.CheckDMARC)) {
			doc.ChecksNote = strings.TrimSpace(doc.ChecksNote + " SPF and DMARC were not checked: the text names no domain; add --domain.")
		}
	}
	return doc
}

// explainCheckable keeps the checks mailcheck can run from DNS.
func explainCheckable(cs []bounce.Check) []bounce.Check {
	var out []bounce.Check
	for _, c := range cs {
		switch c {
		case bounce.CheckPTR, bounce.CheckFCrDNS, bounce.CheckHELO, bounce.CheckSPF, bounce.CheckDMARC, bounce.CheckDNSBL:
			out = append(out, c)
		}
	}
	return out
}

func explainDomainFlag(domain string) string {
	if domain == "" {
		return " --domain YOUR-DOMAIN"
	}
	return " --domain " + domain
}

// wouldCheck says in words what the checks of cs look at.
func wouldCheck(cs []bounce.Check, ip, domain string) string {
	if domain == "" {
		domain = "your domain"
	}
	words := map[bounce.Check]string{
		bounce.CheckPTR:        "the PTR record of " + ip,
		bounce.CheckFCrDNS:     "whether its name resolves back to " + ip,
		bounce.CheckHELO:       "the HELO name",
		bounce.CheckSPF:        "SPF of " + domain + " for " + ip,
		bounce.CheckDKIM:       "DKIM (not visible in DNS alone: look at Authentication-Results in a received copy)",
		bounce.CheckDMARC:      "DMARC of " + domain,
		bounce.CheckDNSBL:      "DNS blocklists (--dnsbl)",
		bounce.CheckReputation: "reputation (not visible in DNS: Google Postmaster Tools, Microsoft SNDS)",
		bounce.CheckIPv6Route:  "this host's IPv6 route (mailcheck probe)",
		bounce.CheckPort25:     "outbound port 25 (mailcheck probe)",
	}
	var parts []string
	for _, c := range cs {
		if w, ok := words[c]; ok {
			parts = append(parts, w)
		}
	}
	return strings.Join(parts, ", ")
}
