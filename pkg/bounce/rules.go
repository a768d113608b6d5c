package bounce

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// rule is one known reply. Phrases are matched case-insensitively against
// the normalised reply (or the whole unfolded text when no reply was found);
// codes, when set, must contain the reply's enhanced status code.
//
// Sources for the texts: the receivers' own pages as collected in
// sisimai's Rhost tables (Google: support.google.com/a/answer/3726730,
// Microsoft: learn.microsoft.com "Non-delivery reports in Exchange Online",
// Yahoo: senders.yahooinc.com/smtp-error-codes), Terry Zink's 2015 note on
// Exchange Online IPv6 requirements, and Postfix smtpd_check.c for the
// reject_unknown_* restrictions. RFC 7372 defines X.7.23-X.7.27.
type rule struct {
	id       string
	receiver string // "" matches any receiver
	title    string
	codes    []string // enhanced codes; empty means any
	phrases  []phrase
	family   string // addr.IPv6 when the rule only concerns IPv6 senders
	checks   []Check
	explain  string // {ip}, {host}, {domain} are replaced
	fix      string
}

// phrase is a lower-case literal (matched with strings.Contains, the common
// case) or a regular expression, matched against lower-cased text.
type phrase struct {
	lit string
	re  *lazyRE
}

func phrases(ps ...string) []phrase {
	out := make([]phrase, len(ps))
	for i, p := range ps {
		// A phrase without metacharacters is matched as a substring; the
		// others compile on first use.
		if regexp.QuoteMeta(p) == p {
			out[i] = phrase{lit: p}
		} else {
			out[i] = phrase{re: lazyRegexp(p)}
		}
	}
	return out
}

// The stop-gap paragraph shared by the IPv6 rules.
const ipv4StopGap = " Stop-gap while the fix propagates: `postconf -e 'smtp_address_preference = ipv4'` " +
	"(Postfix ≥ 2.8) makes Postfix try the IPv4 addresses of dual-stack destinations first; the cost is that " +
	"IPv6 is then used only when IPv4 fails, and IPv6-only destinations are unaffected. " +
	"`inet_protocols = ipv4` turns IPv6 off for sending and receiving alike and is rarely what you want."

