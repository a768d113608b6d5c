// Package sandbox serves mailcheck's demo domain on loopback: an in-process
// DNS server holding an embedded zone, and fake SMTP servers standing in
// for the zone's mail exchangers. `mailcheck demo` and end-to-end tests run
// the real check against it, with no network at all.
//
// The zone uses documentation addresses (RFC 5737, RFC 3849), the
// addresses a real domain would publish; a real check must never connect
// to them. The sandbox therefore hands the prober a Dialer that connects
// each documentation address to the loopback listener playing it (IPv4
// addresses to 127.0.0.1, IPv6 addresses to ::1 when the host has it),
// and a RouteChecker that knows those addresses are reachable. Because
// the addresses are sandbox addresses on purpose, the demo leaves out the
// address-class findings (MC207) and says so in its report.
//
// The faults are the ones mail admins meet in practice:
//   - two MX hosts: mx1 (preference 10) and the backup mx2 (preference 20);
//   - mx1 is dual-stack, and its IPv6 address has no PTR record;
//   - mx1 answers EHLO with a different name over IPv6 (a second server
//     behind the same name);
//   - the backup mx2 has only an IPv4 address;
//   - mx2 still serves a certificate that has expired (a forgotten backup).
package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
	"github.com/mailcheck/mailcheck/pkg/internal/smtptest"
)

// Domain is the demo's mail domain (RFC 2606 reserves .example).
const Domain = "demo.example"

// The zone's addresses.
var (
	MX1v4 = netip.MustParseAddr("192.0.2.10")
	MX1v6 = netip.MustParseAddr("2001:db8:10::10")
	MX2v4 = netip.MustParseAddr("198.51.100.20")
)

// Zone is the demo zone in zone-file syntax.
const Zone = `$ORIGIN demo.example.
@           IN MX   10 mx1
@           IN MX   20 mx2
mx1         IN A    192.0.2.10
mx1         IN AAAA 2001:db8:10::10
mx2         IN A    198.51.100.20
; Reverse zones: mx1's IPv6 address has no PTR.
10.2.0.192.in-addr.arpa.    IN PTR mx1.demo.example.
20.100.51.198.in-addr.arpa. IN PTR mx2.demo.example.
`

// Options configure Start.
type Options struct {
	// Now is the clock the certificates are minted against (default
	// time.Now); tests fix it for golden output.
	Now func() time.Time
}

// Sandbox is a running demo domain. Close it when done.
type Sandbox struct {
	DNS *dnstest.Server
	// Resolver is "host:port" of the DNS server, for --resolver.
	Resolver string
	// Port is the SMTP port the zone's servers appear on to the prober.
	Port int
	// RootCAs trusts the sandbox's certificates.
	RootCAs *x509.CertPool

	smtp  []*smtptest.Server
	route map[netip.AddrPort]netip.AddrPort // zone address -> loopback listener
}

// Start brings the sandbox up on free loopback ports.
func Start(o Options) (sb *Sandbox, err error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	sb = &Sandbox{Port: 25, route: map[netip.AddrPort]netip.AddrPort{}}
	defer func() {
		if err != nil {
			sb.Close()
			sb = nil
		}
	}()
	sb.DNS, err = dnstest.Start(Zone)
	if err != nil {
		return nil, fmt.Errorf("sandbox DNS: %w", err)
	}
	sb.Resolver = sb.DNS.Addr4()

	t := now()
	mx1Cert, err := newCert(t.Add(-15*24*time.Hour), t.Add(75*24*time.Hour), "mx1.demo.example")
	if err != nil {
		return nil, err
	}
	mx2Cert, err := newCert(t.Add(-96*24*time.Hour), t.Add(-6*24*time.Hour), "mx2.demo.example")
	if err != nil {
		return nil, err
	}
	sb.RootCAs = smtptest.CertPool(&mx1Cert, &mx2Cert)

	mx1v4 := smtptest.Script{BannerName: "mx1.demo.example", Cert: &mx1Cert}
	// The IPv6 listener is another server behind the same name.
	mx1v6 := smtptest.Script{BannerName: "mx1.demo.example", EHLOName: "mx1-v6.demo.example", Cert: &mx1Cert}
	mx2v4 := smtptest.Script{BannerName: "mx2.demo.example", Cert: &mx2Cert}

	v6 := "[::1]:0"
	if !smtptest.IPv6Available() {
		v6 = "127.0.0.1:0" // the dialer decides; the demo still shows IPv6
	}
	for _, s := range []struct {
		zone   netip.Addr
		listen string
		script smtptest.Script
	}{
		{MX1v4, "127.0.0.1:0", mx1v4},
		{MX1v6, v6, mx1v6},
		{MX2v4, "127.0.0.1:0", mx2v4},
	} {
		s.script.Listen = s.listen
		srv, err := smtptest.Start(s.script)
		if err != nil {
			return nil, fmt.Errorf("sandbox SMTP for %s: %w", s.zone, err)
		}
		sb.smtp = append(sb.smtp, srv)
		sb.route[netip.AddrPortFrom(s.zone, uint16(sb.Port))] = srv.Addr()
	}
	return sb, nil
}

// Close stops every server.
func (sb *Sandbox) Close() {
	if sb == nil {
		return
	}
	for _, s := range sb.smtp {
		_ = s.Close() // best effort: the demo is over
	}
	if sb.DNS != nil {
		sb.DNS.Close()
	}
}

// ErrNotInSandbox is returned for a connection outside the zone: the
// sandbox never lets a probe reach the network.
var ErrNotInSandbox = errors.New("address is not part of the sandbox")

// DialContext implements smtpprobe.Dialer: a zone address connects to the
// loopback listener playing it; anything else is refused, so that nothing
// leaves the machine.
func (sb *Sandbox) DialContext(ctx context.Context, network string, laddr netip.Addr, raddr netip.AddrPort) (net.Conn, error) {
	to, ok := sb.route[raddr]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%s: %w", raddr, ErrNotInSandbox)}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", to.String())
}

// CheckRoute implements smtpprobe.RouteChecker: every zone address is
// reachable; anything else has no route.
func (sb *Sandbox) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	for ap, to := range sb.route {
		if ap.Addr() == dst {
			return to.Addr(), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%s: %w", dst, ErrNotInSandbox)
}

// TLSCertificates returns the certificates the servers present, for tests.
func (sb *Sandbox) TLSCertificates() []*tls.Certificate {
	var out []*tls.Certificate
	for _, s := range sb.smtp {
		out = append(out, s.Certificate())
	}
	return out
}

// newCert mints a self-signed certificate for name valid from notBefore to
// notAfter, both relative to the sandbox's clock, so that a fixed clock
// gives the same verdicts (and golden output) on any day.
func newCert(notBefore, notAfter time.Time, name string) (tls.Certificate, error) {
	return smtptest.NewCertValid(notBefore, notAfter, name)
}
