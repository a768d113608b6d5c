package cli

import (
	"context"
	"embed"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// The flag groups several commands share, each declared and parsed once.

// findingFlags are --fail-on and --ignore (check, demo, sender).
type findingFlags struct {
	FailOn string
	Ignore []string

	// Derived by parse (audit.FindingPolicy).
	failOn  report.Severity
	ignore  map[string]bool
	ignored []string // in the order given, without duplicates
}

// register adds the flags; example ends the --ignore help (", e.g. ...").
func (o *findingFlags) register(fl *pflag.FlagSet, example string) {
	fl.StringVar(&o.FailOn, "fail-on", "fail", "lowest severity that makes the exit code 1: warn or fail")
	fl.StringArrayVar(&o.Ignore, "ignore", nil, "drop findings with this code (repeatable)"+example)
}

func (o *findingFlags) parse() error {
	var err error
	if o.failOn, o.ignore, o.ignored, err = audit.FindingPolicy(o.FailOn, o.Ignore); err != nil {
		return commandErr(err)
	}
	return nil
}

// smtpFlags are the SMTP probe flags that probe, check and simulate share
// (DESIGN.md, "Commands"), checked by audit.SMTPInput.Options.
type smtpFlags audit.SMTPInput

// register adds the flags to fl; noStartTLSNote extends the --no-starttls
// help with what it means for the command at hand.
func (s *smtpFlags) register(fl *pflag.FlagSet, noStartTLSNote string) {
	fl.IntVar(&s.Port, "port", 25, "TCP port to connect to")
	fl.StringVar(&s.HELO, "helo", "", "EHLO name to send (default: this host's name if fully qualified, else the address literal of the source address)")
	fl.DurationVar(&s.ConnectTimeout, "connect-timeout", 10*time.Second, "deadline for one TCP connect")
	fl.DurationVar(&s.CommandTimeout, "command-timeout", 20*time.Second, "deadline for each complete SMTP reply (greeting, EHLO, STARTTLS and handshake)")
	fl.BoolVar(&s.NoStartTLS, "no-starttls", false, "do not try STARTTLS: TLS is then not judged (MC906 says which addresses offered it)"+noStartTLSNote)
	fl.StringVar(&s.Source4, "source4", "", "source IPv4 address to connect from")
	fl.StringVar(&s.Source6, "source6", "", "source IPv6 address to connect from")
}

// registerGAI adds --gai-conf and --source-addr, which describe the host
// whose getaddrinfo order is modelled (by default this one: its addresses,
// routes and /etc/gai.conf); use says what they serve in the command.
func registerGAI(fl *pflag.FlagSet, conf *string, addrs *[]string, use string) {
	fl.StringVar(conf, "gai-conf", "", "read getaddrinfo's policy from this gai.conf instead of "+audit.SystemGAIConf+" ("+use+")")
	fl.StringArrayVar(addrs, "source-addr", nil, "describe another host by its addresses, IP or IP/PREFIXLEN (repeatable; a family with none is unroutable; default: this host's addresses and routes) ("+use+")")
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

// styles are the output's colours, decided once (terminal, NO_COLOR,
// --no-color).
func (f *Factory) styles() *render.Styles {
	return render.NewStyles(f.IO.ColorEnabled(f.Global.NoColor))
}

// write prints a one-document command's output: JSON, or text through the
// command's renderer.
func write[D any](f *Factory, doc D, text func(io.Writer, *render.Styles, D) error) error {
	if f.Global.Format == "json" {
		return render.JSON(f.IO.Out, doc)
	}
	return text(f.IO.Out, f.styles(), doc)
}

// command gives c the shape every command shares (cli/cli's): its long
// help and examples from help/NAME.txt, -o checked against formats (none:
// the command checks it itself), prepare (arguments and flags into the
// options), then runF, which tests give to see the options, or else run.
func command[O any](f *Factory, c *cobra.Command, formats []string, o *O, prepare func(*cobra.Command, []string) error, runF, run func(*O) error) *cobra.Command {
	c.Long, c.Example = help(c.Name())
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(formats) > 0 {
			if err := checkFormat(f.Global, formats...); err != nil {
				return err
			}
		}
		if err := prepare(cmd, args); err != nil {
			return err
		}
		if runF != nil {
			return runF(o)
		}
		return run(o)
	}
	return c
}

// textJSON are the formats of the commands that print one document.
var textJSON = []string{"text", "json"}

// emit prints a one-document command's output and ends with its exit
// code (finish).
func emit[D any, P interface {
	*D
	document.Judged
}](f *Factory, ctx context.Context, doc P, text func(io.Writer, *render.Styles, D) error, failOn report.Severity) error {
	if err := write(f, *doc, text); err != nil {
		return err
	}
	return finish(ctx, doc, failOn)
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

// helpFiles hold each command's long description and examples, the text
// of `mailcheck X --help` and of the generated reference (docs/commands).
//
//go:embed help/*.txt
var helpFiles embed.FS

// help returns the long description and the examples of a command from
// help/NAME.txt, where a line "Examples:" after a blank line separates them.
func help(name string) (long, example string) {
	b, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic("cli: no help for " + name) // embedded at build time: a build error
	}
	long, example, _ = strings.Cut(strings.TrimSuffix(string(b), "\n"), "\n\nExamples:\n")
	return long, example
}
