package bounce

import (
	"strings"
	"sync"
)

// Reasons: the kind of failure, named as the bounce-parsing field names it
// (Sisimai's reason names), so that results can be compared with other
// tools and migrated. docs/json.md lists them with their meaning.
const (
	ReasonDelivered       = "delivered"       // not a failure: a success notice (DSN Action: delivered)
	ReasonUserUnknown     = "userunknown"     // the mailbox does not exist
	ReasonHostUnknown     = "hostunknown"     // the recipient's domain does not exist or has no mail host
	ReasonMailboxFull     = "mailboxfull"     // the mailbox is over quota
	ReasonMesgTooBig      = "mesgtoobig"      // the message is larger than the receiver accepts
	ReasonExceedLimit     = "exceedlimit"     // the message exceeds an administrative limit (RFC 3463 X.2.3)
	ReasonSuspend         = "suspend"         // the mailbox is disabled or suspended
	ReasonHasMoved        = "hasmoved"        // the mailbox moved, no forwarding (X.1.6)
	ReasonNoRelaying      = "norelaying"      // the receiver refused to relay
	ReasonRequirePTR      = "requireptr"      // the sending address has no (forward-confirmed) PTR record
	ReasonAuthFailure     = "authfailure"     // SPF, DKIM or DMARC failed
	ReasonBadReputation   = "badreputation"   // the receiver's reputation of the sender is too low
	ReasonBlocked         = "blocked"         // the sending address is refused (blocklist, receiver's own block)
	ReasonSpamDetected    = "spamdetected"    // the content was judged spam
	ReasonVirusDetected   = "virusdetected"   // the content carries malware
	ReasonPolicyViolation = "policyviolation" // a receiver policy refused the message
	ReasonRejected        = "rejected"        // the envelope sender was refused
	ReasonFiltered        = "filtered"        // the recipient's filter or mailbox state refused it
	ReasonSecurityError   = "securityerror"   // TLS, authentication or a security requirement
	ReasonSpeeding        = "speeding"        // rate limited (Sisimai's name for rate limits)
	ReasonTooManyConn     = "toomanyconn"     // too many connections or recipients
	ReasonNotAccept       = "notaccept"       // the domain accepts no mail (null MX, RFC 7505)
	ReasonNotCompliantRFC = "notcompliantrfc" // the message breaks RFC 5322 (duplicate headers, bare LF)
	ReasonContentError    = "contenterror"    // the content is malformed or not accepted (X.6.x)
	ReasonSyntaxError     = "syntaxerror"     // an SMTP command syntax error (X.5.x)
	ReasonExpired         = "expired"         // the sending server gave up retrying
	ReasonNetworkError    = "networkerror"    // connection, DNS or routing failure on the way
	ReasonSystemError     = "systemerror"     // the receiving system failed
	ReasonSystemFull      = "systemfull"      // the receiving system is out of storage
	ReasonMailerError     = "mailererror"     // a local delivery program failed
	ReasonFeedback        = "feedback"        // not a bounce: an abuse (complaint) report, RFC 5965 ARF
	ReasonVacation        = "vacation"        // not a bounce: an automatic reply, RFC 3834
	ReasonOnHold          = "onhold"          // the reply names no cause to decide on ("temporary failure")
	ReasonUndefined       = "undefined"       // nothing says why
)

// ruleReason is the reason of each rule: mailcheck's rules are finer (they
// name the receiver and the fix); the reason places them in the common
// vocabulary.
var ruleReason = map[string]string{
	"gmail-ipv6-ptr-auth":            ReasonRequirePTR,
	"gmail-ptr-missing":              ReasonRequirePTR,
	"gmail-ptr-rate-limited":         ReasonRequirePTR,
	"gmail-spf-suspicious":           ReasonAuthFailure,
	"gmail-spf-hard-fail":            ReasonAuthFailure,
	"gmail-dmarc-policy":             ReasonAuthFailure,
	"gmail-unauthenticated":          ReasonAuthFailure,
	"gmail-bulk-spf":                 ReasonAuthFailure,
	"gmail-low-reputation":           ReasonBadReputation,
	"gmail-unsolicited-rate":         ReasonSpeeding,
	"gmail-helo-invalid":             ReasonBlocked,
	"microsoft-ipv6-no-ptr":          ReasonRequirePTR,
	"microsoft-ipv6-auth":            ReasonAuthFailure,
	"microsoft-auth-level":           ReasonAuthFailure,
	"microsoft-dmarc":                ReasonAuthFailure,
	"microsoft-ipv6-not-accepted":    ReasonNotAccept,
	"microsoft-network-blocklist":    ReasonBlocked,
	"microsoft-ip-reputation":        ReasonBadReputation,
	"microsoft-banned-ip":            ReasonBlocked,
	"yahoo-tss04":                    ReasonBadReputation,
	"yahoo-permanently-deferred":     ReasonBlocked,
	"yahoo-unauthenticated":          ReasonAuthFailure,
	"yahoo-policy":                   ReasonPolicyViolation,
	"yahoo-spamhaus":                 ReasonBlocked,
	"postfix-unknown-reverse-client": ReasonRequirePTR,
	"postfix-unknown-client":         ReasonRequirePTR,
	"postfix-helo":                   ReasonBlocked,
	"local-network-unreachable":      ReasonNetworkError,
	"local-connect-timeout":          ReasonNetworkError,
	"rfc7372-reverse-dns":            ReasonRequirePTR,
	"rfc7372-spf-fail":               ReasonAuthFailure,
	"rfc7372-spf-error":              ReasonAuthFailure,
	"rfc7372-auth-failed":            ReasonAuthFailure,
	"dnsbl-listed":                   ReasonBlocked,
	"generic-reverse-dns":            ReasonRequirePTR,
	"generic-dmarc":                  ReasonAuthFailure,
	"generic-ip-blocklisted":         ReasonBlocked,
}

