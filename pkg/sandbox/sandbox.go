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
//   - mx2 still serves a certificate that has expired (a forgotten backup);
//   - the zone is DNSSEC-signed (the in-process server answers as a
//     validating resolver, root included) and mx1 publishes TLSA records
//     for its current and next key, but the IPv6 listener still presents
//     an old key: DANE passes over IPv4 and fails over IPv6;
//   - the MTA-STS policy host (testing mode) has an AAAA record whose
//     address has no route: the policy is fetched over IPv4 only.
//
// The keys are derived from fixed labels, so the TLSA records, and the
// record a finding asks to publish, are the same on every run.
package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"syscall"
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
	// The MTA-STS policy host: its IPv4 address serves the policy, its
	// IPv6 address has no route.
	STSv4 = netip.MustParseAddr("192.0.2.80")
	STSv6 = netip.MustParseAddr("2001:db8:80::80")
)

// Policy is the demo's MTA-STS policy (RFC 8461 §3.2).
const Policy = "version: STSv1\nmode: testing\nmx: mx1.demo.example\nmx: mx2.demo.example\nmax_age: 604800\n"

// Zone is the demo zone in zone-file syntax.
const Zone = `$ORIGIN demo.example.
@           IN MX   10 mx1
@           IN MX   20 mx2
mx1         IN A    192.0.2.10
mx1         IN AAAA 2001:db8:10::10
mx2         IN A    198.51.100.20
mta-sts     IN A    192.0.2.80
mta-sts     IN AAAA 2001:db8:80::80
_mta-sts    IN TXT  "v=STSv1; id=20261101"
_smtp._tls  IN TXT  "v=TLSRPTv1; rua=mailto:tls-reports@demo.example"
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
	https *http.Server
	route map[netip.AddrPort]netip.AddrPort // zone address -> loopback listener
	// noRoute are zone addresses that have no route, as a dead network.
	noRoute map[netip.Addr]bool
}

// Start brings the sandbox up on free loopback ports.
func Start(o Options) (sb *Sandbox, err error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	sb = &Sandbox{Port: 25, route: map[netip.AddrPort]netip.AddrPort{}, noRoute: map[netip.Addr]bool{STSv6: true}}
	defer func() {
		if err != nil {
			sb.Close()
			sb = nil
		}
	}()
	t := now()
	keys := map[string]*ecdsa.PrivateKey{}
	for _, label := range []string{"mx1", "mx1-next", "mx1-old", "mx2", "mta-sts"} {
		if keys[label], err = fixedKey(label); err != nil {
			return nil, err
		}
	}
	mx1Cert, err := newCert(keys["mx1"], t.Add(-15*24*time.Hour), t.Add(75*24*time.Hour), "mx1.demo.example")
	if err != nil {
		return nil, err
	}
	mx1OldCert, err := newCert(keys["mx1-old"], t.Add(-15*24*time.Hour), t.Add(75*24*time.Hour), "mx1.demo.example")
	if err != nil {
		return nil, err
	}
	mx2Cert, err := newCert(keys["mx2"], t.Add(-96*24*time.Hour), t.Add(-6*24*time.Hour), "mx2.demo.example")
	if err != nil {
		return nil, err
	}
	// The policy fetch verifies at the real time, not the sandbox's
	// clock: this certificate is valid for years around both.
	stsCert, err := newCert(keys["mta-sts"], t.Add(-10*365*24*time.Hour), t.Add(10*365*24*time.Hour), "mta-sts.demo.example")
	if err != nil {
		return nil, err
	}
	sb.RootCAs = smtptest.CertPool(&mx1Cert, &mx1OldCert, &mx2Cert, &stsCert)

	// mx1's TLSA records: its current key and the next one (rollover
	// cover, RFC 7671 §8.1), at the port the prober connects to.
	// The root's NS, which a validating resolver answers with AD: the
	// check finds it validating (Postfix's dnssec_probe, "ns:.").
	zone := Zone + ". IN NS a.root-servers.net.\n"
	for _, k := range []*ecdsa.PrivateKey{keys["mx1"], keys["mx1-next"]} {
		spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			return nil, err
		}
		zone += fmt.Sprintf("_%d._tcp.mx1.demo.example. IN TLSA 3 1 1 %x\n", sb.Port, sha256.Sum256(spki))
	}
	sb.DNS, err = dnstest.Start(zone, dnstest.WithSecureZone("."))
	if err != nil {
		return nil, fmt.Errorf("sandbox DNS: %w", err)
	}
	sb.Resolver = sb.DNS.Addr4()

	mx1v4 := smtptest.Script{BannerName: "mx1.demo.example", Cert: &mx1Cert}
	// The IPv6 listener is another server behind the same name, still
	// with the old key.
	mx1v6 := smtptest.Script{BannerName: "mx1.demo.example", EHLOName: "mx1-v6.demo.example", Cert: &mx1OldCert}
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

	// The MTA-STS policy over HTTPS, at the IPv4 address's port 443.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox HTTPS: %w", err)
	}
	sb.https = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/.well-known/mta-sts.txt" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = w.Write([]byte(Policy))
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{stsCert}},
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // a client's failed handshake is its own report
	}
	go func() { _ = sb.https.ServeTLS(ln, "", "") }()
	sb.route[netip.AddrPortFrom(STSv4, 443)] = netip.MustParseAddrPort(ln.Addr().String())
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
	if sb.https != nil {
		_ = sb.https.Close()
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
	if sb.noRoute[raddr.Addr()] {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(raddr), Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}
	}
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%s: %w", raddr, ErrNotInSandbox)}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", to.String())
}

// CheckRoute implements smtpprobe.RouteChecker: every zone address is
// reachable (a dead network's too: this host has a route toward it, the
// network drops what is sent); anything else has no route.
func (sb *Sandbox) CheckRoute(ctx context.Context, src, dst netip.Addr) (netip.Addr, error) {
	if sb.noRoute[dst] {
		if dst.Is4() {
			return netip.MustParseAddr("127.0.0.1"), nil
		}
		return netip.IPv6Loopback(), nil
	}
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

// newCert mints a self-signed certificate of key for name valid from
// notBefore to notAfter, both relative to the sandbox's clock, so that a
// fixed clock gives the same verdicts (and golden output) on any day.
func newCert(key *ecdsa.PrivateKey, notBefore, notAfter time.Time, name string) (tls.Certificate, error) {
	return smtptest.NewCertWithKey(key, notBefore, notAfter, name)
}

// fixedKey is a P-256 key derived from label: the same public key, so the
// same TLSA record, on every run. It protects nothing but the demo.
func fixedKey(label string) (*ecdsa.PrivateKey, error) {
	d := sha256.Sum256([]byte("mailcheck demo key: " + label))
	return ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
}
