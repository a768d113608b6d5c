package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// benchDocument is a check document of about 15 KB of indented JSON.
func benchDocument() *document.Check {
	r := hostileReport()
	for range 40 {
		r.Findings = append(r.Findings, report.New(report.CodeNoSTARTTLS, "mx.example.org",
			"some message text of moderate length about the finding here", ""))
	}
	return r
}

// BenchmarkCheckJSONIndent is `-o json`'s indentation of one document
// (docs/performance.md, "Round five"); BenchmarkCheckJSONIndentByEncoder
// is the Encoder with SetIndent it replaced, for the ratio in one run.
func BenchmarkCheckJSONIndent(b *testing.B) {
	r := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := checkJSONIndent(r, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckJSONIndentByEncoder(b *testing.B) {
	r := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			b.Fatal(err)
		}
	}
}
