package cli

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// senderOptions are what `mailcheck sender` needs: the flags, the output
// settings, and what touches the world (resolver, routes, local addresses,
// host name, files).
type senderOptions struct {
	IO       *IOStreams
	Resolver func() (dnsq.Resolver, error)
	// Routes, LocalAddrs and Hostname describe this host; tests replace them.
	Routes     sender.RouteFinder
	LocalAddrs func() ([]netip.Addr, error)
	Hostname   func() (string, error)
	ReadFile   func(name string) ([]byte, error)

	IPs        []string
	Domain     string
	HELO       string
	MainCF     string
	DNSBL      bool
	DNSBLZones []string
	FailOn     string
	Ignore     []string

	Want4, Want6 bool
	Format       string
	Color        bool
	Timeout      time.Duration
}

func newCmdSender(f *Factory) *cobra.Command {
	o := &senderOptions{
		IO: f.IO, Resolver: f.Resolver,
		Routes: sender.KernelRoutes{}, LocalAddrs: localAddrs, Hostname: os.Hostname, ReadFile: os.ReadFile,
	}
	cmd := &cobra.Command{
		Use:   "sender",
		Short: "Sending-side audit: PTR, FCrDNS, HELO, SPF, DMARC, and what Gmail and Microsoft will say",
		Long: `sender checks the addresses this host sends mail from, the way Gmail,
Microsoft and other receivers check them, without sending any mail:

  - the PTR record of each address and whether its name resolves back to
    the address in the same family (Gmail's IPv6 rule looks only at AAAA);
  - generic, dynamic-looking PTR names (pool words, the address spelled out);
  - private, shared (carrier NAT) or unique local source addresses, which a
    NAT translates: receivers see another address;
  - the HELO name (--helo, or smtp_helo_name/myhostname from --main-cf):
    a fully qualified name that resolves to the address;
  - SPF of --domain evaluated for each address, with the mechanism that
    decided, and DMARC of --domain;
  - with --dnsbl, DNS blocklists (IPv6 per /64, as Spamhaus lists it).

Then, per address, what Gmail and Microsoft will do with the mail (accept,
defer with 4xx, reject with 5xx, and the reply they send), and the fix for
every problem: the PTR to ask the provider for, the SPF mechanism to add,
smtp_bind_address6, or smtp_address_preference = ipv4 as the stop-gap.

Addresses: --ip (repeatable); else smtp_bind_address/smtp_bind_address6
from --main-cf; else the source address the kernel picks toward the
Internet for each family (a UDP connect, which sends no packet).

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
2 bad usage or input; 3 nothing could be determined (no sending address, or
the resolver did not answer).`,
		Example: `  mailcheck sender --domain example.org
  mailcheck sender --ip 2001:db8::25 --ip 192.0.2.25 --domain example.org --helo mail.example.org
  mailcheck sender --main-cf /etc/postfix/main.cf --domain example.org
  mailcheck sender -6 --dnsbl --ip 2001:db8::25 -o json`,
		Args: exactArgs(0, "no arguments (use --ip, --domain, --helo)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			g := f.Global
			if err := checkFormat(g, "text", "json"); err != nil {
				return err
			}
			o.Want4, o.Want6 = g.WantIPv4(), g.WantIPv6()
			o.Format = g.Format
			o.Color = f.IO.ColorEnabled(g.NoColor)
			o.Timeout = g.Timeout
			return runSender(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.IPs, "ip", nil, "sending address to check (repeatable); default: this host's")
	fl.StringVar(&o.Domain, "domain", "", "envelope/From domain whose SPF and DMARC are checked")
	fl.StringVar(&o.HELO, "helo", "", "the name the server announces in HELO/EHLO")
	fl.StringVar(&o.MainCF, "main-cf", "", "read smtp_bind_address(6), smtp_helo_name, myhostname, inet_protocols from this Postfix main.cf")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists (asks third parties about the addresses)")
	fl.StringArrayVar(&o.DNSBLZones, "dnsbl-zone", nil, "blocklist zone for --dnsbl (repeatable; default zen.spamhaus.org)")
	fl.StringVar(&o.FailOn, "fail-on", "fail", "lowest severity that makes the exit code 1: warn or fail")
	fl.StringArrayVar(&o.Ignore, "ignore", nil, "drop findings with this code (repeatable), e.g. --ignore MC607")
	return cmd
}

// senderInput is the validated form of the flags.
type senderInput struct {
	opts   sender.Options
	failOn report.Severity
	ignore map[string]bool
}

func (o *senderOptions) validate() (senderInput, error) {
	var in senderInput
	switch o.FailOn {
	case "warn", "fail":
		in.failOn = report.Severity(o.FailOn)
	default:
		return in, usageErr("--fail-on %q: use warn or fail", o.FailOn)
	}
	in.ignore = map[string]bool{}
	for _, c := range o.Ignore {
		code, err := report.CheckCode(c)
		if err != nil {
			return in, usageErr("--ignore: %v", err)
		}
		in.ignore[code] = true
	}
	for _, s := range o.IPs {
		ip, err := parseSenderIP(s)
		if err != nil {
			return in, usageErr("--ip %q: %v", s, err)
		}
		in.opts.IPs = append(in.opts.IPs, ip)
	}
	in.opts.Want4, in.opts.Want6 = o.Want4, o.Want6
	if len(in.opts.IPs) > 0 && !slices.ContainsFunc(in.opts.IPs, in.opts.Wants) {
		fam := "IPv4"
		if !o.Want4 {
			fam = "IPv6"
		}
		return in, usageErr("-4/-6 limit the check to %s and no --ip address is %s", fam, fam)
	}
	if o.Domain != "" {
		ascii, _, err := parseDomainArg(o.Domain)
		if err != nil {
			return in, usageErr("--domain: %v", err)
		}
		in.opts.Domain = ascii
	}
	if h := strings.TrimSpace(o.HELO); h != "" {
		if strings.ContainsAny(h, " \t\r\n") || len(h) > 255 {
			return in, usageErr("--helo %q: a HELO name is one word", o.HELO)
		}
		in.opts.HELO = h
	}
	for _, z := range o.DNSBLZones {
		ascii, _, err := parseDomainArg(z)
		if err != nil {
			return in, usageErr("--dnsbl-zone: %v", err)
		}
		in.opts.DNSBLZones = append(in.opts.DNSBLZones, ascii)
	}
	if len(o.DNSBLZones) > 0 && !o.DNSBL {
		return in, usageErr("--dnsbl-zone needs --dnsbl")
	}
	in.opts.DNSBL = o.DNSBL
	return in, nil
}

// parseSenderIP accepts an address, bracketed or not ("[2001:db8::25]",
// "IPv6:2001:db8::25" as in an SMTP address literal); no zone.
func parseSenderIP(s string) (netip.Addr, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
	if len(t) > 5 && strings.EqualFold(t[:5], "ipv6:") {
		t = t[5:]
	}
	ip, err := netip.ParseAddr(t)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("not an IP address")
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("a zone (%%%s) has no meaning for a sending address", ip.Zone())
	}
	return ip, nil
}

func runSender(ctx context.Context, o *senderOptions) error {
	in, err := o.validate()
	if err != nil {
		return err
	}
	host := ""
	if o.Hostname != nil {
		host, _ = o.Hostname()
	}
	in.opts.Hostname = host
	if o.MainCF != "" {
		data, err := o.ReadFile(o.MainCF)
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		as, err := mta.ParseMainCF(strings.NewReader(string(data)), o.MainCF)
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		m, err := sender.ReadMainCF(o.MainCF, as, host)
		if err != nil {
			return usageErr("--main-cf: %v", err)
		}
		in.opts.MainCF = &m
	}
	if len(in.opts.IPs) == 0 {
		in.opts.Routes = o.Routes
		if o.LocalAddrs != nil {
			in.opts.LocalAddrs, _ = o.LocalAddrs()
		}
	}
	r, err := o.Resolver()
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rep := sender.Audit(ctx, r, in.opts)
	rep.Findings = report.Without(rep.Findings, in.ignore)

	if o.Format == "json" {
		err = render.JSON(o.IO.Out, rep)
	} else {
		err = render.SenderText(o.IO.Out, render.NewStyles(o.Color), rep)
	}
	if err != nil {
		return err
	}
	if parent.Err() != nil {
		return silentExit(ExitInterrupted)
	}
	switch {
	case report.AtLeast(rep.Findings, in.failOn):
		return silentExit(ExitFindings)
	case rep.Undetermined:
		return silentExit(ExitUndetermined)
	}
	return silentExit(ExitOK)
}

// localAddrs lists this host's interface addresses (for smtp_bind_address6
// advice).
func localAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out, nil
}
