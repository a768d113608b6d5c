package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/cmdref"
)

// The committed command reference must match the command tree; refresh it
// with `go run ./scripts/gendocs`.
func TestCommandReferenceIsUpToDate(t *testing.T) {
	root := NewRootCmd(NewFactory(&IOStreams{}))
	want, err := cmdref.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "commands")
	committed, _ := filepath.Glob(filepath.Join(dir, "mailcheck*.md"))
	if len(committed) != len(want) {
		t.Errorf("docs/commands has %d pages, the command tree has %d: run `go run ./scripts/gendocs`", len(committed), len(want))
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("docs/commands/%s is missing: run `go run ./scripts/gendocs`", name)
			continue
		}
		if string(got) != content {
			t.Errorf("docs/commands/%s is out of date: run `go run ./scripts/gendocs`", name)
		}
	}
}
