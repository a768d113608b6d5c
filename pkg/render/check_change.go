package render

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// The "What this change does" section of check --compare-live (the zone
// change against live DNS) and --baseline (this run against a previous
// report), in text and markdown alike: one line per kind of change, in
// plain words, nothing when there is no baseline.

// changeLines says what changed, one line each; nil without a baseline.
func changeLines(r *document.Check) []string {
	if r.Changes == nil && r.Resolved == nil {
		return nil
	}
	var out []string
	if c := r.Changes; c != nil {
		list := func(what string, items []string) {
			if len(items) > 0 {
				out = append(out, what+": "+strings.Join(items, ", "))
			}
		}
		list("MX hosts added", c.MXAdded)
		list("MX hosts removed", c.MXRemoved)
		list("Addresses added", c.AddressesAdded)
		list("Addresses removed", c.AddressesRemoved)
		list("Accepts mail over a family it did not before", familyNames(c.FamiliesGained))
		list("No longer accepts mail over", familyNames(c.FamiliesLost))
		if s := c.PFirstIPv6; s != nil && s.Live != s.Overlay {
			out = append(out, fmt.Sprintf("First delivery attempts over IPv6: %s live, %s with the change", percent(s.Live), percent(s.Overlay)))
		}
		if c.Empty() {
			out = append(out, "MX hosts, addresses, families and the first-attempt share are as live.")
		}
	}
	var fresh, known []string
	for _, f := range r.Findings {
		switch f.Delta {
		case document.DeltaNew:
			if f.Code != report.CodeZoneOverlay {
				fresh = append(fresh, f.Code+" "+f.Subject)
			}
		case document.DeltaKnown:
			known = append(known, f.Code)
		}
	}
	var resolved []string
	for _, f := range r.Resolved {
		resolved = append(resolved, f.Code+" "+f.Subject)
	}
	out = append(out, fmt.Sprintf("Findings: %d new, %d known, %d resolved (known findings do not count toward the exit code).", len(fresh), len(known), len(resolved)))
	if len(fresh) > 0 {
		out = append(out, "New: "+strings.Join(fresh, ", "))
	}
	if len(resolved) > 0 {
		out = append(out, "Resolved: "+strings.Join(resolved, ", "))
	}
	return out
}

func familyNames(fams []string) []string {
	out := make([]string, 0, len(fams))
	for _, f := range fams {
		if f == "ipv6" {
			out = append(out, "IPv6")
		} else {
			out = append(out, "IPv4")
		}
	}
	return out
}

func percent(p float64) string { return fmt.Sprintf("%.0f%%", 100*p) }

// deltaMark labels a finding against a baseline ("" without one).
func deltaMark(f report.Finding) string {
	if f.Delta == "" {
		return ""
	}
	return " [" + f.Delta + "]"
}

func writeChangeText(b *bytes.Buffer, r *document.Check, o CheckOptions) {
	lines := changeLines(r)
	if lines == nil {
		return
	}
	b.WriteString("\n" + o.Styles.Paint(ToneBold, "What this change does") + "\n")
	for _, l := range lines {
		for i, w := range checkWrap("- "+Sanitize(l), o.Width, "    ") {
			if i == 0 {
				w = "  " + strings.TrimPrefix(w, "    ")
			}
			b.WriteString(w + "\n")
		}
	}
}

func writeChangeMarkdown(b *bytes.Buffer, r *document.Check) {
	lines := changeLines(r)
	if lines == nil {
		return
	}
	b.WriteString("### What this change does\n\n")
	for _, l := range lines {
		b.WriteString("- " + checkMD(l) + "\n")
	}
	b.WriteString("\n")
}
