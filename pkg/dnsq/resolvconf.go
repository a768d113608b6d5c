package dnsq

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// DefaultResolvConf is where the system's stub resolver configuration lives.
const DefaultResolvConf = "/etc/resolv.conf"

// resolvConf is the part of resolv.conf(5) a stub resolver needs.
type resolvConf struct {
	servers  []string      // "host:port", at most maxNameservers
	timeout  time.Duration // options timeout:n, 0 if absent
	attempts int           // options attempts:n, 0 if absent
	// defaulted is set when the file had no usable nameserver line and
	// servers holds the documented default (the local host).
	defaulted bool
}

// glibc resolv.h: MAXNS 3, RES_MAXRETRANS 30 (seconds), RES_MAXRETRY 5.
const (
	maxNameservers = 3
	maxTimeout     = 30 * time.Second
	maxAttempts    = 5
)

// readResolvConf reads path. A missing file is not an error: like glibc and
// musl, the resolver then asks the name server on the local host.
func readResolvConf(path string) (resolvConf, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return resolvConf{servers: []string{"127.0.0.1:53"}, defaulted: true}, nil
		}
		return resolvConf{}, err
	}
	defer f.Close()
	return parseResolvConf(f), nil
}

// parseResolvConf follows resolv.conf(5): "nameserver IP" lines in order (at
// most three; unparsable ones skipped, as glibc does), "options timeout:n
// attempts:n" (capped like glibc), comments starting with '#' or ';'. With no
// usable nameserver the default is the local host (resolv.conf(5)).
func parseResolvConf(r io.Reader) resolvConf {
	var rc resolvConf
	sc := bufio.NewScanner(io.LimitReader(r, 1<<20))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			ip, err := netip.ParseAddr(f[1])
			if err != nil || len(rc.servers) >= maxNameservers {
				continue
			}
			rc.servers = append(rc.servers, net.JoinHostPort(ip.Unmap().String(), "53"))
		case "options":
			for _, o := range f[1:] {
				name, val, ok := strings.Cut(o, ":")
				if !ok {
					continue
				}
				n, err := strconv.Atoi(val)
				if err != nil || n < 0 {
					continue
				}
				switch name {
				case "timeout":
					rc.timeout = min(time.Duration(max(n, 1))*time.Second, maxTimeout)
				case "attempts":
					rc.attempts = min(max(n, 1), maxAttempts)
				}
			}
		}
	}
	if len(rc.servers) == 0 {
		rc.servers = []string{"127.0.0.1:53"}
		rc.defaulted = true
	}
	return rc
}
