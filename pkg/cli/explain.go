package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// explainOptions are the flags of `mailcheck explain`.
type explainOptions struct {
	f   *Factory
	ctx context.Context

	Args     []string
	NoChecks bool
	Domain   string
	HELO     string
	DNSBL    bool
}

func newCmdExplain(f *Factory, runF func(*explainOptions) error) *cobra.Command {
	o := &explainOptions{f: f}
	long, example := help("explain")
	cmd := &cobra.Command{
		Use:     "explain TEXT|FILE|-",
		Short:   "Explain a bounce message, a pasted reply or a Postfix log line, run the checks it implies, print the fix",
		Long:    long,
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			if len(args) == 0 {
				return usageErr("%s needs the bounce text, or '-' to read it from standard input (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
			}
			o.ctx, o.Args = cmd.Context(), args
			if runF != nil {
				return runF(o)
			}
			return explainRun(o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.NoChecks, "no-checks", false, "only explain; do not look anything up in DNS")
	fl.StringVar(&o.Domain, "domain", "", "sending domain for the SPF and DMARC checks (default: the one named in the text)")
	fl.StringVar(&o.HELO, "helo", "", "the sending server's HELO name, to check it too")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists about the sending address (asks third parties)")
	return cmd
}

// readExplainInput returns the text to explain: standard input for "-",
// the file a single argument names when it is an existing regular file
// (a saved .eml), else the arguments joined; bounded to bounce.MaxInput.
func readExplainInput(o *explainOptions) (text string, truncated bool, err error) {
	if len(o.Args) == 1 && o.Args[0] == "-" {
		return readBounded(o.f.IO.In, "standard input")
	}
	if len(o.Args) == 1 && o.f.isRegularFile(o.Args[0]) {
		fh, err := o.f.open(o.Args[0])
		if err != nil {
			return "", false, usageErr("%v", err)
		}
		defer fh.Close()
		return readBounded(fh, o.Args[0])
	}
	if slices.Contains(o.Args, "-") {
		return "", false, usageErr("'-' (standard input) must be the only argument")
	}
	text = strings.Join(o.Args, " ")
	if len(text) > bounce.MaxInput {
		return text[:bounce.MaxInput], true, nil
	}
	return text, false, nil
}

// readBounded reads r up to bounce.MaxInput bytes and says whether there
// was more.
func readBounded(r io.Reader, what string) (text string, truncated bool, err error) {
	data, err := io.ReadAll(io.LimitReader(r, bounce.MaxInput+1))
	if err != nil {
		return "", false, usageErr("reading %s: %v", what, err)
	}
	if len(data) > bounce.MaxInput {
		return string(data[:bounce.MaxInput]), true, nil
	}
	return string(data), false, nil
}

func explainRun(o *explainOptions) error {
	text, truncated, err := readExplainInput(o)
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return usageErr("nothing to explain: the text is empty")
	}
	req := audit.ExplainRequest{Text: text, NoChecks: o.NoChecks, HELO: o.HELO, DNSBL: o.DNSBL}
	if o.Domain != "" {
		if req.Domain, _, err = parseDomainArg(o.Domain); err != nil {
			return usageErr("--domain: %v", err)
		}
	}
	if truncated {
		fmt.Fprintf(o.f.IO.ErrOut, "mailcheck: explain: input longer than %d bytes; only the first %d were read\n", bounce.MaxInput, bounce.MaxInput)
	}
	doc := o.f.Checker().Explain(o.ctx, req)
	if err := write(o.f, *doc, render.ExplainText); err != nil {
		return err
	}
	return finish(o.ctx, doc, report.SeverityFail)
}