// family is one reason's wording, matched against the lower-cased reply.
type family struct {
	reason  string
	phrases []phrase
}

// families are tried in order; the first whose phrase occurs wins. The
// order settles replies that speak of two things: "550 5.1.1 user unknown;
// spam filter ..." is about the mailbox, "blocked using zen.spamhaus.org"
// is about the address (not spam content), a sender refused "because its
// domain has no PTR" is about the PTR. The phrases are the recurring
// wording of MTAs and large receivers (Postfix smtpd_check.c, Sendmail,
// Exim, qmail, Exchange, Gmail, Yahoo and others), by meaning. The table
// is built on first use, not at start-up: most commands never read a
// bounce (docs/performance.md, "Start-up").
var families = sync.OnceValue(func() []family {
	return []family{
		// Codes that receivers document on their postmaster pages say more
		// than the wording beside them: Orange's OFR_506 is a message refused
		// as spam; Cox's AUP#CXBL, AUP#IPBL and AUP#CDRBL an address on a
		// block list (cox.com, "Email error codes").
		{ReasonSpamDetected, phrases(`\bofr_506\b`)},
		{ReasonBlocked, phrases(`aup#(?:cx|ip|cdr)bl\b`)},
		// Wording that names its category outright, before the address
		// block wording that would otherwise claim "blocked" or "denied".
		{ReasonSecurityError, phrases(
			`unauthenticated senders`, `smtp authentication`, `authentication required`, `must authenticate`,
			`must issue a starttls`, `encryption required`, `tls required`, `delivery not authorized`)},
		{ReasonContentError, phrases(`media error`)},
		// An address that cannot be parsed (RFC 3463 X.1.3, X.1.7), and
		// replies that say the command itself was not understood (RFC 5321
		// §4.2.4: 502, 504).
		{ReasonSyntaxError, phrases(`malformed address`, `command parameter not implemented`, `command not implemented`)},
		// The recipient's own choice refuses the sender, whatever status code
		// comes with it (Facebook's RCP-P2 "refused due to recipient
		// preferences").
		{ReasonFiltered, phrases(`due to recipient preferences`, `refuses to receive`, `refuse to receive`)},
		// Exchange Online's directory-based edge blocking: the recipient is not
		// in the tenant's directory.
		{ReasonUserUnknown, phrases(`recipient address rejected: access denied`)},
		// A receiver's own directory failure (Sisimai's systemerror names
		// "LDAP connection failure"), before the queue wording that qmail-send
		// adds after it.
		{ReasonSystemError, phrases(`internal system error`, `service currently unavailable`, `contact ldap server`, `ldap server (?:is )?(?:down|unavailable|not available)`)},
		{ReasonNotAccept, phrases(`system not accepting network messages`)},
		{ReasonPolicyViolation, phrases(
			`policy violation`, `content presents a potential`, `header error`, `violates our`, `against our policy`)},
		{ReasonSpamDetected, phrases(
			`message content rejected`, `spam detected`, `detected as spam`, `classified as spam`, `spam classification`, `rejected due to spam`,
			`rejected as spam`, `identified as spam`, `message is spam`, `looks like spam`, `blacklisted url`,
			`blacklisted link`, `uribl`)},
		{ReasonMailboxFull, phrases(
			`mailbox full`, `mailbox is full`, `mailbox is over quota`, `over quota`, `overquota`, `quota exceeded`,
			`exceeded storage`, `exceeded (?:its|the|their) (?:storage|quota)`, `exceeds quota`, `disk quota`,
			`mailfolder is full`, `mail box full`, `mailbox size limit`, `user is over`, `quota full`,
			`not enough storage`, `is out of storage`, `maildir over quota`,
			`has exceeded the maximum`, `would exceed quota`, `mailbox exceeded`, `account is full`,
			`storage limit`, `user's mailbox is full`, `mailbox exceeds`)},
		// Sendmail's text of EX_OSERR (sysexits.h: "cannot fork", "cannot
		// create pipe"), a delivery program's failure, comes before the
		// delay wording that a warning adds after it.
		{ReasonMailerError, phrases(`operating system error`)},
		{ReasonExpired, phrases(
			`retry timeout exceeded`, `retry time not reached for any host after a long failure period`,
			`message expired`, `delivery time expired`, `delivery expired`, `message timed out`,
			`was not delivered within`, `could not be delivered within`, `too long in the queue`, `queue too long`,
			`has been delayed for more than`, `cannot deliver for more than`, `time limit exceeded`,
			`message has been in the queue too long`, `maximum retries exceeded`, `delivery attempts will continue`,
			`undeliverable for \d+ days`, `unable to deliver for \d+ days`, `has been delayed`, `will be retried`,
			`failing for a long time`, `after multiple retries`, `retries, giving up`, `could not be delivered for`,
			`did not accept our requests to connect`, `could not deliver for the last`, `envelope expired`,
			`delivery period expired`, `expired after`, `still undelivered after`,
			`delivery failed \d+ attempts`, `aborted after [\d.]+ hour`, `will continue trying`)},
		{ReasonMailerError, phrases(
			`mailer error`, `command died with status`, `command output:`, `procmail:`, `unknown mailer error`,
			`delivery to a program failed`, `x-unix;`, `^"\|`, `pipe to \|`, `exited with status`)},
		{ReasonHasMoved, phrases(`user has moved`, `mailbox has moved`, `has moved to`, `address has changed`)},
		// The client itself is an open relay (a receiver refusing it), not a
		// relay request refused.
		{ReasonBlocked, phrases(`(?:is|as) an open relay`)},
		{ReasonNoRelaying, phrases(
			`relay access denied`, `relaying denied`, `relay denied`, `relay not permitted`, `relaying not permitted`,
			`not permitted to relay`, `unable to relay`, `relaying not allowed`, `we do not relay`, `not allowed to relay`,
			`relaying mail to .* is not allowed`, `no relaying`, `relay prohibited`, `relay rejected`, `open relay`,
			`not configured to relay`, `insecure mail relay`,
			// A relay (Amazon SES) that sends only for senders it has verified.
			`identities failed the check`)},
		{ReasonSystemFull, phrases(`insufficient disk space`, `insufficient system storage`, `system full`, `out of disk`)},
		{ReasonExceedLimit, phrases(
			`exceeds administrative limit`, `message length exceeds`, `exceeds fixed maximum message size`)},
		{ReasonMesgTooBig, phrases(
			`message too large`, `message is too large`, `message too big`, `message is too big`, `size exceeds`,
			`exceeds size limit`, `exceeds the maximum size`, `message length exceeds`,
			`exceeds maximum message size`, `mail size limit`, `message size limit`, `too large for`,
			`message too large for this recipient`,
			`larger than the maximum`, `email is too large`, `message exceeds`, `size limit`, `line limit exceeded`)},
		{ReasonSuspend, phrases(
			`account disabled`, `account has been disabled`, `account is disabled`, `mailbox disabled`,
			`mailbox is disabled`, `is disabled`, `account suspended`, `has been suspended`, `is suspended`,
			`account is inactive`, `mailbox is inactive`, `account inactive`, `inactive user`, `account expired`,
			`has been deactivated`, `mailbox unavailable for this recipient`, `not an active`, `is not active`,
			`temporarily disabled`, `account has been locked`, `account is locked`, `mailbox is frozen`, `temporary locked`,
			`temporarily locked`, `disabled recipient`, `is inactive`,
			`account is blocked`)},
		{ReasonRejected, phrases(
			`sender address rejected`, `domain of sender address`, `sender rejected`, `sender verify failed`,
			`sender domain`, `sender denied`, `envelope sender`, `sender is not allowed`, `sender address is not`,
			`sender not allowed`, `sender unknown`, `unverifiable sender`, `invalid sender`, `sender blocked`,
			`rejected by sender`, `sender verification`, `purported responsible address`,
			// Google Groups refuses posts to a group that does not exist or
			// from senders who may not post to it.
			`groups.google.com/support`, `permission to post`,
			// A mailing list manager refusing a post from a non-member.
			`not a member of this (?:mailing )?list`, `you are not a member`,
			// The sender's own address, not its IP address, is listed.
			`(?:to|from) an address that has been (?:black|block)listed`,
			`(?:from|sender):? domain is invalid`, `invalid (?:from|sender) domain`,
			// Gmail refusing to send from another address of the user's
			// ("Send mail as") whose settings no longer work: the sender's
			// address is refused (support.google.com/mail/?p=CustomFromDenied).
			`using the 'send mail as' feature`, `customfromdenied`)},
		// A domain, or a host name (two dots or more, no "@": a local part
		// such as john.smith has dots too), that "does not exist" is the
		// destination, not a mailbox.
		{ReasonHostUnknown, phrases(`domain does not exist`, `(?:^|[\s<:])[a-z0-9-]+(?:\.[a-z0-9-]+){2,}\.?>?:? does not exist`)},
		{ReasonUserUnknown, phrases(
			`user unknown`, `unknown user`, `no such user`, `unknown recipient`, `recipient unknown`,
			`recipient not found`, `user not found`, `mailbox not found`, `no such mailbox`, `no mailbox here`,
			`invalid recipient`, `invalid mailbox`, `not a valid mailbox`, `mailbox unavailable`, `mailbox does not exist`,
			`account does not exist`, `address does not exist`, `user does not exist`, `recipient does not exist`,
			`does not exist`, `addressee unknown`, `is not a known user`, `unknown local part`, `unknown address`,
			`bad destination mailbox`, `no such recipient`, `unknown or illegal alias`,
			`not listed in`, `user doesn't have`, `user not exist`, `address couldn't be found`, `address not found`,
			`invalid final delivery userid`, `doesn't have a .* account`, `no account by that name`,
			`unknown mailbox`, `undeliverable address`, `invalid address`, `not our customer`, `address unknown`,
			`email account that you tried to reach does not exist`, `no valid recipients`, `recipient rejected`,
			`user invalid`, `invalid user`, `mailbox name not allowed`,
			`no mail-box`, `not a valid user`, `delivery failed for`, `does not have an account`,
			// Lotus Notes / Domino in Japanese: "not found in the Domino
			// directory", "not in the directory's list" (its English
			// "not listed in Domino Directory").
			`ディレクトリには見つかりません`, `ディレクトリのリストにありません`)},
		{ReasonNotAccept, phrases(
			`does not accept mail`, `does not accept email`, `not accepting mail`, `null mx`, `accepts no mail`,
			`no smtp service here`, `an mx or srv record indicated no smtp service`, `no mx record`, `no mx found`, `does not receive mail`, `couldn't find a mail exchanger`, `doesn't receive email`, `doesn't receive mail`)},
		// A DNS failure reported as such is the resolver's, not proof that
		// the domain does not exist; "host not found, try again" is the
		// resolver's TRY_AGAIN (a temporary failure, RFC 2308 §7), while
		// "host NAME not found" is the answer itself.
		{ReasonNetworkError, phrases(`host not found, try again`)},
		{ReasonHostUnknown, phrases(`\bhost \S+ not found`)},
		{ReasonNetworkError, phrases(`dns error:`, `dns query failed`, `lookup failure`)},
		{ReasonHostUnknown, phrases(
			`host unknown`, `host not found`, `bad destination system address`, `unknown host`, `domain not found`, `no such domain`, `unknown domain`,
			`name or service not known`, `couldn't find any host named`,
			`host or domain name not found`, `not a valid domain`, `no mail host`, `nxdomain`,
			`unrouteable mail domain`, `unrouteable address`, `unroutable address`, `domain name not found`, `all relevant mx records point to non-existent hosts`,
			`domain is not reachable`, `illegal host/domain name found`, `no route to domain`)},
		{ReasonRequirePTR, phrases(
			`reverse dns`, `ptr record`, `dns ptr`, `reverse lookup`, `reverse hostname`, `no ptr`,
			`cannot find your hostname`, `ip name lookup failed`, `reverse-dns`, `rdns`, `reverse dns failed`,
			`fix reverse dns`, `pointer \(ptr\)`, `cannot resolve your address`, `hostname lookup failed`,
			`not resolve your hostname`, `unresolvable address`, `client host rejected: cannot find`,
			`does not resolve to your ip`, `unverif(?:i|y)able sending ip`, `requires rdns`, `mismatches client ip`, `reverse mapping`, `ip address has no name`)},
		// A duplicated header breaks RFC 5322 §3.6 whatever header it is: a
		// duplicate DKIM-Signature is not an authentication failure.
		{ReasonNotCompliantRFC, phrases(`duplicate header`)},
		{ReasonAuthFailure, phrases(
			`dmarc`, `\bspf\b`, `sender policy framework`, `dkim`, `required authentication level`,
			`authentication requirements`, `unauthenticated email`, `is unauthenticated`, `not authorized to send`,
			`not permitted to send on behalf`, `is not allowed to send mail for`, `not designated as a permitted sender`)},
		{ReasonTooManyConn, phrases(
			`connection rate limit`, `too many connections`, `too many concurrent`, `too many sessions`,
			`connection limit`, `too many simultaneous`, `max connections`, `frequency limited`)},
		{ReasonSpeeding, phrases(
			`sent to too many recipients`, `too many recipients this`, `receiving mail at a rate`,
			`rate limit`, `rate-limit`, `ratelimit`, `too many messages`, `sending rate`, `sending too fast`,
			`temporarily deferred due to unexpected volume`, `throttl`, `exceeded the rate`, `too many emails`,
			`unusual rate`, `received too many`, `messages per`)},
		{ReasonTooManyConn, phrases(`too many recipients`)},
		{ReasonNotCompliantRFC, phrases(
			`multiple addresses in from`, `rfc 5322`, `multiple subject`, `rfc5322`, `rfc 2822`, `rfc2822`, `rfc 822`, `not rfc`, `multiple from`, `duplicate header`,
			`bare linefeed`, `bare lf`, `does not comply with`, `not compliant`, `non-compliant`,
			`malformed header`, `invalid header`, `missing header`, `header line too long`)},
		{ReasonVirusDetected, phrases(`virus`, `malware`, `infected`, `trojan`)},
		{ReasonBadReputation, phrases(
			`low reputation`, `poor reputation`, `bad reputation`, `reputation of`, `ip reputation`, `sender reputation`,
			`reputation is`, `sender score`, `\[tss09\]`)},
		{ReasonBlocked, phrases(
			`blocked using`, `blacklisted`, `black listed`, `blacklist`, `blocklist`, `block list`, `blocklisted`,
			`listed at`, `listed in`, `listed on`, `spamhaus`, `spamcop`, `sorbs`, `barracuda`, `dnsbl`, `\brbl\b`,
			`\bbl\.`, `cbl\.abuseat`, `ip address blacklisted`, `client host rejected`,
			`your ip`, `ip address .* (?:blocked|rejected|refused)`, `banned`, `connection refused by`,
			`not allowed to connect`, `has been blocked`, `sending ip`, `dynamic ip`, `dial-?up`,
			`residential`, `client host`, `connection rejected`, `service unavailable; client`, `\[rbl`,
			`host rejected`, `blocked by`, `refused to talk to me`, `helo command rejected`, `invalid helo`,
			`bad helo`, `mail server \[[0-9a-f:.]+\] is`, `part of their network`, `\[bl2`, `\bblocked\b`,
			`server of your isp`, `contact your internet service provider`, `invalid ip for sending`,
			`not accepting connections`, `service refused`)},
		{ReasonSpamDetected, phrases(
			`\bspam\b`, `spam content`, `junk mail`, `looks like spam`, `considered spam`, `as spam`, `spam detected`,
			`spammy`, `unsolicited`, `bulk mail`, `suspicious content`, `\bube\b`,
			`content filter`, `classified as spam`, `spam score`, `high spam`, `uce`)},
		// "Access denied" alone, after every more specific wording: see
		// accessDenied.
		{reasonAccessDenied, phrases(`access denied`)},
		// A receiver that holds the message ("Recipient address rejected: On
		// hold") says no more why: onhold (see below).
		{ReasonOnHold, phrases(`\bon hold\b`)},
		// Postfix's "Recipient address rejected: ..." with nothing more
		// specific after it (smtpd_check.c uses it for unknown recipients).
		{ReasonUserUnknown, phrases(`recipient address rejected`, `address rejected`)},
		{ReasonPolicyViolation, phrases(
			`policy`, `prohibited`, `not allowed`, `violat`, `not permitted`, `denied`, `restricted`)},
		{ReasonSecurityError, phrases(
			`starttls`, `\btls\b`, `encryption required`, `authentication required`, `must authenticate`,
			`authentication failed`, `auth`, `certificate`, `ssl`, `secure connection`)},
		{ReasonContentError, phrases(
			`content`, `mime`, `attachment`, `encoding`, `8bit`, `header`, `body`)},
		{ReasonFiltered, phrases(
			`filtered`, `filter`, `refused by recipient`, `not accepting messages`, `does not accept`,
			`recipient refuses`, `user refuses`, `not authorized to receive`, `recipient not authorized`,
			`message rejected`, `rejected by recipient`, `blocked by recipient`)},
		{ReasonNetworkError, phrases(
			`connection refused`, `connection timed out`, `timed out`, `network is unreachable`, `no route to host`,
			`lost connection`, `connection reset`, `connection closed`, `mail loop`, `routing loop`, `too many hops`,
			`hop count`, `loops back to myself`, `dns lookup`, `name server`, `could not connect`, `unable to connect`,
			`connection dropped`, `conversation with`, `host unreachable`, `host (?:is )?(?:not reachable|unreachable)`,
			`network error`, `loop detected`,
			`temporary dns`)},
		{ReasonSystemError, phrases(
			`system error`, `internal error`, `server error`, `local error`, `configuration error`,
			`temporarily unavailable`, `service not available`, `resources`, `transaction failed`,
			`out of memory`, `unexpected`, `error in processing`)},
		// A reply that says only that delivery failed for now ("Temporary
		// failure", "please try again later") or that the message is held
		// names no cause: Sisimai's onhold, a reason it cannot decide for
		// want of detail. (A reply with no wording at all is undefined.)
		{ReasonOnHold, phrases(`temporary failure`, `try again later`)},
		{ReasonSyntaxError, phrases(
			`syntax error`, `command unrecognized`, `unrecognized command`, `command not recognized`,
			`bad sequence of commands`, `line too long`, `invalid command`)},
	}
})

