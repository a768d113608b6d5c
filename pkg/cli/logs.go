package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// logsOptions are the flags of `mailcheck logs`.
type logsOptions struct {
	f   *Factory
	ctx context.Context

	Files  []string
	Since  string
	Domain string

	since  time.Time // from Since, filled by validate
	domain string    // A-label form of Domain
}

func newCmdLogs(f *Factory, runF func(*logsOptions) error) *cobra.Command {
	o := &logsOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "logs FILE...|-",
		Short: "Postfix/Exim mail logs per destination and family: delivered, deferred, bounced, why, and the fix",
	}, []string{"text", "json", "markdown"}, o, func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr("%s needs a log file, or '-' to read standard input (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
		}
		o.ctx, o.Files = cmd.Context(), args
		return o.validate()
	}, runF, logsRun)
	fl := cmd.Flags()
	fl.StringVar(&o.Since, "since", "", "only attempts from this time on: a duration back from now (24h, 90m) or a time (2026-11-29, 2026-11-29T10:00:00+01:00)")
	fl.StringVar(&o.Domain, "domain", "", "only this destination domain")
	return cmd
}

func (o *logsOptions) validate() error {
	var err error
	o.since, o.domain, err = audit.LogsInput{Files: o.Files, Since: o.Since, Domain: o.Domain}.Filters(o.f.now(), time.Local)
	if err != nil {
		return commandErr(err)
	}
	return nil
}

func logsRun(o *logsOptions) error {
	req := audit.LogsRequest{Since: o.since, Domain: o.domain}
	inputs, closeInputs, err := audit.LogsInput{Files: o.Files}.Open(o.f.IO.In, o.f.open)
	if err != nil {
		return commandErr(err)
	}
	defer closeInputs()
	req.Inputs = inputs
	doc, readErr := o.f.Checker().Logs(o.ctx, req)
	if o.ctx.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	if err := render.Logs(o.f.Global.Format, o.f.IO.Out, o.f.styles(), doc); err != nil {
		return err
	}
	if readErr != nil {
		return usageErr("reading %v (the summary covers what was read before it)", strings.TrimSpace(readErr.Error()))
	}
	return finish(o.ctx, doc, report.SeverityFail)
}