// rules are the known replies, tried in order; built on first use, like
// families.
var rules = sync.OnceValue(func() []rule {
	return []rule{
		// ---- Gmail ----
		{
			id: "gmail-ipv6-ptr-auth", receiver: ReceiverGmail, family: addr.IPv6,
			title:   "Gmail IPv6 sending guidelines: PTR and authentication",
			codes:   []string{"5.7.1"},
			phrases: phrases(`not meet ipv6 sending guidelines`, `p=ipv6autherror`),
			checks:  []Check{CheckPTR, CheckFCrDNS, CheckSPF, CheckDKIM},
			explain: "Gmail received this message over IPv6 from {ip} and refused it. For IPv6 senders Gmail requires both " +
				"a PTR record for the sending address whose name resolves (AAAA) back to that same address, and a message " +
				"that passes SPF or DKIM. The reply often comes after DATA: the whole message was transferred, then judged. " +
				"The same server may deliver fine over IPv4, which is why the failure looks random on a dual-stack host.",
			fix: "Ask whoever runs {ip}'s address block (usually the hosting provider) for a PTR record naming your mail " +
				"host, publish an AAAA record for that name with {ip}, add `ip6:{ip}` to the SPF record of your envelope " +
				"domain and sign with DKIM. If the host has several IPv6 addresses and another one already has a working " +
				"PTR, pin it with `smtp_bind_address6`." + ipv4StopGap,
		},
		{
			id: "gmail-ptr-missing", receiver: ReceiverGmail,
			title:   "Gmail: no PTR, or the PTR name does not point back",
			codes:   []string{"5.7.25"},
			phrases: phrases(`does not have a ptr record`, `does not match the ip address of the hostname`, `missing ptr records`),
			checks:  []Check{CheckPTR, CheckFCrDNS},
			explain: "Gmail refused the message permanently: the sending address {ip} has no PTR record, or the name in its " +
				"PTR record does not resolve (A for IPv4, AAAA for IPv6) to {ip}. Gmail's sender guidelines require this " +
				"forward-confirmed reverse DNS for every sending address.",
			fix: "Have the PTR record of {ip} set to your mail host's name (your provider's control panel or support), and " +
				"publish an A or AAAA record for that name with {ip}. Check with `mailcheck sender --ip {ip}`.",
		},
		{
			id: "gmail-ptr-rate-limited", receiver: ReceiverGmail,
			title:   "Gmail: rate limited for missing or unconfirmed PTR",
			codes:   []string{"4.7.0", "4.7.23"},
			phrases: phrases(`does not have a ptr record`, `have a ptr record, or the ptr record`),
			checks:  []Check{CheckPTR, CheckFCrDNS},
			explain: "Gmail deferred the message (temporary): the sending address {ip} has no PTR record, or its PTR name " +
				"does not resolve back to {ip}. Your server keeps retrying, and the message bounces when the queue " +
				"lifetime runs out (Postfix: maximal_queue_lifetime, 5 days by default).",
			fix: "Get a PTR record for {ip} naming your mail host and an A/AAAA record for that name with {ip}; then " +
				"`postqueue -f` to retry at once.",
		},
		{
			id: "gmail-spf-suspicious", receiver: ReceiverGmail,
			title:   "Gmail: suspicious SPF record",
			codes:   []string{"4.7.24", "5.7.24"},
			phrases: phrases(`spf record of the sending domain`),
			checks:  []Check{CheckSPF},
			explain: "Gmail found entries in the envelope domain's SPF record that it treats as suspicious, such as very " +
				"wide ranges or `+all`, which authorise most of the Internet.",
			fix: "List only your own sending addresses in SPF (`ip4:`, `ip6:`, includes of your providers) and end with " +
				"`~all` or `-all`.",
		},
		{
			id: "gmail-spf-hard-fail", receiver: ReceiverGmail,
			title:   "Gmail: SPF hard fail",
			codes:   []string{"5.7.26"},
			phrases: phrases(`spf record with a hard fail`, `hard fail policy`),
			checks:  []Check{CheckSPF},
			explain: "The envelope (MAIL FROM) domain {domain} publishes SPF ending in `-all`, and {ip} is not authorised " +
				"by it, so Gmail refused the message.",
			fix: "Add the sending address to the SPF record of {domain} (`ip4:`/`ip6:{ip}`), before the `-all` term.",
		},
		{
			id: "gmail-dmarc-policy", receiver: ReceiverGmail,
			title:   "Gmail: DMARC policy of the From domain",
			codes:   []string{"4.7.26", "5.7.26"},
			phrases: phrases(`not accepted due to domain's dmarc policy`),
			checks:  []Check{CheckDMARC, CheckSPF, CheckDKIM},
			explain: "The From domain {domain} publishes a DMARC policy of quarantine or reject, and the message passed " +
				"neither SPF nor DKIM aligned with that domain. (With 4.7.26 a temporary DNS failure prevented the checks.)",
			fix: "Make SPF pass for {ip} with an envelope domain aligned with {domain}, or sign with DKIM as {domain} " +
				"(or a subdomain, with relaxed alignment).",
		},
		{
			id: "gmail-unauthenticated", receiver: ReceiverGmail,
			title:   "Gmail: neither SPF nor DKIM passed",
			codes:   []string{"4.7.26", "5.7.26", "5.7.1"},
			phrases: phrases(`authenticate with either spf or dkim`, `fails to pass authentication checks`, `is unauthenticated`),
			checks:  []Check{CheckSPF, CheckDKIM},
			explain: "Gmail requires every sender to pass SPF or DKIM. For this message from {ip} neither passed.",
			fix:     "Authorise {ip} in the SPF record of your envelope domain (`ip4:`/`ip6:`) and sign outgoing mail with DKIM.",
		},
		{
			id: "gmail-bulk-spf", receiver: ReceiverGmail,
			title:   "Gmail: bulk senders must pass SPF",
			codes:   []string{"4.7.27", "5.7.27"},
			phrases: phrases(`authenticate (?:their email )?with spf`),
			checks:  []Check{CheckSPF},
			explain: "Gmail requires senders of more than 5,000 messages a day to pass SPF (and DKIM, and publish DMARC); " +
				"SPF did not pass for {ip}.",
			fix: "Add {ip} to the SPF record of your envelope domain.",
		},
		{
			id: "gmail-low-reputation", receiver: ReceiverGmail,
			title:   "Gmail: low reputation of the sending address or domain",
			codes:   []string{"4.7.0", "5.7.1"},
			phrases: phrases(`very low reputation of the sending`),
			checks:  []Check{CheckReputation, CheckDNSBL, CheckPTR, CheckSPF, CheckDKIM},
			explain: "Gmail judged the reputation of the sending address {ip} or of your domain too low. New IPv6 addresses " +
				"start without reputation, and reputation is tracked for address ranges, so other senders in the same " +
				"IPv6 /64 count against you. DNS cannot show Gmail's reputation; it can show whether the basics are in place.",
			fix: "Make sure PTR, SPF, DKIM and DMARC are in place (`mailcheck sender`), watch Google Postmaster Tools, " +
				"and raise volume slowly." + ipv4StopGap,
		},
		{
			id: "gmail-unsolicited-rate", receiver: ReceiverGmail,
			title:   "Gmail: unusual rate of unsolicited mail",
			codes:   []string{"4.7.0", "4.7.28", "5.7.1", "5.7.28"},
			phrases: phrases(`unusual rate of (?:unsolicited )?mail`),
			checks:  []Check{CheckReputation, CheckDNSBL},
			explain: "Gmail sees an unusual rate of unsolicited mail from {ip} (or its network block, or your DKIM or SPF " +
				"domain) and limits it.",
			fix: "Find what sends the mail (compromised account, form spam, forwarding of spam), stop it, then let the " +
				"queue retry; check blocklists with `mailcheck sender --dnsbl --ip {ip}`.",
		},
		{
			id: "gmail-helo-invalid", receiver: ReceiverGmail,
			title:   "Gmail: invalid HELO/EHLO name",
			codes:   []string{"5.5.4"},
			phrases: phrases(`helo/ehlo argument is invalid`, `empty helo/ehlo argument`),
			checks:  []Check{CheckHELO},
			explain: "Gmail refused the HELO/EHLO name your server announced: it must be a fully qualified domain name or " +
				"an address literal (RFC 5321 §4.1.1.1).",
			fix: "Set the name Postfix announces: `postconf -e 'smtp_helo_name = mail.example.com'` (default " +
				"`$myhostname`), a name with an A/AAAA record for your sending address.",
		},

		// ---- Microsoft ----
		{
			id: "microsoft-ipv6-no-ptr", receiver: ReceiverMicrosoft, family: addr.IPv6,
			title:   "Microsoft: IPv6 sender without reverse DNS",
			codes:   []string{"5.7.25"},
			phrases: phrases(`must have (?:a )?reverse dns record`),
			checks:  []Check{CheckPTR, CheckFCrDNS},
			explain: "Exchange Online (Microsoft 365) accepts mail over IPv6 only from addresses that have a PTR record; " +
				"{ip} has none, so the message was refused.",
			fix: "Ask your provider for a PTR record for {ip} naming your mail host, and publish an AAAA record for that " +
				"name with {ip}." + ipv4StopGap,
		},
		{
			id: "microsoft-ipv6-auth", receiver: ReceiverMicrosoft, family: addr.IPv6,
			title:   "Microsoft: mail over IPv6 must pass SPF or DKIM",
			codes:   []string{"4.7.26", "5.7.26"},
			phrases: phrases(`must pass either spf or dkim`),
			checks:  []Check{CheckSPF, CheckDKIM},
			explain: "Exchange Online requires mail received over IPv6 to pass SPF or DKIM; this message from {ip} passed " +
				"neither. The code is temporary on purpose: a dual-stack sender retries, possibly over IPv4.",
			fix: "Add `ip6:{ip}` (or your IPv6 prefix) to the SPF record of the envelope domain, and sign with DKIM.",
		},
		{
			id: "microsoft-auth-level", receiver: ReceiverMicrosoft,
			title:   "Outlook.com: sending domain below the required authentication level",
			codes:   []string{"5.7.515"},
			phrases: phrases(`(?:does not|doesn't|doesn’t) meet the required authentication level`),
			checks:  []Check{CheckSPF, CheckDKIM, CheckDMARC},
			explain: "Since May 2025 Outlook.com, Hotmail and Live require senders of more than 5,000 messages a day to " +
				"pass SPF and DKIM and to publish DMARC (at least p=none) aligned with the From domain {domain}.",
			fix: "Publish `_dmarc.{domain} TXT \"v=DMARC1; p=none; rua=mailto:...\"`, make SPF pass for {ip} and sign with " +
				"DKIM as {domain}.",
		},
		{
			id: "microsoft-dmarc", receiver: ReceiverMicrosoft,
			title:   "Microsoft: DMARC verification failed",
			codes:   []string{"5.7.509"},
			phrases: phrases(`does not pass dmarc verification`),
			checks:  []Check{CheckDMARC, CheckSPF, CheckDKIM},
			explain: "The From domain {domain} publishes DMARC with a reject policy and the message passed neither SPF " +
				"nor DKIM aligned with it.",
			fix: "Align SPF (envelope domain under {domain}) or DKIM (signing domain under {domain}).",
		},
		{
			id: "microsoft-ipv6-not-accepted", receiver: ReceiverMicrosoft, family: addr.IPv6,
			title:   "Microsoft: the recipient's tenant does not accept mail over IPv6",
			codes:   []string{"5.2.1", "5.7.510"},
			phrases: phrases(`does not accept email over ipv6`),
			checks:  nil,
			explain: "The recipient's Microsoft 365 tenant has not enabled inbound IPv6, and refused the connection made " +
				"over IPv6. Nothing on your side is wrong; your server should have used IPv4.",
			fix: "Prefer IPv4 for this destination: a transport in master.cf with `-o smtp_address_preference=ipv4` " +
				"selected for the domain through transport_maps, or `smtp_address_preference = ipv4` globally.",
		},
		{
			id: "microsoft-network-blocklist", receiver: ReceiverMicrosoft,
			title:   "Outlook.com: your provider's network is on Microsoft's block list",
			codes:   []string{"5.7.1"},
			phrases: phrases(`part of their network is on our block list`),
			checks:  []Check{CheckReputation, CheckDNSBL},
			explain: "Outlook.com blocks mail from {ip} because a range of your provider's network is on its block list " +
				"(S3150).",
			fix: "Ask Microsoft to delist the address through its sender support (https://sender.office.com for Exchange " +
				"Online), or send through a relay with a clean reputation.",
		},
		{
			id: "microsoft-banned-ip", receiver: ReceiverMicrosoft,
			title:   "Microsoft: the sending address is banned (S3140 and similar)",
			codes:   nil,
			phrases: phrases(`banned sending ip`),
			checks:  []Check{CheckReputation, CheckDNSBL},
			explain: "Microsoft refuses all mail from {ip}: the address is on Microsoft's own block list, usually after " +
				"spam or complaints from it or its network.",
			fix: "Request delisting at https://sender.office.com after fixing what hurt the reputation; check public " +
				"blocklists with `mailcheck sender --dnsbl --ip {ip}`.",
		},
		{
			id: "microsoft-ip-reputation", receiver: ReceiverMicrosoft,
			title:   "Microsoft: rate limited for IP reputation",
			codes:   nil,
			phrases: phrases(`rate limited due to ip reputation`),
			checks:  []Check{CheckReputation, CheckDNSBL},
			explain: "Microsoft limits how much mail it takes from {ip} because of the address's reputation; the " +
				"rest is deferred and retried.",
			fix: "Request delisting at https://sender.office.com after fixing what hurt the reputation; check public " +
				"blocklists with `mailcheck sender --dnsbl --ip {ip}`.",
		},

		// ---- Yahoo (and AOL) ----
		{
			id: "yahoo-tss04", receiver: ReceiverYahoo,
			title:   "Yahoo: temporarily deferred (volume or complaints)",
			codes:   []string{"4.7.0"},
			phrases: phrases(`temporarily deferred due to unexpected volume or user complaints`, `\[tss04\]`),
			checks:  []Check{CheckReputation, CheckSPF, CheckDKIM, CheckDMARC, CheckPTR},
			explain: "Yahoo deferred mail from {ip} (temporary). Yahoo uses [TSS04] for unexpected volume and complaints, " +
				"and also for senders with weak authentication (no SPF, DKIM or DMARC) or no reverse DNS.",
			fix: "Check PTR, SPF, DKIM and DMARC (`mailcheck sender`), slow down, and let the queue retry.",
		},
		{
			id: "yahoo-permanently-deferred", receiver: ReceiverYahoo,
			title:   "Yahoo: all messages from the address refused",
			codes:   []string{"5.7.2", "5.7.1"},
			phrases: phrases(`will be permanently deferred`, `\[tss09\]`, `\[tss11\]`),
			checks:  []Check{CheckReputation, CheckDNSBL},
			explain: "Yahoo refuses all mail from {ip} (the wording says \"deferred\", the code is permanent: retrying will " +
				"not help).",
			fix: "Fix the cause (authentication, complaints, compromised senders), then ask Yahoo for review at " +
				"https://senders.yahooinc.com/contact; check blocklists with `mailcheck sender --dnsbl --ip {ip}`.",
		},
		{
			id: "yahoo-unauthenticated", receiver: ReceiverYahoo,
			title:   "Yahoo: neither SPF nor DKIM passed",
			codes:   []string{"5.7.9"},
			phrases: phrases(`yahoo requires all senders to authenticate`),
			checks:  []Check{CheckSPF, CheckDKIM},
			explain: "Yahoo requires every sender to pass SPF or DKIM; this message from {ip} passed neither.",
			fix:     "Authorise {ip} in the SPF record of the envelope domain and sign with DKIM.",
		},
		{
			id: "yahoo-policy", receiver: ReceiverYahoo,
			title:   "Yahoo: not accepted for policy reasons (DMARC)",
			codes:   []string{"5.7.9"},
			phrases: phrases(`not accepted for policy reasons`),
			checks:  []Check{CheckDMARC, CheckSPF, CheckDKIM},
			explain: "Yahoo refused the message for policy reasons; most often the From domain's DMARC policy failed.",
			fix:     "Align SPF or DKIM with the From domain and publish DMARC.",
		},
		{
			id: "yahoo-spamhaus", receiver: ReceiverYahoo,
			title:   "Yahoo: address on a Spamhaus list",
			codes:   nil,
			phrases: phrases(`because the ip is in spamhaus's list`, `on spamhaus`, `\[bl2[0-9]\]`),
			checks:  []Check{CheckDNSBL},
			explain: "Yahoo refused the connection because {ip} is on a Spamhaus list. Spamhaus lists IPv6 per /64, so " +
				"other hosts in your /64 can get you listed.",
			fix: "Look the address up at https://check.spamhaus.org, fix the cause and request removal; " +
				"`mailcheck sender --dnsbl --ip {ip}` checks the lists.",
		},

		// ---- A receiving Postfix (smtpd_check.c) ----
		{
			id: "postfix-unknown-reverse-client", receiver: ReceiverPostfix,
			title:   "Postfix server: no PTR for the client (reject_unknown_reverse_client_hostname)",
			phrases: phrases(`cannot find your reverse hostname`),
			checks:  []Check{CheckPTR},
			explain: "The receiving server runs Postfix with `reject_unknown_reverse_client_hostname`: the address {ip} " +
				"has no PTR record (450 when the lookup failed temporarily, else unknown_client_reject_code).",
			fix: "Get a PTR record for {ip} naming your mail host.",
		},
		{
			id: "postfix-unknown-client", receiver: ReceiverPostfix,
			title:   "Postfix server: PTR not forward-confirmed (reject_unknown_client_hostname)",
			phrases: phrases(`cannot find your hostname`),
			checks:  []Check{CheckPTR, CheckFCrDNS},
			explain: "The receiving server runs Postfix with `reject_unknown_client_hostname`: {ip} has no PTR record, or " +
				"no name in it resolves back to {ip} (RFC 7372 X.7.25).",
			fix: "Get a PTR record for {ip} and publish an A/AAAA record for that name with {ip}.",
		},
		{
			id: "postfix-helo", receiver: ReceiverPostfix,
			title:   "Postfix server: HELO name rejected",
			phrases: phrases(`helo command rejected`),
			checks:  []Check{CheckHELO},
			explain: "The receiving Postfix rejected your HELO/EHLO name (reject_unknown_helo_hostname: it has no A/AAAA " +
				"or MX record; reject_non_fqdn_helo_hostname: it is not a fully qualified name; " +
				"reject_invalid_helo_hostname: bad syntax).",
			fix: "Set `smtp_helo_name` (default `$myhostname`) to a fully qualified name that resolves to your sending " +
				"address.",
		},

		// ---- The sending Postfix itself (smtp_connect.c) ----
		{
			id: "local-network-unreachable", receiver: ReceiverLocal,
			title:   "This host has no route to the destination's address family",
			phrases: phrases(`network is unreachable`),
			checks:  []Check{CheckIPv6Route},
			explain: "Your server tried {host} at an address for which it has no route; almost always an IPv6 address on " +
				"a host without an IPv6 default route. Postfix moves on to the next address, so mail is delayed rather " +
				"than lost, but every delivery pays for it.",
			fix: "Add the IPv6 default route (and a global IPv6 address), or, if the host has no IPv6 at all, " +
				"`postconf -e 'inet_protocols = ipv4'` so Postfix stops using AAAA records.",
		},
		{
			id: "local-connect-timeout", receiver: ReceiverLocal,
			title:   "Connection to the receiver timed out",
			phrases: phrases(`connection timed out`),
			checks:  []Check{CheckPort25, CheckIPv6Route},
			explain: "Your server got no answer from {host}: outbound port 25 is blocked (common with cloud and home " +
				"providers), or the path over that address family drops packets. Postfix waits smtp_connect_timeout " +
				"(30s) per address.",
			fix: "Test each address and family with `mailcheck probe {host}`; ask the provider to open port 25, or " +
				"relay through a smart host (`relayhost`).",
		},

		// ---- Any receiver, by RFC 7372 enhanced code ----
		{
			id: "rfc7372-reverse-dns", title: "Reverse DNS validation failed (RFC 7372 X.7.25)",
			codes:  []string{"4.7.25", "5.7.25"},
			checks: []Check{CheckPTR, CheckFCrDNS},
			explain: "The receiver checked the reverse DNS of {ip} and it failed: no PTR record, or no PTR name resolves " +
				"back to the address.",
			fix: "Get a PTR record for {ip} naming your mail host and an A/AAAA record for that name with {ip}.",
		},
		{
			id: "rfc7372-spf-fail", title: "SPF validation failed (RFC 7372 X.7.23)",
			codes:   []string{"4.7.23", "5.7.23"},
			checks:  []Check{CheckSPF},
			explain: "The receiver evaluated the SPF record of your envelope domain for {ip} and it did not pass.",
			fix:     "Add {ip} to the SPF record of the envelope domain (`ip4:`/`ip6:`).",
		},
		{
			id: "rfc7372-spf-error", title: "SPF validation error (RFC 7372 X.7.24)",
			codes:   []string{"4.7.24", "5.7.24"},
			checks:  []Check{CheckSPF},
			explain: "The receiver could not evaluate the SPF record of your envelope domain (a syntax error, too many DNS lookups, or a DNS failure).",
			fix:     "Fix the SPF record: one `v=spf1` record, at most 10 DNS-querying terms (RFC 7208 §4.6.4).",
		},
		{
			id: "rfc7372-auth-failed", title: "Multiple authentication checks failed (RFC 7372 X.7.26)",
			codes:   []string{"4.7.26", "5.7.26"},
			checks:  []Check{CheckSPF, CheckDKIM, CheckDMARC},
			explain: "The receiver's authentication checks (SPF, DKIM, DMARC) failed together for this message from {ip}.",
			fix:     "Make SPF pass for {ip}, sign with DKIM and align both with the From domain.",
		},
		{
			id: "dnsbl-listed", title: "The sending address is on a DNS blocklist",
			phrases: phrases(`blocked using `, `listed (?:on|in|at) [a-z0-9.-]*(?:spamhaus|spamcop|barracuda|sorbs|dnsbl|blocklist|blacklist)`, `spamhaus`),
			checks:  []Check{CheckDNSBL},
			explain: "The receiver refused {ip} because a DNS blocklist lists it. Spamhaus lists IPv6 per /64: the whole " +
				"/64 shares one listing.",
			fix: "Find the list with `mailcheck sender --dnsbl --ip {ip}`, fix the cause and request removal from that list.",
		},
		// ---- Any receiver, by the meaning of the wording ----
		{
			id: "generic-reverse-dns", title: "The receiver requires reverse DNS for the sending address",
			phrases: phrases(`reverse dns (?:failed|lookup failed|check failed|required|validation)`, `must have (?:a )?ptr record`,
				`fix reverse dns for`, `bad dns ptr resource record`, `ip name lookup failed`, `no ptr record`,
				`(?:does not|doesn't) have (?:a )?(?:valid )?(?:reverse dns|ptr)`, `reverse dns (?:entry|record) (?:is )?(?:missing|not found)`,
				`cannot resolve (?:your|the) (?:ip|address) to a (?:host)?name`, `rdns (?:lookup )?(?:failed|required)`,
				`requires? (?:a )?(?:valid )?(?:reverse dns|rdns|ptr)`, `no reverse dns`, `reverse lookup failed`),
			checks: []Check{CheckPTR, CheckFCrDNS},
			explain: "The receiver looked up the PTR record of the sending address {ip} and found none, or a name that does " +
				"not resolve back to {ip}; it accepts mail only from addresses with forward-confirmed reverse DNS.",
			fix: "Have the PTR record of {ip} set to your mail host's name (your provider's control panel or support), and " +
				"publish an A or AAAA record for that name with {ip}. Check with `mailcheck sender --ip {ip}`.",
		},
		{
			id: "generic-dmarc", title: "The From domain's DMARC policy rejected the message",
			phrases: phrases(`rejected due to .*dmarc policy`, `dmarc (?:check |verification |validation )?failed`,
				`failed (?:the )?dmarc`, `owner dmarc policy`, `dmarc policy (?:violation|reject)`, `due to dmarc`,
				`dmarc (?:reject|quarantine)`, `does not pass dmarc`, `dmarc authentication failed`),
			checks: []Check{CheckDMARC, CheckSPF, CheckDKIM},
			explain: "The From domain {domain} publishes a DMARC policy of reject (or quarantine), and the message passed " +
				"neither SPF nor DKIM aligned with that domain, so the receiver refused it.",
			fix: "Make SPF pass for {ip} with an envelope domain aligned with {domain}, or sign with DKIM as {domain} " +
				"(or a subdomain, with relaxed alignment). Check with `mailcheck sender --ip {ip} --domain {domain}`.",
		},
		{
			id: "generic-ip-blocklisted", title: "The receiver blocks the sending address (block list or reputation)",
			phrases: phrases(`ip address blacklisted by recipient`, `blacklisted by recipient`, `on our block list`,
				`(?:ip|address|host) (?:is |has been )?(?:black|block)listed`, `listed (?:on|in|at|by) (?:our|the|a)? ?(?:black|block) ?list`,
				`(?:black|block) ?list(?:ed)? (?:at|by) `, `barracudacentral`, `barracuda reputation`, `proofpoint`, `rejected by reputation`,
				`poor reputation`, `bad reputation`, `low reputation`, `reputation (?:is too low|too low)`,
				`reputation of (?:the |your )?(?:sending )?(?:ip|address|host)`, `\bs3140\b`, `\bs3150\b`, `sender ip reputation`,
				`cbl\.abuseat\.org`, `spamcop`, `sorbs`, `dnsbl`, `\brbl\b`),
			checks: []Check{CheckDNSBL, CheckReputation},
			explain: "The receiver refused {ip} because the address (or its network; for IPv6 often the whole /64) is on " +
				"a block list, its own or a public one, or has a poor reputation there.",
			fix: "Find public listings with `mailcheck sender --dnsbl --ip {ip}`, fix the cause (compromised account, " +
				"open form, forwarding of spam) and request removal from each list; for a receiver's own list use its " +
				"delisting page.",
		},
	}
})

