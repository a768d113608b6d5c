package tlspolicy

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// Fetch statuses (one policy fetch from one address). The string values
// are part of the JSON contract.
const (
	FetchOK             = "ok"
	FetchUnreachable    = "unreachable"      // the TCP connect failed
	FetchTimeout        = "timeout"          // connect, handshake or response did not finish in time
	FetchTLSError       = "tls_error"        // handshake failed, or the certificate is not valid for the policy host
	FetchHTTPStatus     = "http_status"      // a status other than 200 (and not a redirect)
	FetchRedirect       = "redirect"         // 3xx: RFC 8461 §3.3 forbids following redirects
	FetchBadContentType = "bad_content_type" // not text/plain
	FetchTooLarge       = "too_large"        // body (or headers) above the limit
	FetchBadPolicy      = "bad_policy"       // the body does not parse as a policy
)

// Limits of one fetch.
const (
	// MaxPolicyBytes is the largest policy body read (RFC 8461 §3.3
	// suggests senders limit it; 64 KiB is what they use).
	MaxPolicyBytes = 64 << 10
	// maxHeaderBytes bounds the status line and headers.
	maxHeaderBytes = 16 << 10
)

// Fetch is one policy fetch from one address of the policy host.
type Fetch struct {
	Family string `json:"family"`
	IP     string `json:"ip"`
	Status string `json:"status"`
	// HTTPStatus is the response's status code, when one was read.
	HTTPStatus int `json:"http_status,omitempty"`
	// Digest is a short SHA-256 of the body, to compare what each
	// address serves.
	Digest string `json:"digest,omitempty"`
	Error  string `json:"error,omitempty"`

	body   string
	policy *Policy
}

// Dialer opens TCP connections (net.Dialer satisfies it; tests inject
// their own).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Fetcher fetches MTA-STS policies over HTTPS from one given address at a
// time. The zero value uses a net.Dialer, the system's roots, port 443 and
// 10s/20s timeouts.
type Fetcher struct {
	Dialer  Dialer
	RootCAs *x509.CertPool // nil: the system's roots
	// Port is the HTTPS port (default 443; tests use another).
	Port int
	// ConnectTimeout bounds the TCP connect; CommandTimeout the rest of
	// the fetch: handshake, request and the whole response. A server that
	// drips bytes is cut at that deadline.
	ConnectTimeout, CommandTimeout time.Duration
}

// Fetch gets https://host/.well-known/mta-sts.txt from ip as RFC 8461
// §3.3 says: SNI and PKIX verification for host, HTTP 200 only, no
// redirects, Content-Type text/plain, at most MaxPolicyBytes.
func (f *Fetcher) Fetch(ctx context.Context, host string, ip netip.Addr) Fetch {
	if f == nil {
		f = &Fetcher{}
	}
	res := Fetch{Family: addr.Family(ip), IP: ip.String()}
	status, err := f.fetch(ctx, host, ip, &res)
	res.Status = status
	if err != nil {
		res.Error = sanitize.Text(err.Error())
	}
	return res
}

func (f *Fetcher) fetch(ctx context.Context, host string, ip netip.Addr, res *Fetch) (string, error) {
	d := f.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	port := f.Port
	if port <= 0 {
		port = 443
	}
	connect := f.ConnectTimeout
	if connect <= 0 {
		connect = 10 * time.Second
	}
	command := f.CommandTimeout
	if command <= 0 {
		command = 20 * time.Second
	}
	dctx, cancel := context.WithTimeout(ctx, connect)
	conn, err := d.DialContext(dctx, "tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	cancel()
	if err != nil {
		if timedOut(err) || ctx.Err() != nil {
			return FetchTimeout, fmt.Errorf("connect: %w", err)
		}
		return FetchUnreachable, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(command)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return FetchUnreachable, err
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: f.RootCAs, MinVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		if timedOut(err) {
			return FetchTimeout, fmt.Errorf("TLS handshake: %w", err)
		}
		return FetchTLSError, fmt.Errorf("TLS handshake with %s: %w", host, err)
	}
	req, err := http.NewRequest(http.MethodGet, "https://"+host+"/.well-known/mta-sts.txt", nil)
	if err != nil {
		return FetchUnreachable, err
	}
	req.Header.Set("User-Agent", "mailcheck")
	req.Close = true
	if err := req.Write(tc); err != nil {
		return writeOrReadStatus(err), fmt.Errorf("sending the request: %w", err)
	}
	// Everything read is bounded: headers and body together.
	lr := &io.LimitedReader{R: tc, N: maxHeaderBytes + MaxPolicyBytes + 1}
	resp, err := http.ReadResponse(bufio.NewReader(lr), req)
	if err != nil {
		if lr.N <= 0 {
			return FetchTooLarge, errors.New("the response headers are too long")
		}
		return writeOrReadStatus(err), fmt.Errorf("reading the response: %w", err)
	}
	defer resp.Body.Close()
	res.HTTPStatus = resp.StatusCode
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return FetchRedirect, fmt.Errorf("HTTP %d redirect to %q: RFC 8461 §3.3 forbids following redirects", resp.StatusCode, clip(resp.Header.Get("Location")))
	case resp.StatusCode != http.StatusOK:
		return FetchHTTPStatus, fmt.Errorf("HTTP %d, want 200", resp.StatusCode)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "text/plain" {
		return FetchBadContentType, fmt.Errorf("Content-Type %q, want text/plain", clip(resp.Header.Get("Content-Type")))
	}
	if resp.ContentLength > MaxPolicyBytes {
		return FetchTooLarge, fmt.Errorf("Content-Length %d is above %d bytes", resp.ContentLength, MaxPolicyBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicyBytes+1))
	if len(body) > MaxPolicyBytes {
		return FetchTooLarge, fmt.Errorf("the body is longer than %d bytes", MaxPolicyBytes)
	}
	if err != nil {
		if lr.N <= 0 {
			return FetchTooLarge, fmt.Errorf("the response is longer than %d bytes", maxHeaderBytes+MaxPolicyBytes)
		}
		return writeOrReadStatus(err), fmt.Errorf("reading the body: %w", err)
	}
	res.Digest = digest(body)
	p, err := ParsePolicy(string(body))
	if err != nil {
		return FetchBadPolicy, fmt.Errorf("policy: %w", err)
	}
	res.body, res.policy = string(body), p
	return FetchOK, nil
}

// writeOrReadStatus classifies an I/O error after the handshake.
func writeOrReadStatus(err error) string {
	if timedOut(err) {
		return FetchTimeout
	}
	return FetchUnreachable
}

func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
