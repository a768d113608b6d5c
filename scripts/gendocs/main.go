// Command gendocs writes mailcheck's generated documentation from the cobra
// command tree: the markdown command reference (docs/commands/), man pages
// and shell completions. `go run ./scripts/gendocs` refreshes
// docs/commands; the release build also asks for man pages and completions.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mailcheck/mailcheck/pkg/cli"
	"github.com/mailcheck/mailcheck/pkg/cmdref"
)

func main() {
	md := flag.String("markdown", "docs/commands", "directory for the markdown command reference (empty: skip)")
	man := flag.String("man", "", "directory for man pages (empty: skip)")
	comp := flag.String("completions", "", "directory for shell completions (empty: skip)")
	flag.Parse()
	if err := run(*md, *man, *comp); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(md, man, comp string) error {
	root := cli.NewRootCmd(cli.NewFactory(cli.SystemStreams()))
	root.DisableAutoGenTag = true
	if md != "" {
		if err := cmdref.WriteMarkdown(root, md); err != nil {
			return err
		}
	}
	if man != "" {
		if err := os.MkdirAll(man, 0o755); err != nil {
			return err
		}
		hdr := &doc.GenManHeader{Title: "MAILCHECK", Section: "1", Source: "mailcheck", Manual: "mailcheck manual"}
		if err := doc.GenManTree(root, hdr, man); err != nil {
			return err
		}
	}
	if comp != "" {
		return writeCompletions(root, comp)
	}
	return nil
}

func writeCompletions(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	gens := map[string]func(string) error{
		"mailcheck.bash": func(p string) error { return root.GenBashCompletionFileV2(p, true) },
		"_mailcheck":     root.GenZshCompletionFile,
		"mailcheck.fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
		"mailcheck.ps1":  root.GenPowerShellCompletionFileWithDesc,
	}
	for name, gen := range gens {
		if err := gen(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
