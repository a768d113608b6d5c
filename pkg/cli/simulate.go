package cli

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/addr"
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
var probeOnlyFlags = []string{"connect-timeout", "command-timeout", "helo", "no-starttls", "source4", "source6"}

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

// validate checks the flags and builds the model configuration, so that
// bad settings are exit 2 before any lookup.
func (o *simulateOptions) validate() error {
	name, ver, err := mta.ParseMTA(o.MTA)
	if err != nil {
		return usageErr("--mta: %v", err)
	}
	cfg := mta.Config{MTA: name, Version: ver, Port: o.Port}
	if o.MaxOrderings < 1 {
		return usageErr("--max-orderings must be at least 1, got %d", o.MaxOrderings)
	}
	smtp, err := o.options()
	if err != nil {
		return err
	}
	if o.probeFlagsSet && !o.Probe {
		return usageErr("--%s need --probe", strings.Join(probeOnlyFlags, ", --"))
	}
	if o.Probe && len(o.Assume) > 0 {
		return usageErr("--probe and --assume exclude each other: the replay uses either measured or assumed outcomes")
	}
	if o.MainCF != "" && name != mta.Postfix {
		return usageErr("--main-cf is a Postfix file; --mta is %s (use --set)", name)
	}
	for _, s := range o.LocalAddress {
		ip, err := addr.ParseLiteral(s)
		if errors.Is(err, addr.ErrZone) {
			// MX addresses have no zone: this one could never match.
			return usageErr("--local-address: %v", err)
		}
		if err != nil {
			return usageErr("--local-address %q is not an IP address", s)
		}
		cfg.LocalAddrs = append(cfg.LocalAddrs, ip.Unmap())
	}
	var assume map[netip.Addr]mta.Outcome
	if len(o.Assume) > 0 {
		assume = map[netip.Addr]mta.Outcome{}
		for _, s := range o.Assume {
			ip, out, err := mta.ParseAssume(s)
			if err != nil {
				return usageErr("%v", err)
			}
			assume[ip] = out
		}
	}
	if cfg, _, err = audit.MTASettings(o.f.open, cfg, o.MainCF, o.Set); err != nil {
		return commandErr(err)
	}
	native, err := o.nativeRequest(o.f, cfg)
	if err != nil {
		return err
	}
	o.req = audit.SimulateRequest{Config: cfg, MaxOrderings: o.MaxOrderings, Assume: assume, Probe: o.Probe, SMTP: smtp, Native: native}
	if o.SeedSet {
		seed := o.Seed
		o.req.Seed = &seed
	}
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