// reasonAccessDenied marks the bare "access denied" family, whose reason
// depends on whom it refuses (accessDenied); it is never a result.
const reasonAccessDenied = "access denied"

// accessDenied settles a bare "Access denied". Refusing the envelope sender
// (answered to MAIL FROM) it is Sisimai's rejected; otherwise, with an
// X.7.x status (RFC 3463 §3.8, security or policy status) in the DSN or in
// the reply, it is securityerror, which Sisimai defines as the reason of
// an X.7.x status that says nothing more specific; without one, the
// receiver refuses this sender: rejected.
func accessDenied(r *Result, text, hay string) string {
	if stageOf(r, text) == "MAIL" {
		return ReasonRejected
	}
	if strings.HasPrefix(detail(r.EnhancedCode), "7.") || reX7.MatchString(hay) {
		return ReasonSecurityError
	}
	return ReasonRejected
}

// reX7 is an X.7.x enhanced status code in a reply.
var reX7 = lazyRegexp(`\b[45]\.7\.\d{1,3}\b`)

// reRelayWrapper is a relay's report that quotes the receiver's reply
// after its own classification ("5.1.0 - Unknown address error
// 550-'5.7.1 <a@example.org>... Access denied'"): the relay's category is
// its guess, the quoted reply is the receiver's own word.
var reRelayWrapper = lazyRegexp(`^[245]\.\d{1,3}\.\d{1,3} - [^']{1,80}? ([245]\d\d[- ]'.*)$`)

