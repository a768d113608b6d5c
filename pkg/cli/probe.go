package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// probeOptions are the flags of `mailcheck probe` plus this host's name
// (tests replace Hostname; the dialer and route checker come from the
// Factory).
type probeOptions struct {
	Target string
	smtpFlags
	Concurrency int

	Hostname func() (string, error) // this host's name for the default --helo
}

func newCmdProbe(f *Factory) *cobra.Command {
	opts := &probeOptions{Hostname: os.Hostname, Concurrency: 16}
	cmd := &cobra.Command{
		Use:   "probe TARGET",
		Short: "SMTP over every address of a domain, host or IP, each over its own family",
		Long: `probe connects to port 25 of every address of TARGET, each over its own
family (IPv4 to A records, IPv6 to AAAA records, never letting the system
choose), and reads the greeting, sends EHLO, tries STARTTLS, sends EHLO again
and QUIT. It never sends MAIL, RCPT or DATA.

TARGET is a mail domain (all addresses of all its MX hosts; a name without MX
records is its own exchange, RFC 5321 §5.1), a host name, or an IP literal
(192.0.2.25, 2001:db8::25 or [2001:db8::25]).

Before each connection probe asks the kernel whether this host has a route
and a source address for that family (a UDP connect, which sends nothing).
Without one the address is "inconclusive": this host cannot tell, which says
nothing about the server. If every connection times out, outbound port 25 is
probably blocked where you are.

Exit codes: 0 when no finding is a failure; 1 when one is (no address
accepts SMTP, the domain does not exist); 3 when nothing could be judged from
here (every probe inconclusive, the MX lookup got no answer); 2 for bad
input.`,
		Example: `  mailcheck probe example.com
  mailcheck probe -6 mx1.example.com
  mailcheck probe --port 2525 --helo client.example.net 192.0.2.25
  mailcheck probe -o json '[2001:db8::25]'`,
		Args: exactArgs(1, "a TARGET (domain, host name or IP address)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			return runProbe(cmd.Context(), f, opts)
		},
	}
	opts.register(cmd.Flags(), "")
	return cmd
}

// smtpFlags are the SMTP probe flags that probe and check share
// (DESIGN.md, "Commands").
type smtpFlags struct {
	Port           int
	HELO           string
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
	NoStartTLS     bool
	Source4        string
	Source6        string
}

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

// resolve checks the flags and returns the source addresses and the EHLO
// name, defaulted from hostname when --helo is not given.
func (s *smtpFlags) resolve(hostname func() (string, error)) (src4, src6 netip.Addr, helo string, err error) {
	if s.Port < 1 || s.Port > 65535 {
		return src4, src6, "", usageErr("--port must be 1..65535, got %d", s.Port)
	}
	if s.ConnectTimeout <= 0 {
		return src4, src6, "", usageErr("--connect-timeout must be positive, got %s", s.ConnectTimeout)
	}
	if s.CommandTimeout <= 0 {
		return src4, src6, "", usageErr("--command-timeout must be positive, got %s", s.CommandTimeout)
	}
	if src4, err = parseSource("--source4", s.Source4, true); err != nil {
		return src4, src6, "", err
	}
	if src6, err = parseSource("--source6", s.Source6, false); err != nil {
		return src4, src6, "", err
	}
	helo = s.HELO
	if helo == "" {
		helo = defaultHELO(hostname)
	} else if strings.ContainsAny(helo, " \t\r\n") || len(helo) > 255 {
		return src4, src6, "", usageErr("--helo %q must be one name or address literal", helo)
	}
	return src4, src6, helo, nil
}

// probeTarget is TARGET parsed: an IP literal or a DNS name.
type probeTarget struct {
	IP      netip.Addr // valid for an IP literal
	Name    string     // A-label form, lower case, no trailing dot
	Unicode string     // U-label form when the name is an IDN
}

// parseProbeTarget accepts what people paste (target.ParseHostOrIP): a
// domain or host name (IDN, trailing dot, user@domain, URL), an IP address,
// or an RFC 5321 address literal ([192.0.2.1], [IPv6:2001:db8::1]).
func parseProbeTarget(s string) (probeTarget, error) {
	h, err := target.ParseHostOrIP(s)
	if err != nil {
		return probeTarget{}, err
	}
	if h.IsIP() {
		return probeTarget{IP: h.IP}, nil
	}
	pt := probeTarget{Name: h.Name.ASCII}
	if h.Name.IsIDN() {
		pt.Unicode = h.Name.Unicode
	}
	return pt, nil
}

func parseSource(flag, v string, want4 bool) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, nil
	}
	ip, err := netip.ParseAddr(strings.Trim(v, "[]"))
	if err != nil || ip.Is4() != want4 || ip.Zone() != "" {
		fam := "IPv6"
		if want4 {
			fam = "IPv4"
		}
		return netip.Addr{}, usageErr("%s %q is not an %s address", flag, v, fam)
	}
	return ip, nil
}

