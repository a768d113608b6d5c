// Package tlspolicy judges a mail domain's TLS policy the way sending MTAs
// do, per address and per family: DNSSEC status of the lookups, DANE for
// SMTP (RFC 7672, RFC 7671), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
// It does no SMTP itself: the orchestrator hands in what discovery looked
// up and what each probe saw, and attaches the typed results to its
// documents. Every piece of remote text in a result is sanitised.
//
// # DNSSEC
//
// ProbeValidation decides whether the resolver validates, as Postfix's
// dnssec_probe does (default "ns:."): the root NS answer must carry the AD
// bit. Status then classifies each lookup: secure (AD), insecure (no AD),
// bogus (SERVFAIL from the validating resolver; ExtendedError gives its
// RFC 8914 reason, e.g. "6 DNSSEC Bogus"), indeterminate (no answer), or
// not_judged when the resolver does not validate. dnsq asks for AD in every
// query (RFC 6840 §5.7); dnsq.Config.DNSSECOK also sets DO, as Postfix does
// with smtp_dns_support_level = dnssec.
//
// # DANE
//
// For each exchange, LookupTLSA (given an Exchange built by ExchangeFrom
// from the MX, A and AAAA results) looks up `_<port>._tcp.<base>` only when
// the resolver validates and an address RRset is secure (an insecure MX
// RRset does not matter: Postfix's smtp_tls_dane_insecure_mx_policy =
// dane, its default at level dane); the base is the CNAME-expanded
// exchange name first and the exchange name when the target has no TLSA
// (RFC 7672 §2.2.3). Records are
// typed (NewRecord): DANE-TA(2) and DANE-EE(3) with any selector and
// matching type are usable; PKIX-TA/EE(0/1), unknown values and malformed
// data are unusable with the reason. Then, for each probed address, Verify
// judges the chain that address presented over its own family:
//
//	pass          a usable record matched (DANE-EE: leaf cert or SPKI, names and
//	              dates ignored; DANE-TA: a chain certificate, the chain verified
//	              up to it for the TLSA base domain or the next-hop domain
//	              (Postfix's match names), one wildcard label)
//	fail          usable records, none matched: a DANE sender defers
//	no_starttls   TLSA records, no STARTTLS (or a failed handshake): it defers
//	unusable      only unusable records: it requires TLS, authenticates nothing
//	not_secure    this family's address RRset is not secure: no DANE
//	no_tlsa       secure, no TLSA: opportunistic TLS
//	lookup_error  the TLSA lookup failed or was bogus: it defers
//	not_judged    the resolver does not validate, or STARTTLS was not tried
//
// Any usable record will do (RFC 7671); mailcheck keeps up to 1,000
// records and 64 certificates, and Note says when Postfix's own limits
// (the first 100 records, chains of 10) would turn a pass into a failure.
// PublishRecord computes the "3 1 1" record to publish for a presented
// certificate; HasRolloverCover says whether the records survive a key
// change.
//
// # MTA-STS and TLS-RPT
//
// CheckMTASTS reads `_mta-sts.<domain>` TXT (exactly one v=STSv1 record
// with an id, ParseSTSRecord) and fetches the policy from every address of
// `mta-sts.<domain>` separately with a Fetcher: SNI and PKIX for the policy
// host, HTTP 200 only, no redirects, text/plain, at most 64 KiB, under the
// connect timeout and one command deadline that also cuts a server that
// drips bytes. Each fetch has a status: ok, unreachable, timeout,
// tls_error, http_status, redirect, bad_content_type, too_large,
// bad_policy. ParsePolicy is strict (version, mode, mx patterns, max_age at
// most 31557600); Policy.Covers matches MX hosts ("*.example.com" is
// exactly one more label); CheckMXCertificate is the enforce-mode PKIX
// check of one MX address's certificate. CheckTLSRPT reads
// `_smtp._tls.<domain>` (ParseTLSRPT: v=TLSRPTv1, rua of mailto: and https:
// URIs).
//
// # What a sender does
//
// PostfixAttempt replays one address at a smtp_tls_security_level (dane,
// encrypt, verify, secure, may) from the probe's facts and the DANE
// verdict: deliver, or fail this address with Postfix's reason ("TLS is
// required, but was not offered by host", "Server certificate not
// trusted") and try the next; pkg/audit turns its verdicts into the
// delivery replay's outcomes (simulate and check with --set
// smtp_tls_security_level). PresentedFrom turns a probe's TLS state into
// the Presented that Verify takes.
//
// # JSON
//
// Per lookup: `dnssec` (a DNSSEC value). Per probe: `dane` (DANE:
// `{status, matched {usage, selector, mtype, data, usable}, error, note,
// publish}`). Per domain: `dane.tlsa[]` (TLSASet: `{host, name, base,
// status, dnssec, records[], omitted, error}`), `mta_sts` (MTASTS: `{status,
// txt, id, policy, fetch[] {family, ip, status, http_status, digest,
// error}, mode, mx_patterns, max_age, mx_covered, mx_uncovered, error}`),
// `tls_rpt` (TLSRPT: `{record, rua[], status, error}`), and the resolver's
// `validation` (`{validates, status, server, error, fix}`).
package tlspolicy
