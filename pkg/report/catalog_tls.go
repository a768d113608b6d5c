package report

// TLS-policy codes (MC7xx): DNSSEC as a DANE client sees it, DANE for SMTP
// (RFC 7672), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460), judged per
// address and per family. The facts come from package tlspolicy.
const (
	CodeDANEFamilyFails      = "MC702"
	CodeDANEFails            = "MC703"
	CodeDANENoSTARTTLS       = "MC704"
	CodeDANEOnlyUnusable     = "MC705"
	CodeDANENoRollover       = "MC706"
	CodeDANEInsecureAddress  = "MC707"
	CodeResolverNotValidates = "MC708"
	CodeDANELookupError      = "MC709"
	CodeDANEPostfixLimit     = "MC710"
	CodeSTSFamilyEnforce     = "MC712"
	CodeSTSFamilyTesting     = "MC713"
	CodeSTSNoPolicy          = "MC714"
	CodeSTSPolicyNoTXT       = "MC715"
	CodeSTSInvalidTXT        = "MC716"
	CodeSTSUncoveredEnforce  = "MC717"
	CodeSTSUncoveredTesting  = "MC718"
	CodeSTSCertEnforce       = "MC719"
	CodeTLSRPTInvalid        = "MC720"
	CodeTLSPolicyDefers      = "MC721"
	CodeTLSPolicyDelays      = "MC722"
)

