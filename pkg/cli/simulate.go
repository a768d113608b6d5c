package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// simulateOptions are the flags of `mailcheck simulate` as typed; validate
// turns them into the Checker's request.
type simulateOptions struct {
	f   *Factory
	ctx context.Context

	Domain       string
	MTA          string
	Set          []string
	MainCF       string
	Seed         uint64
	SeedSet      bool
	MaxOrderings int
	Assume       []string
	Probe        bool
	// The SMTP flags of --probe, shared with probe and check; --port also
	// sets the port of Postfix's loop detection.
	smtpFlags
	// probeFlagsSet: an SMTP flag that means something only with --probe
	// was given.
	probeFlagsSet bool
	LocalAddress  []string
	gaiFlags

	req audit.SimulateRequest // filled by validate
}

// probeOnlyFlags are the SMTP flags that mean something only with --probe.
var probeOnlyFlags = audit.SimulateProbeOnlyFlags

func newCmdSimulate(f *Factory, runF func(*simulateOptions) error) *cobra.Command {
	opts := &simulateOptions{f: f}
	long, example := help("simulate")
	cmd := &cobra.Command{
		Use:     "simulate DOMAIN",
		Short:   "The order in which Postfix, Exim, OpenSMTPD, Sendmail, a getaddrinfo client or a Go client would try DOMAIN's addresses, with exact probabilities",
		Long:    long,
		Example: example,
		Args:    exactArgs(1, "a DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			opts.ctx, opts.Domain = cmd.Context(), args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			for _, name := range probeOnlyFlags {
				opts.probeFlagsSet = opts.probeFlagsSet || cmd.Flags().Changed(name)
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return simulateRun(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.MTA, "mta", "postfix", "MTA model: postfix, exim, opensmtpd, sendmail, getaddrinfo (any glibc client) or go (a Go client), optionally :VERSION (default versions: Debian 12's)")
	fl.StringArrayVar(&opts.Set, "set", nil, "MTA setting name=value, postconf syntax (repeatable)")
	fl.StringVar(&opts.MainCF, "main-cf", "", "read Postfix settings from this main.cf")
	fl.Uint64Var(&opts.Seed, "seed", 0, "also draw one concrete attempt order from this seed (same seed, same order)")
	fl.IntVar(&opts.MaxOrderings, "max-orderings", mta.DefaultMaxOrderings, "list at most this many orderings (the most likely) in JSON")
	fl.StringArrayVar(&opts.Assume, "assume", nil, "replay a delivery assuming ADDR=refused|timeout|unreachable|greeting_4xx|greeting_5xx|rcpt_5xx|ok (repeatable; others ok)")
	fl.BoolVar(&opts.Probe, "probe", false, "probe every address over SMTP (connect, greeting, EHLO, STARTTLS) and replay a delivery with what was measured")
	opts.register(fl, "")
	// Only --port matters without --probe (Postfix's loop detection).
	fl.Lookup("port").Usage = "TCP port for --probe (and Postfix loop detection, which applies on port 25 only)"
	fl.Lookup("no-starttls").Usage = "do not try STARTTLS (an MTA delivers over plain SMTP when the handshake fails, so the replay does not need it)"
	for _, name := range probeOnlyFlags {
		fl.Lookup(name).Usage = "with --probe: " + fl.Lookup(name).Usage
	}
	fl.StringArrayVar(&opts.LocalAddress, "local-address", nil, "an address of the sending host, for MX loop detection (repeatable)")
	opts.registerGAI(fl)
	return withZones(f, cmd)
}

// validate checks the flags and builds the model configuration
// (audit.SimulateInput), so that bad settings are exit 2 before any lookup.
func (o *simulateOptions) validate() error {
	in := audit.SimulateInput{
		MTA: o.MTA, Set: o.Set, MainCF: o.MainCF, MaxOrderings: o.MaxOrderings, Assume: o.Assume, Probe: o.Probe,
		SMTP: audit.SMTPInput(o.smtpFlags), ProbeFlagsSet: o.probeFlagsSet, LocalAddress: o.LocalAddress,
		GAIConf: o.GAIConf, SourceAddr: o.SourceAddr,
	}
	if o.SeedSet {
		seed := o.Seed
		in.Seed = &seed
	}
	req, warnings, err := in.Request(o.f.open)
	o.f.warn(warnings)
	if err != nil {
		return commandErr(err)
	}
	o.req = req
	return nil
}

func simulateRun(o *simulateOptions) error {
	var err error
	if o.req.Domain, o.req.Unicode, err = parseDomainArg(o.Domain); err != nil {
		return usageErr("%v", err)
	}
	doc, err := o.f.Checker().Simulate(o.ctx, o.req)
	if err != nil {
		return commandErr(err)
	}
	if err := write(o.f, *doc, render.SimulateText); err != nil {
		return err
	}
	return finish(o.ctx, doc, report.SeverityFail)
}
