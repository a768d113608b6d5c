package audit

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/maillog"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// ExplainInput is `mailcheck explain` as typed: the arguments (the text,
// one FILE, or "-" for standard input) and the checks' settings.
type ExplainInput struct {
	Args     []string
	NoChecks bool
	Domain   string
	HELO     string
	DNSBL    bool
}

// Request reads the text to explain and builds the request: standard
// input for "-", the file a single argument names when isFile says it is
// one (a saved .eml), else the arguments joined; bounded to
// bounce.MaxInput, truncated says whether there was more.
func (in ExplainInput) Request(stdin io.Reader, open Opener, isFile func(string) bool) (req ExplainRequest, truncated bool, err error) {
	text, truncated, err := in.text(stdin, open, isFile)
	if err != nil {
		return req, false, err
	}
	if strings.TrimSpace(text) == "" {
		return req, false, invalid("nothing to explain: the text is empty")
	}
	req = ExplainRequest{Text: text, NoChecks: in.NoChecks, HELO: in.HELO, DNSBL: in.DNSBL}
	if in.Domain != "" {
		t, err := target.Parse(in.Domain)
		if err != nil {
			return req, false, invalid("--domain: %v", err)
		}
		req.Domain = t.ASCII
	}
	return req, truncated, nil
}

func (in ExplainInput) text(stdin io.Reader, open Opener, isFile func(string) bool) (text string, truncated bool, err error) {
	if len(in.Args) == 1 && in.Args[0] == "-" {
		return readInput(stdin, "standard input")
	}
	if len(in.Args) == 1 && isFile(in.Args[0]) {
		fh, err := open(in.Args[0])
		if err != nil {
			return "", false, invalid("%v", err)
		}
		defer fh.Close()
		return readInput(fh, in.Args[0])
	}
	if slices.Contains(in.Args, "-") {
		return "", false, invalid("'-' (standard input) must be the only argument")
	}
	text = strings.Join(in.Args, " ")
	if len(text) > bounce.MaxInput {
		return text[:bounce.MaxInput], true, nil
	}
	return text, false, nil
}

// readInput reads r up to bounce.MaxInput bytes and says whether there
// was more.
func readInput(r io.Reader, what string) (text string, truncated bool, err error) {
	data, err := io.ReadAll(io.LimitReader(r, bounce.MaxInput+1))
	if err != nil {
		return "", false, invalid("reading %s: %v", what, err)
	}
	if len(data) > bounce.MaxInput {
		return string(data[:bounce.MaxInput]), true, nil
	}
	return string(data), false, nil
}

// LogsInput is `mailcheck logs` as typed: the files ("-" alone for
// standard input) and the filters.
type LogsInput struct {
	Files  []string
	Since  string
	Domain string
}

// Filters checks the input and returns the filters of the request: the
// time from Since (read at now, dates in loc) and Domain's A-label form.
func (in LogsInput) Filters(now time.Time, loc *time.Location) (since time.Time, domain string, err error) {
	if len(in.Files) > 1 && slices.Contains(in.Files, "-") {
		return since, "", invalid("'-' (standard input) must be the only argument")
	}
	if in.Since != "" {
		if since, err = ParseSince(in.Since, now, loc); err != nil {
			return since, "", invalid("--since %q: %v", in.Since, err)
		}
	}
	if in.Domain != "" {
		t, err := target.Parse(in.Domain)
		if err != nil {
			return since, "", invalid("--domain: %v", err)
		}
		domain = t.ASCII
	}
	return since, domain, nil
}

// ParseSince reads --since: a duration back from now, an RFC 3339 time, or
// a date (midnight in loc).
func ParseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
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

// Open opens the input's files, every one before any is read: a wrong
// name is bad input, said before minutes of reading. The caller closes
// the inputs with close (never nil) once read; after an error the files
// opened so far are closed already.
func (in LogsInput) Open(stdin io.Reader, open Opener) (inputs []maillog.Input, close func(), err error) {
	var closers []io.Closer
	close = func() {
		for _, c := range closers {
			c.Close()
		}
	}
	if len(in.Files) == 1 && in.Files[0] == "-" {
		return []maillog.Input{{Name: "standard input", R: stdin}}, close, nil
	}
	for _, name := range in.Files {
		fh, err := open(name)
		if err != nil {
			close()
			return nil, func() {}, invalid("%v", err)
		}
		closers = append(closers, fh)
		inputs = append(inputs, maillog.Input{Name: name, R: fh})
	}
	return inputs, close, nil
}

