package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// ProbeText writes the probe report for people: one table row per address,
// the reasons for failures, the IPv4/IPv6 comparison, notes and findings.
func ProbeText(w io.Writer, st *Styles, doc document.Probe) error {
	p := NewPrinter(w)
	head := st.Paint(ToneBold, Sanitize(doc.Target))
	if doc.TargetUnicode != "" {
		head = st.Paint(ToneBold, Sanitize(doc.TargetUnicode)) + " (" + Sanitize(doc.Target) + ")"
	}
	sum := fmt.Sprintf("SMTP port %d, %s", doc.Port, plural(len(doc.Probes), "address", "addresses"))
	if doc.ImplicitMX {
		sum += ", no MX records (implicit MX: the name's own addresses)"
	}
	p.Line(head, "  ", st.Paint(ToneDim, sum))
	if doc.NullMX {
		p.Line(st.Paint(ToneInfo, "Null MX (RFC 7505): the domain accepts no mail; nothing to probe."))
	}
	if len(doc.Probes) > 0 {
		p.Line()
		t := NewTable(w, "HOST", "ADDRESS", "STATUS", "BANNER", "EHLO", "TLS", "MS CONN/BANNER/EHLO/TLS")
		for _, r := range doc.Probes {
			tlsCell := probeTLSCell(st, r)
			if dane, tone, ok := daneLabel(r); ok {
				tlsCell = strings.TrimSpace(tlsCell + " " + st.Paint(tone, dane))
			}
			t.Row(Sanitize(r.Host), r.IP.String(), st.Paint(probeTone(r.Status), probeStatusText(r)),
				probeBannerCell(r), Sanitize(r.EHLOName), tlsCell, probeTimings(r))
		}
		p.Table(t)
	}

	var fails []string
	for _, r := range doc.Probes {
		if r.Status == smtpprobe.StatusOK || r.Error == "" {
			continue
		}
		fails = append(fails, fmt.Sprintf("  %s: %s", r.IP, Sanitize(r.Error)))
	}
	// An unverified certificate is a finding (with its reason), below.
	if len(fails) > 0 {
		p.Line()
		for _, f := range fails {
			p.Line(f)
		}
	}

	if len(doc.Differences) > 0 {
		p.Line()
		p.Line(st.Paint(ToneBold, "IPv4 and IPv6 answer differently"))
		for _, d := range doc.Differences {
			p.Line(st.Paint(ToneWarn, fmt.Sprintf("  %s %s: IPv4 %s; IPv6 %s", Sanitize(d.Host), fieldLabel(d.Field),
				Sanitize(strings.Join(d.IPv4, " | ")), Sanitize(strings.Join(d.IPv6, " | ")))))
		}
	} else if comparedHosts(doc.Probes) > 0 {
		p.Line()
		p.Line(st.Paint(ToneGood, "IPv4 and IPv6 answer alike (banner, EHLO, extensions, STARTTLS, certificate)."))
	}

	var names []string
	for _, c := range doc.NameChecks {
		if len(c.PTR) > 0 && !c.MatchesPTR {
			names = append(names, fmt.Sprintf("  %s %s %s is not its PTR (%s)", c.IP, fieldLabel(c.Field),
				Sanitize(c.Name), Sanitize(strings.Join(c.PTR, ", "))))
		}
	}
	if len(names) > 0 {
		p.Line()
		p.Line(st.Paint(ToneBold, "Names versus reverse DNS"))
		for _, n := range names {
			p.Line(st.Paint(ToneWarn, n))
		}
	}

	if len(doc.Notes) > 0 {
		p.Line()
		for _, n := range doc.Notes {
			p.Line(st.Paint(ToneInfo, Sanitize(n)))
		}
	}
	return p.EndWithFindings(st, doc.Findings)
}

