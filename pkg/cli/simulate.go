package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// simulateOptions are the flags of `mailcheck simulate` as typed; validate
// turns them into the mta.Config and replay inputs.
type simulateOptions struct {
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
	LocalAddress []string

	// Filled by validate.
	cfg        mta.Config
	outcomes   map[netip.Addr]mta.Outcome
	src4, src6 netip.Addr
	helo       string
	// ReadFile reads --main-cf (tests replace it).
	ReadFile func(name string) (io.ReadCloser, error)
}

const maxMainCFSize = 4 << 20

// probeOnlyFlags are the SMTP flags that mean something only with --probe.
var probeOnlyFlags = []string{"connect-timeout", "command-timeout", "helo", "no-starttls", "source4", "source6"}

func newCmdSimulate(f *Factory) *cobra.Command {
	opts := &simulateOptions{ReadFile: func(name string) (io.ReadCloser, error) { return os.Open(name) }}
	cmd := &cobra.Command{
		Use:   "simulate DOMAIN",
		Short: "The order in which Postfix, Exim, OpenSMTPD or Sendmail would try DOMAIN's addresses, with exact probabilities",
		Long: `simulate looks up DOMAIN's MX records and addresses and computes, exactly as
the MTA's source code does it, the order in which the MTA would try them:
the probability that each address is tried first, that the first attempt
uses IPv6, that each address is tried at all when earlier ones fail, and
the distribution of attempt orders. Nothing is sent to the domain unless
--probe is given.

The default model is Postfix 3.7.11 (Debian 12) with its default settings:
addresses of equal MX preference are shuffled one by one, not per host, so
with smtp_address_preference = any the first attempt is IPv6 with
probability (IPv6 addresses)/(all addresses) at the best preference, and
smtp_balance_inet_protocols keeps both families within the 5-address limit.
Change settings with --set (postconf syntax) or read them from a main.cf
with --main-cf; the effective value of every setting is printed with where
it came from. --mta selects exim, opensmtpd or sendmail, optionally with a
version (postfix:2.11.3, exim:4.89, opensmtpd:openbsd).

With --assume ADDR=OUTCOME (refused, timeout, unreachable, greeting_4xx,
greeting_5xx, rcpt_5xx, ok) or --probe (each address probed over its own
family) simulate replays a delivery through the MTA's connection loop and
reports the exact probability that the message is delivered, deferred or
bounced, the expected wait, and setting changes that would do better.

Exit codes: 0 done; 2 bad input or bad settings; 3 the DNS answers needed
could not be obtained (the simulation is printed but cannot be trusted).`,
		Example: `  mailcheck simulate example.com
  mailcheck simulate --set smtp_address_preference=ipv6 example.com
  mailcheck simulate --main-cf /etc/postfix/main.cf example.com
  mailcheck simulate --mta exim:4.96 example.com
  mailcheck simulate --assume 2001:db8::25=rcpt_5xx example.com
  mailcheck simulate --probe example.com
  mailcheck simulate --seed 7 -o json example.com`,
		Args: exactArgs(1, "a DOMAIN"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Domain = args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			probeFlagSet := false
			for _, name := range probeOnlyFlags {
				probeFlagSet = probeFlagSet || cmd.Flags().Changed(name)
			}
			if err := opts.validate(probeFlagSet); err != nil {
				return err
			}
			return runSimulate(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.MTA, "mta", "postfix", "MTA model: postfix, exim, opensmtpd or sendmail, optionally :VERSION (default versions: Debian 12's)")
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
	return cmd
}

// validate checks the flags and builds the model configuration, so that
// bad settings are exit 2 before any lookup.
func (o *simulateOptions) validate(probeFlagsSet bool) error {
	name, ver, err := mta.ParseMTA(o.MTA)
	if err != nil {
		return usageErr("--mta: %v", err)
	}
	o.cfg = mta.Config{MTA: name, Version: ver, Port: o.Port}
	if o.MaxOrderings < 1 {
		return usageErr("--max-orderings must be at least 1, got %d", o.MaxOrderings)
	}
	if o.src4, o.src6, o.helo, err = o.resolve(os.Hostname); err != nil {
		return err
	}
	if probeFlagsSet && !o.Probe {
		return usageErr("--%s need --probe", strings.Join(probeOnlyFlags, ", --"))
	}
	if o.Probe && len(o.Assume) > 0 {
		return usageErr("--probe and --assume exclude each other: the replay uses either measured or assumed outcomes")
	}
	if o.MainCF != "" {
		if name != mta.Postfix {
			return usageErr("--main-cf is a Postfix file; --mta is %s (use --set)", name)
		}
		fh, err := o.ReadFile(o.MainCF)
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		as, err := mta.ParseMainCF(io.LimitReader(fh, maxMainCFSize+1), o.MainCF)
		fh.Close()
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		o.cfg.MainCF = as
	}
	for _, s := range o.Set {
		a, err := mta.ParseAssignment(s, mta.SourceSet)
		if err != nil {
			return usageErr("--set: %v", err)
		}
		o.cfg.Set = append(o.cfg.Set, a)
	}
	for _, s := range o.LocalAddress {
		ip, err := netip.ParseAddr(strings.Trim(s, "[]"))
		if err != nil {
			return usageErr("--local-address %q is not an IP address", s)
		}
		o.cfg.LocalAddrs = append(o.cfg.LocalAddrs, ip.Unmap())
	}
	if len(o.Assume) > 0 {
		o.outcomes = map[netip.Addr]mta.Outcome{}
		for _, s := range o.Assume {
			ip, out, err := mta.ParseAssume(s)
			if err != nil {
				return usageErr("%v", err)
			}
			o.outcomes[ip] = out
		}
	}
	// The settings are checked on an empty domain: a bad value is exit 2
	// with the name and source of the setting.
	if _, err := mta.Simulate(mta.Input{Domain: "invalid"}, o.cfg, mta.Options{NoSuggest: true}); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

func runSimulate(ctx context.Context, f *Factory, o *simulateOptions) error {
	g := f.Global
	ascii, unicode, err := parseDomainArg(o.Domain)
	if err != nil {
		return usageErr("%v", err)
	}
	r, err := f.Resolver()
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()

	d := discover.Run(ctx, r, ascii, discover.Options{IPv4: g.WantIPv4(), IPv6: g.WantIPv6()})
	opt := mta.Options{MaxOrderings: o.MaxOrderings, Outcomes: o.outcomes, OutcomeSource: "assumed", Stop: ctx.Done()}
	if o.SeedSet {
		seed := o.Seed
		opt.Seed = &seed
	}
	var probeNotes []string
	if o.Probe {
		opt.Outcomes, probeNotes = simulateProbe(ctx, f, o, d)
		opt.OutcomeSource = "measured"
	}
	doc, err := mta.Simulate(audit.MTAInput(d), o.cfg, opt)
	if err != nil {
		return usageErr("%v", err)
	}
	doc.Notes = append(doc.Notes, probeNotes...)
	if !g.WantIPv4() {
		doc.Notes = append(doc.Notes, "-6: IPv4 addresses were not looked up, so the model sees none")
	}
	if !g.WantIPv6() {
		doc.Notes = append(doc.Notes, "-4: IPv6 addresses were not looked up, so the model sees none")
	}
	out := render.SimulateDocument{Document: doc, Findings: audit.EvaluateSimulation(&doc, audit.Policy{Now: f.Now()}).Findings}
	if unicode != doc.Domain {
		out.DomainUnicode = unicode
	}
	if out.Findings == nil {
		out.Findings = []report.Finding{}
	}
	if g.Format == "json" {
		err = render.JSON(f.IO.Out, out)
	} else {
		err = render.SimulateText(f.IO.Out, render.NewStyles(f.IO.ColorEnabled(g.NoColor)), out)
	}
	if err != nil {
		return err
	}
	if parent.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	return silentExit(simulateExitCode(d, out))
}

// simulateExitCode: findings at fail severity are 1; an answer we never got
// (the MX query, or an address query of an exchange, timed out or failed
// on our side), or a model the deadline stopped, makes the simulation
// untrustworthy: 3.
func simulateExitCode(d discover.Result, doc render.SimulateDocument) int {
	if report.AtLeast(doc.Findings, report.SeverityFail) {
		return ExitFindings
	}
	if unanswered(d.MXStatus) || doc.Partial {
		return ExitUndetermined
	}
	for _, x := range d.MX {
		if unanswered(x.AStatus) || unanswered(x.AAAAStatus) {
			return ExitUndetermined
		}
	}
	return ExitOK
}

func unanswered(s dnsq.Status) bool { return s == dnsq.StatusTimeout || s == dnsq.StatusError }

// simulateProbe probes every discovered address and returns the measured
// outcomes. Inconclusive probes (no route for that family here) are left
// out: the replay then assumes the address accepts, and a note says so.
func simulateProbe(ctx context.Context, f *Factory, o *simulateOptions, d discover.Result) (map[netip.Addr]mta.Outcome, []string) {
	var targets []smtpprobe.Target
	for _, x := range d.MX {
		for _, a := range x.Addresses {
			targets = append(targets, smtpprobe.Target{Host: x.Host, IP: a.IP})
		}
	}
	var transcript io.Writer
	if f.Global.Verbose {
		transcript = f.IO.ErrOut
	}
	prober := smtpprobe.New(smtpprobe.Options{
		Port: o.Port, HELO: o.helo, ConnectTimeout: o.ConnectTimeout, CommandTimeout: o.CommandTimeout,
		NoStartTLS: o.NoStartTLS, Source4: o.src4, Source6: o.src6,
		Dialer: f.Dialer, Routes: f.Routes, Now: f.Now, Transcript: transcript,
	})
	results := prober.ProbeAll(ctx, targets, 16)
	var kept []smtpprobe.Result
	var notes []string
	for _, r := range results {
		if r.Status == smtpprobe.StatusInconclusive {
			notes = append(notes, fmt.Sprintf("%s could not be probed from this host (no %s route): the replay assumes it accepts", r.IP, r.Family))
			continue
		}
		kept = append(kept, r)
	}
	return audit.MTAOutcomes(kept), notes
}
