package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// checkJSONIndent is r's document indented by two spaces per level, every
// line prefixed. It indents what AppendJSON wrote, as an Encoder with
// SetIndent would, without the Encoder's own pass that checks and
// compacts a MarshalJSON's output first: for `check -o json` of one domain
// this is the last thing between the probes and the exit, and it takes
// half the time the Encoder's way does (BenchmarkCheckJSONIndent and
// BenchmarkCheckJSONIndentByEncoder).
func checkJSONIndent(r *document.Check, prefix string) ([]byte, error) {
	var compact bytes.Buffer
	if err := r.AppendJSON(&compact); err != nil {
		return nil, err
	}
	out := bytes.NewBufferString(prefix)
	out.Grow(2 * compact.Len())
	if err := json.Indent(out, compact.Bytes(), prefix, "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// textCheck is the report for people: the MX hosts and their addresses
// with what each answered, then the findings grouped by severity, then a
// verdict line. Every line fits o.Width columns.
type textCheck struct {
	w io.Writer
	o CheckOptions
	n int
}

func (t *textCheck) Begin() error { return nil }

func (t *textCheck) Write(r *document.Check) error {
	var b bytes.Buffer
	if t.n > 0 {
		b.WriteString("\n")
	}
	t.n++
	writeCheckText(&b, r, t.o)
	_, err := t.w.Write(b.Bytes())
	return err
}

func (t *textCheck) End(s CheckSummary) error {
	if s.Domains <= 1 && !s.Interrupted {
		return nil
	}
	st := t.o.Styles
	var b bytes.Buffer
	b.WriteString("\n")
	line := fmt.Sprintf("%d domain(s) checked: %d at or above --fail-on %s, %d undetermined, %d bad input",
		s.Domains, s.Failed, t.o.FailOn, s.Undetermined, s.BadInput)
	if s.Interrupted {
		line += "; interrupted"
	}
	for _, l := range checkWrap(line, t.o.Width, "") {
		b.WriteString(st.Paint(ToneBold, l) + "\n")
	}
	_, err := t.w.Write(b.Bytes())
	return err
}

func writeCheckText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	st := o.Styles
	w := o.Width
	head := Sanitize(r.Domain)
	if r.Domain == "" {
		head = Sanitize(r.Input)
	}
	if u := r.DomainUnicode; u != "" && u != r.Domain {
		head += " (" + Sanitize(u) + ")"
	}
	b.WriteString(st.Paint(ToneBold, checkClip(head, w)) + "\n")
	if r.Error != "" {
		for _, l := range checkWrap("error: "+Sanitize(r.Error), w, "  ") {
			b.WriteString(st.Paint(ToneBad, l) + "\n")
		}
		return
	}
	if r.Sandbox {
		for _, l := range checkWrap("Sandbox: the demo's zone is served on loopback, so address-class findings (loopback, documentation ranges) are left out.", w, "") {
			b.WriteString(st.Paint(ToneDim, l) + "\n")
		}
	}
	writeMXText(b, r, o)
	writeDeliveryText(b, r, o)
	writeTLSPolicyText(b, r, o)
	writeChangeText(b, r, o)
	writeFindingsText(b, r.Findings, o)
	writeVerdictText(b, r, o)
}

func writeMXText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	st := o.Styles
	w := o.Width
	switch {
	case r.NullMX:
		b.WriteString("  null MX: the domain accepts no mail\n")
		return
	case len(r.MX) == 0:
		b.WriteString(checkClip(fmt.Sprintf("  MX lookup: %s", r.MXStatus), w) + "\n")
		return
	}
	probes := map[string]*smtpprobe.Result{}
	for i := range r.Probes {
		probes[r.Probes[i].IP.String()] = &r.Probes[i]
	}
	col := 15
	for _, x := range r.MX {
		for _, a := range x.Addresses {
			col = max(col, len(a.IP.String()))
		}
	}
	col = min(col, 39)
	b.WriteString("\n")
	for _, x := range r.MX {
		label := fmt.Sprintf("  MX %d %s", x.Preference, Sanitize(x.Host))
		if r.ImplicitMX {
			label = "  implicit MX " + Sanitize(x.Host)
		}
		b.WriteString(st.Paint(ToneBold, checkClip(label, w)) + "\n")
		if len(x.Addresses) == 0 {
			b.WriteString(checkClip(fmt.Sprintf("     no address (A %s, AAAA %s)", x.AStatus, x.AAAAStatus), w) + "\n")
			continue
		}
		indent := strings.Repeat(" ", 5+col+2)
		for _, a := range x.Addresses {
			ip := a.IP.String()
			smtp := "not probed"
			tone := ToneDim
			if p := probes[ip]; p != nil {
				smtp, tone = checkProbeSummary(p, r.NoStartTLS)
			} else if r.Probed {
				smtp = "skipped"
			}
			first := fmt.Sprintf("     %-*s  ", col, ip)
			b.WriteString(first + st.Paint(tone, checkClip(smtp, w-len(first))) + "\n")
			if a.PTRStatus != "" && a.PTRStatus != "skipped" {
				ptr := "PTR none"
				if len(a.PTR) > 0 {
					ptr = "PTR " + Sanitize(strings.Join(a.PTR, ", "))
				}
				ptr += "  FCrDNS " + string(a.FCrDNS)
				b.WriteString(indent + st.Paint(checkPTRTone(a), checkClip(ptr, w-len(indent))) + "\n")
			}
		}
	}
}

