package dnsq

import (
	"errors"
	"io"
	"time"
)

// Config configures a Client.
type Config struct {
	// Servers are "host:port" strings as returned by ParseServer. Empty
	// means the nameservers of /etc/resolv.conf.
	Servers []string
	// Timeout bounds one query exchange with one server (default 2s); the
	// caller's context bounds the whole lookup.
	Timeout time.Duration
	// Trace, when set, receives one line per exchange (-v).
	Trace io.Writer
}

// Client is the miekg/dns-backed Resolver. (Placeholder: the real client is
// being written; New fails until then.)
type Client struct{}

// New returns a Client for cfg.
func ParseServer(s string) (string, error) { return s, nil }

func New(cfg Config) (Resolver, error) { return nil, errors.New("dnsq: client not implemented yet") }
