package audit

import (
	"fmt"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/sandbox"
)

// InSandbox points c at the demo's sandbox (pkg/sandbox): its resolver
// (asked with DO set when dnssec: the TLS-policy checks run with the
// probes), dialer, routes and certificate roots. The resolver's query
// trace goes where the transcripts go (-v).
func (c *Checker) InSandbox(sb *sandbox.Sandbox, dnssec bool) error {
	r, err := dnsq.New(dnsq.Config{Servers: []string{sb.Resolver}, Timeout: time.Second, Trace: c.Transcript, DNSSECOK: dnssec})
	if err != nil {
		return fmt.Errorf("demo resolver: %w", err)
	}
	c.Resolver = func() (dnsq.Resolver, error) { return r, nil }
	c.Dialer, c.Routes, c.RootCAs, c.Sandbox = sb, sb, sb.RootCAs, true
	return nil
}