// statusReason reads RFC 3463 enhanced status codes (subject and detail)
// when the text says nothing more specific.
var statusReason = map[string]string{
	"1.0": ReasonUserUnknown, "1.1": ReasonUserUnknown, "1.2": ReasonHostUnknown, "1.3": ReasonUserUnknown,
	"1.4": ReasonFiltered, "1.6": ReasonHasMoved, "1.7": ReasonRejected, "1.8": ReasonRejected,
	"1.9": ReasonSystemError, "1.10": ReasonNotAccept,
	"2.0": ReasonFiltered, "2.1": ReasonFiltered, "2.2": ReasonMailboxFull, "2.3": ReasonExceedLimit,
	"2.4": ReasonFiltered,
	"3.0": ReasonSystemError, "3.1": ReasonSystemFull, "3.2": ReasonNotAccept, "3.3": ReasonSystemError,
	"3.4": ReasonMesgTooBig, "3.5": ReasonSystemError,
	"4.0": ReasonNetworkError, "4.1": ReasonNetworkError, "4.2": ReasonNetworkError, "4.3": ReasonSystemError,
	"4.4": ReasonHostUnknown, "4.5": ReasonNetworkError, "4.6": ReasonNetworkError, "4.7": ReasonExpired,
	"5.0": ReasonSyntaxError, "5.1": ReasonSyntaxError, "5.2": ReasonSyntaxError, "5.3": ReasonTooManyConn,
	"5.4": ReasonSyntaxError, "5.5": ReasonSyntaxError,
	"6.0": ReasonContentError, "6.1": ReasonContentError, "6.2": ReasonContentError, "6.3": ReasonContentError,
	"6.4": ReasonContentError, "6.5": ReasonContentError, "6.6": ReasonContentError,
	"7.0": ReasonSecurityError, "7.1": ReasonSecurityError, "7.2": ReasonSecurityError, "7.3": ReasonSecurityError,
	"7.4": ReasonSecurityError, "7.5": ReasonSecurityError, "7.6": ReasonSecurityError, "7.7": ReasonSecurityError,
	"7.8": ReasonSecurityError, "7.9": ReasonSecurityError, "7.10": ReasonSecurityError,
	"7.13": ReasonSuspend, "7.17": ReasonHasMoved, "7.18": ReasonHasMoved,
	"7.20": ReasonAuthFailure, "7.21": ReasonAuthFailure, "7.22": ReasonAuthFailure, "7.23": ReasonAuthFailure,
	"7.24": ReasonAuthFailure, "7.25": ReasonRequirePTR, "7.26": ReasonAuthFailure, "7.27": ReasonNotAccept,
}

