package audit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// SMTPInput are the SMTP probe settings as typed (probe, check and
// simulate --probe share them).
type SMTPInput struct {
	Port           int
	HELO           string
	ConnectTimeout time.Duration
	CommandTimeout time.Duration
	NoStartTLS     bool
	Source4        string
	Source6        string
}

// Options checks the settings and returns the probe options; an empty
// HELO is defaulted by the Checker from this host's name.
func (s SMTPInput) Options() (smtpprobe.Options, error) {
	o := smtpprobe.Options{Port: s.Port, HELO: s.HELO, ConnectTimeout: s.ConnectTimeout, CommandTimeout: s.CommandTimeout, NoStartTLS: s.NoStartTLS}
	if s.Port < 1 || s.Port > 65535 {
		return o, invalid("--port must be 1..65535, got %d", s.Port)
	}
	if s.ConnectTimeout <= 0 {
		return o, invalid("--connect-timeout must be positive, got %s", s.ConnectTimeout)
	}
	if s.CommandTimeout <= 0 {
		return o, invalid("--command-timeout must be positive, got %s", s.CommandTimeout)
	}
	var err error
	if o.Source4, err = parseSource("--source4", s.Source4, addr.IPv4); err != nil {
		return o, err
	}
	if o.Source6, err = parseSource("--source6", s.Source6, addr.IPv6); err != nil {
		return o, err
	}
	if strings.ContainsAny(s.HELO, " \t\r\n") || len(s.HELO) > 255 {
		return o, invalid("--helo %q must be one name or address literal", s.HELO)
	}
	return o, nil
}

// parseSource reads a --source4/--source6 address of family fam; a zone is
// refused like any other non-address.
func parseSource(flag, v, fam string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, nil
	}
	ip, err := addr.ParseLiteral(v)
	if err != nil || addr.Family(ip) != fam {
		return netip.Addr{}, invalid("%s %q is not an %s address", flag, v, addr.Label(fam))
	}
	return ip, nil
}

// SenderInput are the sending-side audit's settings as typed (sender).
type SenderInput struct {
	IPs        []string
	Domain     string
	HELO       string
	DNSBL      bool
	DNSBLZones []string
	// GAIConf and SourceAddr describe the host whose lookup paths are
	// judged (--gai-conf, --source-addr); by default this host.
	GAIConf    string
	SourceAddr []string
	MainCF     string // --main-cf: source addresses and HELO name
}

// Request checks the input and reads its files through open (--main-cf,
// the lookup paths' gai.conf): the Checker's request for this host's
// families, and the warnings of reading gai.conf. Ignore is the caller's
// to fill.
func (in SenderInput) Request(open Opener, want4, want6 bool) (req SenderRequest, warnings []string, err error) {
	if req.Options, err = in.Options(want4, want6); err != nil {
		return req, nil, err
	}
	if req.MainCF, err = ReadMainCF(open, in.MainCF); err != nil {
		return req, nil, err
	}
	req.Native, warnings, err = in.Native(open)
	return req, warnings, err
}

// Native reads the getaddrinfo inputs of the host the lookup paths
// describe: with --domain, this host's (/etc/gai.conf, its routes) unless
// --ip names other addresses, and --gai-conf and --source-addr's host
// whenever given. Nil when there are no lookup paths to judge. The
// warnings are the gai.conf reader's, for the caller to show once.
func (in SenderInput) Native(open Opener) (*NativeRequest, []string, error) {
	described := in.GAIConf != "" || len(in.SourceAddr) > 0
	if in.Domain == "" {
		if described {
			return nil, nil, invalid("--gai-conf and --source-addr describe the host whose first family toward --domain is judged: they need --domain")
		}
		return nil, nil, nil
	}
	if len(in.IPs) > 0 && len(in.SourceAddr) == 0 {
		// --ip names addresses, not a whole host: its routes are unknown.
		if in.GAIConf != "" {
			return nil, nil, invalid("--gai-conf with --ip needs --source-addr: the lookup paths describe a whole host")
		}
		return nil, nil, nil
	}
	return readGAIInputs(open, in.GAIConf, in.SourceAddr)
}

// Options checks the settings and returns the audit's options for the
// families wanted (-4/-6).
func (in SenderInput) Options(want4, want6 bool) (sender.Options, error) {
	o := sender.Options{Want4: want4, Want6: want6}
	for _, s := range in.IPs {
		ip, err := parseSenderIP(s)
		if err != nil {
			return o, invalid("--ip %q: %v", s, err)
		}
		o.IPs = append(o.IPs, ip)
	}
	if len(o.IPs) > 0 && !slices.ContainsFunc(o.IPs, o.Wants) {
		fam := "IPv4"
		if !want4 {
			fam = "IPv6"
		}
		return o, invalid("-4/-6 limit the check to %s and no --ip address is %s", fam, fam)
	}
	if in.Domain != "" {
		t, err := target.Parse(in.Domain)
		if err != nil {
			return o, invalid("--domain: %v", err)
		}
		o.Domain = t.ASCII
	}
	if h := strings.TrimSpace(in.HELO); h != "" {
		if strings.ContainsAny(h, " \t\r\n") || len(h) > 255 {
			return o, invalid("--helo %q: a HELO name is one word", in.HELO)
		}
		o.HELO = h
	}
	for _, z := range in.DNSBLZones {
		t, err := target.Parse(z)
		if err != nil {
			return o, invalid("--dnsbl-zone: %v", err)
		}
		o.DNSBLZones = append(o.DNSBLZones, t.ASCII)
	}
	if len(in.DNSBLZones) > 0 && !in.DNSBL {
		return o, invalid("--dnsbl-zone needs --dnsbl")
	}
	o.DNSBL = in.DNSBL
	return o, nil
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