// tlsEntries are the TLS policy findings (MC7xx); catalog() registers
// them on first use.
var tlsEntries = []Entry{
	{CodeDANEFamilyFails, SeverityFail, "DANE passes over one family and fails over the other",
		"The exchange's TLSA records match the certificate one family's address presents but not the other's (RFC 7672 §3). A DANE sender (Postfix `smtp_tls_security_level = dane`) defers at the failing address and tries the next, so some messages are delayed or deferred depending on which address it tries first; typically the IPv6 listener presents another certificate or key.",
		"Present the same key on every address, or publish a TLSA record for each key presented (the record to publish is in the finding)."},
	{CodeDANEFails, SeverityFail, "The TLSA records match no certificate this address presents",
		"The exchange publishes usable TLSA records (DANE-EE or DANE-TA), DNSSEC-secure like its address records, and the chain this address presents matches none of them (RFC 7672 §3, RFC 7671 §5). DANE senders do not deliver to it (\"Server certificate not verified\").",
		"Publish a TLSA record for the key the server presents (the record is in the finding) before removing the old one, or install the key the records name."},
	{CodeDANENoSTARTTLS, SeverityFail, "TLSA records exist but the address offers no working STARTTLS",
		"With secure TLSA records, TLS is mandatory for DANE senders (RFC 7672 §2.2); an address that does not offer STARTTLS, or whose handshake fails, makes them defer (\"TLS is required, but was not offered by host\").",
		"Enable STARTTLS on that address (e.g. Postfix `smtpd_tls_security_level = may` with the certificate the TLSA records name), or remove the TLSA records."},
	{CodeDANEOnlyUnusable, SeverityWarn, "The exchange publishes only unusable TLSA records",
		"PKIX-TA(0) and PKIX-EE(1) records, unknown values and malformed data are unusable for SMTP (RFC 7672 §3.1.3). With only unusable records a DANE sender still requires TLS but authenticates nothing.",
		"Publish DANE-EE(3) records, e.g. `_25._tcp.mx.example. IN TLSA 3 1 1 <SHA-256 of the SubjectPublicKeyInfo>`, or DANE-TA(2) for the issuing CA."},
	{CodeDANENoRollover, SeverityInfo, "The TLSA records do not cover a key rollover",
		"A single DANE-EE record breaks delivery from DANE senders the moment the key changes before the DNS does (RFC 7671 §8.1 recommends \"current + next\"). internet.nl warns about the same.",
		"Publish the next key's record beside the current one (`3 1 1` of the next key), or a DANE-TA(2) record for the issuing CA."},
	{CodeDANEInsecureAddress, SeverityWarn, "The MX is DNSSEC-secure but the exchange's addresses are not",
		"DANE senders look for TLSA records only when the exchange's address records are secure too (RFC 7672 §2.2.2); an exchange in an unsigned zone, or with unsigned A/AAAA records, gets no DANE protection over that family.",
		"Sign the zone of the exchange (or move the exchange into a signed zone), so that its A and AAAA records validate."},
	{CodeResolverNotValidates, SeverityInfo, "DANE not judged: the resolver does not validate DNSSEC",
		"mailcheck decides whether the resolver validates as Postfix's dnssec_probe does (the root NS answer must carry the AD bit). Without a validating resolver no AD bit means anything, so DNSSEC and DANE are not judged, never reported absent.",
		"Point --resolver at a validating resolver (a local unbound, or 9.9.9.9)."},
	{CodeDANELookupError, SeverityFail, "The TLSA lookup fails or is bogus",
		"A TLSA lookup under a secure MX that fails (SERVFAIL, bogus signatures) makes DANE senders defer mail to that exchange (RFC 7672 §2.2.3): they cannot tell whether TLS is required.",
		"Fix the zone's DNSSEC (signatures, DS records) or the name servers of the TLSA name; check it with a validating resolver (`dig +dnssec TLSA _25._tcp.<exchange>`)."},
	{CodeDANEPostfixLimit, SeverityWarn, "DANE passes only beyond Postfix's own limits",
		"mailcheck matches as RFC 7671 says (any usable record, any chain certificate), within generous bounds; Postfix uses only the first 100 TLSA records of an RRset and verifies chains of at most 10 certificates, so for it this address does not match.",
		"Put the matching record among the first records of the RRset (publish fewer records), or anchor DANE-TA at a certificate nearer the leaf."},
	{CodeSTSFamilyEnforce, SeverityFail, "The MTA-STS policy cannot be fetched, or differs, over one family (enforce)",
		"RFC 8461 §3.3: senders fetch the policy from https://mta-sts.<domain>/ over whatever family they have. A policy host that fails over one family leaves senders there without the policy, or with another one; in enforce mode a sender that cached the policy keeps enforcing it but cannot refresh it.",
		"Make the policy host serve the same policy over every A and AAAA address (fix or remove the failing address record)."},
	{CodeSTSFamilyTesting, SeverityWarn, "The MTA-STS policy cannot be fetched, or differs, over one family",
		"RFC 8461 §3.3: senders fetch the policy over whatever family they have; one family failing leaves those senders without the policy (in testing mode, without its reports).",
		"Make the policy host serve the same policy over every A and AAAA address (fix or remove the failing address record)."},
	{CodeSTSNoPolicy, SeverityFail, "The MTA-STS TXT record announces a policy that cannot be fetched",
		"A valid `_mta-sts` TXT record tells senders to fetch the policy (RFC 8461 §3); when no address of the policy host serves it (HTTPS, HTTP 200, text/plain, a certificate valid for mta-sts.<domain>, no redirects), senders that had a policy keep an old one and the others use none.",
		"Serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt over every address of the policy host, or remove the `_mta-sts` TXT record."},
	{CodeSTSPolicyNoTXT, SeverityWarn, "An MTA-STS policy is served but no TXT record announces it",
		"Senders fetch the policy only when `_mta-sts.<domain>` has a v=STSv1 TXT record (RFC 8461 §3.1); without it the policy is never used.",
		"Publish `_mta-sts.<domain>. IN TXT \"v=STSv1; id=<a new id>\"`."},
	{CodeSTSInvalidTXT, SeverityWarn, "The MTA-STS TXT record is invalid",
		"RFC 8461 §3.1: exactly one TXT record beginning with v=STSv1, with an id of 1 to 32 letters and digits; otherwise senders treat the domain as having no policy.",
		"Publish exactly one record, `_mta-sts.<domain>. IN TXT \"v=STSv1; id=<a new id>\"`."},
	{CodeSTSUncoveredEnforce, SeverityFail, "An MX host is not covered by the enforced MTA-STS policy",
		"In enforce mode senders deliver only to MX hosts that match an `mx:` line of the policy (RFC 8461 §4.1); mail for an uncovered MX host is not delivered to it.",
		"Add an `mx:` line for the host to the policy (and change the TXT record's id so senders refetch it)."},
	{CodeSTSUncoveredTesting, SeverityWarn, "An MX host is not covered by the MTA-STS policy (testing)",
		"In testing mode senders deliver anyway but report the failure (RFC 8461 §5); switching to enforce would stop mail to that host.",
		"Add an `mx:` line for the host to the policy (and change the TXT record's id so senders refetch it)."},
	{CodeSTSCertEnforce, SeverityFail, "An MX address's certificate is not valid for the MX name under the enforced MTA-STS policy",
		"RFC 8461 §4.2: with a policy in enforce mode, senders deliver only if the MX presents a certificate that chains to a trusted root and names the MX host. This address fails that check, so senders over its family do not deliver to it.",
		"Install a certificate from a public CA naming the MX host, with its full chain, on every address (e.g. via ACME)."},
	{CodeTLSRPTInvalid, SeverityWarn, "The TLS-RPT record is invalid",
		"RFC 8460 §3: exactly one `_smtp._tls.<domain>` TXT record beginning with v=TLSRPTv1, with rua= mailto: or https: URIs; otherwise senders send no TLS reports.",
		"Publish `_smtp._tls.<domain>. IN TXT \"v=TLSRPTv1; rua=mailto:tls-reports@<domain>\"`."},
	{CodeTLSPolicyDefers, SeverityFail, "At the simulated TLS security level, one family's TLS failure defers messages",
		"The delivery replay at a mandatory Postfix `smtp_tls_security_level` (dane, encrypt, verify, secure; `simulate --set`, `check --set`) refuses an address of one family that accepts plain SMTP: DANE fails, STARTTLS is missing where TLS is required, or the certificate is not trusted. Postfix gives up on it with a 4.7.x soft error (\"TLS is required, but was not offered by host\", \"Server certificate not verified\") and tries the next address; when no address within `smtp_mx_address_limit` is left, the message is deferred. The finding gives the share of messages deferred that way.",
		"Fix TLS on the refused addresses, so that every address of every family passes at that level: `mailcheck check` says what each presents (MC702-MC704) and the TLSA record to publish."},
	{CodeTLSPolicyDelays, SeverityWarn, "At the simulated TLS security level, one family's TLS failure delays messages",
		"The delivery replay at a mandatory Postfix `smtp_tls_security_level` refuses an address of one family, and the message is delivered only at a later attempt, over another address: a wasted connection and handshake, and an address that no longer counts as a backup for that sender. The finding gives the share of messages delivered later that way.",
		"Fix TLS on the refused addresses, so that every address of every family passes at that level: `mailcheck check` says what each presents (MC702-MC704) and the TLSA record to publish."},
}
