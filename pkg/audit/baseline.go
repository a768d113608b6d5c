package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Baseline is the findings of a previous check report (check --baseline
// FILE) by domain (A-label form). A finding of the same domain, code and
// subject is known: it does not count toward the exit code, so that a CI
// gate fails on what got worse and not on what was already there.
type Baseline map[string][]report.Finding

// maxBaselineDoc bounds one document of a baseline file: a check document
// is a few KiB; a larger one is not a mailcheck report.
const maxBaselineDoc = 16 << 20

// ReadBaseline reads a previous `check -o json` (one document or an array
// of them) or `-o jsonl` output. Documents that carry an error (lines
// that were not domains) are skipped; the error names the document that
// is not a check report.
func ReadBaseline(r io.Reader) (Baseline, error) {
	dec := json.NewDecoder(bufio.NewReader(&limitedDocs{r: r}))
	b := Baseline{}
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			if n == 1 {
				return nil, errors.New("no check report in the file")
			}
			return b, nil
		} else if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		var docs []baselineDoc
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '[' {
			if err := json.Unmarshal(raw, &docs); err != nil {
				return nil, fmt.Errorf("document %d: %w", n, err)
			}
		} else {
			var d baselineDoc
			if err := json.Unmarshal(raw, &d); err != nil {
				return nil, fmt.Errorf("document %d: %w", n, err)
			}
			docs = []baselineDoc{d}
		}
		for _, d := range docs {
			if d.Error != "" {
				continue
			}
			if d.SchemaVersion != report.SchemaVersion || d.Domain == "" || d.Findings == nil {
				return nil, fmt.Errorf("document %d is not a mailcheck check report (schema_version %d, domain and findings)", n, report.SchemaVersion)
			}
			b[d.Domain] = append(b[d.Domain], d.Findings...)
		}
	}
}

type baselineDoc struct {
	SchemaVersion int              `json:"schema_version"`
	Domain        string           `json:"domain"`
	Error         string           `json:"error"`
	Findings      []report.Finding `json:"findings"`
}

// limitedDocs passes r through; it exists so that a file of one huge
// line (not a report) is refused by the decoder's own errors rather than
// read whole: it stops after maxBaselineDoc bytes without a newline.
type limitedDocs struct {
	r   io.Reader
	run int // bytes since the last newline
}

func (l *limitedDocs) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.run = 0
		} else {
			l.run++
		}
	}
	if l.run > maxBaselineDoc {
		return n, fmt.Errorf("a line longer than %d MiB: not a check report", maxBaselineDoc>>20)
	}
	return n, err
}

// markBaseline marks rep's findings against the baseline's for its
// domain: a domain the baseline does not hold has only new findings.
func (p *checkPlan) markBaseline(rep *document.Check) {
	if p.baseline == nil || rep.Error != "" {
		return
	}
	markAgainst(rep, p.baseline[rep.Domain])
}