func checkPTRTone(a discover.Address) Tone {
	switch a.FCrDNS {
	case "pass":
		return ToneGood
	case "none", "fail":
		return ToneWarn
	}
	return ToneDim
}

// checkProbeSummary is one line about one probe: status, STARTTLS and TLS
// version (and a certificate that does not verify), EHLO name.
func checkProbeSummary(p *smtpprobe.Result, notTried bool) (string, Tone) {
	if p.Status != smtpprobe.StatusOK {
		s := "SMTP " + string(p.Status)
		if p.Phase != "" && p.Status == smtpprobe.StatusTimeout {
			s += " (" + p.Phase + ")"
		}
		if p.BannerCode != 0 {
			s += fmt.Sprintf(" %d", p.BannerCode)
		}
		tone := ToneBad
		if p.Status == smtpprobe.StatusInconclusive {
			tone = ToneDim
			s = "not testable from here"
		}
		return s, tone
	}
	parts := []string{"SMTP ok"}
	tone := ToneGood
	switch {
	case p.TLS != nil:
		tls := "STARTTLS " + Sanitize(p.TLS.Version)
		if !p.TLS.Verified {
			// Expired, self-signed or for another name: the findings
			// say which.
			tls += " unverified"
			tone = ToneWarn
		}
		parts = append(parts, tls)
	case p.StartTLS && notTried:
		parts = append(parts, "STARTTLS offered (not tried)")
	case p.StartTLS:
		parts = append(parts, "STARTTLS")
	default:
		parts = append(parts, "no STARTTLS")
		if !notTried {
			tone = ToneWarn
		}
	}
	if dane, t, ok := daneLabel(*p); ok {
		parts = append(parts, dane)
		if t == ToneBad || t == ToneWarn && tone == ToneGood {
			tone = t
		}
	}
	if p.EHLOName != "" {
		parts = append(parts, "EHLO "+Sanitize(p.EHLOName))
	}
	return strings.Join(parts, "  "), tone
}

var checkSeverityHeadings = []struct {
	sev   report.Severity
	title string
}{
	{report.SeverityFail, "Failures"},
	{report.SeverityWarn, "Warnings"},
	{report.SeverityInfo, "Notes"},
}

func writeFindingsText(b *bytes.Buffer, fs []report.Finding, o CheckOptions) {
	st := o.Styles
	for _, h := range checkSeverityHeadings {
		var group []report.Finding
		for _, f := range fs {
			if f.Severity == h.sev {
				group = append(group, f)
			}
		}
		if len(group) == 0 {
			continue
		}
		b.WriteString("\n" + st.Paint(SeverityTone(h.sev), fmt.Sprintf("%s (%d)", h.title, len(group))) + "\n")
		for _, f := range group {
			head := fmt.Sprintf("  %s  %s", f.Code, Sanitize(f.Subject))
			if e, ok := report.Lookup(f.Code); ok {
				head = fmt.Sprintf("  %s  %s", f.Code, e.Title)
			}
			head += deltaMark(f)
			b.WriteString(st.Paint(ToneBold, checkClip(head, o.Width)) + "\n")
			for _, l := range checkWrap(Sanitize(f.Message), o.Width, "    ") {
				b.WriteString(l + "\n")
			}
			if f.Fix != "" {
				for i, l := range checkWrap("fix: "+Sanitize(f.Fix), o.Width, "    ") {
					if i == 0 {
						l = "    " + st.Paint(ToneDim, "fix:") + strings.TrimPrefix(l, "    fix:")
					}
					b.WriteString(l + "\n")
				}
			}
		}
	}
}

func writeVerdictText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	st := o.Styles
	fail, warn, info := r.Counts()
	counts := fmt.Sprintf("%d fail, %d warn, %d info", fail, warn, info)
	var line string
	var tone Tone
	switch {
	case report.AtLeast(document.Counted(r.Findings), o.FailOn):
		line, tone = fmt.Sprintf("Result: %s: findings at or above --fail-on %s.", counts, o.FailOn), ToneBad
	case r.Undetermined:
		line, tone = fmt.Sprintf("Result: %s: could not determine: %s.", counts, Sanitize(r.Reason)), ToneWarn
	default:
		line, tone = fmt.Sprintf("Result: %s: nothing at or above --fail-on %s.", counts, o.FailOn), ToneGood
	}
	if r.Partial {
		line += " Partial: the deadline cut some checks short."
	}
	b.WriteString("\n")
	for _, l := range checkWrap(line, o.Width, "") {
		b.WriteString(st.Paint(tone, l) + "\n")
	}
}

