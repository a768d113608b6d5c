package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// markdownCheck writes GitHub-flavoured markdown for CI job summaries and
// pull-request comments: per domain a heading with the verdict, a table
// of addresses, and a table of findings with their fixes.
type markdownCheck struct {
	w io.Writer
	o CheckOptions
}

func (m *markdownCheck) Begin() error { return nil }

func (m *markdownCheck) Write(r *document.Check) error {
	var b bytes.Buffer
	name := r.Domain
	if name == "" {
		name = r.Input
	}
	fail, warn, info := r.Counts()
	verdict := "pass"
	switch {
	case r.Error != "":
		verdict = "bad input"
	case report.AtLeast(document.Counted(r.Findings), m.o.FailOn):
		verdict = "FAIL"
	case r.Undetermined:
		verdict = "undetermined"
	}
	fmt.Fprintf(&b, "## mailcheck: %s (%s)\n\n", checkMD(name), verdict)
	if r.Error != "" {
		fmt.Fprintf(&b, "%s\n\n", checkMD(r.Error))
		_, err := m.w.Write(b.Bytes())
		return err
	}
	fmt.Fprintf(&b, "%d fail, %d warn, %d info (threshold: `--fail-on %s`)", fail, warn, info, m.o.FailOn)
	if r.Undetermined {
		fmt.Fprintf(&b, "; could not determine: %s", checkMD(r.Reason))
	}
	if r.Partial {
		b.WriteString("; partial: the deadline cut some checks short")
	}
	b.WriteString(".\n\n")
	if r.Sandbox {
		b.WriteString("_Sandbox: the demo's zone is served on loopback; address-class findings are left out._\n\n")
	}
	probes := map[string]*smtpprobe.Result{}
	for i := range r.Probes {
		probes[r.Probes[i].IP.String()] = &r.Probes[i]
	}
	if len(r.MX) > 0 {
		b.WriteString("| MX | Address | PTR | FCrDNS | SMTP |\n|---|---|---|---|---|\n")
		for _, x := range r.MX {
			if len(x.Addresses) == 0 {
				fmt.Fprintf(&b, "| %d %s | (none: A %s, AAAA %s) | | | |\n", x.Preference, checkMD(x.Host), x.AStatus, x.AAAAStatus)
			}
			for _, a := range x.Addresses {
				smtp := "not probed"
				if p := probes[a.IP.String()]; p != nil {
					smtp, _ = checkProbeSummary(p, r.NoStartTLS)
				}
				ptr := strings.Join(a.PTR, ", ")
				if ptr == "" && a.PTRStatus != "" && a.PTRStatus != "skipped" {
					ptr = "none"
				}
				fmt.Fprintf(&b, "| %d %s | `%s` | %s | %s | %s |\n", x.Preference, checkMD(x.Host), a.IP,
					checkMD(ptr), a.FCrDNS, checkMD(smtp))
			}
		}
		b.WriteString("\n")
	}
	if r.Delivery != nil {
		b.WriteString(checkMD(checkDeliveryLine(r.Delivery, hasIPv6(r))) + "\n\n")
	}
	writeChangeMarkdown(&b, r)
	if len(r.Findings) > 0 {
		b.WriteString("| Severity | Code | Subject | Finding | Fix |\n|---|---|---|---|---|\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", checkSeverityMark(f.Severity), f.Code+deltaMark(f), checkMD(f.Subject), checkMD(f.Message), checkMD(f.Fix))
		}
		b.WriteString("\n")
	}
	_, err := m.w.Write(b.Bytes())
	return err
}

func (m *markdownCheck) End(s CheckSummary) error {
	if s.Domains <= 1 && !s.Interrupted {
		return nil
	}
	line := fmt.Sprintf("**%d domain(s) checked**: %d at or above `--fail-on %s`, %d undetermined, %d bad input", s.Domains, s.Failed, m.o.FailOn, s.Undetermined, s.BadInput)
	if s.Interrupted {
		line += " (interrupted)"
	}
	_, err := io.WriteString(m.w, line+".\n")
	return err
}

func checkSeverityMark(s report.Severity) string {
	switch s {
	case report.SeverityFail:
		return "❌ fail"
	case report.SeverityWarn:
		return "⚠️ warn"
	}
	return "ℹ️ info"
}

// checkMD makes text safe inside a markdown table cell: remote text is
// sanitised, pipes are escaped, and HTML-significant characters are
// escaped so a banner cannot inject markup into a PR comment. Backquoted
// records in fixes are kept as code spans.
func checkMD(s string) string {
	parts := strings.Split(Sanitize(s), "`")
	if len(parts)%2 == 0 {
		// An unpaired backquote: no code spans at all.
		parts = []string{strings.Join(parts, "'")}
	}
	for i, p := range parts {
		if i%2 == 0 {
			p = checkMDOutside.Replace(p)
		} else {
			p = strings.ReplaceAll(p, "|", `\|`)
		}
		parts[i] = p
	}
	return strings.Join(parts, "`")
}

var checkMDOutside = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)
