package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/mailcheck/mailcheck/pkg/audit"
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

// warn prints the warnings of reading a request's files (gai.conf,
// --zone) on stderr, the only place they are printed.
func (f *Factory) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s\n", w)
	}
}