// OpenList opens check's domain list (-f NAME): "-" is stdin, which is
// not closed, "" no list at all, anything else a file through open. close
// is never nil.
func OpenList(name string, stdin io.Reader, open Opener) (list io.Reader, close func(), err error) {
	switch name {
	case "":
		return nil, func() {}, nil
	case "-":
		return stdin, func() {}, nil
	}
	fh, err := open(name)
	if err != nil {
		return nil, func() {}, invalid("-f: %v", err)
	}
	return fh, func() { fh.Close() }, nil
}

// LoadZones reads every --zone value (FILE or ORIGIN=FILE) and checks that
// the zones can be laid over one another; the warnings (ignored records)
// are for the caller to show once.
func LoadZones(values []string) (zones []*dnsq.Zone, warnings []string, err error) {
	for _, v := range values {
		zone, err := dnsq.LoadZoneFlag(v)
		if err != nil {
			var ze *dnsq.ZoneError
			if errors.As(err, &ze) {
				return nil, warnings, invalid("--zone: %v", ze)
			}
			return nil, warnings, invalid("--zone %q: %v", v, err)
		}
		for _, w := range zone.Warnings() {
			warnings = append(warnings, fmt.Sprint(w))
		}
		if n := zone.IgnoredRecords() - len(zone.Warnings()); n > 0 {
			warnings = append(warnings, fmt.Sprintf("%s: %d more records ignored", zone.File(), n))
		}
		zones = append(zones, zone)
	}
	if _, err := dnsq.NewOverlay(&dnsq.Mock{}, zones...); err != nil {
		return nil, warnings, invalid("--zone: %v", err)
	}
	return zones, warnings, nil
}

// FindingPolicy reads --fail-on (warn or fail) and --ignore (codes of the
// catalogue): the threshold, the codes to drop, and those codes in the
// order given without duplicates.
func FindingPolicy(failOn string, ignore []string) (threshold report.Severity, drop map[string]bool, ordered []string, err error) {
	switch failOn {
	case "warn", "fail":
		threshold = report.Severity(failOn)
	default:
		return "", nil, nil, invalid("--fail-on %q: use warn or fail", failOn)
	}
	drop = map[string]bool{}
	for _, c := range ignore {
		code, err := report.CheckCode(c)
		if err != nil {
			return "", nil, nil, invalid("--ignore: %v", err)
		}
		if !drop[code] {
			ordered = append(ordered, code)
		}
		drop[code] = true
	}
	return threshold, drop, ordered, nil
}

// ProbeInput is `mailcheck probe` as typed.
type ProbeInput struct {
	Target      string
	SMTP        SMTPInput
	Concurrency int
}

// Request reads the TARGET as people paste it (a domain or host name: IDN,
// trailing dot, user@domain, URL; an IP address; an RFC 5321 address
// literal) and the SMTP settings; an address must be of a family wanted
// (-4/-6).
func (in ProbeInput) Request(want4, want6 bool) (ProbeRequest, error) {
	req := ProbeRequest{Concurrency: in.Concurrency}
	tgt, err := target.ParseHostOrIP(in.Target)
	if err != nil {
		return req, invalid("%v", err)
	}
	if req.SMTP, err = in.SMTP.Options(); err != nil {
		return req, err
	}
	if tgt.IP.IsValid() {
		if tgt.IP.Is4() && !want4 {
			return req, invalid("TARGET %s is an IPv4 address but -6 was given", tgt.IP)
		}
		if !tgt.IP.Is4() && !want6 {
			return req, invalid("TARGET %s is an IPv6 address but -4 was given", tgt.IP)
		}
	}
	req.Target = tgt
	return req, nil
}

// NewResolver builds the DNS client of --resolver values (host, host:port,
// [v6]:port; none: /etc/resolv.conf). A bad value is a *RequestError; any
// other error means no resolver could be built.
func NewResolver(servers []string, trace io.Writer, dnssecOK bool) (dnsq.Resolver, error) {
	hps := make([]string, 0, len(servers))
	for _, s := range servers {
		hp, err := dnsq.ParseServer(s)
		if err != nil {
			return nil, invalid("--resolver %q: %v", s, err)
		}
		hps = append(hps, hp)
	}
	c, err := dnsq.New(dnsq.Config{Servers: hps, Trace: trace, DNSSECOK: dnssecOK})
	if err != nil {
		return nil, fmt.Errorf("DNS resolver: %w", err)
	}
	return c, nil
}
