package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// mxOptions are what `mailcheck mx` needs.
type mxOptions struct {
	f   *Factory
	ctx context.Context

	Domain string // DOMAIN as the user typed it
}

func newCmdMX(f *Factory, runF func(*mxOptions) error) *cobra.Command {
	o := &mxOptions{f: f}
	return withZones(f, command(f, &cobra.Command{
		Use:   "mx DOMAIN",
		Short: "MX, addresses, reverse DNS and forward confirmation of a mail domain (DNS only)",
		Args:  exactArgs(1, "a DOMAIN"),
	}, textJSON, o, func(cmd *cobra.Command, args []string) error {
		o.ctx, o.Domain = cmd.Context(), args[0]
		return nil
	}, runF, mxRun))
}

// mxRun looks the domain up through the Checker and prints the document.
func mxRun(opts *mxOptions) error {
	t, err := target.Parse(opts.Domain)
	if err != nil {
		return usageErr("%v", err)
	}
	doc, err := opts.f.Checker().MX(opts.ctx, t.ASCII, t.Unicode)
	if err != nil {
		return err
	}
	return emit(opts.f, opts.ctx, doc, render.MXText, report.SeverityFail)
}