// match applies the first matching rule to r.
func match(r *Result, flat string) {
	hay := strings.ToLower(r.Reply)
	if hay == "" {
		hay = strings.ToLower(flat)
	}
	rs := rules()
	for i := range rs {
		ru := &rs[i]
		if ru.receiver != "" && r.Receiver != "" && r.Receiver != ru.receiver &&
			r.Receiver != ReceiverLocal && ru.receiver != ReceiverLocal {
			continue
		}
		if ru.receiver == ReceiverLocal && !r.ReceivingIP.IsValid() {
			// Connect failures are recognised only in Postfix's own
			// "connect to HOST[ADDR]" form.
			continue
		}
		if len(ru.codes) > 0 {
			if r.EnhancedCode == "" || !slices.Contains(ru.codes, r.EnhancedCode) {
				if len(ru.phrases) == 0 || r.EnhancedCode != "" {
					continue
				}
			}
		}
		if len(ru.phrases) > 0 && !anyMatch(ru.phrases, hay) {
			continue
		}
		apply(r, ru, flat)
		return
	}
}

func anyMatch(ps []phrase, s string) bool {
	for _, p := range ps {
		if p.re == nil && strings.Contains(s, p.lit) || p.re != nil && p.re.MatchString(s) {
			return true
		}
	}
	return false
}

