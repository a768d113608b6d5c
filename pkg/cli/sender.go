package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// senderOptions are the flags of `mailcheck sender`.
type senderOptions struct {
	f   *Factory
	ctx context.Context

	IPs        []string
	Domain     string
	HELO       string
	MainCF     string
	DNSBL      bool
	DNSBLZones []string
	findingFlags

	audit sender.Options // filled by validate
}

func newCmdSender(f *Factory, runF func(*senderOptions) error) *cobra.Command {
	o := &senderOptions{f: f}
	long, example := help("sender")
	cmd := &cobra.Command{
		Use:     "sender",
		Short:   "Sending-side audit: PTR, FCrDNS, HELO, SPF, DMARC, and what Gmail and Microsoft will say",
		Long:    long,
		Example: example,
		Args:    exactArgs(0, "no arguments (use --ip, --domain, --helo)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(f.Global, "text", "json"); err != nil {
				return err
			}
			o.ctx = cmd.Context()
			if err := o.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return senderRun(o)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&o.IPs, "ip", nil, "sending address to check (repeatable); default: this host's")
	fl.StringVar(&o.Domain, "domain", "", "envelope/From domain whose SPF and DMARC are checked")
	fl.StringVar(&o.HELO, "helo", "", "the name the server announces in HELO/EHLO")
	fl.StringVar(&o.MainCF, "main-cf", "", "read smtp_bind_address(6), smtp_helo_name, myhostname, inet_protocols from this Postfix main.cf")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists (asks third parties about the addresses)")
	fl.StringArrayVar(&o.DNSBLZones, "dnsbl-zone", nil, "blocklist zone for --dnsbl (repeatable; default zen.spamhaus.org)")
	o.register(fl, ", e.g. --ignore MC607")
	return withZones(f, cmd)
}

func (o *senderOptions) validate() error {
	g := o.f.Global
	if err := o.parse(); err != nil {
		return err
	}
	o.audit = sender.Options{Want4: g.WantIPv4(), Want6: g.WantIPv6()}
	for _, s := range o.IPs {
		ip, err := parseSenderIP(s)
		if err != nil {
			return usageErr("--ip %q: %v", s, err)
		}
		o.audit.IPs = append(o.audit.IPs, ip)
	}
	if len(o.audit.IPs) > 0 && !slices.ContainsFunc(o.audit.IPs, o.audit.Wants) {
		fam := "IPv4"
		if !g.WantIPv4() {
			fam = "IPv6"
		}
		return usageErr("-4/-6 limit the check to %s and no --ip address is %s", fam, fam)
	}
	if o.Domain != "" {
		ascii, _, err := parseDomainArg(o.Domain)
		if err != nil {
			return usageErr("--domain: %v", err)
		}
		o.audit.Domain = ascii
	}
	if h := strings.TrimSpace(o.HELO); h != "" {
		if strings.ContainsAny(h, " \t\r\n") || len(h) > 255 {
			return usageErr("--helo %q: a HELO name is one word", o.HELO)
		}
		o.audit.HELO = h
	}
	for _, z := range o.DNSBLZones {
		ascii, _, err := parseDomainArg(z)
		if err != nil {
			return usageErr("--dnsbl-zone: %v", err)
		}
		o.audit.DNSBLZones = append(o.audit.DNSBLZones, ascii)
	}
	if len(o.DNSBLZones) > 0 && !o.DNSBL {
		return usageErr("--dnsbl-zone needs --dnsbl")
	}
	o.audit.DNSBL = o.DNSBL
	return nil
}

// parseSenderIP accepts an address as addr.ParseLiteral reads it,
// bracketed or not ("[2001:db8::25]", "IPv6:2001:db8::25" as in an SMTP
// address literal); no zone, refused in the sender's own words.
func parseSenderIP(s string) (netip.Addr, error) {
	ip, err := addr.ParseLiteralZone(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("not an IP address")
	}
	if ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("a zone (%%%s) has no meaning for a sending address", ip.Zone())
	}
	return ip, nil
}

func senderRun(o *senderOptions) error {
	mainCF, err := audit.ReadMainCF(o.f.open, o.MainCF)
	if err != nil {
		return commandErr(err)
	}
	doc, err := o.f.Checker().Sender(o.ctx, audit.SenderRequest{Options: o.audit, MainCF: mainCF, Ignore: o.ignore})
	if err != nil {
		return commandErr(err)
	}
	if err := write(o.f, doc.Report, render.SenderText); err != nil {
		return err
	}
	return finish(o.ctx, doc, o.failOn)
}