// classify names the reason of r. A rule's reason comes first; then the
// wording of the reply (or, without one, of the text around it); then the
// enhanced status code; then the reply code alone.
func classify(r *Result, text string) string {
	okCode := r.ReplyCode == 0 || r.ReplyCode >= 200 && r.ReplyCode < 300
	okStatus := r.EnhancedCode == "" || strings.HasPrefix(r.EnhancedCode, "2.")
	if okCode && okStatus && (r.ReplyCode != 0 || r.EnhancedCode != "") {
		return ReasonDelivered
	}
	if r.Recognised {
		if reason, ok := ruleReason[r.Rule]; ok {
			return reason
		}
	}
	hay := strings.ToLower(r.Reply)
	if m := reRelayWrapper.FindStringSubmatch(hay); m != nil {
		hay = m[1]
	}
	if hay == "" {
		hay = strings.ToLower(unfold(text))
		if len(hay) > maxScan {
			hay = hay[:maxScan]
		}
	}
	// Specific enhanced codes settle the matter before the wording does:
	// X.7.25 is about the PTR whatever else the reply says.
	switch detail(r.EnhancedCode) {
	case "1.7", "1.8":
		return ReasonRejected
	case "7.25":
		return ReasonRequirePTR
	case "7.26", "7.23", "7.24", "7.20", "7.21", "7.22":
		return ReasonAuthFailure
	case "2.2":
		return ReasonMailboxFull
	case "1.6":
		return ReasonHasMoved
	case "3.4":
		return ReasonMesgTooBig
	case "4.7":
		return ReasonExpired
	}
	// "Message content rejected" names no cause: with X.6.x (RFC 3463
	// §3.7, media) the content's form was refused, otherwise a content
	// filter judged it (spam).
	if strings.HasPrefix(detail(r.EnhancedCode), "6.") && strings.Contains(hay, "content rejected") {
		return ReasonContentError
	}
	for _, f := range families() {
		if f.reason == ReasonExpired && r.ReplyCode >= 500 && !strings.HasPrefix(detail(r.EnhancedCode), "4.") {
			// A receiver's permanent refusal is not an expiry, even when
			// the sender's text beside it speaks of its queue (qmail-send
			// adds "this message has been in the queue too long"); unless
			// its status is a network or routing one (RFC 3463 X.4.x,
			// where X.4.7 is "delivery time expired"): Exchange Online's
			// "550 5.4.316 Message expired" is its own queue giving up.
			continue
		}
		if anyMatch(f.phrases, hay) {
			reason := f.reason
			switch reason {
			case ReasonUserUnknown:
				reason = mailboxReason(r, text)
			case reasonAccessDenied:
				reason = accessDenied(r, text, hay)
			case ReasonPolicyViolation:
				reason = policyReason(r, text, hay)
			}
			return byStage(r, text, reason)
		}
	}
	// A permanent refusal of the greeting or of HELO that no wording
	// explains refuses the client (its address or name) before any status
	// code is considered: the status of such a DSN is the sending MTA's
	// own summary (Sendmail's "5.5.0 Service unavailable").
	if st := stageOf(r, text); r.Permanent && (st == "CONNECT" || st == "HELO") {
		return ReasonBlocked
	}
	if reason, ok := statusReason[detail(r.EnhancedCode)]; ok {
		return byStage(r, text, reason)
	}
	switch r.ReplyCode {
	case 421, 450, 451, 452:
		return ReasonSystemError
	case 550, 551, 553:
		return ReasonRejected
	case 552:
		return ReasonMailboxFull
	case 554:
		return ReasonRejected
	}
	return ReasonUndefined
}

