package mta

import (
	"fmt"
	"strings"
)

// Postfix smtp_tls_security_level values (postconf(5)), spelled as
// tlspolicy.Level* (the model imports nothing of mailcheck; a test in
// pkg/audit holds the two together). The model itself
// knows nothing of certificates: the orchestrator judges each address at
// the effective level (TLSLevel) and hands the verdicts in as outcomes
// (OutcomeTLSNotOffered and the others), which the replay treats as failed
// attempts.
const (
	TLSLevelNone    = "none"
	TLSLevelMay     = "may"
	TLSLevelEncrypt = "encrypt"
	TLSLevelDANE    = "dane"
	TLSLevelVerify  = "verify"
	TLSLevelSecure  = "secure"
)

// TLSLevel returns the smtp_tls_security_level that Postfix, configured as
// cfg, applies to a destination found by MX lookup: "" when TLS cannot stop
// a delivery (none, may, and every MTA but Postfix, whose TLS settings
// are not modelled), else encrypt, dane, verify or secure. note says why the
// configured level was lowered, if it was. The error is a configuration
// error, as Simulate's.
func TLSLevel(cfg Config) (level, note string, err error) {
	if cfg.MTA == "" {
		cfg.MTA = Postfix
	}
	name, ver, err := ParseMTA(cfg.MTA + ":" + cfg.Version)
	if err != nil {
		return "", "", configError{err}
	}
	if name != Postfix {
		return "", "", nil
	}
	s, err := resolveSettings(name, ver, cfg)
	if err != nil {
		return "", "", configError{err}
	}
	level, note = postfixTLSLevel(s)
	return level, note, nil
}

// postfixTLSLevel is TLSLevel over resolved settings.
func postfixTLSLevel(s Settings) (level, note string) {
	level = strings.ToLower(s.str("smtp_tls_security_level"))
	if level == TLSLevelDANE {
		// smtp_tls_policy.c dane_init(): "dane" without DNSSEC lookups is
		// the administrator's fault, NONDANE_CONFIG, and dane_incompat()
		// lowers it to "may" with a warning, for every destination.
		why, warning := "", "dane configured with dnssec lookups disabled"
		switch {
		case strings.ToLower(s.str("smtp_dns_support_level")) != "dnssec":
			why = "smtp_dns_support_level is not dnssec"
		case !strings.Contains(strings.ToLower(s.str("smtp_host_lookup")), "dns"):
			why = "smtp_host_lookup does not include dns"
		case s.bool("ignore_mx_lookup_error"):
			why, warning = "ignore_mx_lookup_error = yes", "dane configured with MX lookup errors ignored"
		}
		if why != "" {
			return "", fmt.Sprintf("smtp_tls_security_level = dane needs DNSSEC lookups, but %s: Postfix warns %q and uses opportunistic TLS (may), as the replay does", why, warning)
		}
	}
	switch level {
	case TLSLevelEncrypt, TLSLevelDANE, TLSLevelVerify, TLSLevelSecure:
		return level, ""
	}
	return "", ""
}
