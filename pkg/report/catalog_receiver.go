package report

// Codes for the receiving side: what `mx`, `probe`, `simulate` and `check`
// report about a mail domain. Sending-side codes (MC6xx) live in
// catalog_sender.go. Every code is registered below with its severity,
// explanation and generic fix; docs/findings.md is generated from it.
const (
	// MC1xx DNS and MX
	CodeMXLookupFailed   = "MC101"
	CodeDomainNXDomain   = "MC102"
	CodeNullMX           = "MC103"
	CodeImplicitMX       = "MC104"
	CodeMXIsCNAME        = "MC105"
	CodeMXIsIPLiteral    = "MC106"
	CodeMXHostNoAddress  = "MC107"
	CodeMXHostLookupTemp = "MC108"
	CodeNoMXAddress      = "MC109"
	CodeNullMXMixed      = "MC110"
	CodeExpectedMXAbsent = "MC111"
	CodeMXInvalidName    = "MC112"
	CodeCertainBounce    = "MC113"

	// MC2xx Addresses and reverse DNS
	CodeAddrLoopback      = "MC201"
	CodeAddrUnspecified   = "MC202"
	CodeAddrLinkLocal     = "MC203"
	CodeAddrIPv4Mapped    = "MC204"
	CodeAddrPrivate       = "MC205"
	CodeAddrULA           = "MC206"
	CodeAddrDocumentation = "MC207"
	CodeAddrReserved      = "MC208"
	CodePTRMissing        = "MC210"
	CodePTRNotConfirmed   = "MC211"
	CodePTRTempError      = "MC212"
	CodePTRMalformed      = "MC213"
	CodePTRGeneric        = "MC214"
	CodePTRMultiple       = "MC215"
	CodePTRSuffix         = "MC216"
	CodeAllMXOneAddress   = "MC220"
	CodeAllMXOneNet64     = "MC221"
	CodeAllMXOneNet24     = "MC222"

	// MC3xx SMTP reachability and TLS
	CodeSMTPUnreachable    = "MC301"
	CodeGreeting5xx        = "MC302"
	CodeGreeting4xx        = "MC303"
	CodeNotSMTP            = "MC304"
	CodeNoMXAcceptsSMTP    = "MC305"
	CodeNoSTARTTLS         = "MC306"
	CodeTLSFailed          = "MC307"
	CodeCertNotVerified    = "MC308"
	CodeCertExpiresSoon    = "MC309"
	CodeCertExpired        = "MC310"
	CodeEHLONotPTR         = "MC311"
	CodeSTARTTLSRequired   = "MC312"
	CodeEHLONotMXName      = "MC313"
	CodeSMTPTimeoutPartial = "MC314"
	CodeEarlyTalk          = "MC315"
	CodeOldTLS             = "MC316"

	// MC4xx IPv4 / IPv6 parity
	CodeNoAAAA              = "MC401"
	CodeExpectedIPv6        = "MC402"
	CodeNoA                 = "MC403"
	CodeIPv6DownIPv4Up      = "MC404"
	CodeIPv4DownIPv6Up      = "MC405"
	CodeEHLODiffers         = "MC406"
	CodeBannerDiffers       = "MC407"
	CodeSTARTTLSOneFamily   = "MC408"
	CodeCertDiffers         = "MC409"
	CodeSomeMXWithoutIPv6   = "MC410"
	CodeIPv6OnlyUnreachable = "MC411"
	CodeFamilyLost          = "MC412"

	// MC5xx Delivery simulation
	CodeFirstAttemptFails = "MC501"
	CodeDeliveryDefers    = "MC502"
	CodeFirstIPv6Share    = "MC503"
	CodeAddressLimitCuts  = "MC504"

	// MC9xx Tool self-check
	CodeNoIPv6Route     = "MC901"
	CodePort25Blocked   = "MC902"
	CodeDeadlineReached = "MC903"
	CodeResolverFailed  = "MC904"
	CodeDNSOnly         = "MC905"
	CodeNoSTARTTLSTried = "MC906"
	CodeNoRDNS          = "MC907"
	CodeZoneOverlay     = "MC908"
)

