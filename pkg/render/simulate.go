package render

import (
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// simulateTextOrderings is how many orderings the text report lists; JSON
// carries up to --max-orderings.
const simulateTextOrderings = 10

// SimulateText writes the simulation for people: the decision, the
// candidate table with P(first) and P(tried), the most likely orderings,
// the family patterns, the sample, the replay with suggestions, the
// effective settings with their sources, and notes.
func SimulateText(w io.Writer, st *Styles, doc document.Simulate) error {
	p := NewPrinter(w)
	d := doc.Document
	title := st.Paint(ToneBold, Sanitize(d.Domain))
	if doc.DomainUnicode != "" && doc.DomainUnicode != d.Domain {
		title += " (" + Sanitize(doc.DomainUnicode) + ")"
	}
	mtaName := mtaTitle(d.MTA)
	p.Line(title, "  ", st.Paint(ToneDim, "as "+mtaName+" would deliver to it"))

	if d.Decision.Action != mta.ActionAttempt {
		tone := ToneBad
		verb := map[mta.Action]string{
			mta.ActionBounce: "bounces the message", mta.ActionDefer: "defers the message",
			mta.ActionFreeze: "freezes the message",
		}[d.Decision.Action]
		if d.Decision.Action == mta.ActionDefer {
			tone = ToneWarn
		}
		line := fmt.Sprintf("%s %s before any connection", mtaName, verb)
		if d.Decision.Action == mta.ActionUndecided {
			line = "The model cannot tell what " + mtaName + " does"
		}
		if d.Decision.DSN != "" {
			line += " (" + d.Decision.DSN + ")"
		}
		if d.Decision.Reason != "" {
			line += ": " + Sanitize(d.Decision.Reason)
		}
		p.Line(st.Paint(tone, line))
	} else {
		limit := "every one is tried if earlier ones fail"
		if d.AddressLimit > 0 && d.AddressLimit < len(d.Attempts) {
			limit = fmt.Sprintf("at most %d attempted", d.AddressLimit)
		}
		p.Line(fmt.Sprintf("%s, %s.", plural(len(d.Attempts), "candidate address", "candidate addresses"), limit))
		p.Line(fmt.Sprintf("P(first attempt is IPv6) = %s", probText(d.PFirstIPv6Exact, d.PFirstIPv6)))
		if ff := d.FirstFamily; ff != nil {
			p.Line(st.Paint(ToneBold, "First connection: "+FirstFamilyText(*ff)), " because ", Sanitize(ff.Reason))
		}
		if r := d.FirstAttemptByFamily; r != nil {
			p.Line(st.Paint(ToneDim, fmt.Sprintf("First IPv4 attempt: %s; first IPv6 attempt: %s.", reachText(r[addr.IPv4]), reachText(r[addr.IPv6]))))
		}
		if !d.Exact {
			p.Line(st.Paint(ToneWarn, "Too many cases to enumerate: probabilities below are estimated from 10000 seeded draws."))
		}
		p.Line()
		t := NewTable(w, "POS", "PREF", "EXCHANGE", "ADDRESS", "FAMILY", "P(FIRST)", "P(TRIED)")
		for _, a := range d.Attempts {
			t.Row(fmt.Sprint(a.Position), fmt.Sprint(a.Preference), Sanitize(a.Host), a.IP, addr.Label(a.Family),
				probText(a.PFirstExact, a.PFirst), probText(a.PTriedExact, a.PTried))
		}
		p.Table(t)
		simulateOrderings(p, st, d)
		if len(d.Sample) > 0 {
			p.Line()
			p.Line(st.Paint(ToneBold, fmt.Sprintf("One draw (--seed %d):", *d.Seed)), " ", strings.Join(d.Sample, " > "))
		}
	}
	if d.Replay != nil {
		simulateReplay(p, st, d)
	}
	p.Line()
	p.Line(st.Paint(ToneBold, "Settings"), st.Paint(ToneDim, " (source in brackets)"))
	for _, name := range d.MTA.Settings.Names() {
		s := d.MTA.Settings[name]
		val := s.Value
		if val == "" {
			val = "(empty)"
		}
		p.Line("  ", name, " = ", Sanitize(val), "  ", st.Paint(ToneDim, "["+sourceLabel(s.Source, d.MTA)+"]"))
	}
	simulateGAI(p, st, d.Getaddrinfo)
	if len(d.Notes) > 0 {
		p.Line()
		for _, n := range d.Notes {
			p.Line(st.Paint(ToneInfo, "Note: "), Sanitize(n))
		}
	}
	return p.EndWithFindings(st, doc.Findings)
}

func simulateOrderings(p *Printer, st *Styles, d mta.Document) {
	if len(d.Orderings) == 0 {
		return
	}
	p.Line()
	total := "1 ordering"
	if d.OrderingsTotal != nil && d.OrderingsTotal.Cmp(big.NewInt(1)) != 0 {
		total = d.OrderingsTotal.String() + " orderings in all"
	}
	p.Line(st.Paint(ToneBold, "Attempt orders"), st.Paint(ToneDim, " (if every earlier attempt fails; "+total+")"))
	n := min(len(d.Orderings), simulateTextOrderings)
	for _, o := range d.Orderings[:n] {
		p.Line(fmt.Sprintf("  %-16s %s  %s", probText(o.ProbabilityExact, o.Probability), o.Families, strings.Join(o.Order, " > ")))
	}
	rest := new(big.Int).Sub(d.OrderingsTotal, big.NewInt(int64(n)))
	if rest.Sign() > 0 {
		restP := d.OrderingsOmittedProbability
		for _, o := range d.Orderings[n:] {
			restP += o.Probability
		}
		p.Line(st.Paint(ToneDim, fmt.Sprintf("  ... %s more (%.1f%%); -o json lists up to --max-orderings", rest, 100*restP)))
	}
	if len(d.FamilyPatterns) > 1 {
		p.Line()
		p.Line(st.Paint(ToneBold, "Family patterns"), st.Paint(ToneDim, " (4 = IPv4, 6 = IPv6, first attempt on the left)"))
		for i, fp := range d.FamilyPatterns {
			if i == simulateTextOrderings {
				p.Line(st.Paint(ToneDim, fmt.Sprintf("  ... %d more in -o json", len(d.FamilyPatterns)-i)))
				break
			}
			p.Line(fmt.Sprintf("  %-16s %s", probText(fp.ProbabilityExact, fp.Probability), fp.Families))
		}
	}
}

func simulateReplay(p *Printer, st *Styles, d mta.Document) {
	r := d.Replay
	p.Line()
	src := "assumed"
	if r.Source == "measured" {
		src = "measured by probing each address"
	}
	p.Line(st.Paint(ToneBold, "Delivery replay"), st.Paint(ToneDim, " (outcomes "+src+"; any other address accepts)"))
	for _, a := range d.Attempts {
		if o, ok := r.Outcomes[a.IP]; ok {
			p.Line("  ", a.IP, "  ", outcomeText(st, o))
		}
	}
	deliv := st.Paint(ToneGood, "delivered "+probText(r.PDeliveredExact, r.PDelivered))
	if r.PDelivered < 1 {
		deliv = st.Paint(ToneWarn, "delivered "+probText(r.PDeliveredExact, r.PDelivered))
	}
	p.Line("  ", deliv, ", deferred ", probText(r.PDeferredExact, r.PDeferred), ", bounced ", probText(r.PBouncedExact, r.PBounced))
	if r.PDelivered > 0 {
		p.Line(fmt.Sprintf("  Expected wait before the delivering session: %s (worst %s; each connect timeout costs %s)",
			secs(r.ExpectedDelayS), secs(r.WorstDelayS), secs(r.ConnectTimeoutS)))
		var at []string
		for _, a := range r.DeliveredAt {
			at = append(at, fmt.Sprintf("#%d %s", a.Attempt, probText(a.ProbabilityExact, a.Probability)))
		}
		p.Line("  Delivering attempt: ", strings.Join(at, ", "))
		p.Line(fmt.Sprintf("  Delivered over IPv4 %.1f%%, over IPv6 %.1f%%", 100*r.DeliveredViaIPv4, 100*r.DeliveredViaIPv6))
	}
	if tp := r.TLSPolicy; tp != nil {
		p.Line("  TLS policy (smtp_tls_security_level = ", tp.Level, "), messages delayed or deferred by a refused address:")
		for _, fam := range []struct{ key, label string }{{"ipv4", "IPv4"}, {"ipv6", "IPv6"}} {
			sh := tp.ByFamily[fam.key]
			line := fmt.Sprintf("    over %s: delayed %s, deferred %s", fam.label, probText(sh.PDelayedExact, sh.PDelayed), probText(sh.PDeferredExact, sh.PDeferred))
			if sh.PDelayed > 0 || sh.PDeferred > 0 {
				line = st.Paint(ToneWarn, line)
			}
			p.Line(line)
		}
	}
	if !r.Exact {
		p.Line(st.Paint(ToneWarn, "  (estimated from 10000 seeded draws)"))
	}
	if len(r.Suggestions) > 0 {
		p.Line()
		p.Line(st.Paint(ToneBold, "Settings that would help"))
		for _, s := range r.Suggestions {
			p.Line("  ", st.Paint(ToneGood, s.Setting), fmt.Sprintf("  delivered %.1f%%, deferred %.1f%%, bounced %.1f%%, expected wait %s",
				100*s.PDelivered, 100*s.PDeferred, 100*s.PBounced, secs(s.ExpectedDelayS)))
			p.Line("    ", st.Paint(ToneDim, s.Why))
		}
	}
}

func reachText(r mta.FamilyReach) string {
	switch r.PAttemptedExact {
	case "0":
		return "never"
	case "1":
		return fmt.Sprintf("always, at attempt %.2g on average", r.ExpectedAttempt)
	}
	return fmt.Sprintf("with %s, at attempt %.2g on average", probText(r.PAttemptedExact, r.PAttempted), r.ExpectedAttempt)
}

func outcomeText(st *Styles, o string) string {
	switch o {
	case "ok", "tls_failed":
		return st.Paint(ToneGood, o)
	case "rcpt_5xx", "greeting_5xx":
		return st.Paint(ToneBad, o)
	}
	return st.Paint(ToneWarn, o)
}

// probText shows an exact fraction with its percentage: "1/4 (25.0%)".
func probText(exact string, f float64) string {
	switch exact {
	case "0", "1":
		return exact
	}
	if strings.Contains(exact, "/") && len(exact) <= 12 {
		return fmt.Sprintf("%s (%.1f%%)", exact, 100*f)
	}
	return fmt.Sprintf("%.2f%%", 100*f)
}

func secs(s float64) string {
	if s == float64(int64(s)) {
		return fmt.Sprintf("%ds", int64(s))
	}
	return fmt.Sprintf("%.1fs", s)
}

func mtaTitle(m mta.MTAInfo) string {
	name := map[string]string{mta.Postfix: "Postfix", mta.Exim: "Exim", mta.OpenSMTPD: "OpenSMTPD", mta.Sendmail: "Sendmail"}[m.Name]
	if name == "" {
		name = m.Name
	}
	return name + " " + m.Version
}

func sourceLabel(src string, m mta.MTAInfo) string {
	if src == mta.SourceDefault {
		return "default for " + mtaTitle(m)
	}
	return src
}

// simulateGAI prints the getaddrinfo (or Go resolver) inputs and, per
// exchange, the order with the rule that decided each pair.
func simulateGAI(p *Printer, st *Styles, g *mta.GAIDoc) {
	if g == nil {
		return
	}
	p.Line()
	p.Line(st.Paint(ToneBold, "Resolver order"), st.Paint(ToneDim, " ("+g.Model+"; sources from "+g.SourceAddrsFrom+")"))
	if c := g.GAIConf; c != nil {
		conf := c.Path
		if c.Default {
			conf += " (absent: glibc's default tables)"
		}
		p.Line("  gai.conf: ", Sanitize(conf))
		for _, l := range c.Lines {
			p.Line("    ", fmt.Sprint(l.Line), ": ", Sanitize(l.Text))
		}
		// The warnings themselves were printed on stderr when the file
		// was read; the report says only how many there were.
		if n := len(c.Warnings) + c.WarningsOmitted; n > 0 {
			warnings := fmt.Sprintf("%d warnings", n)
			if n == 1 {
				warnings = "1 warning"
			}
			p.Line("    ", st.Paint(ToneWarn, warnings), " (on stderr)")
		}
	}
	if len(g.SourceAddrs) > 0 {
		p.Line("  host addresses: ", strings.Join(g.SourceAddrs, ", "))
	}
	for _, h := range g.Hosts {
		var order []string
		for _, a := range h.Order {
			src := "no route"
			if a.Source != "" {
				src = "from " + a.Source
			}
			order = append(order, a.IP+" ("+src+")")
		}
		p.Line("  ", Sanitize(h.Host), ": ", strings.Join(order, ", "))
		for _, dec := range h.Decisions {
			p.Line("    ", dec.First, " before ", dec.Second, ": ", Sanitize(dec.Reason))
		}
	}
}

// FirstFamilyText names the family of a first connection: "IPv4", "IPv6",
// "IPv4 or IPv6 (IPv6 50%)" or "none".
func FirstFamilyText(ff mta.FirstFamily) string {
	if ff.Family == "either" {
		return fmt.Sprintf("IPv4 or IPv6 (IPv6 %.4g%%)", 100*ff.PIPv6)
	}
	return addr.Label(ff.Family)
}