// checkClip shortens s to width columns, marking the cut with "…".
func checkClip(s string, width int) string {
	if width <= 1 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// checkWrap breaks text into lines of at most width columns, every line
// starting with indent. Words longer than a line are cut.
func checkWrap(text string, width int, indent string) []string {
	avail := width - utf8.RuneCountInString(indent)
	if avail < 10 {
		avail = 10
	}
	var lines []string
	var cur []rune
	flush := func() {
		lines = append(lines, indent+string(cur))
		cur = cur[:0]
	}
	for _, word := range strings.Fields(text) {
		wr := []rune(word)
		for len(wr) > avail {
			if len(cur) > 0 {
				flush()
			}
			cur = append(cur, wr[:avail]...)
			flush()
			wr = wr[avail:]
		}
		switch {
		case len(cur) == 0:
			cur = append(cur, wr...)
		case len(cur)+1+len(wr) <= avail:
			cur = append(append(cur, ' '), wr...)
		default:
			flush()
			cur = append(cur, wr...)
		}
	}
	if len(cur) > 0 || len(lines) == 0 {
		flush()
	}
	return lines
}

// writeDeliveryText says what the simulated MTA does with a message now:
// how often it starts over IPv6 and, replayed over what the probes saw,
// how often the message is delivered, deferred or bounced.
func writeDeliveryText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	d := r.Delivery
	if d == nil {
		return
	}
	line := checkDeliveryLine(d, hasIPv6(r))
	b.WriteString("\n")
	for _, l := range checkWrap(line, o.Width, "  ") {
		b.WriteString(l + "\n")
	}
}

// writeTLSPolicyText says what the domain publishes as MTA-STS and TLS-RPT
// policy, in a line each, and nothing for a domain that publishes neither
// (the DANE verdicts are on the address lines).
func writeTLSPolicyText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	var lines []string
	if m := r.MTASTS; m != nil && m.Status != tlspolicy.STSNone {
		lines = append(lines, mtaSTSLine(m))
	}
	if t := r.TLSRPT; t != nil && t.Status != tlspolicy.RPTNone {
		line := "TLS-RPT " + t.Status
		switch {
		case t.Status == tlspolicy.RPTOK:
			line = "TLS-RPT reports to " + Sanitize(strings.Join(t.RUA, ", "))
		case t.Error != "":
			line += ": " + Sanitize(t.Error)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n")
	for _, line := range lines {
		for _, l := range checkWrap(line, o.Width, "  ") {
			b.WriteString(l + "\n")
		}
	}
}

// mtaSTSLine is one sentence about the MTA-STS policy: its mode, how each
// address of the policy host answered, and the MX coverage.
func mtaSTSLine(m *tlspolicy.MTASTS) string {
	line := "MTA-STS " + strings.ReplaceAll(m.Status, "_", " ")
	if m.Mode != "" {
		line = "MTA-STS " + m.Mode
		if m.Status != tlspolicy.STSOK {
			line += " (" + strings.ReplaceAll(m.Status, "_", " ") + ")"
		}
	}
	var fetched []string
	for _, f := range m.Fetch {
		fetched = append(fetched, addr.Label(f.Family)+" "+f.IP+" "+strings.ReplaceAll(f.Status, "_", " "))
	}
	if len(fetched) > 0 {
		line += "; policy host: " + strings.Join(fetched, ", ")
	}
	switch {
	case m.Mode == "":
	case m.MXCovered:
		line += "; covers every MX"
	default:
		line += "; does not cover " + Sanitize(strings.Join(m.MXUncovered, ", "))
	}
	return line + "."
}

// hasIPv6 reports whether any MX host of the report has an IPv6 address.
func hasIPv6(r *document.Check) bool {
	for _, x := range r.MX {
		for _, a := range x.Addresses {
			if a.Family == addr.IPv6 {
				return true
			}
		}
	}
	return false
}

// checkDeliveryLine is one sentence about the simulated delivery.
func checkDeliveryLine(d *document.Delivery, has6 bool) string {
	settings := "default settings"
	if !d.Defaults {
		settings = "your settings"
	}
	line := fmt.Sprintf("%s (%s) tries IPv6 first for %s of messages", d.MTA, settings, checkPct(d.PFirstIPv6))
	if !has6 {
		line = fmt.Sprintf("%s (%s): IPv4 only, the MX hosts have no IPv6 address", d.MTA, settings)
	}
	if d.Replayed {
		line += fmt.Sprintf("; replayed over what the probes saw, delivered %s, deferred %s, bounced %s", checkPct(d.PDelivered), checkPct(d.PDeferred), checkPct(d.PBounced))
		if d.ExpectedDelay > 0 {
			line += fmt.Sprintf(", %.1f s lost on average to failing addresses", d.ExpectedDelay)
		}
	}
	return line + "."
}

func checkPct(p float64) string {
	v := p * 100
	if v == float64(int(v)) {
		return fmt.Sprintf("%.0f%%", v)
	}
	return fmt.Sprintf("%.1f%%", v)
}
