package sender

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/mta"
)

// RouteFinder returns the source address the kernel would use toward dst.
type RouteFinder interface {
	Source(ctx context.Context, dst netip.Addr) (netip.Addr, error)
}

// KernelRoutes asks the kernel with a UDP connect: connect(2) on a UDP
// socket picks the route and the source address (RFC 6724 source selection
// for IPv6) and sends nothing.
type KernelRoutes struct{}

func (KernelRoutes) Source(ctx context.Context, dst netip.Addr) (netip.Addr, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", netip.AddrPortFrom(dst, 25).String())
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("unexpected local address %v", c.LocalAddr())
	}
	return ua.AddrPort().Addr().Unmap().WithZone(""), nil
}

// Destinations used to find the source address toward "the Internet": the
// a.root-servers.net addresses, stable global unicast addresses chosen only
// because they are routed everywhere. No packet is sent to them.
var (
	InternetIPv4 = netip.MustParseAddr("198.41.0.4")
	InternetIPv6 = netip.MustParseAddr("2001:503:ba3e::2:30")
)

// dockerNet is Docker's default bridge network, the usual culprit for a
// private source address.
var dockerNet = netip.MustParsePrefix("172.17.0.0/16")

// natHint names the usual culprit for a translated source address.
func natHint(ip netip.Addr, kind string) string {
	switch {
	case dockerNet.Contains(ip):
		return "172.17.0.0/16 is Docker's default bridge, so the container's mail leaves through the host's address"
	case kind == KindShared:
		return "100.64.0.0/10 is carrier-grade NAT, which the provider translates to a shared public address"
	case kind == KindULA:
		return "such an address reaches the Internet only through NPTv6 or NAT66, as Docker and LXD set up with IPv6 NAT"
	}
	return "a NAT (a router, Docker, LXD) translates it to a public one"
}

// MainCF are the Postfix settings the sender audit uses.
type MainCF struct {
	File                  string
	InetProtocols         string // default "all"
	SMTPBindAddress       string
	SMTPBindAddress6      string
	HELOName              string // smtp_helo_name expanded ($myhostname by default)
	SMTPAddressPreference string
}

// ReadMainCF resolves the sending-side settings from main.cf assignments
// (mta.ParseMainCF). hostname is the machine's name, Postfix's default for
// myhostname. The last assignment of a name wins, as in postconf(5);
// $name, ${name} and $(name) are expanded against the file's values and the
// defaults of myhostname and mydomain.
func ReadMainCF(file string, as []mta.Assignment, hostname string) (MainCF, error) {
	vals := map[string]string{}
	for _, a := range as {
		vals[a.Name] = a.Value
	}
	defaults := map[string]string{
		"myhostname":              hostname,
		"inet_protocols":          "all",
		"smtp_helo_name":          "$myhostname",
		"smtp_address_preference": "any",
	}
	if _, ok := vals["mydomain"]; !ok {
		// Postfix: mydomain defaults to $myhostname minus its first label.
		h := vals["myhostname"]
		if h == "" {
			h = hostname
		}
		if _, rest, ok := strings.Cut(h, "."); ok {
			defaults["mydomain"] = rest
		}
	}
	lookup := func(name string) (string, bool) {
		if v, ok := vals[name]; ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
	get := func(name string) (string, error) {
		v, _ := lookup(name)
		return mta.Expand(v, lookup)
	}
	var m MainCF
	m.File = file
	var err error
	for _, f := range []struct {
		name string
		dst  *string
	}{
		{"inet_protocols", &m.InetProtocols},
		{"smtp_bind_address", &m.SMTPBindAddress},
		{"smtp_bind_address6", &m.SMTPBindAddress6},
		{"smtp_helo_name", &m.HELOName},
		{"smtp_address_preference", &m.SMTPAddressPreference},
	} {
		if *f.dst, err = get(f.name); err != nil {
			return MainCF{}, fmt.Errorf("%s: %s: %w", file, f.name, err)
		}
		*f.dst = strings.TrimSpace(*f.dst)
	}
	return m, nil
}

// families reports which families inet_protocols enables.
func (m MainCF) families() (v4, v6 bool) {
	return mta.InetProtocols(m.InetProtocols)
}
