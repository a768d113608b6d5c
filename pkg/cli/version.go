package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/version"
)

// versionOptions are what `mailcheck version` needs: nothing but output.
type versionOptions struct {
	f   *Factory
	ctx context.Context
}

func newCmdVersion(f *Factory, runF func(*versionOptions) error) *cobra.Command {
	opts := &versionOptions{f: f}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return versionRun(opts)
		},
	}
}

func versionRun(opts *versionOptions) error {
	doc := &document.Version{SchemaVersion: report.SchemaVersion, Info: version.Get()}
	if err := write(opts.f, *doc, render.VersionText); err != nil {
		return err
	}
	return finish(opts.ctx, doc, report.SeverityFail)
}
