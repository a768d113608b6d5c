package render

import (
	"bytes"
	"fmt"
	"io"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// CheckFormats are the output formats of `check` and `demo`.
var CheckFormats = []string{"text", "json", "jsonl", "junit", "markdown"}

// CheckOptions configure the check renderers.
type CheckOptions struct {
	Styles *Styles
	// FailOn is the --fail-on threshold: JUnit failures and the verdict
	// line are relative to it.
	FailOn report.Severity
	// Ignored codes were dropped by --ignore; JUnit lists them as skipped.
	Ignored []string
	// Width is the text report's width (default 80).
	Width int
}

// CheckSummary closes a run of several domains.
type CheckSummary struct {
	Domains      int // reports written
	Failed       int // with findings at or above the threshold
	Undetermined int
	BadInput     int
	Interrupted  bool
	ExitCode     int
}

// CheckWriter writes check reports as they complete. Begin once, Write per
// domain (from one goroutine), End once. Write leaves nothing half-written:
// each report is formatted in memory first, then written with one call.
type CheckWriter interface {
	Begin() error
	Write(r *document.Check) error
	End(s CheckSummary) error
}

// NewCheckWriter returns the writer for format.
func NewCheckWriter(format string, w io.Writer, o CheckOptions) (CheckWriter, error) {
	if o.Styles == nil {
		o.Styles = NewStyles(false)
	}
	if o.Width <= 0 {
		o.Width = 80
	}
	if o.FailOn == "" {
		o.FailOn = report.SeverityFail
	}
	switch format {
	case "text":
		return &textCheck{w: w, o: o}, nil
	case "json":
		return &jsonCheck{w: w}, nil
	case "jsonl":
		return &jsonlCheck{w: w}, nil
	case "junit":
		return &junitCheck{w: w, o: o}, nil
	case "markdown":
		return &markdownCheck{w: w, o: o}, nil
	}
	return nil, fmt.Errorf("unknown check format %q", format)
}

// WarmCheck does ahead of time what writing the first document in format
// does the first time, and writes nothing: it builds the findings
// catalogue and, for json and jsonl, encoding/json's encoders for the
// document's types, which the first document otherwise pays for after
// the last probe (1.2 to 1.9 ms for one domain's `check -o json` in the
// latency lab, against 0.08 ms warm: docs/performance.md, "Round six").
// checkRun calls it on a goroutine of its own while the first lookups wait
// on the network.
func WarmCheck(format string) {
	// Preparing is best effort: a panic here, on a goroutine beside the
	// check, would end the process; the check itself would meet it again
	// where it is reported.
	defer func() { _ = recover() }()
	warmCatalogue()
	switch format {
	case "json", "jsonl":
		_, _ = warmEncoders()
	}
}

// What WarmCheck calls, replaceable by the tests.
var (
	warmCatalogue = report.Warm
	warmEncoders  = warmJSON
)

// warmJSON encodes an empty document with a simulation, which builds the
// encoders of every type the document declares.
func warmJSON() ([]byte, error) {
	var b bytes.Buffer
	err := (&document.Check{Simulation: &mta.Document{}}).AppendJSON(&b)
	return b.Bytes(), err
}

// jsonlCheck writes one compact JSON document per line.
type jsonlCheck struct {
	w   io.Writer
	buf bytes.Buffer // reused from line to line
}

func (j *jsonlCheck) Begin() error { return nil }

// Write encodes the report into the line buffer (Check.AppendJSON, the
// bytes of its MarshalJSON) and writes the line: once per domain in bulk
// runs, with no copy of the document's bytes on the way.
func (j *jsonlCheck) Write(r *document.Check) error {
	j.buf.Reset()
	if err := r.AppendJSON(&j.buf); err != nil {
		return fmt.Errorf("encoding the report of %s: %w", r.Domain, err)
	}
	j.buf.WriteByte('\n')
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

func (j *jsonlCheck) End(CheckSummary) error { return nil }

// jsonCheck writes one indented document for one domain and a JSON array
// of documents for several; the array is streamed, element by element.
type jsonCheck struct {
	w     io.Writer
	first *document.Check // held back until we know whether there is a second
	n     int
}

func (j *jsonCheck) Begin() error { return nil }

func (j *jsonCheck) Write(r *document.Check) error {
	j.n++
	switch j.n {
	case 1:
		j.first = r
		return nil
	case 2:
		if _, err := io.WriteString(j.w, "[\n"); err != nil {
			return err
		}
		if err := j.element(j.first, true); err != nil {
			return err
		}
		j.first = nil
	}
	return j.element(r, false)
}

func (j *jsonCheck) element(r *document.Check, first bool) error {
	b, err := checkJSONIndent(r, "  ")
	if err != nil {
		return err
	}
	if !first {
		b = append([]byte(",\n"), b...)
	}
	_, err = j.w.Write(b)
	return err
}

func (j *jsonCheck) End(CheckSummary) error {
	switch {
	case j.n == 1:
		b, err := checkJSONIndent(j.first, "")
		if err != nil {
			return err
		}
		_, err = j.w.Write(append(b, '\n'))
		return err
	case j.n > 1:
		_, err := io.WriteString(j.w, "\n]\n")
		return err
	}
	return nil
}
