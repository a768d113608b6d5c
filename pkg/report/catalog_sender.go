package report

// Sending-side codes (MC6xx): what `sender` and `explain` report about the
// addresses a host sends mail from, its HELO name, and the SPF and DMARC of
// the sending domain. Receiving-side codes live in catalog_receiver.go.
const (
	CodeSenderNoPTR           = "MC601"
	CodeSenderPTRNotConfirmed = "MC602"
	CodeSenderPTRTempError    = "MC603"
	CodeSenderPTRGeneric      = "MC604"
	CodeSenderBehindNAT       = "MC605"
	CodeSenderUnusable        = "MC606"
	CodeSenderDocumentation   = "MC607"
	CodeHELONotResolving      = "MC608"
	CodeHELONotMatching       = "MC609"
	CodeHELONotFQDN           = "MC610"
	CodeHELONotPTR            = "MC611"
	CodeSPFFail               = "MC612"
	CodeSPFSoftFail           = "MC613"
	CodeSPFNeutral            = "MC614"
	CodeSPFNone               = "MC615"
	CodeSPFPermError          = "MC616"
	CodeSPFTempError          = "MC617"
	CodeDMARCMissing          = "MC618"
	CodeDMARCNone             = "MC619"
	CodeDMARCInvalid          = "MC620"
	CodeDNSBLListed           = "MC621"
	CodeDNSBLUnusable         = "MC622"
	CodeSenderNoRoute         = "MC623"
	CodeSenderFamilyDisabled  = "MC624"
	CodeGAIConfReorders       = "MC625"
	CodeIPv6SourceNotGlobal   = "MC626"
)