// comparedHosts counts the MX hosts with a working probe in both families:
// only those were compared.
func comparedHosts(rs []smtpprobe.Result) int {
	fams := map[string]map[string]bool{}
	for _, r := range rs {
		if r.Status != smtpprobe.StatusOK {
			continue
		}
		h := strings.ToLower(r.Host)
		if fams[h] == nil {
			fams[h] = map[string]bool{}
		}
		fams[h][r.Family] = true
	}
	n := 0
	for _, f := range fams {
		if len(f) == 2 {
			n++
		}
	}
	return n
}

func fieldLabel(f string) string {
	switch f {
	case smtpprobe.FieldBannerName:
		return "banner name"
	case smtpprobe.FieldEHLOName:
		return "EHLO name"
	case smtpprobe.FieldExtensions:
		return "EHLO extensions"
	case smtpprobe.FieldStartTLS:
		return "STARTTLS offered"
	case smtpprobe.FieldCert:
		return "certificate (SHA-256)"
	}
	return f
}

func probeTone(s smtpprobe.Status) Tone {
	switch s {
	case smtpprobe.StatusOK:
		return ToneGood
	case smtpprobe.StatusInconclusive:
		return ToneDim
	case smtpprobe.StatusGreeting4xx, smtpprobe.StatusTLSFailed:
		return ToneWarn
	}
	return ToneBad
}

func probeStatusText(r smtpprobe.Result) string {
	s := string(r.Status)
	switch {
	case r.Status == smtpprobe.StatusTimeout && r.Phase != "":
		s += " (" + r.Phase + ")"
	case r.Status == smtpprobe.StatusGreeting4xx || r.Status == smtpprobe.StatusGreeting5xx:
		if r.Phase == smtpprobe.PhaseEHLO {
			s += " (ehlo)"
		}
	case r.Status == smtpprobe.StatusReset && r.Phase != "":
		s += " (" + r.Phase + ")"
	}
	return s
}

func probeBannerCell(r smtpprobe.Result) string {
	if r.BannerCode == 0 {
		return ""
	}
	name := Sanitize(r.BannerName)
	if len(name) > 40 {
		name = name[:37] + "..."
	}
	return fmt.Sprintf("%d %s", r.BannerCode, name)
}

// daneLabel is the DANE verdict shown next to TLS ("DANE pass"), only
// when it says something about the server: a domain without DNSSEC or
// TLSA records, or a resolver that does not validate (a finding says
// so), reads as it did without DANE.
func daneLabel(r smtpprobe.Result) (string, Tone, bool) {
	if r.DANE == nil {
		return "", ToneDim, false
	}
	switch r.DANE.Status {
	case tlspolicy.DANEPass:
		return "DANE pass", ToneGood, true
	case tlspolicy.DANEFail, tlspolicy.DANENoSTARTTLS, tlspolicy.DANELookupError:
		return "DANE " + strings.ReplaceAll(string(r.DANE.Status), "_", " "), ToneBad, true
	case tlspolicy.DANEUnusable:
		return "DANE unusable", ToneWarn, true
	}
	return "", ToneDim, false
}

func probeTLSCell(st *Styles, r smtpprobe.Result) string {
	switch {
	case r.TLS != nil && r.TLS.Verified:
		return st.Paint(ToneGood, Sanitize(r.TLS.Version)+" verified")
	case r.TLS != nil:
		return st.Paint(ToneWarn, Sanitize(r.TLS.Version)+" unverified")
	case r.Status == smtpprobe.StatusTLSFailed:
		return st.Paint(ToneBad, "failed")
	case r.StartTLS:
		return "offered"
	case r.Status == smtpprobe.StatusOK:
		return st.Paint(ToneWarn, "none")
	}
	return ""
}

func probeTimings(r smtpprobe.Result) string {
	t := r.Timings
	if r.Status == smtpprobe.StatusInconclusive {
		return ""
	}
	parts := []string{fmtMS(t.Connect)}
	if t.Banner > 0 {
		parts = append(parts, fmtMS(t.Banner))
	}
	if t.EHLO > 0 {
		parts = append(parts, fmtMS(t.EHLO))
	}
	if t.TLS > 0 {
		parts = append(parts, fmtMS(t.TLS))
	}
	return strings.Join(parts, "/")
}

func fmtMS(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
