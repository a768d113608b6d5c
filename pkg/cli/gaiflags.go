package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// gaiFlags describe the host whose getaddrinfo order simulate models:
// by default this host (its addresses, its routes, /etc/gai.conf).
type gaiFlags struct {
	GAIConf    string
	SourceAddr []string
}

func (g *gaiFlags) registerGAI(fl *pflag.FlagSet) {
	fl.StringVar(&g.GAIConf, "gai-conf", "", "read getaddrinfo's policy from this gai.conf instead of "+audit.SystemGAIConf+" (--mta getaddrinfo, smtp_host_lookup = native)")
	fl.StringArrayVar(&g.SourceAddr, "source-addr", nil, "describe another host by its addresses, IP or IP/PREFIXLEN (repeatable; a family with none is unroutable; default: this host's addresses and routes)")
}

// nativeRequest builds the Checker's NativeRequest from the flags
// (audit.NewNativeRequest: gai.conf read through the Factory's files) and
// prints each warning on stderr, the only place they are printed (as
// --zone's are).
func (g *gaiFlags) nativeRequest(f *Factory, cfg mta.Config) (*audit.NativeRequest, error) {
	req, warnings, err := audit.NewNativeRequest(f.open, cfg, g.GAIConf, g.SourceAddr)
	for _, w := range warnings {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s\n", w)
	}
	if err != nil {
		return nil, commandErr(err)
	}
	return req, nil
}