// receiverEntries are the receiving side's findings (MC1xx to MC5xx) and
// the tool's own (MC9xx); catalog() registers them on first use.
var receiverEntries = []Entry{
	// ---- MC1xx DNS and MX ----
	{CodeMXLookupFailed, SeverityFail, "The MX lookup failed temporarily",
		"The domain's name servers answered SERVFAIL or REFUSED, or did not answer, for the MX query. RFC 5321 §5.1: a temporary error makes senders queue the message and retry; Postfix defers with 4.4.3. Mail is delayed until the lookup works.",
		"Make every name server of the domain answer the MX query authoritatively: check the NS delegation at the parent (`dig +trace DOMAIN MX`), DNSSEC signatures and server health."},
	{CodeDomainNXDomain, SeverityFail, "The domain does not exist",
		"The MX query returned NXDOMAIN. RFC 5321 §5.1: senders MUST report this as an error; mail to the domain bounces.",
		"Register or delegate the domain, or publish its records (`DOMAIN. IN MX 10 mx1.DOMAIN.`)."},
	{CodeNullMX, SeverityInfo, "The domain publishes a null MX: it accepts no mail",
		"`MX 0 .` (RFC 7505) says the domain receives no mail; senders bounce at once (Postfix 5.1.0) instead of retrying for days.",
		"Nothing, if the domain really takes no mail. Otherwise replace the null MX with real ones: `DOMAIN. IN MX 10 mx1.DOMAIN.`"},
	{CodeImplicitMX, SeverityWarn, "The domain has no MX: senders fall back to its own addresses",
		"With no MX record, RFC 5321 §5.1 treats the domain as its own exchanger (implicit MX, preference 0) and senders deliver to its A/AAAA records; often a web server that does not run SMTP. Some senders refuse implicit MX altogether.",
		"Publish an explicit MX: `DOMAIN. IN MX 10 mx1.DOMAIN.`, or a null MX (`DOMAIN. IN MX 0 .`) if the domain takes no mail."},
	{CodeMXIsCNAME, SeverityWarn, "An MX target is an alias (CNAME)",
		"RFC 2181 §10.3 forbids an MX pointing to an alias; RFC 5321 §5.1 leaves it outside the standard. Postfix and Exim follow the alias, other MTAs and some validators do not.",
		"Point the MX at the canonical name: replace `MX 10 alias.DOMAIN.` with `MX 10 canonical.DOMAIN.`"},
	{CodeMXIsIPLiteral, SeverityFail, "An MX target is an IP address, not a host name",
		"RFC 5321 §5.1: the data of an MX record MUST be a domain name that resolves to address records. MTAs disagree on an address there: Postfix logs \"numeric domain name in resource data of MX record\" and connects to the address (src/smtp/smtp_addr.c), as OpenSMTPD does; Exim ignores the record unless `allow_mx_to_ip` is set and bounces when no other MX is left. An MX of 0.0.0.0 or 127.0.0.1 meant as \"no mail here\" is what the null MX of RFC 7505 (`MX 0 .`) is for.",
		"Give the address a name and point the MX at it: `mx1.DOMAIN. IN A 192.0.2.25` and `DOMAIN. IN MX 10 mx1.DOMAIN.`; or publish `DOMAIN. IN MX 0 .` (RFC 7505) if the domain takes no mail."},
	{CodeMXHostNoAddress, SeverityFail, "An MX host has no A or AAAA record",
		"RFC 5321 §5.1: the MX target MUST resolve to at least one address. Senders skip it; if it is the only MX, mail bounces (Postfix 5.4.4).",
		"Publish the host's addresses: `mx1.DOMAIN. IN A 192.0.2.25` and `mx1.DOMAIN. IN AAAA 2001:db8::25`, or remove the MX."},
	{CodeMXHostLookupTemp, SeverityWarn, "An address lookup of an MX host failed temporarily",
		"The A or AAAA query of an MX host got SERVFAIL, REFUSED or no answer. Senders silently ignore a failing AAAA (research: all MTAs studied) and lose IPv6, or defer if nothing resolves.",
		"Fix the name servers of the MX host's zone so that both A and AAAA queries get an authoritative answer (NODATA when there is no record)."},
	{CodeNoMXAddress, SeverityFail, "No MX host has any usable address",
		"Every MX host failed to resolve to an address senders can use, so no mail can be delivered (Postfix: 5.4.4 bounce or defer).",
		"Publish A and AAAA records for the MX hosts: `mx1.DOMAIN. IN A 192.0.2.25`."},
	{CodeNullMXMixed, SeverityFail, "A null MX is mixed with other MX records",
		"RFC 7505 §3: a domain that advertises a null MX MUST NOT advertise any other MX. MTAs disagree: Postfix treats the domain as null MX and bounces, Exim and OpenSMTPD use the other records.",
		"Remove either the `MX 0 .` record or all the other MX records."},
	{CodeExpectedMXAbsent, SeverityFail, "An expected MX host is not in the MX set (--expect-mx)",
		"The check was told to expect this MX host, and the domain's MX records do not name it.",
		"Publish the expected MX: `DOMAIN. IN MX 10 HOST.`, or update the expectation."},
	{CodeMXInvalidName, SeverityFail, "An MX target is not a valid host name",
		"RFC 5321 §2.3.5 and §5.1: an MX record names a host, and host names are letters, digits and hyphens (RFC 1123 §2.1); a target with other bytes (`mx\\000evil.example`, spaces, control characters) can still be looked up but is not a host name. Postfix checks every MX target with valid_hostname() and skips a record that fails (\"malformed domain name in resource data of MX record\", src/dns/dns_lookup.c); when no valid record is left it bounces the mail (5.4.4).",
		"Point the MX at a host name of letters, digits and hyphens that has address records: `DOMAIN. IN MX 10 mx1.DOMAIN.`"},
	{CodeCertainBounce, SeverityFail, "The simulated MTA bounces every message to the domain",
		"Before any connection (its MX and address lookups leave nothing it may try, or every address is this host itself) or after every attempt the simulation replays, the simulated MTA returns the mail to its sender with the permanent status shown: no message to the domain can be delivered. A null MX (RFC 7505) is the one intended case, reported as MC103 instead.",
		"Fix what the MTA's reason names (see the other findings for the domain): the MX records, the addresses of the MX hosts, or the failing servers."},

	// ---- MC2xx Addresses and reverse DNS ----
	{CodeAddrLoopback, SeverityFail, "An MX address is a loopback address",
		"127.0.0.0/8 and ::1 (RFC 6890) point every sender at itself: Postfix detects the loop and defers or bounces (\"mail for DOMAIN loops back to myself\").",
		"Replace the record with the server's public address: `mx1.DOMAIN. IN A 192.0.2.25`."},
	{CodeAddrUnspecified, SeverityFail, "An MX address is the unspecified address",
		"0.0.0.0 and :: (RFC 6890) are not destinations; connections fail or go to the sender itself.",
		"Replace the record with the server's public address."},
	{CodeAddrLinkLocal, SeverityFail, "An MX address is link-local",
		"169.254.0.0/16 and fe80::/10 (RFC 3927, RFC 4291 §2.5.6) only mean something on one link and carry no zone in DNS; no remote sender can reach them.",
		"Publish the server's global address instead: `mx1.DOMAIN. IN AAAA 2001:db8::25` (the address from `ip -6 addr show scope global`)."},
	{CodeAddrIPv4Mapped, SeverityFail, "An AAAA record holds an IPv4-mapped address",
		"::ffff:0:0/96 (RFC 4291 §2.5.5.2) in an AAAA record is not an IPv6 destination; senders either fail or silently connect over IPv4. Internet.nl fails it too.",
		"Delete the AAAA record, or replace it with the server's real IPv6 address; keep the IPv4 address in an A record."},
	{CodeAddrPrivate, SeverityWarn, "An MX address is private (RFC 1918 or shared 100.64/10)",
		"Private and carrier-grade NAT addresses (RFC 1918, RFC 6598) are unreachable from the Internet. Usually split-horizon DNS leaking an internal view.",
		"Publish the public (NAT) address in the public zone: `mx1.DOMAIN. IN A 192.0.2.25`."},
	{CodeAddrULA, SeverityWarn, "An MX address is an IPv6 unique local address",
		"fc00::/7 (RFC 4193) is not routed on the Internet; senders that try IPv6 first waste an attempt on it.",
		"Publish the server's global IPv6 address instead of the ULA: `mx1.DOMAIN. IN AAAA 2001:db8::25`."},
	{CodeAddrDocumentation, SeverityWarn, "An MX address is in a documentation range",
		"192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32 (RFC 5737, RFC 3849) are reserved for examples; a record holding one was copied from a template.",
		"Replace the example address with the server's real one."},
	{CodeAddrReserved, SeverityFail, "An MX address is multicast or reserved",
		"Multicast (224.0.0.0/4, ff00::/8) and reserved space (240.0.0.0/4, broadcast) cannot hold an SMTP server (RFC 6890).",
		"Replace the record with the server's public unicast address."},
	{CodePTRMissing, SeverityWarn, "An MX address has no reverse DNS (PTR)",
		"Without a PTR the address has no name (RFC 1912 §2.1). Receivers such as Gmail reject mail sent from such addresses (550 5.7.25), which matters as soon as the MX host also sends (bounces, forwards); many operators also distrust MX hosts without one.",
		"Ask whoever controls the address block (hosting provider, ISP) to publish e.g. `25.2.0.192.in-addr.arpa. IN PTR mx1.DOMAIN.` for the address, naming a host whose A/AAAA points back to it."},
	{CodePTRNotConfirmed, SeverityWarn, "An MX address's PTR name does not point back to it (FCrDNS fails)",
		"Forward-confirmed reverse DNS (RFC 8601 §3 iprev) needs a PTR name whose A (IPv4) or AAAA (IPv6) record contains the address. Receivers treat a failing iprev like a missing PTR.",
		"Publish the forward record for the PTR name in the same family, e.g. `mx1.DOMAIN. IN AAAA 2001:db8::25`, or change the PTR to a name that has it."},
	{CodePTRTempError, SeverityWarn, "The reverse DNS of an MX address could not be checked",
		"The PTR query, or the forward lookup of a PTR name, got SERVFAIL or no answer. Receivers treat this as a temporary iprev error (RFC 8601 §3) and may defer.",
		"Fix the name servers of the reverse zone (in-addr.arpa / ip6.arpa delegation) or of the PTR name's zone."},
	{CodePTRMalformed, SeverityWarn, "An MX address's PTR record is malformed",
		"The PTR data is not a valid host name (RFC 1123 §2.1), so no forward confirmation is possible (iprev permerror).",
		"Publish a PTR holding a plain host name: `25.2.0.192.in-addr.arpa. IN PTR mx1.DOMAIN.`"},
	{CodePTRGeneric, SeverityWarn, "An MX address has generic-looking reverse DNS",
		"Names that embed the address or ISP pool words (dynamic, dhcp, pool, customer) look like end-user lines; DUL-style blocklists and receivers (Spamhaus CSS, CBL \"generic rDNS\") treat them as such.",
		"Set the PTR to a name of your own: `25.2.0.192.in-addr.arpa. IN PTR mx1.DOMAIN.` with a matching A/AAAA record."},
	{CodePTRMultiple, SeverityInfo, "An MX address has several PTR records",
		"Several PTR records are legal, but receivers typically check only one of them (in answer order), so the result varies.",
		"Keep one PTR per address, naming the host's EHLO name."},
	{CodePTRSuffix, SeverityFail, "An MX address's PTR does not end with the expected suffix (--expect-ptr-suffix)",
		"The check was told that every MX address's reverse DNS name ends with this suffix.",
		"Publish the expected PTR, e.g. `25.2.0.192.in-addr.arpa. IN PTR mx1.SUFFIX.`"},
	{CodeAllMXOneAddress, SeverityWarn, "All MX hosts share the same addresses",
		"Several MX records that resolve to the same addresses give no redundancy: one server failure stops all mail.",
		"Run the backup MX on a different server and point its record there."},
	{CodeAllMXOneNet64, SeverityInfo, "All IPv6 MX addresses are in one /64",
		"One /64 is one network (RFC 4291) and one reputation unit for blocklists (Spamhaus CSS lists per /64); an outage or listing hits every MX at once.",
		"Place a backup MX in a different network."},
	{CodeAllMXOneNet24, SeverityInfo, "All IPv4 MX addresses are in one /24",
		"One /24 is usually one network and one routing announcement; an outage hits every MX at once.",
		"Place a backup MX in a different network."},

	// ---- MC3xx SMTP reachability and TLS ----
	{CodeSMTPUnreachable, SeverityFail, "An MX address does not accept SMTP connections",
		"The TCP connection to port 25 was refused, timed out, had no route or was reset. Senders try the next address: at once after a refusal, after a connect timeout (Postfix smtp_connect_timeout, 30 s) when packets are dropped; each failure uses up one attempt (smtp_mx_address_limit), and if no address is left, mail is deferred.",
		"Start the MTA on that address or open port 25 in the firewall (e.g. Postfix `inet_interfaces = all`, `inet_protocols = all`), or remove the address from DNS."},
	{CodeGreeting5xx, SeverityFail, "An MX address greets with a 5xx reply",
		"RFC 5321 §3.1 allows a 554 greeting to refuse service. Postfix by default (smtp_skip_5xx_greeting = yes) moves on to the next address; other MTAs bounce.",
		"Fix the server's access policy (postscreen, firewall, tarpit) so that it greets with 220."},
	{CodeGreeting4xx, SeverityWarn, "An MX address greets with a 4xx reply",
		"A 421 greeting means the server is not accepting mail now; senders try the next address and then defer (RFC 5321 §3.8, Postfix smtp_site_fail).",
		"Find out why the server refuses sessions (load, maintenance, postscreen) and make it greet with 220."},
	{CodeNotSMTP, SeverityFail, "Something other than SMTP answers on port 25",
		"The peer did not send an SMTP greeting (RFC 5321 §4.2), so no sender can deliver through it.",
		"Point port 25 of that address at the MTA (check NAT / port forwarding)."},
	{CodeNoMXAcceptsSMTP, SeverityFail, "No MX address accepts SMTP: the domain cannot receive mail",
		"Every probed address failed, so every delivery attempt fails and mail is deferred and finally bounced.",
		"Make at least one MX address accept SMTP on port 25 (see the per-address findings)."},
	{CodeNoSTARTTLS, SeverityWarn, "An MX address does not offer STARTTLS",
		"Without STARTTLS (RFC 3207) mail travels in clear text; Gmail and others mark such mail as unencrypted, and MTA-STS or DANE domains cannot deliver.",
		"Enable TLS in the MTA, e.g. Postfix `smtpd_tls_cert_file`, `smtpd_tls_key_file` and `smtpd_tls_security_level = may`."},
	{CodeTLSFailed, SeverityFail, "The TLS handshake after STARTTLS fails",
		"The server offers STARTTLS but the handshake fails; senders with opportunistic TLS retry in clear text (Postfix retries the same address without TLS), senders that require TLS cannot deliver.",
		"Fix the server's certificate and key configuration (Postfix `smtpd_tls_chain_files`) and check the log for the handshake error."},
	{CodeCertNotVerified, SeverityWarn, "The certificate does not verify for the MX name",
		"The certificate is self-signed, from an untrusted issuer, or does not name the MX host. Opportunistic TLS still works, but MTA-STS (RFC 8461 §4.2) senders refuse to deliver.",
		"Install a certificate from a public CA whose names include the MX host name (e.g. via ACME), with its full chain."},
	{CodeCertExpiresSoon, SeverityWarn, "The certificate expires within 14 days",
		"An expired certificate makes MTA-STS and DANE-aware senders stop delivering.",
		"Renew the certificate and reload the MTA (check the renewal job)."},
	{CodeCertExpired, SeverityFail, "The certificate has expired",
		"Senders that verify certificates (MTA-STS, RFC 8461) refuse to deliver.",
		"Renew the certificate and reload the MTA."},
	{CodeEHLONotPTR, SeverityInfo, "The EHLO name differs from the address's PTR name",
		"When the host also sends mail, receivers compare its HELO name with the PTR of its address; a mismatch adds spam score. For an MX this is cosmetic but often reveals a forgotten host name.",
		"Set the MTA's name to the PTR name (Postfix `myhostname = mx1.DOMAIN`) or the PTR to the MTA's name."},
	{CodeSTARTTLSRequired, SeverityFail, "STARTTLS is required (--require-starttls) but not available",
		"The check was told every MX address must offer STARTTLS, and this one does not or its handshake fails.",
		"Enable TLS in the MTA, e.g. Postfix `smtpd_tls_security_level = may` with a certificate."},
	{CodeEHLONotMXName, SeverityInfo, "The EHLO name is not the MX host name",
		"Harmless for delivery, but MTA-STS and certificate checks use the MX name, so a server that calls itself something else often has a certificate for that other name.",
		"Set the MTA's name to the MX host name (Postfix `myhostname`) or make sure the certificate covers the MX name."},
	{CodeSMTPTimeoutPartial, SeverityWarn, "An MX address stalls after connecting",
		"The TCP connection succeeds but the greeting, EHLO or STARTTLS reply does not arrive in time; senders hang until their own timeouts (Postfix smtp_helo_timeout 300 s) and then try the next address.",
		"Look for a greeting delay (postscreen_greet_wait), an overloaded server or a middlebox that swallows the session."},
	{CodeEarlyTalk, SeverityWarn, "An MX address talks out of turn before its EHLO reply",
		"After its complete greeting the server sent more lines before answering EHLO (a second banner, a welcome text). SMTP is a dialogue in turns: the server only answers the client's commands (RFC 5321 §4.3.1), so a client that reads those lines as its EHLO reply misses STARTTLS and the extensions and gets out of step with every later reply. mailcheck skips them and reads the real reply; the finding quotes them. Some servers talk early on purpose, as a trap for bots that do not read replies; it is the mirror of the pregreet test with which Postfix's postscreen rejects clients that talk before their turn (POSTSCREEN_README, postscreen_greet_action), and it can trip real senders too.",
		"Make the server send one greeting and then wait for the client: look for a proxy or load balancer that adds its own banner, a second banner from a wrapper in front of the MTA, or a trap that talks early; a multi-line greeting (`220-` lines, as postscreen's pregreet test sends) is how SMTP lets a server make clients wait."},
	{CodeOldTLS, SeverityWarn, "An MX address negotiates only TLS 1.0 or 1.1",
		"The probe offers TLS 1.3 down to 1.0 and the server chose TLS 1.0 or 1.1, so it knows nothing newer. RFC 8996 deprecates both, and many senders no longer offer them: OpenSSL under the default crypto policies of Debian (since 10), Ubuntu (since 20.04) and RHEL (since 8) requires TLS 1.2. Their handshake fails; with opportunistic TLS they retry in clear text, and with MTA-STS in enforce mode, DANE or a mandatory TLS policy they defer the mail.",
		"Allow TLS 1.2 and 1.3 in the MTA (Postfix: remove `!TLSv1.2` and `!TLSv1.3` from `smtpd_tls_protocols`, or with Postfix 3.6 and later set `smtpd_tls_protocols = >=TLSv1`; Exim: remove `+no_tlsv1_2` from `openssl_options`), and upgrade a TLS library or appliance that cannot do TLS 1.2 (OpenSSL before 1.0.1)."},

	// ---- MC4xx IPv4 / IPv6 parity ----
	{CodeNoAAAA, SeverityWarn, "No MX host has an IPv6 address",
		"The domain cannot receive mail from IPv6-only senders, and dual-stack senders always use IPv4.",
		"Publish AAAA records for the MX hosts, e.g. `mx1.DOMAIN. IN AAAA 2001:db8::25`, once the MTA listens on IPv6 (Postfix `inet_protocols = all`)."},
	{CodeExpectedIPv6, SeverityFail, "IPv6 was expected (--expect-ipv6) but the domain is not reachable over IPv6",
		"The check was told the domain must accept mail over IPv6, and no MX address answered SMTP over IPv6.",
		"Publish AAAA records for the MX hosts and make the MTA listen on them (Postfix `inet_protocols = all`)."},
	{CodeNoA, SeverityFail, "No MX host has an IPv4 address",
		"Most senders deliver only over IPv4; an IPv6-only MX set loses their mail.",
		"Publish A records for the MX hosts: `mx1.DOMAIN. IN A 192.0.2.25`."},
	{CodeIPv6DownIPv4Up, SeverityFail, "An MX host answers over IPv4 but not over IPv6",
		"Senders that try IPv6 first (Postfix with inet_protocols = all does so with the probability `simulate` shows) fail there on every message: a dropped connection costs a connect timeout (Postfix 30 s), a refusal costs one attempt of the address limit; they defer when that limit is used up.",
		"Make the MTA listen on the IPv6 address and open port 25 for IPv6 (Postfix `inet_protocols = all`, ip6tables), or remove the AAAA record until it works."},
	{CodeIPv4DownIPv6Up, SeverityFail, "An MX host answers over IPv6 but not over IPv4",
		"Most senders use IPv4; they lose a connect timeout and then try other addresses or defer.",
		"Make the MTA listen on the IPv4 address and open port 25, or fix the A record."},
	{CodeEHLODiffers, SeverityWarn, "An MX host gives a different EHLO name over IPv4 and IPv6",
		"The same host presents two identities, usually two different servers behind one name or a forgotten IPv6 listener; certificates, PTR and logs disagree.",
		"Make both addresses reach the same MTA, or set the same `myhostname` on both servers."},
	{CodeBannerDiffers, SeverityInfo, "An MX host gives a different greeting over IPv4 and IPv6",
		"A different greeting text over each family suggests two different servers behind one name.",
		"Check that both addresses reach the same MTA configuration (Postfix `smtpd_banner`)."},
	{CodeSTARTTLSOneFamily, SeverityWarn, "An MX host offers STARTTLS over one family only",
		"Mail over the other family travels in clear text, and MTA-STS senders refuse it.",
		"Enable TLS on the server or listener that answers on the other family."},
	{CodeCertDiffers, SeverityInfo, "An MX host presents different certificates over IPv4 and IPv6",
		"Different certificates per family suggest two servers or a stale certificate on one of them.",
		"Install the same current certificate on every server behind the MX name."},
	{CodeSomeMXWithoutIPv6, SeverityInfo, "Some MX hosts have no IPv6 address",
		"IPv6-only senders can reach only the MX hosts that have an AAAA record: less redundancy over IPv6.",
		"Publish AAAA records for the other MX hosts, e.g. `mx2.DOMAIN. IN AAAA 2001:db8::26`."},
	{CodeIPv6OnlyUnreachable, SeverityFail, "IPv6-only senders cannot deliver: no MX address answers over IPv6",
		"The domain publishes AAAA records but none of them accepts SMTP, so an IPv6-only sender defers every message.",
		"Make the MTA listen on the published IPv6 addresses, or remove the AAAA records until it does."},
	{CodeFamilyLost, SeverityFail, "The zone change stops mail over a family that works today",
		"Live, the domain accepts mail over this family (an MX address of the family, answering SMTP when probed); with the zone files of --zone it no longer would: every sender that reaches it only over that family (IPv6-only or IPv4-only networks, MTAs pinned to one family) would queue and then bounce its mail once the change is deployed. Losing a family is always a regression, whatever --fail-on says.",
		"Keep the records that give the family its addresses in the new zone: e.g. `mx1.DOMAIN. IN AAAA 2001:db8::25` for IPv6, `mx1.DOMAIN. IN A 192.0.2.25` for IPv4, or an MX host that has them."},

	// ---- MC5xx Delivery simulation ----
	{CodeFirstAttemptFails, SeverityWarn, "A sender's first attempt can go to an address that fails",
		"With the simulated MTA's defaults the first connection goes, with the probability shown, to an address that does not accept SMTP; each such attempt costs a connect timeout (Postfix smtp_connect_timeout 30 s) before the next address (research: mta-address-selection §1.6).",
		"Fix or remove the failing address (see its MC3xx/MC4xx finding)."},
	{CodeDeliveryDefers, SeverityFail, "A sender can defer delivery although a working address exists",
		"The simulated MTA stops after smtp_mx_address_limit addresses (Postfix default 5, §1.6); with the probability shown, all the addresses it tries fail and mail is deferred.",
		"Fix or remove the failing addresses so that the first addresses a sender tries work."},
	{CodeFirstIPv6Share, SeverityInfo, "How often senders try IPv6 first",
		"Postfix with inet_protocols = all and smtp_address_preference = any shuffles the best-preference addresses, so IPv6 is tried first with the probability shown (research: mta-address-selection §1.5).",
		"Nothing to fix: it shows how mail from Postfix senders splits between IPv4 and IPv6."},
	{CodeAddressLimitCuts, SeverityWarn, "Some MX addresses are never tried",
		"Postfix tries at most smtp_mx_address_limit addresses (default 5, §1.6); addresses beyond it are never used, so they add no redundancy.",
		"Reduce the number of MX addresses, or make sure the best-preference ones are reliable."},

	// ---- MC9xx Tool self-check ----
	{CodeNoIPv6Route, SeverityWarn, "This machine has no IPv6 route: IPv6 could not be tested",
		"mailcheck checks its own route to each destination before probing; without one, IPv6 probes are inconclusive, not failures.",
		"Run the check from a host with IPv6 connectivity (or trust only the IPv4 results)."},
	{CodePort25Blocked, SeverityWarn, "Outbound port 25 seems blocked here: SMTP results are inconclusive",
		"Every connection to port 25 timed out although this machine has a route. That is what a provider's port-25 block looks like (common on residential and cloud networks); it is also what a domain whose every server is down looks like, and from here the two cannot be told apart.",
		"Run the check from a host that may send SMTP (a mail server, a VPS with port 25 open)."},
	{CodeDeadlineReached, SeverityWarn, "The check hit its deadline: some results are missing",
		"Lookups or probes still running at --timeout were abandoned; the report keeps what finished.",
		"Rerun with a longer --timeout."},
	{CodeResolverFailed, SeverityWarn, "The DNS resolver did not answer",
		"Lookups timed out or failed at the resolver, so the domain's records could not be read; this says nothing about the domain.",
		"Check --resolver or /etc/resolv.conf and the network, then rerun."},
	{CodeDNSOnly, SeverityInfo, "SMTP was not probed (--dns-only)",
		"Only DNS was checked; reachability, TLS and the IPv4/IPv6 comparison need the SMTP probes.",
		"Rerun without --dns-only to probe SMTP."},
	{CodeNoSTARTTLSTried, SeverityInfo, "STARTTLS was not tried (--no-starttls): TLS is not judged",
		"The probes stopped after EHLO, so the TLS handshake and the certificate were not checked, and no STARTTLS finding (MC306-MC310, MC312, MC313, MC408, MC409) is made; the message says how many addresses advertised STARTTLS in EHLO. --require-starttls cannot be combined with --no-starttls.",
		"Rerun without --no-starttls to judge TLS."},
	{CodeNoRDNS, SeverityInfo, "Reverse DNS of the MX addresses was not checked (--no-rdns)",
		"PTR records and their forward confirmation were not looked up, so no reverse-DNS finding (MC210-MC216) is made and EHLO names are not compared with PTR names (MC311).",
		"Rerun without --no-rdns to check reverse DNS."},
	{CodeZoneOverlay, SeverityInfo, "Some answers came from a zone file (--zone), not live DNS",
		"The check ran over zone files laid over live DNS: names at or under a file's apex were answered from the file as its authoritative server would answer once the file is loaded, everything else from live DNS. The message lists the names and types the file answered. Answers from an unsigned file are insecure (no DNSSEC); from a signed file they are taken as validated, so DANE is judged on the file's TLSA records.",
		"Nothing: this says what the result is based on. Deploy the zone file when the rest of the report is clean, then rerun without --zone to check the live result."},
}
