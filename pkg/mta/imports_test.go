package mta

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pkg/mta is a pure model: it must build from the standard library alone,
// so that the orchestrator owns every adapter to it.
func TestMTAImportsOnlyTheStandardLibrary(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources of pkg/mta: %v", err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range file.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); !stdlib(imp) {
				t.Errorf("%s imports %s: pkg/mta may import only the standard library", filepath.Base(f), path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no non-test sources in pkg/mta")
	}
}

// stdlib reports whether an import is of the standard library: its first
// path element has no dot (every module path outside it has a domain).
func stdlib(imp *ast.ImportSpec) bool {
	path, err := strconv.Unquote(imp.Path.Value)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
