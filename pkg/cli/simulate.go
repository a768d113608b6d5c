package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// simulateOptions are the flags of `mailcheck simulate` as typed; validate
// turns them into the Checker's request.
type simulateOptions struct {
	f   *Factory
	ctx context.Context

	Domain string
	// The flags the Checker's request is made of (Request): --seed is
	// set only when given; the SMTP flags of --probe are the shared group
	// (--port also sets the port of Postfix's loop detection).
	audit.SimulateInput
	seed uint64

	req audit.SimulateRequest // filled by validate
}

func newCmdSimulate(f *Factory, runF func(*simulateOptions) error) *cobra.Command {
	opts := &simulateOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "simulate DOMAIN",
		Short: "The order in which Postfix, Exim, OpenSMTPD, Sendmail, a getaddrinfo client or a Go client would try DOMAIN's addresses, with exact probabilities",
		Args:  exactArgs(1, "a DOMAIN"),
	}, textJSON, opts, func(cmd *cobra.Command, args []string) error {
		opts.ctx, opts.Domain = cmd.Context(), args[0]
		if cmd.Flags().Changed("seed") {
			opts.Seed = &opts.seed
		}
		for _, name := range audit.SimulateProbeOnlyFlags {
			opts.ProbeFlagsSet = opts.ProbeFlagsSet || cmd.Flags().Changed(name)
		}
		return opts.validate()
	}, runF, simulateRun)
	fl := cmd.Flags()
	fl.StringVar(&opts.MTA, "mta", "postfix", "MTA model: postfix, exim, opensmtpd, sendmail, getaddrinfo (any glibc client) or go (a Go client), optionally :VERSION (default versions: Debian 12's)")
	fl.StringArrayVar(&opts.Set, "set", nil, "MTA setting name=value, postconf syntax (repeatable)")
	fl.StringVar(&opts.MainCF, "main-cf", "", "read Postfix settings from this main.cf")
	fl.Uint64Var(&opts.seed, "seed", 0, "also draw one concrete attempt order from this seed (same seed, same order)")
	fl.IntVar(&opts.MaxOrderings, "max-orderings", mta.DefaultMaxOrderings, "list at most this many orderings (the most likely) in JSON")
	fl.StringArrayVar(&opts.Assume, "assume", nil, "replay a delivery assuming ADDR=refused|timeout|unreachable|greeting_4xx|greeting_5xx|rcpt_5xx|ok (repeatable; others ok)")
	fl.BoolVar(&opts.Probe, "probe", false, "probe every address over SMTP (connect, greeting, EHLO, STARTTLS) and replay a delivery with what was measured")
	(*smtpFlags)(&opts.SMTP).register(fl, "")
	// Only --port matters without --probe (Postfix's loop detection).
	fl.Lookup("port").Usage = "TCP port for --probe (and Postfix loop detection, which applies on port 25 only)"
	fl.Lookup("no-starttls").Usage = "do not try STARTTLS (an MTA delivers over plain SMTP when the handshake fails, so the replay does not need it)"
	for _, name := range audit.SimulateProbeOnlyFlags {
		fl.Lookup(name).Usage = "with --probe: " + fl.Lookup(name).Usage
	}
	fl.StringArrayVar(&opts.LocalAddress, "local-address", nil, "an address of the sending host, for MX loop detection (repeatable)")
	registerGAI(fl, &opts.GAIConf, &opts.SourceAddr, "--mta getaddrinfo, smtp_host_lookup = native")
	return withZones(f, cmd)
}

// validate checks the flags and builds the model configuration
// (audit.SimulateInput), so that bad settings are exit 2 before any lookup.
func (o *simulateOptions) validate() error {
	req, warnings, err := o.Request(o.f.open)
	o.f.warn(warnings)
	if err != nil {
		return commandErr(err)
	}
	o.req = req
	return nil
}

func simulateRun(o *simulateOptions) error {
	t, err := target.Parse(o.Domain)
	if err != nil {
		return usageErr("%v", err)
	}
	o.req.Domain, o.req.Unicode = t.ASCII, t.Unicode
	doc, err := o.f.Checker().Simulate(o.ctx, o.req)
	if err != nil {
		return commandErr(err)
	}
	return emit(o.f, o.ctx, doc, render.SimulateText, report.SeverityFail)
}
