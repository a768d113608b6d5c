package tlspolicy

import "crypto/tls"

// Postfix smtp_tls_security_level values whose outcome depends on TLS
// facts (postconf(5)).
const (
	LevelNone    = "none"
	LevelMay     = "may"
	LevelEncrypt = "encrypt"
	LevelDANE    = "dane"
	LevelVerify  = "verify"
	LevelSecure  = "secure"
)

// Postfix's reasons for giving up on an address at a mandatory level, as
// it logs them (smtp_proto.c smtp_helo(), smtp_start_tls();
// smtp_tls_policy.c dane_init()).
const (
	ReasonNotOffered = "TLS is required, but was not offered by host"
	ReasonHandshake  = "Cannot start TLS: handshake failure"
	// smtp_proto.c (Postfix 3.6 and later): a certificate that neither
	// matches TLSA nor verifies for the level gives this one reason;
	// "Server certificate not trusted" was older Postfix's.
	ReasonUntrusted = "Server certificate not verified"
	ReasonTLSAError = "TLSA lookup error"
)

// Attempt is what a Postfix client at a TLS security level does with one
// address that accepted the connection and greeted: deliver, or give up on
// this address and try the next (a 4.7.5 deferral if none is left).
type Attempt struct {
	Delivers bool `json:"delivers"`
	// Reason is Postfix's reason when it does not deliver, as it logs it
	// (smtp_proto.c, smtp_connect.c).
	Reason string `json:"reason,omitempty"`
	// Judged is false when the facts do not decide (DANE not judged, an
	// unknown level).
	Judged bool `json:"judged"`
}

// PostfixAttempt replays one address at level (smtp_tls_security_level,
// with smtp_dns_support_level = dnssec for dane) from what the probe saw:
// STARTTLS offered, the handshake's success, the DANE verdict, and whether
// the certificate verified under PKIX for the MX name (the secure and
// verify levels; smtp_tls_secure_cert_match defaults aside).
func PostfixAttempt(level string, d DANE, starttls, handshakeOK, pkixVerified bool) Attempt {
	requireTLS := func() (Attempt, bool) {
		if !starttls {
			return Attempt{Reason: ReasonNotOffered, Judged: true}, false
		}
		if !handshakeOK {
			return Attempt{Reason: ReasonHandshake, Judged: true}, false
		}
		return Attempt{}, true
	}
	switch level {
	case LevelNone, LevelMay, "":
		// Opportunistic: at "may" a failed handshake makes Postfix
		// connect again and deliver without TLS.
		return Attempt{Delivers: true, Judged: true}
	case LevelEncrypt:
		if a, ok := requireTLS(); !ok {
			return a
		}
		return Attempt{Delivers: true, Judged: true}
	case LevelVerify, LevelSecure:
		if a, ok := requireTLS(); !ok {
			return a
		}
		if !pkixVerified {
			return Attempt{Reason: ReasonUntrusted, Judged: true}
		}
		return Attempt{Delivers: true, Judged: true}
	case LevelDANE:
		switch d.Status {
		case DANENotJudged, "":
			return Attempt{}
		case DANENotSecure, DANENoTLSA:
			// RFC 7672 §2.2: no secure TLSA, opportunistic TLS.
			return Attempt{Delivers: true, Judged: true}
		case DANELookupError:
			return Attempt{Reason: ReasonTLSAError, Judged: true}
		case DANENoSTARTTLS:
			if !starttls {
				return Attempt{Reason: ReasonNotOffered, Judged: true}
			}
			return Attempt{Reason: ReasonHandshake, Judged: true}
		case DANEUnusable:
			// Only unusable records: mandatory TLS, no authentication
			// (Postfix downgrades to encrypt).
			return PostfixAttempt(LevelEncrypt, d, starttls, handshakeOK, pkixVerified)
		case DANEFail:
			return Attempt{Reason: ReasonUntrusted, Judged: true}
		case DANEPass:
			return Attempt{Delivers: true, Judged: true}
		}
	}
	return Attempt{}
}

// PresentedFrom builds a Presented from a probe's TLS state: tried says
// STARTTLS was attempted, offered that the server listed it; state is nil
// when the handshake failed (handshakeErr says why).
func PresentedFrom(family string, tried, offered bool, state *tls.ConnectionState, handshakeErr error) Presented {
	p := Presented{Family: family, Tried: tried, StartTLS: offered}
	if state != nil && len(state.PeerCertificates) > 0 {
		p.Chain = state.PeerCertificates
	}
	if handshakeErr != nil {
		p.HandshakeError = handshakeErr.Error()
	}
	return p
}
