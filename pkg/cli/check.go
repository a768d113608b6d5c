package cli

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// checkOptions are the flags of `check` (DESIGN.md, "Check and bulk flags").
type checkOptions struct {
	Domains     []string
	File        string
	Concurrency int
	DNSOnly     bool
	NoRDNS      bool

	FailOn          string
	Ignore          []string
	ExpectIPv6      bool
	ExpectMX        []string
	ExpectPTRSuffix string
	RequireSTARTTLS bool

	smtpFlags

	MainCF string
	Set    []string
	Sender bool

	// Derived by validate.
	failOn  report.Severity
	ignore  map[string]bool
	ignored []string
	src4    netip.Addr
	src6    netip.Addr
	mtaCfg  mta.Config
	mainCF  []mta.Assignment
}

// checkEnv is what a check run talks to; demo swaps in its sandbox.
type checkEnv struct {
	Resolver dnsq.Resolver
	Dialer   smtpprobe.Dialer       // nil: the network
	Routes   smtpprobe.RouteChecker // nil: the kernel's routes
	RootCAs  *x509.CertPool         // nil: the system roots
	Sandbox  bool
	Now      func() time.Time
}

func newCmdCheck(f *Factory) *cobra.Command {
	o := &checkOptions{}
	cmd := &cobra.Command{
		Use:   "check DOMAIN...",
		Short: "Check mail domains end to end and report findings (for people and CI)",
		Long: `check runs everything mailcheck knows for each domain: MX and address records,
reverse DNS and forward confirmation, SMTP on every address over its own family,
and the default Postfix delivery simulation replayed over what the probes saw.
It reports findings with stable codes (docs/findings.md), each with the exact fix.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 bad
usage or input; 3 could not determine (resolver unreachable, every probe
inconclusive from here); 130 interrupted.

Bulk: give several domains, or -f FILE (one domain per line, '#' comments;
-f - reads stdin). Each domain has its own --timeout; duplicates are checked
once; -o jsonl streams one JSON document per line as domains complete.`,
		Example: `  mailcheck check example.org
  mailcheck check --fail-on warn --expect-ipv6 -o junit example.org > mailcheck.xml
  mailcheck check --dns-only -o jsonl -f domains.txt > results.jsonl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Domains = args
			if err := o.validate(f, cmd.Flags().Changed("concurrency")); err != nil {
				return err
			}
			r, err := f.Resolver()
			if err != nil {
				return err
			}
			return runCheck(cmd.Context(), f, o, checkEnv{Resolver: r, Dialer: f.Dialer, Routes: f.Routes, Now: f.Now})
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.File, "file", "f", "", "read domains from FILE, one per line ('-' for stdin)")
	fl.IntVar(&o.Concurrency, "concurrency", 0, "domains checked at once (default 32, 256 with --dns-only)")
	fl.BoolVar(&o.DNSOnly, "dns-only", false, "DNS only (MX, A, AAAA, PTR, FCrDNS): no SMTP probes, no simulation")
	fl.BoolVar(&o.NoRDNS, "no-rdns", false, "skip reverse DNS (PTR, FCrDNS) of the MX addresses; not judged (MC907)")
	fl.StringVar(&o.FailOn, "fail-on", "fail", "lowest severity that makes the exit code 1: warn or fail")
	fl.StringArrayVar(&o.Ignore, "ignore", nil, "drop findings with this code (repeatable), e.g. --ignore MC207")
	fl.BoolVar(&o.ExpectIPv6, "expect-ipv6", false, "fail unless the domain accepts mail over IPv6")
	fl.StringArrayVar(&o.ExpectMX, "expect-mx", nil, "fail unless HOST is one of the MX hosts (repeatable)")
	fl.StringVar(&o.ExpectPTRSuffix, "expect-ptr-suffix", "", "fail unless every MX address's PTR ends with SUFFIX")
	fl.BoolVar(&o.RequireSTARTTLS, "require-starttls", false, "fail unless every MX address offers working STARTTLS (not with --no-starttls or --dns-only)")
	o.register(fl, "; a usage error with --require-starttls")
	fl.StringVar(&o.MainCF, "main-cf", "", "simulate with the settings of this Postfix main.cf")
	fl.StringArrayVar(&o.Set, "set", nil, "simulate with this Postfix setting, name=value (repeatable)")
	fl.BoolVar(&o.Sender, "sender", false, "also audit this host as a sender to each domain (MC6xx): source addresses, PTR, FCrDNS, HELO, SPF and DMARC")
	return cmd
}

// validate checks the flags and derives what the run needs; every problem
// is a usage error (exit 2) before any network traffic.
func (o *checkOptions) validate(f *Factory, concurrencySet bool) error {
	if err := checkFormat(f.Global, render.CheckFormats...); err != nil {
		return err
	}
	if len(o.Domains) == 0 && o.File == "" {
		return usageErr("check needs a DOMAIN or -f FILE (see 'mailcheck check --help')")
	}
	for _, d := range o.Domains {
		if _, _, err := checkDomain(d); err != nil {
			return usageErr("%v", err)
		}
	}
	switch o.FailOn {
	case "warn", "fail":
		o.failOn = report.Severity(o.FailOn)
	default:
		return usageErr("--fail-on %q: use warn or fail", o.FailOn)
	}
	o.ignore = map[string]bool{}
	for _, c := range o.Ignore {
		code, err := report.CheckCode(c)
		if err != nil {
			return usageErr("--ignore: %v", err)
		}
		if !o.ignore[code] {
			o.ignored = append(o.ignored, code)
		}
		o.ignore[code] = true
	}
	if concurrencySet && o.Concurrency < 1 {
		return usageErr("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	if o.Concurrency == 0 {
		o.Concurrency = 32
		if o.DNSOnly {
			o.Concurrency = 256
		}
	}
	if o.RequireSTARTTLS && o.NoStartTLS {
		// A probe that does not try STARTTLS cannot tell whether it works.
		return usageErr("--require-starttls needs the STARTTLS handshake that --no-starttls skips; drop one of them")
	}
	if o.ExpectPTRSuffix != "" && o.NoRDNS {
		return usageErr("--expect-ptr-suffix needs the PTR lookups that --no-rdns skips; drop one of them")
	}
	if o.RequireSTARTTLS && o.DNSOnly {
		// Without probes nothing could ever fail the requirement: a CI gate
		// that silently passes is worse than an error.
		return usageErr("--require-starttls needs the SMTP probes that --dns-only skips; drop one of them")
	}
	var err error
	if o.src4, o.src6, o.HELO, err = o.resolve(os.Hostname); err != nil {
		return err
	}
	for i, m := range o.ExpectMX {
		a, _, err := checkDomain(m)
		if err != nil {
			return usageErr("--expect-mx: %v", err)
		}
		o.ExpectMX[i] = a
	}
	if o.MainCF != "" {
		fh, err := os.Open(o.MainCF)
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		as, err := mta.ParseMainCF(fh, o.MainCF)
		fh.Close()
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		o.mtaCfg.MainCF = as
		o.mainCF = as
	}
	for _, s := range o.Set {
		a, err := mta.ParseAssignment(s, mta.SourceSet)
		if err != nil {
			return usageErr("--set %q: %v", s, err)
		}
		o.mtaCfg.Set = append(o.mtaCfg.Set, a)
	}
	o.mtaCfg.Port = o.Port
	// Validate the settings once, on an empty domain, so that a bad --set
	// is exit 2 before any lookup.
	if _, err := mta.Simulate(mta.Input{Domain: "invalid"}, o.mtaCfg, mta.Options{NoSuggest: true}); errors.Is(err, mta.ErrBadConfig) {
		return usageErr("%v", err)
	}
	return nil
}

// checkDomain normalises one domain as users paste it ("User@Example.ORG.",
// URLs, U-labels: pkg/target) and returns its A-label and U-label forms.
// IP addresses and '-' are bad input. Plain lower-case names, the bulk
// case, skip the general parser.
func checkDomain(s string) (ascii, unicode string, err error) {
	if plainDomain(s) {
		return s, s, nil
	}
	if strings.TrimSpace(s) == "-" {
		return "", "", errors.New("'-' is not a domain; use -f - to read domains from stdin")
	}
	t, err := target.Parse(s)
	if err != nil {
		return "", "", err
	}
	return t.ASCII, t.Unicode, nil
}

// plainDomain is the fast path of checkDomain: a lower-case LDH name with
// at least two labels, labels of 1 to 63 octets, at most 253 in all (RFC
// 1035 §2.3.4), no trailing dot, and a top-level label that is not all
// digits (so no IPv4 address passes).
func plainDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	label, dots, digitsOnly := 0, 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 || s[i-1] == '-' {
				return false
			}
			label, dots, digitsOnly = 0, dots+1, true
			continue
		case c >= 'a' && c <= 'z':
			digitsOnly = false
		case c >= '0' && c <= '9':
		case c == '-':
			if label == 0 {
				return false
			}
			digitsOnly = false
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return label > 0 && dots > 0 && !digitsOnly && s[len(s)-1] != '-'
}

// checkJob is one domain to check; idx is its position in the input.
type checkJob struct {
	idx     int
	input   string
	domain  string // A-label form
	unicode string // U-label form
	err     error
}

type checkResult struct {
	idx int
	rep *document.Check
}

// runCheck checks every domain with a fixed pool of workers and one writer
// goroutine; it returns the exit code as an error (ExitError).
func runCheck(ctx context.Context, f *Factory, o *checkOptions, env checkEnv) error {
	g := f.Global
	now := env.Now
	if now == nil {
		now = time.Now
	}
	var prober *smtpprobe.Prober
	if !o.DNSOnly {
		po := smtpprobe.Options{
			Port: o.Port, HELO: o.HELO, ConnectTimeout: o.ConnectTimeout, CommandTimeout: o.CommandTimeout,
			NoStartTLS: o.NoStartTLS, Source4: o.src4, Source6: o.src6,
			Dialer: env.Dialer, Routes: env.Routes, RootCAs: env.RootCAs, Now: now,
		}
		if g.Verbose {
			po.Transcript = f.IO.ErrOut
		}
		prober = smtpprobe.New(po)
	}
	stages := audit.NewStages(audit.Real{
		Resolver:     env.Resolver,
		Discover:     discover.Options{IPv4: g.WantIPv4(), IPv6: g.WantIPv6(), RDNS: !o.NoRDNS},
		Prober:       prober,
		MTA:          o.mtaCfg,
		NoSimulation: o.DNSOnly,
	})
	runOpts := audit.Options{
		Timeout:  g.Timeout,
		WantIPv4: g.WantIPv4(), WantIPv6: g.WantIPv6(),
		NoStartTLS: o.NoStartTLS,
		NoRDNS:     o.NoRDNS,
		Policy: audit.Policy{
			Expect:  audit.Expect{IPv6: o.ExpectIPv6, MX: o.ExpectMX, PTRSuffix: o.ExpectPTRSuffix, STARTTLS: o.RequireSTARTTLS},
			Sandbox: env.Sandbox,
			Ignored: o.ignore,
		},
		Now: now,
	}
	senderOpts, err := o.senderOptions(g)
	if err != nil {
		return err
	}
	w, err := render.NewCheckWriter(g.Format, f.IO.Out, render.CheckOptions{
		Styles:  render.NewStyles(f.IO.ColorEnabled(g.NoColor)),
		FailOn:  o.failOn,
		Ignored: o.ignored,
	})
	if err != nil {
		return usageErr("%v", err)
	}

	// Input: arguments first, then the file; the producer stops at the
	// first interrupt.
	var in io.Reader
	if o.File == "-" {
		in = f.IO.In
	} else if o.File != "" {
		fh, err := os.Open(o.File)
		if err != nil {
			return usageErr("-f: %v", err)
		}
		defer fh.Close()
		in = fh
	}
	// work ends on an interrupt (ctx) and when stdout fails (a closed
	// pipe: `| head`), so that no domain is checked for nobody.
	work, stopWork := context.WithCancel(ctx)
	defer stopWork()
	jobs := make(chan checkJob, o.Concurrency)
	results := make(chan checkResult, o.Concurrency)
	var readErr error
	go func() {
		defer close(jobs)
		readErr = produceCheckJobs(work, o.Domains, in, jobs)
	}()

	var workers sync.WaitGroup
	for range o.Concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for j := range jobs {
				var rep *document.Check
				if j.err != nil {
					rep = &document.Check{SchemaVersion: report.SchemaVersion, Input: j.input, Error: j.err.Error(),
						Result: discover.Result{MX: []discover.Exchange{}}, Findings: []report.Finding{}}
				} else {
					rep = audit.Run(work, j.domain, runOpts, stages)
					if work.Err() != nil {
						// Interrupted mid-domain: incomplete, so never written.
						continue
					}
					if j.input != j.domain {
						rep.Input = j.input
					}
					if j.unicode != j.domain {
						rep.DomainUnicode = j.unicode
					}
					if senderOpts != nil {
						so := *senderOpts
						so.Domain = j.domain
						sctx, cancel := context.WithTimeout(work, g.Timeout)
						srep := sender.Audit(sctx, env.Resolver, so)
						cancel()
						rep.Sender = srep
						rep.Findings = append(rep.Findings, srep.Findings...)
						report.SortFindings(rep.Findings)
					}
					rep.Findings = report.Without(rep.Findings, o.ignore)
				}
				results <- checkResult{idx: j.idx, rep: rep}
			}
		}()
	}
	go func() {
		workers.Wait()
		close(results)
	}()

	var bar *progressbar.ProgressBar
	if f.IO.ErrTTY && !g.Verbose && (len(o.Domains) > 1 || o.File != "") {
		bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(f.IO.ErrOut),
			progressbar.OptionSetDescription("checking"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("domains"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond),
			// No spinner ticker: for a bar of unknown length the library
			// starts a goroutine that reads the bar's state without its
			// lock (a data race, v3.19.1); the bar still advances on Add.
			progressbar.OptionSetSpinnerChangeInterval(0),
		)
	}

	sum, werr := writeCheckResults(w, g.Format == "jsonl", results, o.failOn, bar, stopWork)
	if bar != nil {
		_ = bar.Finish()
	}
	// Drain so that workers never block on a dead writer.
	for range results {
	}
	sum.Interrupted = ctx.Err() != nil
	switch {
	case sum.Interrupted:
		sum.ExitCode = ExitInterrupted
	case readErr != nil:
		sum.ExitCode = ExitUsage
	}
	if err := w.End(sum); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return fmt.Errorf("writing the report: %w", werr)
	}
	if readErr != nil && !sum.Interrupted {
		return usageErr("%v", readErr)
	}
	if sum.Interrupted {
		return silentExit(ExitInterrupted)
	}
	return silentExit(sum.ExitCode)
}

// senderOptions builds the sending-side audit of --sender (nil without
// it): this host's source addresses toward the Internet, its name, and the
// --main-cf settings that choose the source address and HELO name.
func (o *checkOptions) senderOptions(g *GlobalOptions) (*sender.Options, error) {
	if !o.Sender {
		return nil, nil
	}
	host, _ := os.Hostname()
	so := &sender.Options{Hostname: host, Want4: g.WantIPv4(), Want6: g.WantIPv6(), Routes: sender.KernelRoutes{}}
	if o.MainCF != "" {
		m, err := sender.ReadMainCF(o.MainCF, o.mainCF, host)
		if err != nil {
			return nil, usageErr("--main-cf: %v", err)
		}
		so.MainCF = &m
	}
	return so, nil
}

// produceCheckJobs sends every distinct domain to jobs, arguments first.
// A line that is not a domain becomes a job carrying the error, so that
// it is reported in place (and the exit code is 2).
func produceCheckJobs(ctx context.Context, args []string, in io.Reader, jobs chan<- checkJob) error {
	// Duplicates are found by a 64-bit hash of the A-label name: 8 bytes a
	// domain instead of the name itself, so that 100k-domain lists stay
	// small; a false duplicate needs a collision (about 1 in 10^9 at 100k).
	seen := make(map[uint64]struct{}, len(args))
	seed := maphash.MakeSeed()
	idx := 0
	send := func(input string) bool {
		d, u, err := checkDomain(input)
		if err == nil {
			h := maphash.String(seed, d)
			if _, dup := seen[h]; dup {
				return true
			}
			seen[h] = struct{}{}
		}
		j := checkJob{idx: idx, input: input, domain: d, unicode: u, err: err}
		idx++
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for _, a := range args {
		if !send(a) {
			return nil
		}
	}
	if in == nil {
		return nil
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	line := 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !send(s) {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading the domain list at line %d: %w", line+1, err)
	}
	return nil
}

// writeCheckResults is the one writer: jsonl in completion order (memory
// stays flat however long the list), every other format in input order.
func writeCheckResults(w render.CheckWriter, streaming bool, results <-chan checkResult, failOn report.Severity, bar *progressbar.ProgressBar, stop func()) (render.CheckSummary, error) {
	var sum render.CheckSummary
	worst := ExitOK
	if err := w.Begin(); err != nil {
		return sum, err
	}
	pending := map[int]*document.Check{}
	next := 0
	emit := func(rep *document.Check) error {
		sum.Domains++
		code := checkExitCode(rep, failOn)
		switch code {
		case ExitFindings:
			sum.Failed++
		case ExitUndetermined:
			sum.Undetermined++
		case ExitUsage:
			sum.BadInput++
		}
		worst = worseExit(worst, code)
		if bar != nil {
			_ = bar.Add(1)
		}
		return w.Write(rep)
	}
	var err error
	for r := range results {
		if err != nil {
			stop()
			continue
		}
		if streaming {
			err = emit(r.rep)
			continue
		}
		pending[r.idx] = r.rep
		for {
			rep, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if err = emit(rep); err != nil {
				break
			}
		}
	}
	// Interrupted runs leave gaps: write what completed, in order.
	if err == nil && len(pending) > 0 {
		for i := next; len(pending) > 0; i++ {
			if rep, ok := pending[i]; ok {
				delete(pending, i)
				if err = emit(rep); err != nil {
					break
				}
			}
		}
	}
	sum.ExitCode = worst
	return sum, err
}

// checkExitCode is one report's exit code (DESIGN.md "Exit codes"): a
// definite bad result is 1, not 3.
func checkExitCode(rep *document.Check, failOn report.Severity) int {
	switch {
	case rep.Error != "":
		return ExitUsage
	case report.AtLeast(rep.Findings, failOn):
		return ExitFindings
	case rep.Undetermined:
		return ExitUndetermined
	}
	return ExitOK
}

// worseExit combines exit codes over a bulk run: bad input, then findings,
// then undetermined, then OK.
func worseExit(a, b int) int {
	rank := func(c int) int {
		switch c {
		case ExitUsage:
			return 3
		case ExitFindings:
			return 2
		case ExitUndetermined:
			return 1
		}
		return 0
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
