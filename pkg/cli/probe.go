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
	o := &probeOptions{f: f, Concurrency: 16}
	cmd := command(f, &cobra.Command{
		Use:   "probe TARGET",
		Short: "SMTP over every address of a domain, host or IP, each over its own family",
		Args:  exactArgs(1, "a TARGET (domain, host name or IP address)"),
	}, textJSON, o, func(cmd *cobra.Command, args []string) error {
		o.ctx, o.Target = cmd.Context(), args[0]
		return nil
	}, runF, probeRun)
	o.register(cmd.Flags(), "")
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
	return emit(opts.f, opts.ctx, doc, render.ProbeText, report.SeverityFail)
}
