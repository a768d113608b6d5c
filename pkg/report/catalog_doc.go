package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteCatalogMarkdown writes docs/findings.md from the catalogue. The file
// is generated: TestFindingsDocIsUpToDate fails when it drifts, and
// `go test ./pkg/report -run TestFindingsDocIsUpToDate -update` rewrites it.
func WriteCatalogMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Findings\n\n")
	b.WriteString("<!-- Generated from pkg/report/catalog*.go by\n")
	b.WriteString("     go test ./pkg/report -run TestFindingsDocIsUpToDate -update\n")
	b.WriteString("     Do not edit by hand. -->\n\n")
	b.WriteString("Every finding mailcheck reports has a stable code (`MC` + 3 digits, the first digit\n")
	b.WriteString("names the area), a severity (`info`, `warn`, `fail`), the subject it is about (the domain,\n")
	b.WriteString("an MX host or an address), a message saying what was seen, and the fix. The fix in a\n")
	b.WriteString("report is concrete (the exact record or setting for that subject); the fix below is the\n")
	b.WriteString("general remedy.\n\n")
	b.WriteString("`--fail-on warn|fail` (default `fail`) sets the severity that makes the exit code 1;\n")
	b.WriteString("`--ignore CODE` (repeatable) drops a code from the report and from the exit code.\n\n")
	entries := Entries()
	var area byte
	for _, e := range entries {
		if e.Code[2] != area {
			area = e.Code[2]
			fmt.Fprintf(&b, "- [MC%cxx %s](#mc%cxx)\n", area, Areas[area], area)
		}
	}
	area = 0
	for _, e := range entries {
		if e.Code[2] != area {
			area = e.Code[2]
			fmt.Fprintf(&b, "\n## MC%cxx\n\n%s.\n", area, Areas[area])
		}
		fmt.Fprintf(&b, "\n### %s (%s): %s\n\n%s\n\n**Fix:** %s\n", e.Code, e.Severity, e.Title, e.Explain, e.Fix)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