// defaultHELO is this host's name when it is fully qualified. Otherwise it
// returns "" and the prober sends the address literal of each connection's
// source address, which RFC 5321 §4.1.3 allows for a client without a
// meaningful name. No DNS lookup: a probe should not ask anything about
// its own host before it starts.
func defaultHELO(hostname func() (string, error)) string {
	if hostname == nil {
		return ""
	}
	h, err := hostname()
	if err != nil {
		return ""
	}
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if !strings.Contains(h, ".") || strings.HasSuffix(h, ".localdomain") || strings.HasSuffix(h, ".local") {
		return ""
	}
	t, err := target.Parse(h)
	if err != nil || t.IsIDN() {
		return ""
	}
	return t.ASCII
}

func runProbe(ctx context.Context, f *Factory, opts *probeOptions) error {
	g := f.Global
	tgt, err := parseProbeTarget(opts.Target)
	if err != nil {
		return usageErr("%v", err)
	}
	src4, src6, helo, err := opts.resolve(opts.Hostname)
	if err != nil {
		return err
	}
	if tgt.IP.IsValid() {
		if tgt.IP.Is4() && !g.WantIPv4() {
			return usageErr("TARGET %s is an IPv4 address but -6 was given", tgt.IP)
		}
		if !tgt.IP.Is4() && !g.WantIPv6() {
			return usageErr("TARGET %s is an IPv6 address but -4 was given", tgt.IP)
		}
	}

	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()

	doc := document.Probe{
		SchemaVersion: report.SchemaVersion,
		Port:          opts.Port,
		HELO:          helo,
		Probes:        []smtpprobe.Result{},
		Differences:   []smtpprobe.Difference{},
		NameChecks:    []smtpprobe.NameCheck{},
		Notes:         []string{},
	}
	var targets []smtpprobe.Target
	undetermined := ""
	var dnsVerdict *audit.Verdict
	var literalPTR chan []string
	if tgt.IP.IsValid() {
		doc.Target, doc.TargetKind = tgt.IP.String(), "ip"
		targets = []smtpprobe.Target{{Host: tgt.IP.String(), IP: tgt.IP}}
		// The PTR names, for comparison with the banner and EHLO names,
		// looked up while the probe runs. Best effort: without a resolver
		// the probe of a literal still stands on its own.
		if r, err := f.Resolver(); err == nil {
			literalPTR = make(chan []string, 1)
			go func() {
				pr := r.LookupPTR(ctx, tgt.IP)
				var names []string
				for _, n := range pr.Names {
					names = append(names, dnsq.Bare(n))
				}
				literalPTR <- names
			}()
		}
	} else {
		doc.Target, doc.TargetUnicode, doc.TargetKind = tgt.Name, tgt.Unicode, "domain"
		r, err := f.Resolver()
		if err != nil {
			return err
		}
		d := discover.Run(ctx, r, tgt.Name, discover.Options{IPv4: g.WantIPv4(), IPv6: g.WantIPv6(), RDNS: true})
		var notes []string
		targets, notes, undetermined = probeTargetsFrom(d)
		if len(d.MX) == 0 {
			// Nothing to probe (no such domain, null MX, failed MX lookup):
			// the verdict is the DNS one, from the evaluation mx uses.
			v := audit.Evaluate(audit.Facts{Discovery: d, WantIPv4: g.WantIPv4(), WantIPv6: g.WantIPv6()}, audit.Policy{Now: f.Now()})
			dnsVerdict = &v
		}
		doc.NullMX, doc.ImplicitMX = d.NullMX, d.ImplicitMX
		doc.Notes = append(doc.Notes, notes...)
	}

	var transcript io.Writer
	if g.Verbose {
		transcript = f.IO.ErrOut
	}
	prober := smtpprobe.New(smtpprobe.Options{
		Port:           opts.Port,
		HELO:           helo,
		ConnectTimeout: opts.ConnectTimeout,
		CommandTimeout: opts.CommandTimeout,
		NoStartTLS:     opts.NoStartTLS,
		Source4:        src4,
		Source6:        src6,
		Dialer:         f.Dialer,
		Routes:         f.Routes,
		Now:            f.Now,
		Transcript:     transcript,
	})
	doc.Probes = prober.ProbeAll(ctx, targets, opts.Concurrency)
	if doc.Probes == nil {
		doc.Probes = []smtpprobe.Result{}
	}
	if literalPTR != nil && len(doc.Probes) == 1 {
		doc.Probes[0].PTR = <-literalPTR
	}
	if d := smtpprobe.Compare(doc.Probes); d != nil {
		doc.Differences = d
	}
	if c := smtpprobe.CheckNames(doc.Probes); c != nil {
		doc.NameChecks = c
	}
	doc.AllTimedOut = smtpprobe.AllTimedOut(doc.Probes)
	if doc.AllTimedOut {
		doc.Notes = append(doc.Notes, smtpprobe.PortBlockedHint(opts.Port))
	}
	sc := smtpprobe.CheckSelf(doc.Probes)
	if sc.NoRoute["ipv6"] {
		doc.Notes = append(doc.Notes, "This host has no IPv6 route (or no usable IPv6 source address): the IPv6 addresses were not tested. Run mailcheck from a host with IPv6.")
	}
	if sc.NoRoute["ipv4"] {
		doc.Notes = append(doc.Notes, "This host has no IPv4 route (or no usable IPv4 source address): the IPv4 addresses were not tested.")
	}
	if dnsVerdict != nil {
		doc.Findings = dnsVerdict.Findings
		if dnsVerdict.Undetermined && undetermined == "" {
			undetermined = dnsVerdict.Reason
		}
	} else {
		v := probeVerdict(doc, f.Now(), opts.NoStartTLS)
		doc.Findings = v.Findings
		if v.Undetermined && undetermined == "" {
			// Every probe inconclusive or every connect timed out (port 25
			// blocked here): nothing is known about the servers.
			undetermined = v.Reason
		}
	}
	if doc.Findings == nil {
		doc.Findings = []report.Finding{}
	}

	if err := writeProbe(f, doc); err != nil {
		return err
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled) {
		return silentExit(ExitInterrupted)
	}
	return silentExit(probeExitCode(doc, undetermined))
}