func apply(r *Result, ru *rule, flat string) {
	r.Recognised = true
	r.Rule = ru.id
	r.Title = ru.title
	if ru.receiver != "" {
		r.Receiver = ru.receiver
	}
	r.Family = ru.family
	r.Checks = ru.checks
	r.SenderIP = senderAddr(r.Reply, flat, r.ReceivingIP)
	if r.SenderDomain == "" {
		r.SenderDomain = senderDomain(r.Reply)
	}
	// What is not known reads as words in prose and as a placeholder in a
	// command: "--ip <sending address>", not "--ip the sending address".
	ip, ipCode := "the sending address", "<sending address>"
	if r.SenderIP.IsValid() {
		ip = r.SenderIP.String()
		ipCode = ip
	}
	host, hostCode := "the receiving server", "<receiving host>"
	if r.ReceivingHost != "" {
		host, hostCode = r.ReceivingHost, r.ReceivingHost
	}
	domain, domainCode := "your domain", "<your domain>"
	if r.SenderDomain != "" {
		domain, domainCode = r.SenderDomain, r.SenderDomain
	}
	prose := strings.NewReplacer("{ip}", ip, "{host}", host, "{domain}", domain)
	code := strings.NewReplacer("{ip}", ipCode, "{host}", hostCode, "{domain}", domainCode)
	r.Explanation = fillTemplate(ru.explain, prose, code)
	r.Fix = fillTemplate(ru.fix, prose, code)
}

