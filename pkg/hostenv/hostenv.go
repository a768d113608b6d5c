// Package hostenv is this host's real environment: the operating-system
// implementations that the command layer's Factory injects into the
// orchestrator (its name, its interface addresses, files named on the
// command line, whether a stream is a terminal). Tests replace them with
// fakes; nothing else in the module calls the operating system for these.
package hostenv

import (
	"io"
	"net"
	"net/netip"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/mailcheck/mailcheck/pkg/mta"
)

// Hostname is this host's name as the kernel reports it.
func Hostname() (string, error) { return os.Hostname() }

// Open opens a file named by a flag (--main-cf, -f) or an argument
// (explain FILE, logs FILE).
func Open(name string) (io.ReadCloser, error) { return os.Open(name) }

// IsRegularFile says whether name is an existing regular file (explain
// reads such an argument as the message; anything else is the text itself).
func IsRegularFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && fi.Mode().IsRegular()
}

// IsTerminal says whether f is a terminal (a Cygwin one too).
func IsTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// LocalAddrs lists this host's interface addresses (for smtp_bind_address6
// advice).
func LocalAddrs() ([]netip.Addr, error) {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out, nil
}

// HostAddrs lists this host's addresses with their prefix lengths and
// interfaces, what glibc reads over netlink (check_pf.c). Go's net package
// does not report the deprecated and home-address flags (rules 3 and 4)
// or tunnel interfaces (rule 7); they are left unset.
func HostAddrs() ([]mta.GAIHostAddr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []mta.GAIHostAddr
	for _, ifc := range ifs {
		as, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range as {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			out = append(out, mta.GAIHostAddr{Prefix: netip.PrefixFrom(p.Addr().WithZone(""), p.Bits()), IfIndex: ifc.Index})
		}
	}
	return out, nil
}
