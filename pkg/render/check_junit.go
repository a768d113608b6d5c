package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// junitCheck writes JUnit XML as CI systems read it (Jenkins, GitLab,
// GitHub test reporters): one <testsuite> per domain, one <testcase> per
// finding code the check judged, a <failure> when a finding with that code
// is at or above --fail-on; findings below it go to <system-out>, ignored
// codes are <skipped>. The root element is opened in Begin and closed in
// End, so suites stream as domains complete.
type junitCheck struct {
	w io.Writer
	o CheckOptions
}

type checkJUnitSuite struct {
	XMLName  xml.Name         `xml:"testsuite"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Time     string           `xml:"time,attr"`
	Cases    []checkJUnitCase `xml:"testcase"`
}

type checkJUnitCase struct {
	Name      string             `xml:"name,attr"`
	Classname string             `xml:"classname,attr"`
	Failure   *checkJUnitMessage `xml:"failure,omitempty"`
	Error     *checkJUnitMessage `xml:"error,omitempty"`
	Skipped   *checkJUnitMessage `xml:"skipped,omitempty"`
	SystemOut string             `xml:"system-out,omitempty"`
}

type checkJUnitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func (j *junitCheck) Begin() error {
	_, err := io.WriteString(j.w, xml.Header+"<testsuites name=\"mailcheck\">\n")
	return err
}

func (j *junitCheck) Write(r *document.Check) error {
	name := r.Domain
	if name == "" {
		name = r.Input
	}
	s := checkJUnitSuite{Name: checkXMLSafe(name), Time: fmt.Sprintf("%.3f", float64(r.ElapsedMS)/1000)}
	if r.Error != "" {
		s.Tests, s.Errors = 1, 1
		s.Cases = []checkJUnitCase{{Name: "input", Classname: checkXMLSafe(name), Error: &checkJUnitMessage{Message: checkXMLSafe(r.Error), Type: "input"}}}
		return j.encode(s)
	}
	byCode := map[string][]report.Finding{}
	for _, f := range r.Findings {
		byCode[f.Code] = append(byCode[f.Code], f)
	}
	for _, code := range r.CheckedCodes() {
		title := code
		if e, ok := report.Lookup(code); ok {
			title = code + " " + e.Title
		}
		c := checkJUnitCase{Name: checkXMLSafe(title), Classname: checkXMLSafe(name)}
		if slices.Contains(j.o.Ignored, code) {
			s.Skipped++
			c.Skipped = &checkJUnitMessage{Message: "ignored with --ignore"}
			s.Cases = append(s.Cases, c)
			continue
		}
		var above, below []string
		for _, f := range byCode[code] {
			sev := string(f.Severity)
			if f.Delta != "" {
				sev += ", " + f.Delta
			}
			text := fmt.Sprintf("%s [%s] %s\nfix: %s", f.Subject, sev, f.Message, f.Fix)
			// A finding the baseline already had is not a failure.
			if f.Severity.Rank() >= j.o.FailOn.Rank() && f.Delta != document.DeltaKnown {
				above = append(above, text)
			} else {
				below = append(below, text)
			}
		}
		if len(above) > 0 {
			s.Failures++
			c.Failure = &checkJUnitMessage{Message: checkXMLSafe(byCode[code][0].Message), Type: string(byCode[code][0].Severity), Text: checkXMLSafe(strings.Join(above, "\n\n"))}
		}
		if len(below) > 0 {
			c.SystemOut = checkXMLSafe(strings.Join(below, "\n\n"))
		}
		s.Cases = append(s.Cases, c)
	}
	for _, code := range j.o.Ignored {
		if slices.ContainsFunc(s.Cases, func(c checkJUnitCase) bool { return strings.HasPrefix(c.Name, code+" ") }) {
			continue
		}
		s.Skipped++
		s.Cases = append(s.Cases, checkJUnitCase{Name: code, Classname: checkXMLSafe(name), Skipped: &checkJUnitMessage{Message: "ignored with --ignore"}})
	}
	if r.Undetermined {
		s.Errors++
		s.Cases = append(s.Cases, checkJUnitCase{Name: "verdict", Classname: checkXMLSafe(name), Error: &checkJUnitMessage{Message: checkXMLSafe("could not determine: " + r.Reason), Type: "undetermined"}})
	}
	s.Tests = len(s.Cases)
	return j.encode(s)
}

func (j *junitCheck) encode(s checkJUnitSuite) error {
	var b bytes.Buffer
	b.WriteString("  ")
	enc := xml.NewEncoder(&b)
	enc.Indent("  ", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	b.WriteString("\n")
	_, err := j.w.Write(b.Bytes())
	return err
}

func (j *junitCheck) End(CheckSummary) error {
	_, err := io.WriteString(j.w, "</testsuites>\n")
	return err
}

// checkXMLSafe drops characters XML 1.0 cannot carry at all (most C0 controls);
// encoding/xml escapes the rest but would replace these with U+FFFD
// anyway, and remote text (banners) can hold them.
func checkXMLSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			return r
		}
		return -1
	}, s)
}