// policyReason settles "policy" wording. Sisimai's policyviolation is a
// refusal of the message itself (its header, its format, its From:); at
// RCPT TO the receiver has seen no message yet, so a policy refusal there
// with an X.7.x status is the status's own reason, securityerror (Sisimai:
// the reason of an X.7.x status with nothing more specific).
func policyReason(r *Result, text, hay string) string {
	if stageOf(r, text) == "RCPT" && (strings.HasPrefix(detail(r.EnhancedCode), "7.") || reX7.MatchString(hay)) {
		return ReasonSecurityError
	}
	return ReasonPolicyViolation
}

// detail returns "7.25" for "5.7.25".
func detail(enhanced string) string {
	if len(enhanced) < 5 {
		return ""
	}
	return enhanced[2:]
}

// mailboxReason settles "user unknown" wording: a mailbox refused only
// after the message was transferred (at DATA) is refused by a filter that
// answers "user unknown", and is read so (as bounce parsers read it, so
// that a recipient is not struck from a list on a filter's word) unless
// the status code says X.1.x, no such mailbox.
func mailboxReason(r *Result, text string) string {
	if statusReason[detail(r.EnhancedCode)] == ReasonUserUnknown || reNoAccount.MatchString(strings.ToLower(r.Reply)) {
		return ReasonUserUnknown
	}
	if stageOf(r, text) == "DATA" {
		return ReasonFiltered
	}
	return ReasonUserUnknown
}