// probeTargetsFrom lists the addresses to probe from a discovery, in MX
// order. It returns notes for the report and a reason when the outcome
// cannot be determined from here (every address lookup failed).
func probeTargetsFrom(d discover.Result) (targets []smtpprobe.Target, notes []string, undetermined string) {
	switch {
	case d.MXStatus == dnsq.StatusNXDomain:
		return nil, []string{fmt.Sprintf("%s does not exist (NXDOMAIN): nothing to probe.", d.Domain)}, ""
	case d.NullMX:
		return nil, nil, ""
	case d.MXStatus.Temporary():
		why := string(d.MXStatus)
		if d.MXError != "" {
			why = d.MXError
		}
		return nil, []string{fmt.Sprintf("The MX lookup for %s failed (%s): nothing could be probed.", d.Domain, why)}, ""
	}
	tempFail := 0
	for _, x := range d.MX {
		if x.AStatus.Temporary() || x.AAAAStatus.Temporary() {
			tempFail++
			notes = append(notes, fmt.Sprintf("The address lookup of %s failed (A %s, AAAA %s); its addresses may be missing here.", x.Host, x.AStatus, x.AAAAStatus))
		}
		if len(x.Addresses) == 0 && !x.AStatus.Temporary() && !x.AAAAStatus.Temporary() {
			notes = append(notes, fmt.Sprintf("%s has no address (A %s, AAAA %s).", x.Host, x.AStatus, x.AAAAStatus))
		}
		for _, a := range x.Addresses {
			targets = append(targets, smtpprobe.Target{Host: x.Host, IP: a.IP, PTR: a.PTR})
			switch a.Class {
			case discover.ClassPublic, discover.ClassDocumentation, "":
			case discover.ClassLoopback, discover.ClassUnspecified:
				notes = append(notes, fmt.Sprintf("%s has the %s address %s: what answers there is this machine, not the domain's server; no sender on the Internet can reach it.", x.Host, a.Class, a.IP))
			default:
				notes = append(notes, fmt.Sprintf("%s has the %s address %s: only hosts on the same network reach it; senders on the Internet cannot.", x.Host, strings.ReplaceAll(string(a.Class), "_", "-"), a.IP))
			}
		}
	}
	if len(targets) == 0 && tempFail > 0 {
		undetermined = "no address of " + d.Domain + " could be looked up"
	}
	return targets, notes, undetermined
}

// probeVerdict turns the probe report into findings with the shared
// evaluation `check` uses (audit.EvaluateProbes): reachability and TLS
// per address, the IPv4/IPv6 comparison per host, this host's self-check.
// Its Undetermined says that nothing could be judged from here.
func probeVerdict(doc document.Probe, now time.Time, noStartTLS bool) audit.Verdict {
	t := audit.ProbeTarget{Name: doc.Target, Kind: audit.TargetMailDomain, NoStartTLS: noStartTLS}
	switch {
	case doc.TargetKind == "ip":
		t.Kind = audit.TargetAddress
	case doc.ImplicitMX:
		// A name without MX records: a host, its own exchange (RFC 5321
		// §5.1); the findings speak of that host, not of an MX set.
		t.Kind = audit.TargetHost
	}
	return audit.EvaluateProbes(t, doc.Probes, audit.Policy{Now: now})
}

// probeExitCode: 3 when nothing could be judged from here, 1 for findings
// at or above fail, 0 otherwise (DESIGN.md, exit codes).
func probeExitCode(doc document.Probe, undetermined string) int {
	for _, fd := range doc.Findings {
		if fd.Severity.Rank() >= report.SeverityFail.Rank() {
			return ExitFindings
		}
	}
	if undetermined != "" || smtpprobe.AllInconclusive(doc.Probes) {
		return ExitUndetermined
	}
	return ExitOK
}

func writeProbe(f *Factory, doc document.Probe) error {
	if f.Global.Format == "json" {
		return render.JSON(f.IO.Out, doc)
	}
	st := render.NewStyles(f.IO.ColorEnabled(f.Global.NoColor))
	return render.ProbeText(f.IO.Out, st, doc)
}
