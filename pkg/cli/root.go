// Package cli is mailcheck's command-line layer: cobra commands, flags,
// terminals and exit codes. Each command lives in its own file as an options
// struct, a constructor and a run function; the packages under pkg/ do the
// work and never print or exit.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// GlobalOptions are the flags every command shares (DESIGN.md, "Commands").
type GlobalOptions struct {
	Resolvers []string      // --resolver, repeatable
	Timeout   time.Duration // --timeout: deadline for one domain
	Only4     bool          // -4
	Only6     bool          // -6
	Format    string        // -o, --format
	NoColor   bool          // --no-color
	Verbose   bool          // -v
}

// Family selection derived from -4/-6.
func (g *GlobalOptions) WantIPv4() bool { return !g.Only6 }
func (g *GlobalOptions) WantIPv6() bool { return !g.Only4 }

// Factory hands commands what touches the world. Tests replace fields.
type Factory struct {
	IO     *IOStreams
	Global *GlobalOptions
	// NewResolver builds the DNS client from the global flags. trace, when
	// not nil, receives the -v query trace.
	NewResolver func(g *GlobalOptions, trace io.Writer) (dnsq.Resolver, error)
	Now         func() time.Time
	// Dialer and Routes are the SMTP prober's TCP dialer and route
	// self-check (probe, check); nil means the real network.
	Dialer smtpprobe.Dialer
	Routes smtpprobe.RouteChecker
}

// Resolver builds the run's resolver, with the -v trace on stderr.
func (f *Factory) Resolver() (dnsq.Resolver, error) {
	var trace io.Writer
	if f.Global.Verbose {
		trace = f.IO.ErrOut
	}
	r, err := f.NewResolver(f.Global, trace)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// defaultResolver parses --resolver values and builds a dnsq.Client.
func defaultResolver(g *GlobalOptions, trace io.Writer) (dnsq.Resolver, error) {
	servers := make([]string, 0, len(g.Resolvers))
	for _, s := range g.Resolvers {
		hp, err := dnsq.ParseServer(s)
		if err != nil {
			return nil, usageErr("--resolver %q: %v", s, err)
		}
		servers = append(servers, hp)
	}
	c, err := dnsq.New(dnsq.Config{Servers: servers, Trace: trace})
	if err != nil {
		return nil, undetermined(fmt.Errorf("DNS resolver: %w", err))
	}
	return c, nil
}

var timeNow = time.Now

// Main runs mailcheck with the process's arguments and streams and returns
// the exit code. It is the only entry point cmd/mailcheck calls.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], SystemStreams())
}

// Run executes one command line and returns its exit code. Tests call it
// in-process with their own streams.
func Run(ctx context.Context, args []string, ios *IOStreams) int {
	return RunWith(ctx, NewFactory(ios), args)
}

// RunWith is Run with a caller-built Factory (tests inject fakes).
func RunWith(ctx context.Context, f *Factory, args []string) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintf(f.IO.ErrOut, "mailcheck: %v\n", err)
		}
	}
	if code == ExitOK && ctx.Err() != nil {
		code = ExitInterrupted
	}
	return code
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	g := f.Global
	root := &cobra.Command{
		Use:   "mailcheck",
		Short: "Is this mail domain really reachable over IPv4 and IPv6, and why not?",
		Long: `mailcheck checks a mail domain end to end over both IP families: MX and
address records, reverse DNS and forward confirmation, SMTP on every address
of every MX over its own family, and the order in which real MTAs (Postfix,
Exim, OpenSMTPD, Sendmail) would try those addresses.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.Only4 && g.Only6 {
				return usageErr("-4 and -6 exclude each other")
			}
			if g.Timeout <= 0 {
				return usageErr("--timeout must be positive, got %s", g.Timeout)
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringArrayVar(&g.Resolvers, "resolver", nil, "DNS server to ask, repeatable: 192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53 (default: /etc/resolv.conf)")
	pf.DurationVar(&g.Timeout, "timeout", 60*time.Second, "deadline for one domain")
	pf.BoolVarP(&g.Only4, "ipv4", "4", false, "IPv4 only")
	pf.BoolVarP(&g.Only6, "ipv6", "6", false, "IPv6 only")
	pf.StringVarP(&g.Format, "format", "o", "text", "output format: text or json (check: also jsonl, junit, markdown)")
	pf.BoolVar(&g.NoColor, "no-color", false, "no colour (also NO_COLOR, or when stdout is not a terminal)")
	pf.BoolVarP(&g.Verbose, "verbose", "v", false, "print the DNS query trace and SMTP transcripts on stderr")

	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErr("%v (see '%s --help')", err, cmd.CommandPath())
	})
	for _, c := range []*cobra.Command{
		newCmdMX(f),
		newCmdProbe(f),
		newCmdSimulate(f),
		newCmdCheck(f),
		newCmdSender(f),
		newCmdExplain(f),
		newCmdDemo(f),
		newCmdVersion(f),
	} {
		root.AddCommand(c)
	}
	// Added explicitly (cobra otherwise adds it only at Execute) so that the
	// generated reference and man pages include it.
	root.InitDefaultCompletionCmd()
	return root
}

// checkFormat validates -o against what a command supports.
func checkFormat(g *GlobalOptions, allowed ...string) error {
	for _, a := range allowed {
		if g.Format == a {
			return nil
		}
	}
	return usageErr("--format %q is not supported here (use %s)", g.Format, strings.Join(allowed, ", "))
}

// exactArgs is cobra.ExactArgs with exit code 2 and a message naming what is missing.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("%s needs %s (see '%s --help')", cmd.CommandPath(), what, cmd.CommandPath())
		}
		return nil
	}
}
