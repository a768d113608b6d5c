package audit

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/document"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
	"github.com/mailcheck/mailcheck/pkg/smtpprobe"
	"github.com/mailcheck/mailcheck/pkg/target"
	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// Checker runs every command: one method per command (MX, Probe, Simulate,
// Check and CheckMany, Sender, Explain), each returning the command's typed
// document. It is built from what touches the world, so that tests hand in
// fakes and the command layer only parses flags, calls, renders and maps
// the document to an exit code.
//
// The Checker owns the deadline: each method that works on one domain
// (or one target, one bounce) runs everything for it under one
// --timeout, and CheckMany gives each domain its own. Nothing else sets a
// deadline; the probes' per-connect and per-reply timeouts only bound
// their own step.
type Checker struct {
	// Resolver builds the DNS client. It is called when a command needs
	// DNS, so that a probe of an IP literal or an explanation without
	// lookups goes on without one; its error is returned unchanged.
	Resolver func() (dnsq.Resolver, error)
	// Dialer, Routes and RootCAs are the SMTP prober's TCP dialer, route
	// self-check and certificate roots; nil means the network, the
	// kernel's routes and the system roots.
	Dialer  smtpprobe.Dialer
	Routes  smtpprobe.RouteChecker
	RootCAs *x509.CertPool
	// SenderRoutes finds this host's source address toward the Internet
	// for the sending-side audit (sender, check --sender); nil means the
	// kernel's (sender.KernelRoutes).
	SenderRoutes sender.RouteFinder
	// LocalAddrs lists this host's interface addresses (sender's
	// smtp_bind_address6 advice); nil means none known.
	LocalAddrs func() ([]netip.Addr, error)
	// HostAddrs lists this host's addresses with prefix lengths and
	// interfaces, as glibc's getaddrinfo reads them (native.go); nil
	// means none known.
	HostAddrs func() ([]mta.GAIHostAddr, error)
	// Hostname is this host's name: the default EHLO name when fully
	// qualified, and myhostname for main.cf. Nil means unknown.
	Hostname func() (string, error)
	Now      func() time.Time // nil means time.Now
	// Transcript receives the SMTP conversations (-v); nil: none.
	Transcript io.Writer
	// Timeout bounds one domain (--timeout); 0 means only ctx does.
	Timeout time.Duration
	// IPv4 and IPv6 are the families to look up and probe (-4, -6).
	IPv4, IPv6 bool
	// Sandbox marks the demo: its zone is served on loopback, so the
	// address-class findings of its documentation ranges are left out.
	Sandbox bool
	// HTTPSPort is the port MTA-STS policies are fetched from; 0 means
	// 443 (tests and the demo serve them elsewhere on loopback).
	HTTPSPort int

	// val caches whether the resolver validates DNSSEC: asked once per
	// run, whatever the number of domains.
	valMu sync.Mutex
	val   *tlspolicy.Validation
}

// deadline is the one place a domain's --timeout starts: everything for
// that domain runs under the context it returns.
func (c *Checker) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.Timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.Timeout)
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Checker) hostname() string {
	if c.Hostname == nil {
		return ""
	}
	h, err := c.Hostname()
	if err != nil {
		return ""
	}
	return h
}

func (c *Checker) senderRoutes() sender.RouteFinder {
	if c.SenderRoutes != nil {
		return c.SenderRoutes
	}
	return sender.KernelRoutes{}
}

// prober completes the SMTP settings of a command (port, HELO, timeouts,
// sources, --no-starttls) with what the Checker holds.
func (c *Checker) prober(o smtpprobe.Options) *smtpprobe.Prober {
	return smtpprobe.New(c.smtpOptions(o))
}

func (c *Checker) smtpOptions(o smtpprobe.Options) smtpprobe.Options {
	if o.HELO == "" {
		o.HELO = DefaultHELO(c.hostname())
	}
	o.Dialer, o.Routes, o.RootCAs, o.Transcript = c.Dialer, c.Routes, c.RootCAs, c.Transcript
	if o.Now == nil {
		o.Now = c.now
	}
	return o
}

// DefaultHELO is host when it is a fully qualified name. Otherwise it
// returns "" and the prober sends the address literal of each connection's
// source address, which RFC 5321 §4.1.3 allows for a client without a
// meaningful name. No DNS lookup: a probe should not ask anything about
// its own host before it starts.
func DefaultHELO(host string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if !strings.Contains(h, ".") || strings.HasSuffix(h, ".localdomain") || strings.HasSuffix(h, ".local") {
		return ""
	}
	t, err := target.Parse(h)
	if err != nil || t.IsIDN() {
		return ""
	}
	return t.ASCII
}

// MainCF is a Postfix main.cf as the command layer read it: the file's
// name (for messages) and its settings in file order.
type MainCF struct {
	File     string
	Settings []mta.Assignment
}

// MainCFError is a main.cf whose settings the sending-side audit cannot
// use (bad input).
type MainCFError struct{ Err error }

func (e *MainCFError) Error() string { return e.Err.Error() }
func (e *MainCFError) Unwrap() error { return e.Err }

// SenderRequest is what `mailcheck sender` asks for.
type SenderRequest struct {
	// Options carries the flags: addresses, domain, HELO, blocklists.
	Options sender.Options
	MainCF  *MainCF         // source addresses and HELO name from main.cf
	Ignore  map[string]bool // drop findings with these codes (--ignore)
	// Native describes the host whose lookup paths toward the domain are
	// judged (SenderInput.Native); nil: none are.
	Native *NativeRequest
}

// Sender audits this host (or the given addresses) as a sender: the
// sending-side command's document. The Checker adds to the request the
// families, this host's name, its route source and local addresses, and
// main.cf's settings. The error is the resolver's, or a *MainCFError.
func (c *Checker) Sender(ctx context.Context, req SenderRequest) (document.Sender, error) {
	host := c.hostname()
	opts := req.Options
	opts.Hostname = host
	opts.Want4, opts.Want6 = c.IPv4, c.IPv6
	if mainCF := req.MainCF; mainCF != nil {
		m, err := sender.ReadMainCF(mainCF.File, mainCF.Settings, host)
		if err != nil {
			return document.Sender{}, &MainCFError{Err: err}
		}
		opts.MainCF = &m
	}
	if len(opts.IPs) == 0 {
		opts.Routes = c.senderRoutes()
		if c.LocalAddrs != nil {
			opts.LocalAddrs, _ = c.LocalAddrs()
		}
	}
	r, err := c.Resolver()
	if err != nil {
		return document.Sender{}, err
	}
	ctx, cancel := c.deadline(ctx)
	defer cancel()
	ctx, zones := withZoneNotes(ctx)
	rep := sender.Audit(ctx, r, opts)
	if req.Native != nil && rep.Domain != "" {
		c.addLookupPaths(ctx, r, rep, req.Native, req.MainCF)
	}
	rep.Findings = report.Without(zones.findings(rep.Findings), req.Ignore)
	return document.Sender{Report: rep}, nil
}

// deadlinePassed says the domain's deadline (not a server's timeout, nor an
// interruption) has passed; a stage that ends with it passed may have been
// cut short by it. Every "partial", MC903 and "not judged: the deadline"
// is decided by it. The clock is read too: dnsq and the fetches end their
// waits at the deadline, an instant before ctx.Err() says so.
func deadlinePassed(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