// senderEntries are the sending side's findings (MC6xx); catalog()
// registers them on first use.
var senderEntries = []Entry{
	{CodeSenderNoPTR, SeverityFail, "The sending address has no PTR record",
		"Gmail refuses mail from addresses without reverse DNS (550 5.7.25; over IPv6 550 5.7.1 \"does not meet IPv6 sending guidelines regarding PTR records and authentication\"), Microsoft 365 refuses IPv6 senders without it (550 5.7.25), and Postfix servers with reject_unknown_reverse_client_hostname answer 450 4.7.1.",
		"Ask whoever runs the address block (usually the hosting provider) for a PTR record naming the mail host, e.g. `5.2.0.0...ip6.arpa. PTR mail.example.com.`, and publish `mail.example.com. AAAA 2001:db8::25` (A for IPv4)."},
	{CodeSenderPTRNotConfirmed, SeverityFail, "The PTR name of the sending address does not resolve back to it",
		"Receivers forward-confirm reverse DNS (FCrDNS, RFC 8601 §3 iprev): a PTR name must have an A record (IPv4) or AAAA record (IPv6) holding the same address. Gmail's sender guidelines require it; the IPv6 rule looks only at AAAA, so a name with only an A record fails for an IPv6 sender.",
		"Publish an address record of the same family for the PTR name (`mail.example.com. AAAA 2001:db8::25`), or change the PTR to a name that has one."},
	{CodeSenderPTRTempError, SeverityWarn, "The reverse DNS of the sending address could not be checked",
		"A PTR or forward lookup failed temporarily (SERVFAIL, REFUSED, timeout). Receivers see the same failure and defer (Gmail 421 4.7.0, Postfix 450); an ip6.arpa delegation without working name servers times out for everyone.",
		"Check the reverse zone's delegation and name servers (`dig +trace -x ADDRESS`); ask the provider to fix them."},
	{CodeSenderPTRGeneric, SeverityWarn, "The sending address has a generic, dynamic-looking PTR name",
		"Names that spell the address, carry an EUI-64 ff:fe marker or pool words (dyn, dhcp, pool, dsl, cable, customer) are what access providers give whole ranges. Gmail asks for a PTR that is not generic; Spamhaus and many receivers treat such names as dynamic space and list or refuse them.",
		"Ask the provider for a PTR naming your mail server (`mail.example.com`), with a matching A/AAAA record."},
	{CodeSenderBehindNAT, SeverityWarn, "The sending address is private: receivers see another address",
		"RFC 1918, shared (100.64/10, RFC 6598) and unique local IPv6 (fc00::/7, RFC 4193) addresses are translated on the way out (Docker's 172.17/16, LXD's bridges, carrier NAT). Receivers judge the public address the NAT uses, which mailcheck cannot see from here.",
		"Rerun with the public address: `mailcheck sender --ip PUBLIC-ADDRESS` (the address receivers log for your connections)."},
	{CodeSenderUnusable, SeverityFail, "The sending address cannot reach the Internet",
		"Loopback, link-local, unspecified and multicast addresses (RFC 6890) cannot be the source of a connection to another network; a bind to one (smtp_bind_address6) makes every delivery over that family fail.",
		"Set `smtp_bind_address6` (or `smtp_bind_address`) to a global address of this host, or remove the setting."},
	{CodeSenderDocumentation, SeverityWarn, "The sending address is in a documentation range",
		"192.0.2/24, 198.51.100/24, 203.0.113/24 (RFC 5737) and 2001:db8::/32 (RFC 3849) are for examples; no real sender uses them.",
		"Check the address you passed with --ip or set in main.cf."},
	{CodeHELONotResolving, SeverityWarn, "The HELO name does not resolve",
		"Receivers check the name announced in HELO/EHLO: Postfix's reject_unknown_helo_hostname refuses a name without A, AAAA or MX record, spam filters score it, and the SPF HELO identity (RFC 7208 §2.3) cannot pass.",
		"Set `smtp_helo_name` (default `$myhostname`) to a name with an A/AAAA record for the sending address, or publish that record."},
	{CodeHELONotMatching, SeverityWarn, "The HELO name does not resolve to the sending address",
		"The name announced in HELO/EHLO has address records, but none in the sending address's family holds it. Receivers that compare HELO, PTR and connecting address (and FCrDNS-style HELO checks) count this against the sender.",
		"Publish `HELO-NAME. AAAA SENDING-ADDRESS` (A for IPv4), or announce a name that has it."},
	{CodeHELONotFQDN, SeverityWarn, "The HELO name is not a fully qualified domain name",
		"RFC 5321 §4.1.1.1: the EHLO argument is the client's fully qualified domain name or an address literal. Gmail answers 501 5.5.4 to an invalid argument; Postfix's reject_non_fqdn_helo_hostname refuses it.",
		"Set `smtp_helo_name = mail.example.com` (a FQDN) in main.cf."},
	{CodeHELONotPTR, SeverityInfo, "The HELO name differs from the PTR name",
		"Not required by any RFC or by Gmail, but receivers and reputation tools (and MXToolbox's \"Reverse DNS does not match SMTP banner\") like the HELO name, the PTR name and the forward record to agree.",
		"Announce the PTR name in HELO (`smtp_helo_name`), or point the PTR at the HELO name."},
	{CodeSPFFail, SeverityFail, "SPF fails for the sending address",
		"The domain's SPF record (RFC 7208) ends the evaluation for this address with a fail (`-all`): receivers reject or junk the mail, Gmail with 550 5.7.26 unless DKIM passes and aligns, Microsoft over IPv6 with 450 4.7.26 unless DKIM passes.",
		"Add the address to the SPF record before the `all` term: `ip6:2001:db8::25` (or `ip4:192.0.2.25`)."},
	{CodeSPFSoftFail, SeverityWarn, "SPF soft-fails for the sending address",
		"`~all` matched: the domain says the address is probably not authorised. For Gmail over IPv6 and for Microsoft over IPv6 only a pass counts, so mail from this address depends entirely on DKIM.",
		"Add the address to the SPF record: `ip6:2001:db8::25` (or `ip4:192.0.2.25`) before `~all`."},
	{CodeSPFNeutral, SeverityWarn, "SPF is neutral about the sending address",
		"No mechanism matched and the record ends without `all`, or with `?all`: a neutral result is not a pass, so receivers that require SPF or DKIM (Gmail, Microsoft over IPv6, Yahoo) rely on DKIM alone.",
		"Add the address to the SPF record: `ip6:2001:db8::25` (or `ip4:192.0.2.25`)."},
	{CodeSPFNone, SeverityWarn, "The domain publishes no SPF record",
		"Without a `v=spf1` TXT record (RFC 7208 §4.5) SPF gives none, which is not a pass: Gmail, Microsoft over IPv6 and Yahoo then require DKIM, and anyone can send as the domain.",
		"Publish `DOMAIN. TXT \"v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 ~all\"` listing every sending address."},
	{CodeSPFPermError, SeverityFail, "The SPF record is broken (permerror)",
		"The record cannot be evaluated: a syntax error, more than one `v=spf1` record, more than 10 DNS-querying terms or more than 2 void lookups (RFC 7208 §4.6.4). Receivers treat permerror like a failure.",
		"Fix the record: one `v=spf1` TXT record, known mechanisms only, at most 10 terms that query DNS (include, a, mx, ptr, exists, redirect)."},
	{CodeSPFTempError, SeverityWarn, "SPF could not be evaluated (temperror)",
		"A DNS lookup needed by the SPF record failed temporarily (RFC 7208 §2.6.6); receivers defer or treat the mail as unauthenticated until it works.",
		"Check the name servers of the domain and of every included domain."},
	{CodeDMARCMissing, SeverityWarn, "The domain publishes no DMARC record",
		"Gmail and Yahoo require DMARC (p=none is enough) from senders of more than 5,000 messages a day, Outlook.com since May 2025 (550 5.7.515). Without DMARC receivers also cannot tell forgeries of the domain apart.",
		"Publish `_dmarc.DOMAIN. TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN\"`, then tighten the policy once reports show all mail aligned."},
	{CodeDMARCNone, SeverityInfo, "The DMARC policy is p=none (monitoring only)",
		"p=none meets the bulk-sender requirements of Gmail, Yahoo and Outlook.com but asks receivers to take no action on failing mail (RFC 7489 §6.3).",
		"When reports show your mail passes aligned, move to `p=quarantine`, then `p=reject`."},
	{CodeDMARCInvalid, SeverityWarn, "The DMARC record is invalid",
		"RFC 7489 §6.6.3: with more than one `v=DMARC1` record, or without a valid `p=` tag, receivers apply no DMARC policy at all.",
		"Publish exactly one record: `_dmarc.DOMAIN. TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@DOMAIN\"`."},
	{CodeDNSBLListed, SeverityFail, "The sending address is on a DNS blocklist",
		"Receivers that use the list refuse or junk mail from the address. Spamhaus lists IPv6 per /64 (the CSS FAQ): every host in the /64 shares the listing, and allocations smaller than a /64 cannot be delisted separately.",
		"Find the cause (open relay, compromised account, generic rDNS), fix it, then request removal from the list's lookup page (https://check.spamhaus.org for Spamhaus)."},
	{CodeDNSBLUnusable, SeverityWarn, "A DNS blocklist refused to answer",
		"Spamhaus answers 127.255.255.254 to queries from public resolvers and 127.255.255.255 to excessive use: that is no verdict about the address.",
		"Query through your own recursive resolver (`--resolver`), not a public one."},
	{CodeSenderNoRoute, SeverityInfo, "This host has no route for an address family",
		"Without a route the host cannot send over that family, so receivers never see it there; mail to IPv6-only destinations cannot leave.",
		"Nothing if intended; otherwise configure a global address and default route for the family."},
	{CodeSenderFamilyDisabled, SeverityInfo, "Postfix does not send over one address family (inet_protocols)",
		"main.cf's inet_protocols leaves one family out, so Postfix neither sends nor receives over it; mail to destinations that only have that family cannot be delivered.",
		"Use `inet_protocols = all` once both families have working reverse DNS; `smtp_address_preference = ipv4` is the gentler way to prefer IPv4."},
	{CodeGAIConfReorders, SeverityWarn, "gai.conf changes which family getaddrinfo puts first",
		"A `label` or `precedence` line in /etc/gai.conf replaces glibc's whole built-in table of that kind (RFC 3484 §2.1 as glibc implements it), so one line such as `precedence ::ffff:0:0/96 100` makes every getaddrinfo client (Postfix with smtp_host_lookup = native, most programs) try IPv4 before IPv6 for dual-stack destinations. Postfix's default smtp_host_lookup = dns does not read the file.",
		"Delete or comment out the line the finding names (e.g. `#precedence ::ffff:0:0/96 100`), then `postfix reload`; keep it if the order it gives is intended."},
	{CodeIPv6SourceNotGlobal, SeverityWarn, "This host has no global IPv6 source address toward the domain",
		"With only a unique local (fc00::/7) or link-local IPv6 source, glibc's rule 5 (matching label) puts IPv4 destinations first and IPv6 connections reach the Internet only through NAT66 or NPTv6; with no IPv6 route at all (rule 1) every IPv6 attempt fails at once. Either way mail to dual-stack destinations goes over IPv4, whatever the sender's configuration says.",
		"Give the interface with the IPv6 default route a global address (2000::/3) and check with `ip -6 route get 2001:db8::25` that it is the source; or set Postfix's `smtp_bind_address6` to it."},
}
