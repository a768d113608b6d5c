package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// mxOptions are what `mailcheck mx` needs.
type mxOptions struct {
	f   *Factory
	ctx context.Context

	Domain string // DOMAIN as the user typed it
}

func newCmdMX(f *Factory, runF func(*mxOptions) error) *cobra.Command {
	opts := &mxOptions{f: f}
	long, example := help("mx")
	return withZones(f, &cobra.Command{
		Use:     "mx DOMAIN",
		Short:   "MX, addresses, reverse DNS and forward confirmation of a mail domain (DNS only)",
		Long:    long,
		Example: example,
		Args:    exactArgs(1, "a DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx, opts.Domain = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return mxRun(opts)
		},
	})
}

// mxRun looks the domain up through the Checker and prints the document.
func mxRun(opts *mxOptions) error {
	ascii, unicode, err := parseDomainArg(opts.Domain)
	if err != nil {
		return usageErr("%v", err)
	}
	doc, err := opts.f.Checker().MX(opts.ctx, ascii, unicode)
	if err != nil {
		return err
	}
	if err := write(opts.f, *doc, render.MXText); err != nil {
		return err
	}
	return finish(opts.ctx, doc, report.SeverityFail)
}
