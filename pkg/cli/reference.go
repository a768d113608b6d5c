package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// NewFactory returns the Factory the real binary uses.
func NewFactory(ios *IOStreams) *Factory {
	return &Factory{IO: ios, Global: &GlobalOptions{}, NewResolver: defaultResolver, Now: timeNow}
}

// WriteMarkdownReference writes the command reference (one page per
// command) into dir, replacing the pages there. Generated from the command
// tree so that it cannot drift from --help; a test checks the committed
// copy (docs/commands) is current.
func WriteMarkdownReference(root *cobra.Command, dir string) error {
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

// referenceFiles returns the generated reference as file name -> content,
// for the up-to-date test.
func referenceFiles(root *cobra.Command) (files map[string]string, err error) {
	dir, err := os.MkdirTemp("", "mailcheck-ref")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			files, err = nil, rerr
		}
	}()
	if err := WriteMarkdownReference(root, dir); err != nil {
		return nil, err
	}
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(e.Name(), ".md") {
			out[e.Name()] = string(b)
		}
	}
	return out, nil
}
