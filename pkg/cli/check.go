package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// checkOptions are the flags of `check` (DESIGN.md, "Check and bulk flags").
type checkOptions struct {
	f   *Factory
	ctx context.Context

	// The flags the Checker's request is made of (Plan); the SMTP flags
	// are the shared group, registered on audit.CheckInput.SMTP.
	audit.CheckInput
	findingFlags

	shard target.Shard       // parsed by validate
	req   audit.CheckRequest // filled by validate
	// checker is the demo's sandboxed Checker; nil means the Factory's.
	checker *audit.Checker
}

func newCmdCheck(f *Factory, runF func(*checkOptions) error) *cobra.Command {
	o := &checkOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "Check mail domains end to end and report findings (for people and CI)",
	}, render.CheckFormats, o, func(cmd *cobra.Command, args []string) error {
		o.ctx, o.Domains = cmd.Context(), args
		o.ConcurrencySet = cmd.Flags().Changed("concurrency")
		return o.validate()
	}, runF, checkRun)
	fl := cmd.Flags()
	fl.StringVarP(&o.File, "file", "f", "", "read domains from FILE, one per line ('-' for stdin)")
	fl.IntVar(&o.Concurrency, "concurrency", 0, "domains checked at once, at most 10000 (default 32, 256 with --dns-only)")
	fl.BoolVar(&o.DNSOnly, "dns-only", false, "DNS only (MX, A, AAAA, PTR, FCrDNS): no SMTP probes, no simulation")
	fl.BoolVar(&o.NoRDNS, "no-rdns", false, "skip reverse DNS (PTR, FCrDNS) of the MX addresses; not judged (MC907)")
	o.register(fl, ", e.g. --ignore MC207")
	fl.BoolVar(&o.ExpectIPv6, "expect-ipv6", false, "fail unless the domain accepts mail over IPv6")
	fl.StringArrayVar(&o.ExpectMX, "expect-mx", nil, "fail unless HOST is one of the MX hosts (repeatable)")
	fl.StringVar(&o.ExpectPTRSuffix, "expect-ptr-suffix", "", "fail unless every MX address's PTR ends with SUFFIX")
	fl.BoolVar(&o.RequireSTARTTLS, "require-starttls", false, "fail unless every MX address offers working STARTTLS (not with --no-starttls or --dns-only)")
	(*smtpFlags)(&o.SMTP).register(fl, "; a usage error with --require-starttls")
	fl.StringVar(&o.MainCF, "main-cf", "", "simulate with the settings of this Postfix main.cf")
	fl.StringArrayVar(&o.Set, "set", nil, "simulate with this Postfix setting, name=value (repeatable)")
	fl.BoolVar(&o.CompareLive, "compare-live", false, "with --zone: check each domain over the zone files and over live DNS, and report what the change does (exit 1 on a new finding at or above --fail-on or a lost family)")
	fl.StringVar(&o.Baseline, "baseline", "", "a previous check -o json or -o jsonl report: its findings (same domain, code and subject) are known and do not count toward the exit code")
	fl.StringVar(&o.Shard, "shard", "", "check only share I of N of the input (I/N, I from 0: $JOB_COMPLETION_INDEX/N), split by a stable hash of each domain")
	fl.BoolVar(&o.Sender, "sender", false, "also audit this host as a sender to each domain (MC6xx): source addresses, PTR, FCrDNS, HELO, SPF and DMARC, and which family its first connection uses")
	registerGAI(fl, &o.GAIConf, &o.SourceAddr, "smtp_host_lookup = native, --sender; judges the host it describes: MC625, MC626")
	return withZones(f, cmd)
}

// validate checks the flags and derives the Checker's request
// (audit.CheckInput); every problem is a usage error (exit 2) before any
// network traffic.
func (o *checkOptions) validate() error {
	if err := o.parse(); err != nil {
		return err
	}
	in := o.CheckInput
	in.Zones, in.Ignore = len(o.f.zones) > 0, o.ignore
	p, err := in.Plan(o.f.open)
	o.f.warn(p.Warnings)
	if err != nil {
		return commandErr(err)
	}
	o.req, o.shard, o.Concurrency, o.ExpectMX = p.Request, p.Shard, p.Concurrency, p.ExpectMX
	if o.CompareLive {
		o.req.CompareLive = o.f.liveResolver
	}
	return nil
}

// listName names -f's argument in messages.
func listName(file string) string {
	if file == "-" {
		return "the standard input"
	}
	return fmt.Sprintf("-f %s", file)
}

// checkRun checks every domain through the Checker's CheckMany and is
// the one writer of the documents; it returns the exit code as an error
// (ExitError).
func checkRun(o *checkOptions) error {
	g := o.f.Global
	c := o.checker
	g.dnssecOK = !o.DNSOnly // the TLS-policy checks run with the probes
	if c == nil {
		c = o.f.Checker()
	}
	// Buffered: a bulk run writes its documents in batches while they
	// come faster than one at a time (out.Idle flushes whenever the run
	// waits for the next), not with a system call each.
	buf := bufio.NewWriterSize(o.f.IO.Out, 64<<10)
	w, err := render.NewCheckWriter(g.Format, buf, render.CheckOptions{Styles: o.f.styles(), FailOn: o.failOn, Ignored: o.ignored})
	if err != nil {
		return usageErr("%v", err)
	}
	list, closeList, err := audit.OpenList(o.File, o.f.IO.In, o.f.open)
	if err != nil {
		return commandErr(err)
	}
	defer closeList()
	out := &render.CheckStream{W: w, FailOn: o.failOn, Flush: buf.Flush}
	if o.f.IO.ErrTTY && !g.Verbose && (len(o.Domains) > 1 || o.File != "") {
		// A progress bar on a terminal's stderr, for several domains, not under -v.
		out.Progress = render.NewProgress(o.f.IO.ErrOut)
	}
	bulk := audit.Bulk{Args: o.Domains, List: list, Concurrency: o.Concurrency, InOrder: g.Format != "jsonl", Shard: o.shard, Idle: out.Idle}
	// While the first lookups wait on the network, not after the last
	// probe of a one-domain check.
	go render.WarmCheck(g.Format)
	err = c.CheckMany(o.ctx, bulk, o.req, out.Write)
	var inputErr *audit.InputError
	switch {
	case errors.Is(err, audit.ErrNoDomains):
		// Nothing written: an empty list is bad input, not a pass.
		return usageErr("nothing to check: %s has no domains (only blank lines and comments)", listName(o.File))
	case err != nil && out.Err == nil && !errors.As(err, &inputErr):
		return commandErr(err) // the resolver's, before any domain: nothing written
	}
	code, werr := out.End(o.ctx.Err() != nil, inputErr != nil)
	switch {
	case werr != nil:
		return fmt.Errorf("writing the report: %w", werr)
	case code == ExitInterrupted:
		return silentExit(ExitInterrupted)
	case inputErr != nil:
		return usageErr("%v", inputErr.Err)
	}
	return silentExit(code)
}
