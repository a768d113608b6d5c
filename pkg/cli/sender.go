package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/cobra"

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
	o.findingFlags.register(fl, ", e.g. --ignore MC607")
	return cmd
}

func (o *senderOptions) validate() error {
	g := o.f.Global
	if err := o.findingFlags.parse(); err != nil {
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

func senderRun(o *senderOptions) error {
	mainCF, err := o.f.readMainCF(o.MainCF)
	if err != nil {
		return err
	}
	doc, err := o.f.Checker().Sender(o.ctx, o.audit, mainCF, o.ignore)
	if err != nil {
		return commandErr(err)
	}
	if err := write(o.f, doc.Report, render.SenderText); err != nil {
		return err
	}
	return finish(o.ctx, doc, o.failOn)
}
