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
// so that the orchestrator owns every adapter to it. The one exception is
// pkg/addr, the definition of address facts (family, literal syntax), which
// is itself standard-library only and does no I/O.
func TestMTAImportsOnlyTheStandardLibraryAndAddr(t *testing.T) {
	checkImports(t, ".", func(path string) bool { return path == addrPackage })
}

// The exception above holds only while pkg/addr needs nothing but the
// standard library.
func TestAddrImportsOnlyTheStandardLibrary(t *testing.T) {
	checkImports(t, "../addr", func(string) bool { return false })
}

// addrPackage is the one package of ours pkg/mta may import.
const addrPackage = "github.com/mailcheck/mailcheck/pkg/addr"

// checkImports fails t for every import of the non-test sources in dir
// that is neither of the standard library nor allowed.
func checkImports(t *testing.T, dir string, allowed func(path string) bool) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources in %s: %v", dir, err)
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
			if path, _ := strconv.Unquote(imp.Path.Value); !stdlib(imp) && !allowed(path) {
				t.Errorf("%s imports %s, which is neither the standard library nor allowed there", f, path)
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no non-test sources in %s", dir)
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
