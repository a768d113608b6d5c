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
	o := &versionOptions{f: f}
	return command(f, &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Args:  exactArgs(0, "no arguments"),
	}, textJSON, o, func(cmd *cobra.Command, args []string) error {
		o.ctx = cmd.Context()
		return nil
	}, runF, versionRun)
}

func versionRun(opts *versionOptions) error {
	doc := &document.Version{SchemaVersion: report.SchemaVersion, Info: version.Get()}
	return emit(opts.f, opts.ctx, doc, render.VersionText, report.SeverityFail)
}
