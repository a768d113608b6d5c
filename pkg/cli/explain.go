package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/hostenv"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// explainOptions are the flags of `mailcheck explain`.
type explainOptions struct {
	f   *Factory
	ctx context.Context

	Args     []string
	NoChecks bool
	Domain   string
	HELO     string
	DNSBL    bool
}

func newCmdExplain(f *Factory, runF func(*explainOptions) error) *cobra.Command {
	o := &explainOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "explain TEXT|FILE|-",
		Short: "Explain a bounce message, a pasted reply or a Postfix log line, run the checks it implies, print the fix",
	}, textJSON, o, func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr("%s needs the bounce text, or '-' to read it from standard input (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
		}
		o.ctx, o.Args = cmd.Context(), args
		return nil
	}, runF, explainRun)
	fl := cmd.Flags()
	fl.BoolVar(&o.NoChecks, "no-checks", false, "only explain; do not look anything up in DNS")
	fl.StringVar(&o.Domain, "domain", "", "sending domain for the SPF and DMARC checks (default: the one named in the text)")
	fl.StringVar(&o.HELO, "helo", "", "the sending server's HELO name, to check it too")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists about the sending address (asks third parties)")
	return cmd
}

func explainRun(o *explainOptions) error {
	in := audit.ExplainInput{Args: o.Args, NoChecks: o.NoChecks, Domain: o.Domain, HELO: o.HELO, DNSBL: o.DNSBL}
	req, truncated, err := in.Request(o.f.IO.In, o.f.open, hostenv.IsRegularFile)
	if err != nil {
		return commandErr(err)
	}
	if truncated {
		fmt.Fprintf(o.f.IO.ErrOut, "mailcheck: explain: input longer than %d bytes; only the first %d were read\n", bounce.MaxInput, bounce.MaxInput)
	}
	doc := o.f.Checker().Explain(o.ctx, req)
	return emit(o.f, o.ctx, doc, render.ExplainText, report.SeverityFail)
}
