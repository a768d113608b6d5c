package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/maillog"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// logsOptions are the flags of `mailcheck logs`.
type logsOptions struct {
	f   *Factory
	ctx context.Context

	Files  []string
	Since  string
	Domain string

	since  time.Time // from Since, filled by validate
	domain string    // A-label form of Domain
}

func newCmdLogs(f *Factory, runF func(*logsOptions) error) *cobra.Command {
	o := &logsOptions{f: f}
	long, example := help("logs")
	cmd := &cobra.Command{
		Use:     "logs FILE...|-",
		Short:   "Postfix/Exim mail logs per destination and family: delivered, deferred, bounced, why, and the fix",
		Long:    long,
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json", "markdown"); err != nil {
				return err
			}
			if len(args) == 0 {
				return usageErr("%s needs a log file, or '-' to read standard input (see '%s --help')", cmd.CommandPath(), cmd.CommandPath())
			}
			o.ctx, o.Files = cmd.Context(), args
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return logsRun(o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Since, "since", "", "only attempts from this time on: a duration back from now (24h, 90m) or a time (2026-11-29, 2026-11-29T10:00:00+01:00)")
	fl.StringVar(&o.Domain, "domain", "", "only this destination domain")
	return cmd
}

func (o *logsOptions) validate() error {
	if len(o.Files) > 1 {
		for _, name := range o.Files {
			if name == "-" {
				return usageErr("'-' (standard input) must be the only argument")
			}
		}
	}
	if o.Since != "" {
		t, err := parseSince(o.Since, o.f.now(), time.Local)
		if err != nil {
			return usageErr("--since %q: %v", o.Since, err)
		}
		o.since = t
	}
	if o.Domain != "" {
		d, _, err := parseDomainArg(o.Domain)
		if err != nil {
			return usageErr("--domain: %v", err)
		}
		o.domain = d
	}
	return nil
}

// parseSince reads --since: a duration back from now, an RFC 3339 time, or
// a date (midnight in loc).
func parseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("a duration back from now is positive")
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a duration (24h) or a time (2026-11-29, 2026-11-29T10:00:00Z)")
}

func logsRun(o *logsOptions) error {
	req := audit.LogsRequest{Since: o.since, Domain: o.domain}
	if len(o.Files) == 1 && o.Files[0] == "-" {
		req.Inputs = []maillog.Input{{Name: "standard input", R: o.f.IO.In}}
	} else {
		// Open every file before reading any: a wrong name is bad usage,
		// said before minutes of reading.
		var closers []io.Closer
		defer func() {
			for _, c := range closers {
				c.Close()
			}
		}()
		for _, name := range o.Files {
			fh, err := o.f.open(name)
			if err != nil {
				return usageErr("%v", err)
			}
			closers = append(closers, fh)
			req.Inputs = append(req.Inputs, maillog.Input{Name: name, R: fh})
		}
	}
	doc, readErr := o.f.Checker().Logs(o.ctx, req)
	if o.ctx.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	var err error
	switch o.f.Global.Format {
	case "json":
		err = render.JSON(o.f.IO.Out, doc)
	case "markdown":
		err = render.LogsMarkdown(o.f.IO.Out, doc)
	default:
		err = render.LogsText(o.f.IO.Out, o.f.styles(), doc)
	}
	if err != nil {
		return err
	}
	if readErr != nil {
		return usageErr("reading %v (the summary covers what was read before it)", strings.TrimSpace(readErr.Error()))
	}
	return finish(o.ctx, doc, report.SeverityFail)
}
