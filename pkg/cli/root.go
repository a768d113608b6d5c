// Package cli is mailcheck's command-line layer: cobra commands, flags,
// terminals and exit codes. Each command lives in its own file as an options
// struct, a constructor newCmdX(f, runF) and a run function xRun(opts) that
// calls one method of the orchestrator (audit.Checker), renders the typed
// document it returns (pkg/render) and maps it to an exit code (exitcode.For).
// Everything of the operating system comes through the Factory; the
// packages under pkg/ do the work and never print or exit
// (docs/architecture.md).
package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/exitcode"
	"github.com/mailcheck/mailcheck/pkg/render"
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
	// dnssecOK is set by the commands that judge TLS policy (probe,
	// check): their resolver sets the DO bit, as Postfix does with
	// smtp_dns_support_level = dnssec. Not a flag.
	dnssecOK bool
}

// Family selection derived from -4/-6.
func (g *GlobalOptions) WantIPv4() bool { return !g.Only6 }
func (g *GlobalOptions) WantIPv6() bool { return !g.Only4 }

// Run executes one command line and returns its exit code. Tests call it
// in-process with their own streams.
func Run(ctx context.Context, args []string, ios *IOStreams) int {
	return RunWith(ctx, NewFactory(ios), args)
}

// RunWith is Run with a caller-built Factory (tests inject fakes).
//
// This is where every command's final error becomes the exit code and
// the one line on stderr: the command's own (exitCode), unless writing
// stdout failed, which decides over it (exitcode.ForWriteError).
func RunWith(ctx context.Context, f *Factory, args []string) int {
	out := &render.Output{W: f.IO.Out}
	ios := *f.IO
	ios.Out = out
	run := *f
	run.IO = &ios
	f = &run

	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if out.Err != nil {
		code, msg := exitcode.ForWriteError(out.Err)
		if msg != "" {
			fmt.Fprintf(f.IO.ErrOut, "mailcheck: %s\n", msg)
		}
		return code
	}
	code := exitcode.Of(err)
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
		Use:           "mailcheck",
		Short:         "Is this mail domain really reachable over IPv4 and IPv6, and why not?",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if err := audit.CheckGlobal(g.Only4, g.Only6, g.Timeout); err != nil {
				return commandErr(err)
			}
			return nil
		},
	}
	root.Long, _ = help("mailcheck")
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
		newCmdMX(f, nil),
		newCmdProbe(f, nil),
		newCmdSimulate(f, nil),
		newCmdCheck(f, nil),
		newCmdSender(f, nil),
		newCmdExplain(f, nil),
		newCmdLogs(f, nil),
		newCmdDemo(f, nil),
		newCmdVersion(f, nil),
	} {
		root.AddCommand(c)
	}
	// The streams are set before the completion command is made: cobra's
	// takes root's stdout when it is built, and its script must go through
	// f.IO.Out (RunWith's checked writer: a failed write exits 74).
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	// Added explicitly (cobra otherwise adds it only at Execute) so that the
	// generated reference and man pages include it.
	root.InitDefaultCompletionCmd()
	return root
}
