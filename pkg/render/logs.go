package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/maillog"
)

// maxRepliesShown bounds the replies printed per family in text and
// markdown (JSON has them all).
const maxRepliesShown = 3

// LogsText writes the mail-log summary for people: what was read, then
// per destination (failing ones first) the verdict, a table per family,
// the dominant replies with what they mean, and the fix.
func LogsText(w io.Writer, st *Styles, doc *document.Logs) error {
	p := NewPrinter(w)
	s := doc.Summary
	p.Line(st.Paint(ToneBold, "Read "), logsRead(doc))
	if note := logsDropped(s); note != "" {
		p.Line(st.Paint(ToneDim, note))
	}
	if len(s.Destinations) == 0 {
		p.Line("No delivery attempts over SMTP in these logs.")
		return p.Err()
	}
	for _, d := range s.Destinations {
		p.Line()
		tone := ToneGood
		if d.Deferred+d.Bounced > 0 {
			tone = ToneBad
		}
		p.Line(st.Paint(tone, Sanitize(d.Verdict)))
		t := NewTable(p.Writer(), "  family", "attempts", "delivered", "deferred", "bounced", "failures")
		for _, f := range d.Families {
			t.Row("  "+logsFamily(f.Family), fmt.Sprint(f.Attempts), fmt.Sprint(f.Delivered), fmt.Sprint(f.Deferred), fmt.Sprint(f.Bounced), logsSpan(f.FirstFailure, f.LastFailure))
		}
		p.Table(t)
		if d.DeliveredAfterDeferral > 0 {
			p.Line(fmt.Sprintf("  %d delivered after a deferral, %d of them over the other family", d.DeliveredAfterDeferral, d.FallbackDelivered))
		}
		for _, f := range d.Families {
			for i, r := range f.Replies {
				if i == maxRepliesShown {
					p.Line(st.Paint(ToneDim, fmt.Sprintf("    ... %d more distinct replies (-o json has them all)", len(f.Replies)-i)))
					break
				}
				p.Line(fmt.Sprintf("  %s, %d %s: ", logsFamily(f.Family), r.Count, r.Outcome), st.Paint(ToneDim, "\""+Sanitize(clipText(r.Reply, 160))+"\""))
				if r.Rule != "" || r.Reason != "" {
					p.Line("    ", Sanitize(logsMeaning(r)))
				}
			}
		}
		if d.Fix != "" {
			p.Line("  ", st.Paint(ToneBold, "Fix: "), Sanitize(d.Fix))
		}
	}
	return p.Err()
}

// LogsMarkdown writes the summary as GitHub-flavoured markdown: a table of
// destinations and families, then the verdict and fix of every destination
// with failures.
func LogsMarkdown(w io.Writer, doc *document.Logs) error {
	p := NewPrinter(w)
	p.Line("## mailcheck logs")
	p.Line()
	p.Line("Read ", checkMD(logsRead(doc)), ".")
	if note := logsDropped(doc.Summary); note != "" {
		p.Line()
		p.Line(checkMD(note))
	}
	p.Line()
	p.Line("| destination | family | attempts | delivered | deferred | bounced | dominant reply |")
	p.Line("|---|---|---|---|---|---|---|")
	for _, d := range doc.Destinations {
		for _, f := range d.Families {
			reply := ""
			if len(f.Replies) > 0 {
				reply = fmt.Sprintf("%d× %s", f.Replies[0].Count, clipText(f.Replies[0].Reply, 100))
			}
			p.Line(fmt.Sprintf("| %s | %s | %d | %d | %d | %d | %s |", checkMD(d.Domain), logsFamily(f.Family), f.Attempts, f.Delivered, f.Deferred, f.Bounced, checkMD(reply)))
		}
	}
	for _, d := range doc.Destinations {
		if d.Deferred+d.Bounced == 0 {
			continue
		}
		p.Line()
		p.Line(strings.TrimSpace("- **" + checkMD(d.Verdict) + "** " + checkMD(d.Fix)))
	}
	return p.Err()
}

func logsRead(doc *document.Logs) string {
	s := doc.Summary
	files := "standard input"
	if len(doc.Files) > 0 {
		files = strings.Join(doc.Files, ", ")
	}
	out := fmt.Sprintf("%s: %d lines, %d delivery attempts to %d destination%s", Sanitize(files), s.Lines, s.Attempts, len(s.Destinations), map[bool]string{true: "", false: "s"}[len(s.Destinations) == 1])
	if span := logsSpan(s.First, s.Last); span != "" {
		out += ", " + span
	}
	return out
}

func logsDropped(s *maillog.Summary) string {
	var parts []string
	if s.QueueIDsDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d queue ids no longer followed (too many waiting at once)", s.QueueIDsDropped))
	}
	if s.DomainsDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d attempts to destinations beyond the first %d not counted", s.DomainsDropped, maillog.DefaultMaxDomains))
	}
	if s.PendingDropped > 0 {
		parts = append(parts, fmt.Sprintf("%d per-address lines without a recipient line", s.PendingDropped))
	}
	if len(parts) == 0 {
		return ""
	}
	return "Dropped: " + strings.Join(parts, "; ") + "."
}

func logsFamily(f string) string {
	if f == "unknown" {
		return "unknown"
	}
	return addr.Label(f)
}

// logsSpan writes the hours a set of attempts spans.
func logsSpan(first, last time.Time) string {
	if first.IsZero() {
		return ""
	}
	if first.Year() == last.Year() && first.YearDay() == last.YearDay() {
		return first.Format("Jan 2 15:04") + "–" + last.Format("15:04")
	}
	return first.Format("Jan 2 15:04") + " – " + last.Format("Jan 2 15:04")
}

func logsMeaning(r maillog.Reply) string {
	parts := []string{}
	if r.Reason != "" {
		parts = append(parts, "reason "+r.Reason)
	}
	if r.Rule != "" {
		parts = append(parts, "rule "+r.Rule)
	}
	s := strings.Join(parts, ", ")
	if r.Explanation != "" {
		s += ": " + firstSentence(r.Explanation)
	}
	return s
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + " ..."
}