// byStage settles wording that does not say whom it refuses by the command
// the reply answered. At the greeting and at HELO the receiver knows only
// the client's address and name, so a permanent refusal there that names
// no more specific cause refuses the client: blocked. At MAIL FROM the
// reply is about the envelope sender, so "does not exist", "unknown" or a
// policy refusal there refuses the sender: rejected (RFC 5321 §3.3: the
// receiver checks the reverse-path at MAIL, the forward-path at RCPT).
func byStage(r *Result, text, reason string) string {
	generic := reason == ReasonRejected || reason == ReasonUserUnknown || reason == ReasonFiltered ||
		reason == ReasonPolicyViolation || reason == ReasonHostUnknown
	switch stageOf(r, text) {
	case "CONNECT", "HELO":
		if r.Permanent && (generic || reason == ReasonSecurityError) {
			return ReasonBlocked
		}
	case "MAIL":
		// "Authentication required" at MAIL FROM stays securityerror.
		if generic {
			return ReasonRejected
		}
	}
	return reason
}

// reNoAccount is a reply that states the account does not exist at the
// receiver ("This user doesn't have a example.com account"): the mailbox
// provider's own word, not a filter's, whatever the command.
var reNoAccount = lazyRegexp(`doesn't have an? [a-z0-9.-]+ account`)

