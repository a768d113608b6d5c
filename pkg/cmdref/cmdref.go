// Package cmdref writes mailcheck's command reference (markdown pages, one
// per command) from the cobra command tree, so it cannot drift from --help.
// It lives apart from pkg/cli so that the mailcheck binary does not link
// cobra's document generators (markdown, man, YAML), which would cost
// start-up time; only scripts/gendocs and the tests use it.
package cmdref

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// WriteMarkdown writes the reference into dir, replacing the pages there.
func WriteMarkdown(root *cobra.Command, dir string) error {
	root.DisableAutoGenTag = true
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "mailcheck*.md"))
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	link := func(s string) string { return s }
	prep := func(string) string { return "" }
	return doc.GenMarkdownTreeCustom(root, dir, prep, link)
}

// Files returns the generated reference as file name -> content.
func Files(root *cobra.Command) (files map[string]string, err error) {
	dir, err := os.MkdirTemp("", "mailcheck-ref")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if err := WriteMarkdown(root, dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out[e.Name()] = string(b)
	}
	return out, nil
}
