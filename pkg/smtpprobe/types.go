// Package smtpprobe probes one SMTP server address over its own family:
// TCP connect, greeting, EHLO, STARTTLS, EHLO again, QUIT. It never sends
// MAIL, RCPT or DATA. Everything a peer sends is bounded in size and time.
package smtpprobe

import "net/netip"

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
	StatusInconclusive Status = "inconclusive" // this host cannot tell (no route for the family here)
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
	Status        Status     `json:"status"`
	Phase         string     `json:"phase,omitempty"` // where a timeout or error happened
	BannerCode    int        `json:"banner_code"`
	Banner        string     `json:"banner"`    // greeting text without codes, lines joined by "\n"
	EHLOName      string     `json:"ehlo_name"` // first word of the EHLO reply's first line
	Extensions    []string   `json:"extensions"`
	ExtensionsTLS []string   `json:"extensions_tls"`
	StartTLS      bool       `json:"starttls"` // offered in the first EHLO
	TLS           *TLSInfo   `json:"tls,omitempty"`
	Timings       Timings    `json:"timings_ms"`
	Error         string     `json:"error,omitempty"`
}

// TLSInfo describes the STARTTLS session.
type TLSInfo struct {
	Version     string   `json:"version"` // "TLS1.3"
	Cipher      string   `json:"cipher"`
	CertNames   []string `json:"cert_names"`
	NotAfter    string   `json:"not_after"` // RFC 3339
	Verified    bool     `json:"verified"`  // chain verifies for the MX name
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
