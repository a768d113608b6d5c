package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/render"
)

// senderOptions are the flags of `mailcheck sender`.
type senderOptions struct {
	f   *Factory
	ctx context.Context

	audit.SenderInput
	findingFlags

	req audit.SenderRequest // filled by validate
}

func newCmdSender(f *Factory, runF func(*senderOptions) error) *cobra.Command {
	o := &senderOptions{f: f}
	cmd := command(f, &cobra.Command{
		Use:   "sender",
		Short: "Sending-side audit: PTR, FCrDNS, HELO, SPF, DMARC, and what Gmail and Microsoft will say",
		Args:  exactArgs(0, "no arguments (use --ip, --domain, --helo)"),
	}, textJSON, o, func(cmd *cobra.Command, args []string) error {
		o.ctx = cmd.Context()
		return o.validate()
	}, runF, senderRun)
	fl := cmd.Flags()
	fl.StringArrayVar(&o.IPs, "ip", nil, "sending address to check (repeatable); default: this host's")
	fl.StringVar(&o.Domain, "domain", "", "envelope/From domain whose SPF and DMARC are checked")
	fl.StringVar(&o.HELO, "helo", "", "the name the server announces in HELO/EHLO")
	fl.StringVar(&o.MainCF, "main-cf", "", "read smtp_bind_address(6), smtp_helo_name, myhostname, inet_protocols from this Postfix main.cf")
	fl.BoolVar(&o.DNSBL, "dnsbl", false, "also query DNS blocklists (asks third parties about the addresses)")
	fl.StringArrayVar(&o.DNSBLZones, "dnsbl-zone", nil, "blocklist zone for --dnsbl (repeatable; default zen.spamhaus.org)")
	registerGAI(fl, &o.GAIConf, &o.SourceAddr, "with --domain: the lookup paths")
	o.register(fl, ", e.g. --ignore MC607")
	return withZones(f, cmd)
}

func (o *senderOptions) validate() error {
	if err := o.parse(); err != nil {
		return err
	}
	req, warnings, err := o.Request(o.f.open, o.f.Global.WantIPv4(), o.f.Global.WantIPv6())
	o.f.warn(warnings)
	if err != nil {
		return commandErr(err)
	}
	o.req, o.req.Ignore = req, o.ignore
	return nil
}

func senderRun(o *senderOptions) error {
	doc, err := o.f.Checker().Sender(o.ctx, o.req)
	if err != nil {
		return commandErr(err)
	}
	if err := write(o.f, doc.Report, render.SenderText); err != nil {
		return err
	}
	return finish(o.ctx, doc, o.failOn)
}
