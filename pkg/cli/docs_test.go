package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// docsZone makes mx produce every field of its document, optional ones
// included, over a handful of domains.
const docsZone = `
$TTL 300
example.org.              MX    10 mx1.example.org.
mx1.example.org.          A     192.0.2.1
mx1.example.org.          AAAA  2001:db8::1
1.2.0.192.in-addr.arpa.   PTR   mx1.example.org.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR 2001.db8.0.1.

xn--bcher-kva.example.org. MX   10 mail.xn--bcher-kva.example.org.
mail.xn--bcher-kva.example.org. CNAME mx1.example.org.

cn.example.org.           CNAME example.org.

failing.example.org.      MX    10 mx.failing.example.org.
failhost.example.org.     MX    10 mx.failing.example.org.

badname.example.org.      MX    10 -mx.example.org.

many.example.org.         MX    10 many.example.org.
many.example.org.         A     198.51.100.1
`

func docsZoneText() string {
	var b strings.Builder
	b.WriteString(docsZone)
	for i := range 12 {
		fmt.Fprintf(&b, "1.100.51.198.in-addr.arpa. PTR h%d.many.example.org.\n", i)
	}
	return b.String()
}

// jsonPaths collects the key paths of a JSON value: "a", "a.b", and
// "a[].b" for objects inside arrays.
func jsonPaths(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			jsonPaths(p, child, out)
		}
	case []any:
		for _, child := range x {
			jsonPaths(prefix+"[]", child, out)
		}
	}
}

// docSection returns the text of "## name" in a markdown file, up to the
// next second-level heading.
func docSection(t *testing.T, path, name string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## "+name+"\n")
	if start < 0 {
		t.Fatalf("%s has no section %q", path, "## "+name)
	}
	rest := text[start+len("\n## "+name+"\n"):]
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

var docFieldRow = regexp.MustCompile("(?m)^\\| `([a-z0-9_.\\[\\]]+)` \\|")

// fieldDiff returns, sorted, the produced fields that are not documented
// and the documented fields that nothing produced.
func fieldDiff(produced, documented map[string]bool) (undocumented, unproduced []string) {
	for p := range produced {
		if !documented[p] {
			undocumented = append(undocumented, p)
		}
	}
	for p := range documented {
		if !produced[p] {
			unproduced = append(unproduced, p)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unproduced)
	return undocumented, unproduced
}

// exampleFields returns the key paths of the json example in a docs/json.md
// section (of the command named name), failing t when there is no example
// or it is not JSON.
func exampleFields(t *testing.T, section, name string) map[string]bool {
	t.Helper()
	start := strings.Index(section, "```json\n")
	end := strings.Index(section[start+1:], "\n```")
	if start < 0 || end < 0 {
		t.Fatalf("no json example in the %s section", name)
	}
	var example map[string]any
	if err := json.Unmarshal([]byte(section[start+len("```json\n"):start+1+end]), &example); err != nil {
		t.Fatalf("the %s example is not JSON: %v", name, err)
	}
	paths := map[string]bool{}
	jsonPaths("", example, paths)
	return paths
}

func TestDocsJSONDescribesExactlyTheFieldsMXWrites(t *testing.T) {
	s := dnstest.New(t, docsZoneText())
	s.MustInject(t, "failing.example.org.", "MX", dnstest.FaultServFail)
	s.MustInject(t, "mx.failing.example.org.", "A", dnstest.FaultServFail)
	s.MustInject(t, "mx.failing.example.org.", "AAAA", dnstest.FaultServFail)

	produced := map[string]bool{}
	run := func(args ...string) {
		var out, errOut bytes.Buffer
		ios := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
		code := Run(context.Background(), append([]string{"mx", "-o", "json", "--resolver", s.Addr4()}, args...), ios)
		if code == ExitUsage {
			t.Fatalf("mx %v: exit 2: %s", args, errOut.String())
		}
		var doc map[string]any
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatalf("mx %v: %v\n%s", args, err, out.String())
		}
		jsonPaths("", doc, produced)
	}
	for _, d := range []string{"example.org", "bücher.example.org", "cn.example.org", "many.example.org",
		"failing.example.org", "failhost.example.org", "badname.example.org"} {
		run(d)
	}

	section := docSection(t, "../../docs/json.md", "mx")
	documented := map[string]bool{}
	for _, m := range docFieldRow.FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	if len(documented) < 20 {
		t.Fatalf("found only %d documented fields in docs/json.md's mx section", len(documented))
	}
	undocumented, unproduced := fieldDiff(produced, documented)
	if len(undocumented) > 0 {
		t.Errorf("mx writes fields docs/json.md does not document: %v", undocumented)
	}
	if len(unproduced) > 0 {
		t.Errorf("docs/json.md documents mx fields the test zones did not produce (document or exercise them): %v", unproduced)
	}

	// The example in the section is valid JSON using documented fields only.
	for p := range exampleFields(t, section, "mx") {
		if !documented[p] {
			t.Errorf("the mx example uses an undocumented field %s", p)
		}
	}
}

func TestDocsExitCodesListEveryExitConstant(t *testing.T) {
	fset := token.NewFileSet()
	// The codes are defined in pkg/exitcode (OK, Findings, ...); pkg/cli
	// and the documentation name them ExitOK, ExitFindings, ...
	f, err := parser.ParseFile(fset, "../exitcode/exitcode.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range vs.Names {
			if i >= len(vs.Values) {
				continue
			}
			lit, ok := vs.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.INT {
				t.Errorf("%s is not an integer literal", name.Name)
				continue
			}
			v, _ := strconv.Atoi(lit.Value)
			consts["Exit"+name.Name] = v
		}
		return true
	})
	if len(consts) < 5 {
		t.Fatalf("found only %d exit constants in exitcode.go", len(consts))
	}
	doc, err := os.ReadFile("../../docs/exit-codes.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `(\\d+)` \\| `(Exit[A-Za-z]+)` \\|").FindAllStringSubmatch(string(doc), -1)
	documented := map[string]int{}
	for _, r := range rows {
		v, _ := strconv.Atoi(r[1])
		documented[r[2]] = v
	}
	for name, v := range consts {
		dv, ok := documented[name]
		switch {
		case !ok:
			t.Errorf("docs/exit-codes.md does not list %s (%d)", name, v)
		case dv != v:
			t.Errorf("docs/exit-codes.md says %s is %d, exitcode.go says %d", name, dv, v)
		}
	}
	for name := range documented {
		if _, ok := consts[name]; !ok {
			t.Errorf("docs/exit-codes.md lists %s, which exitcode.go does not define", name)
		}
	}
}
