package audit

import (
	"context"
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/mta"
)

// NativeRequest describes the host whose getaddrinfo order a simulation
// models (--mta getaddrinfo, --mta go, Postfix smtp_host_lookup = native).
// The command layer reads the files; the Checker measures the host.
type NativeRequest struct {
	// Conf is the gai.conf read (--gai-conf, or /etc/gai.conf); nil with
	// ConfMissing set when there is none (glibc's defaults).
	Conf        *mta.GAIConf
	ConfMissing string
	// SourceAddrs describe another host (--source-addr): its addresses,
	// from which the source of each destination is derived
	// (mta.GAISourcesFor); a family it has none of is unroutable. Empty:
	// this host, measured.
	SourceAddrs []netip.Prefix
}

// nativeFor is the check stages' builder of the model's host inputs:
// nativeEnv, as simulate calls it, when cfg uses native lookups; nil when
// it does not (the model then reads none).
func (c *Checker) nativeFor(cfg mta.Config, req *NativeRequest) func(context.Context, discover.Result) *mta.NativeEnv {
	if !mta.UsesNative(cfg) {
		return nil
	}
	return func(ctx context.Context, d discover.Result) *mta.NativeEnv {
		return c.nativeEnv(ctx, req, d)
	}
}

// nativeEnv builds the model's host inputs for the discovered addresses:
// with --source-addr from the flags alone; otherwise this host's interface
// addresses (HostAddrs) and, per destination, the source address a UDP
// connect gives (SenderRoutes), as glibc finds it. A destination whose
// connect fails has no route (rule 1).
func (c *Checker) nativeEnv(ctx context.Context, req *NativeRequest, d discover.Result) *mta.NativeEnv {
	if req == nil {
		req = &NativeRequest{}
	}
	env := &mta.NativeEnv{Conf: req.Conf, ConfMissing: req.ConfMissing, Sources: map[netip.Addr]netip.Addr{}}
	var dests []netip.Addr
	for _, x := range d.MX {
		for _, a := range x.Addresses {
			dests = append(dests, a.IP)
		}
	}
	if len(req.SourceAddrs) > 0 {
		env.SourcesFrom = "--source-addr"
		for _, p := range req.SourceAddrs {
			env.Host.Addrs = append(env.Host.Addrs, mta.GAIHostAddr{Prefix: p, IfIndex: 2})
		}
		for _, g := range mta.GAISourcesFor(env.Host, dests) {
			if g.Source.IsValid() {
				env.Sources[g.Addr] = g.Source
			}
		}
		return env
	}
	env.SourcesFrom = "this host"
	if c.HostAddrs != nil {
		if as, err := c.HostAddrs(); err == nil {
			env.Host.Addrs = as
		}
	}
	routes := c.senderRoutes()
	asked := map[netip.Addr]bool{}
	for _, dst := range dests {
		if asked[dst] {
			continue
		}
		asked[dst] = true
		if src, err := routes.Source(ctx, dst); err == nil && src.IsValid() {
			env.Sources[dst] = src
		}
	}
	return env
}
