package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// probeOptions are the flags of `mailcheck probe`.
type probeOptions struct {
	f   *Factory
	ctx context.Context

	Target string
	smtpFlags
	Concurrency int
}

func newCmdProbe(f *Factory, runF func(*probeOptions) error) *cobra.Command {
	opts := &probeOptions{f: f, Concurrency: 16}
	long, example := help("probe")
	cmd := &cobra.Command{
		Use:     "probe TARGET",
		Short:   "SMTP over every address of a domain, host or IP, each over its own family",
		Long:    long,
		Example: example,
		Args:    exactArgs(1, "a TARGET (domain, host name or IP address)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx, opts.Target = cmd.Context(), args[0]
			if runF != nil {
				return runF(opts)
			}
			return probeRun(opts)
		},
	}
	opts.register(cmd.Flags(), "")
	return withZones(f, cmd)
}

func probeRun(opts *probeOptions) error {
	g := opts.f.Global
	req, err := audit.ProbeInput{Target: opts.Target, SMTP: audit.SMTPInput(opts.smtpFlags), Concurrency: opts.Concurrency}.Request(g.WantIPv4(), g.WantIPv6())
	if err != nil {
		return commandErr(err)
	}
	g.dnssecOK = true // DANE is judged with the probes
	doc, err := opts.f.Checker().Probe(opts.ctx, req)
	if err != nil {
		return err
	}
	if err := write(opts.f, *doc, render.ProbeText); err != nil {
		return err
	}
	return finish(opts.ctx, doc, report.SeverityFail)
}
