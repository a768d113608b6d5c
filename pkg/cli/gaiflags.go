package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// systemGAIConf is where glibc reads its getaddrinfo policy.
const systemGAIConf = "/etc/gai.conf"

// gaiFlags describe the host whose getaddrinfo order simulate models:
// by default this host (its addresses, its routes, /etc/gai.conf).
type gaiFlags struct {
	GAIConf    string
	SourceAddr []string
}

func (g *gaiFlags) registerGAI(fl *pflag.FlagSet) {
	fl.StringVar(&g.GAIConf, "gai-conf", "", "read getaddrinfo's policy from this gai.conf instead of "+systemGAIConf+" (--mta getaddrinfo, smtp_host_lookup = native)")
	fl.StringArrayVar(&g.SourceAddr, "source-addr", nil, "describe another host by its addresses, IP or IP/PREFIXLEN (repeatable; a family with none is unroutable; default: this host's addresses and routes)")
}

// request builds the Checker's NativeRequest when the model reads the
// host's getaddrinfo inputs, and refuses the flags when it does not.
// gai.conf is read here (the Factory's file reader, bounded by
// mta.MaxGAIConfSize) and each warning goes to stderr naming file and line,
// the only place they are printed (as --zone's are): the first
// mta.MaxGAIConfWarnings, then how many more.
func (g *gaiFlags) nativeRequest(f *Factory, cfg mta.Config) (*audit.NativeRequest, error) {
	if !mta.UsesNative(cfg) {
		if g.GAIConf != "" || len(g.SourceAddr) > 0 {
			return nil, usageErr("--gai-conf and --source-addr describe getaddrinfo's inputs: they need --mta getaddrinfo, --mta go or --set smtp_host_lookup=native")
		}
		return nil, nil
	}
	req := &audit.NativeRequest{}
	for _, s := range g.SourceAddr {
		p, err := parseSourceAddr(s)
		if err != nil {
			return nil, usageErr("--source-addr %q: %v", s, err)
		}
		req.SourceAddrs = append(req.SourceAddrs, p)
	}
	name := g.GAIConf
	if name == "" {
		name = systemGAIConf
	}
	data, err := f.readBounded(name, mta.MaxGAIConfSize)
	switch {
	case err != nil && g.GAIConf != "":
		return nil, usageErr("--gai-conf: %v", err)
	case err != nil:
		// glibc reads no file and uses its built-in tables; a file it
		// cannot open is the same to it.
		if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %v: glibc's default policy is assumed\n", err)
		}
		req.ConfMissing = name
		return req, nil
	}
	if len(data) > mta.MaxGAIConfSize {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s is longer than %d bytes; only the first %d were read\n", name, mta.MaxGAIConfSize, mta.MaxGAIConfSize)
	}
	req.Conf = mta.ParseGAIConf(name, data)
	for _, w := range req.Conf.Warnings {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s\n", w)
	}
	if n := req.Conf.MoreWarnings; n > 0 {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s: %d more warnings\n", name, n)
	}
	if c := req.Conf.Crash; c != nil {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: real glibc crashes reading %s (line %d); the simulation reads the rest of the file\n", c.Path, c.Line)
	}
	return req, nil
}

// parseSourceAddr reads "IP" (a host prefix) or "IP/PREFIXLEN".
func parseSourceAddr(s string) (netip.Prefix, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("want an IP address or IP/PREFIXLEN")
		}
		return p, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("want an IP address or IP/PREFIXLEN")
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// readBounded reads at most limit+1 bytes of a file named by a flag, so
// that the caller can tell a file longer than limit.
func (f *Factory) readBounded(name string, limit int) ([]byte, error) {
	fh, err := f.open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, int64(limit)+1))
}