// reStage finds the command a reply answered in the wording around it:
// Postfix's "(in reply to RCPT TO command)", Exim's "after RCPT TO:<...>",
// Yahoo's "[RCPT_TO]".
var reStage = lazyRegexp(`(?i)(?:\bin reply to|\bafter)\s+(rcpt to|mail from|end of data|data|helo|ehlo|initial connection)\b|\[(rcpt_to|mail_from)\]|\b(refused to talk to me)\b|` +
	// qmail-remote.c: "Connected to HOST but greeting failed", "... but my
	// name was rejected" (HELO), "... but sender was rejected" (MAIL),
	// "HOST does not like recipient" (RCPT), "HOST failed on DATA
	// command", "HOST failed after I sent the message" (DATA).
	`\bbut (greeting failed|my name was rejected|sender was rejected)|\b(does not like recipient|failed on data command|failed after i sent the message)|` +
	// DragonFly's dma (net.c): "HOST [ADDR] did not like our RCPT TO:".
	`\bdid not like our (rcpt to|mail from|data)\b|` +
	// A report that names the command on the line after a "SMTP command"
	// heading ("-------SMTP command" / "DATA").
	`smtp command\s*\n\s*(rcpt to|mail from|data|helo|ehlo)\b`)

// qmailStage names the command of qmail-remote's wording.
var qmailStage = map[string]string{
	"greeting failed":                 "initial connection",
	"my name was rejected":            "HELO",
	"sender was rejected":             "MAIL",
	"does not like recipient":         "RCPT",
	"failed on data command":          "DATA",
	"failed after i sent the message": "DATA",
}

// stageOf returns the SMTP verb ("RCPT", "MAIL", "DATA", ...) the reply
// answered, or "" when nothing says.
func stageOf(r *Result, text string) string {
	st := r.Stage
	if st == "" {
		if len(text) > maxScan {
			text = text[:maxScan]
		}
		if m := reStage.FindStringSubmatch(text); m != nil {
			st = m[1] + m[2] + m[3] + qmailStage[strings.ToLower(m[4]+m[5])] + m[6] + m[7]
		}
	}
	st = strings.ToUpper(st)
	switch {
	// Exim's "after initial connection", Postfix's "refused to talk to
	// me" (smtp_proto.c, a refused greeting).
	case strings.Contains(st, "INITIAL CONNECTION"), strings.Contains(st, "REFUSED TO TALK"):
		return "CONNECT"
	case strings.Contains(st, "RCPT"):
		return "RCPT"
	case strings.Contains(st, "MAIL"):
		return "MAIL"
	case strings.Contains(st, "DATA"):
		return "DATA"
	case strings.Contains(st, "HELO"), strings.Contains(st, "EHLO"):
		return "HELO"
	}
	return ""
}
