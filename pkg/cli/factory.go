package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mailcheck/mailcheck/pkg/audit"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/hostenv"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
)

// Factory hands commands what touches the world: streams, the DNS client,
// the network, this host's name and addresses, files and the clock. It is
// the only place in pkg/cli that talks to the operating system. Tests
// replace fields; a nil field of those that touch the world means the real
// thing.
type Factory struct {
	IO     *IOStreams
	Global *GlobalOptions
	// NewResolver builds the DNS client from the global flags. trace, when
	// not nil, receives the -v query trace.
	NewResolver func(g *GlobalOptions, trace io.Writer) (dnsq.Resolver, error)
	Now         func() time.Time
	// Dialer and Routes are the SMTP prober's TCP dialer and route
	// self-check (probe, check, simulate --probe).
	Dialer smtpprobe.Dialer
	Routes smtpprobe.RouteChecker
	// SenderRoutes, LocalAddrs and Hostname describe this host to the
	// sending-side audit and the default EHLO name.
	SenderRoutes sender.RouteFinder
	LocalAddrs   func() ([]netip.Addr, error)
	Hostname     func() (string, error)
	// HostAddrs lists this host's addresses with prefix lengths, for the
	// getaddrinfo model (hostenv.HostAddrs).
	HostAddrs func() ([]mta.GAIHostAddr, error)
	// Open opens a file named by a flag (--main-cf, -f) or an argument
	// (explain FILE, logs FILE).
	Open func(name string) (io.ReadCloser, error)

	// zones are the --zone files the command loaded (loadZones); the
	// resolver is then their overlay on live DNS.
	zones []*dnsq.Zone
}

// Main runs mailcheck with the process's arguments and streams and returns
// the exit code. It is the only entry point cmd/mailcheck calls.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], SystemStreams())
}

// SystemStreams returns the process's streams.
func SystemStreams() *IOStreams {
	_, noColor := os.LookupEnv("NO_COLOR")
	return &IOStreams{
		In:         os.Stdin,
		Out:        os.Stdout,
		ErrOut:     os.Stderr,
		OutTTY:     hostenv.IsTerminal(os.Stdout),
		ErrTTY:     hostenv.IsTerminal(os.Stderr),
		NoColorEnv: noColor,
	}
}

// NewFactory returns the Factory the real binary uses.
func NewFactory(ios *IOStreams) *Factory {
	return &Factory{
		IO: ios, Global: &GlobalOptions{}, NewResolver: defaultResolver, Now: time.Now,
		SenderRoutes: sender.KernelRoutes{}, LocalAddrs: hostenv.LocalAddrs, Hostname: hostenv.Hostname, Open: hostenv.Open,
		HostAddrs: hostenv.HostAddrs,
	}
}

// Resolver builds the run's resolver, with the -v trace on stderr: the
// --zone overlay on live DNS, or live DNS.
func (f *Factory) Resolver() (dnsq.Resolver, error) {
	live, err := f.liveResolver()
	if err != nil {
		return nil, err
	}
	r, err := audit.Overlay(live, f.zones, f.trace())
	if err != nil {
		return nil, commandErr(err)
	}
	return r, nil
}

// liveResolver builds the resolver of live DNS (the global flags).
func (f *Factory) liveResolver() (dnsq.Resolver, error) {
	if f.NewResolver == nil {
		return defaultResolver(f.Global, f.trace())
	}
	return f.NewResolver(f.Global, f.trace())
}

// trace is where the DNS query trace goes: stderr with -v, else nowhere.
func (f *Factory) trace() io.Writer {
	if f.Global.Verbose {
		return f.IO.ErrOut
	}
	return nil
}

// Checker is the orchestrator every command calls, built from the
// Factory and the global flags (families, --timeout, -v).
func (f *Factory) Checker() *audit.Checker {
	g := f.Global
	c := &audit.Checker{
		Resolver: f.Resolver, Dialer: f.Dialer, Routes: f.Routes,
		SenderRoutes: f.SenderRoutes, LocalAddrs: f.LocalAddrs, Hostname: f.Hostname, Now: f.Now,
		HostAddrs: f.HostAddrs,
		Timeout:   g.Timeout, IPv4: g.WantIPv4(), IPv6: g.WantIPv6(),
	}
	if c.LocalAddrs == nil {
		c.LocalAddrs = hostenv.LocalAddrs
	}
	if c.Hostname == nil {
		c.Hostname = hostenv.Hostname
	}
	if g.Verbose {
		c.Transcript = f.IO.ErrOut
	}
	return c
}

// now is the Factory's clock.
func (f *Factory) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Factory) open(name string) (io.ReadCloser, error) {
	if f.Open != nil {
		return f.Open(name)
	}
	return hostenv.Open(name)
}

// defaultResolver builds the DNS client of the global flags
// (audit.NewResolver): a bad --resolver is exit 2, no resolver at all 3.
func defaultResolver(g *GlobalOptions, trace io.Writer) (dnsq.Resolver, error) {
	r, err := audit.NewResolver(g.Resolvers, trace, g.dnssecOK)
	var re *audit.RequestError
	switch {
	case errors.As(err, &re):
		return nil, commandErr(err)
	case err != nil:
		return nil, undetermined(err)
	}
	return r, nil
}

// warn prints the warnings of reading a request's files (gai.conf,
// --zone) on stderr, the only place they are printed.
func (f *Factory) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(f.IO.ErrOut, "mailcheck: warning: %s\n", w)
	}
}
