// Package smtpprobe probes one SMTP server address over its own family:
// TCP connect, greeting, EHLO, STARTTLS, EHLO again, QUIT. It never sends
// MAIL, RCPT or DATA. Everything a peer sends is bounded in size and time.
//
// The flow for one address (Prober.Probe):
//
//  1. Self-check: a UDP connect toward the address (no packet is sent) asks
//     the kernel for a route and a source address in that family. Without
//     one the result is inconclusive: this host cannot tell, which is not
//     the same as the server being unreachable.
//  2. TCP connect with "tcp4" or "tcp6" to the IP literal, so the family is
//     the one asked (no name resolution, no Happy Eyeballs), optionally from
//     a given source address, under the connect timeout.
//  3. The greeting, read under one deadline for the whole reply (a server
//     dripping one byte a second still ends at the command timeout), with
//     bounded line length, line count and total bytes.
//  4. Early talk (early.go): lines the server sends after its complete
//     greeting and before its EHLO reply are out of turn (RFC 5321 §4.3.1).
//     What has already arrived when EHLO is due is read without waiting;
//     what arrives after it and cannot be the EHLO reply (a 2xx other than
//     250, a line that is no SMTP) is skipped. Both are kept in EarlyTalk,
//     and the real EHLO reply is the one judged.
//  5. EHLO, or HELO when EHLO is refused with 5xx (RFC 5321 §4.1.4), then
//     STARTTLS when offered (RFC 3207) with SNI = the MX name. The handshake
//     accepts any certificate; the chain is verified afterwards with
//     crypto/x509 so an unverified certificate is recorded, not fatal.
//     EHLO again over TLS (RFC 3207 §4.2: the client must discard what it
//     knew), then QUIT.
//
// A wait that times out is the server's fault only when its own limit (the
// connect or command timeout) ran out. When the run's deadline (the
// context's) comes first, the probe is inconclusive and its error wraps
// ErrDeadline (Result.DeadlineReached): the server was not given its time.
//
// Every text the peer sent is passed through package sanitize before it is
// stored in a Result, so every renderer can print Result fields as they are.
package smtpprobe

import (
	"crypto/x509"
	"errors"
	"net/netip"

	"github.com/mailcheck/mailcheck/pkg/tlspolicy"
)

// Status is the outcome of probing one address. The string values are part
// of the JSON contract (docs/json.md).
type Status string

const (
	StatusOK           Status = "ok"
	StatusRefused      Status = "refused"      // TCP RST on connect
	StatusTimeout      Status = "timeout"      // Result.Phase says where
	StatusUnreachable  Status = "unreachable"  // ENETUNREACH / EHOSTUNREACH
	StatusReset        Status = "reset"        // connection reset or closed after connect
	StatusGreeting4xx  Status = "greeting_4xx" // 421 and friends
	StatusGreeting5xx  Status = "greeting_5xx" // 554 (postscreen and friends)
	StatusNotSMTP      Status = "not_smtp"     // the peer does not speak SMTP
	StatusTLSFailed    Status = "tls_failed"   // STARTTLS offered but the handshake failed
	StatusInconclusive Status = "inconclusive" // this host cannot tell (no route for the family here, or the run's deadline came first)
)

// Phases of a probe, for timeouts and errors.
const (
	PhaseConnect  = "connect"
	PhaseBanner   = "banner"
	PhaseEHLO     = "ehlo"
	PhaseStartTLS = "starttls"
	PhaseTLS      = "tls"
	PhaseQuit     = "quit"
)

// Result is what one probe of one address found.
type Result struct {
	Host          string     `json:"host"` // the MX name (or the literal) probed, no trailing dot
	IP            netip.Addr `json:"ip"`
	Family        string     `json:"family"` // "ipv4" or "ipv6"
	Port          int        `json:"port"`
	PTR           []string   `json:"ptr,omitempty"` // the address's PTR names when the caller knew them (for name comparison)
	Status        Status     `json:"status"`
	Phase         string     `json:"phase,omitempty"` // where a timeout or error happened
	BannerCode    int        `json:"banner_code"`
	Banner        string     `json:"banner"`        // greeting text without codes, lines joined by "\n"
	BannerName    string     `json:"banner_name"`   // first word after the code of the greeting's first line
	EHLOName      string     `json:"ehlo_name"`     // first word of the EHLO reply's first line
	HELOFallback  bool       `json:"helo_fallback"` // EHLO was refused with 5xx and HELO was used
	Extensions    []string   `json:"extensions"`    // keyword upper-cased, parameters as sent
	ExtensionsTLS []string   `json:"extensions_tls"`
	StartTLS      bool       `json:"starttls"` // offered in the first EHLO
	// EarlyTalk are the lines the server sent out of turn: after its
	// greeting and before its reply to EHLO (or HELO), sanitised, at most
	// MaxEarlyTalk of them. A server may only answer (RFC 5321 §4.3.1);
	// these lines were skipped, not taken for the EHLO reply.
	EarlyTalk []string `json:"early_talk"`
	TLS       *TLSInfo `json:"tls,omitempty"`
	// StartTLSTried says STARTTLS was sent (offered, and not
	// --no-starttls): without it DANE and MTA-STS cannot judge the
	// certificate.
	StartTLSTried bool `json:"-"`
	// Chain is the certificate chain the server presented, leaf first,
	// at most tlspolicy.MaxChain certificates, kept for the DANE and
	// MTA-STS checks. The orchestrator drops it once they are judged, so
	// that a bulk run does not hold every server's chain.
	Chain []*x509.Certificate `json:"-"`
	// DANE is the DANE verdict for this address over its own family
	// (RFC 7672), set by the orchestrator when TLS policy was checked.
	DANE    *tlspolicy.DANE `json:"dane,omitempty"`
	Timings Timings         `json:"timings_ms"`
	Error   string          `json:"error,omitempty"`
	// Reused says the probe was started for another domain of the run
	// (or the other side of --compare-live) whose exchange has this name
	// and address, and is reported again here (set by the orchestrator,
	// which probes each once a run).
	Reused bool `json:"reused,omitempty"`
	// Err is the typed error behind Status (an *Error for protocol and
	// network failures); nil when Status is ok and nothing went wrong.
	Err error `json:"-"`
}

// DeadlineReached reports whether the run's own deadline (the context
// given to Probe), not the server, ended the probe: the server had not
// used up the connect or command timeout. Such a probe is inconclusive.
func (r Result) DeadlineReached() bool { return errors.Is(r.Err, ErrDeadline) }

// TLSInfo describes the STARTTLS session.
type TLSInfo struct {
	Version     string   `json:"version"` // "TLS1.3"
	Cipher      string   `json:"cipher"`
	CertNames   []string `json:"cert_names"`
	NotAfter    string   `json:"not_after"`          // RFC 3339
	Fingerprint string   `json:"fingerprint_sha256"` // of the leaf certificate (DER), lower-case hex
	Verified    bool     `json:"verified"`           // chain verifies for the MX name
	VerifyError string   `json:"verify_error,omitempty"`
}

// Timings are per-phase durations in milliseconds (fractional).
type Timings struct {
	Connect         float64 `json:"connect"`
	BannerFirstByte float64 `json:"banner_first_byte"`
	Banner          float64 `json:"banner"`
	EHLO            float64 `json:"ehlo"`
	TLS             float64 `json:"tls"`
}