// fillTemplate replaces the placeholders of a rule's text, with prose
// outside `code spans` and with the code forms inside them.
func fillTemplate(tmpl string, prose, code *strings.Replacer) string {
	var b strings.Builder
	for i, seg := range strings.Split(tmpl, "`") {
		if i > 0 {
			b.WriteByte('`')
		}
		if i%2 == 1 {
			b.WriteString(code.Replace(seg))
		} else {
			b.WriteString(prose.Replace(seg))
		}
	}
	return b.String()
}

// identifyReceiver names the receiver from the receiving host and from
// markers the receivers put in their replies.
func identifyReceiver(host, flat string) string {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	suffix := func(ss ...string) bool {
		for _, s := range ss {
			if h == s || strings.HasSuffix(h, "."+s) {
				return true
			}
		}
		return false
	}
	switch {
	case suffix("google.com", "googlemail.com", "gmail.com"):
		return ReceiverGmail
	case suffix("outlook.com", "hotmail.com", "live.com", "microsoft.com", "office365.us", "outlook.cn"):
		return ReceiverMicrosoft
	case suffix("yahoodns.net", "yahoo.com", "yahoo.net", "aol.com", "yahooinc.com"):
		return ReceiverYahoo
	}
	low := strings.ToLower(flat)
	switch {
	case strings.Contains(low, "- gsmtp") || strings.Contains(low, "support.google.com") || strings.Contains(low, " gmail "):
		return ReceiverGmail
	case strings.Contains(low, "protection.outlook.com") || strings.Contains(low, "postmaster.live.com") ||
		strings.Contains(low, "sender.office.com") || strings.Contains(low, "prod.outlook.com") ||
		strings.Contains(low, ".outlook.com") || strings.Contains(low, "hotmail.com") ||
		strings.Contains(low, "messaging.microsoft.com") || strings.Contains(low, "exchangelabs.com") ||
		strings.Contains(low, "mail.protection.") || strings.Contains(low, "aka.ms/") ||
		strings.Contains(low, "[hotmail]") || strings.Contains(low, "postmaster.outlook.com"):
		return ReceiverMicrosoft
	case strings.Contains(low, "yahooinc.com") || strings.Contains(low, "postmaster.yahoo.com") ||
		strings.Contains(low, "[tss0") || strings.Contains(low, "[tss1"):
		return ReceiverYahoo
	case strings.Contains(low, "client host rejected:") || strings.Contains(low, "helo command rejected:"):
		return ReceiverPostfix
	}
	return ""
}

// Where each receiver names the sending address. Order matters: the most
// specific forms first.
var senderAddrPatterns = []*lazyRE{
	// Gmail: "550-5.7.1 [2001:db8::25      12] Our system ..." (the address
	// and a counter, right after the codes).
	lazyRegexp(`^\[([0-9A-Fa-f:.]+)(?:\s+\d+)?\]`),
	lazyRegexp(`with (?:the )?ip(?: address)?:?\s*\[?([0-9A-Fa-f:.]+)\]?`),
	// "client [192.0.2.1] blocked using ...", "Client host rejected:
	// blocked using ..." with the address in brackets before it.
	lazyRegexp(`client \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`lookup failed:? \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`\[([0-9A-Fa-f:.]+)\][^\[\]]{0,40}blocked using`),
	lazyRegexp(`sending ipv6 address \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`sent over ipv6 \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`the mail server \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`messages from \[?([0-9A-Fa-f:.]+)\]?`),
	lazyRegexp(`accepted from \[?([0-9A-Fa-f:.]+)\]?`),
	lazyRegexp(`banned sending ip \[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`client host \[([0-9A-Fa-f:.]+)\]`),
	// Postfix smtpd: "Client host rejected: cannot find your hostname, [ADDR]".
	lazyRegexp(`rejected: [^\[\]]*\[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`your ip(?: address)?:?\s*\[?([0-9A-Fa-f:.]+)\]?`),
}

// Postfix smtpd log forms, where the client is the sender being judged.
var smtpdClientPatterns = []*lazyRE{
	lazyRegexp(`\b(?:rcpt|mail|data|ehlo|helo|end-of-message|connect) from [A-Za-z0-9._-]+\[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`\bclient=[A-Za-z0-9._-]+\[([0-9A-Fa-f:.]+)\]`),
	lazyRegexp(`\bconnect from [A-Za-z0-9._-]+\[([0-9A-Fa-f:.]+)\]`),
}

// senderAddr finds the sending address in the reply, then in the whole text.
func senderAddr(reply, flat string, receiving netip.Addr) netip.Addr {
	try := func(s string, pats []*lazyRE) netip.Addr {
		for _, re := range pats {
			for _, m := range re.FindAllStringSubmatch(s, 4) {
				if a, err := addr.ParseLiteral(strings.TrimRight(m[1], ".")); err == nil && a != receiving {
					return a
				}
			}
		}
		return netip.Addr{}
	}
	reply, flat = strings.ToLower(reply), strings.ToLower(flat)
	if a := try(reply, senderAddrPatterns); a.IsValid() {
		return a
	}
	if a := try(flat, senderAddrPatterns[1:]); a.IsValid() {
		return a
	}
	return try(flat, smtpdClientPatterns)
}

var senderDomainPatterns = []*lazyRE{
	lazyRegexp(`spf check for \[([A-Za-z0-9.-]+)\]`),
	lazyRegexp(`mail from domain \[([A-Za-z0-9.-]+)\]`),
	lazyRegexp(`unauthenticated email from ([A-Za-z0-9.-]+\.[A-Za-z]{2,})`),
	lazyRegexp(`sending domain \[([A-Za-z0-9.-]+)\]`),
	lazyRegexp(`spf (?:domain )?\[?([A-Za-z0-9.-]+\.[A-Za-z]{2,})\]? with ip`),
}

func senderDomain(reply string) string {
	reply = strings.ToLower(reply)
	for _, re := range senderDomainPatterns {
		if m := re.FindStringSubmatch(reply); m != nil {
			return strings.ToLower(strings.TrimSuffix(m[1], "."))
		}
	}
	return ""
}

// notRecognised says honestly what was and was not understood.
func notRecognised(r Result) string {
	var b strings.Builder
	switch name := receiverNames[r.Receiver]; {
	case name != "":
		// The receiver is known (from its host name or markers), only
		// this reply of its is not: saying "none of Gmail's" of a reply
		// just identified as Gmail's would contradict itself.
		b.WriteString("Not recognised: this reply from " + name + " is not one mailcheck has a rule for.")
	default:
		b.WriteString("Not recognised: this text matches none of the Gmail, Microsoft, Yahoo or Postfix replies mailcheck knows.")
	}
	if r.ReplyCode != 0 {
		b.WriteString(" The reply code ")
		b.WriteString(itoa(r.ReplyCode))
		if r.Permanent {
			b.WriteString(" is permanent: the message bounced.")
		} else {
			b.WriteString(" is temporary: the sending server keeps retrying.")
		}
	}
	return b.String()
}

var receiverNames = map[string]string{
	ReceiverGmail: "Gmail", ReceiverMicrosoft: "Microsoft", ReceiverYahoo: "Yahoo",
	ReceiverPostfix: "a Postfix server", ReceiverLocal: "the sending host",
}

func itoa(n int) string {
	const digits = "0123456789"
	if n <= 0 {
		return "0"
	}
	var buf [8]byte
	i := len(buf)
	for n > 0 && i > 0 {
		i--
		buf[i] = digits[n%10]
		n /= 10
	}
	return string(buf[i:])
}
