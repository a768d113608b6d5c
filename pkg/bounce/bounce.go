// Package bounce recognises bounce messages, pasted SMTP replies and
// Postfix log lines, and says what they mean for the sending side.
//
// A whole message (ParseMessage, message.go and recipients.go) is taken
// apart with the standard library's readers: RFC 5322 headers (net/mail,
// folded lines unfolded, RFC 2047 words decoded), MIME multipart and
// multipart/report (mime/multipart, RFC 6522), transfer encodings
// (mime/quotedprintable, encoding/base64) and charsets (golang.org/x/text's
// WHATWG index), with CRLF, LF and lone CR line ends. The RFC 3464 field
// groups of a message/delivery-status part give one Recipient each
// (Final-Recipient, Action, Status, Remote-MTA, Diagnostic-Code,
// Last-Attempt-Date); a bounce without them (qmail, Exim, old Sendmail,
// webmail) is split into per-recipient blocks where a line starts with the
// address. The quoted original message is never read as the receiver's
// words. Each recipient's reply then goes through the flow below, and gets a
// reason in the common vocabulary of bounce parsers (reason.go).
//
// The flow for one reply (Parse on text without headers):
//
//  1. The input is bounded (MaxInput) and sanitised: escape sequences and
//     control characters never survive into a Result.
//  2. Context is located: a Postfix smtp(8) log line or DSN text
//     ("host X[addr] said: REPLY (in reply to end of DATA command)"), a
//     Postfix connect failure ("connect to X[addr]:25: Network is
//     unreachable"), a DSN's Remote-MTA and Diagnostic-Code fields, or a bare
//     SMTP reply anywhere in the text.
//  3. The reply is normalised: lines are unfolded and the continuation
//     prefixes of a multi-line reply ("550-5.7.1 ", RFC 5321 §4.2.1) are
//     removed, so that a phrase wrapped across lines still matches.
//  4. The receiver (Gmail, Microsoft, Yahoo, a Postfix server) is identified
//     from the receiving host name and from markers in the text ("gsmtp",
//     "protection.outlook.com", "[TSS04]").
//  5. The first rule whose phrase and status codes match wins (rules.go). The
//     rule names the checks of the sending side that the reply implies (PTR,
//     forward confirmation, SPF, DMARC, ...), explains it in plain words and
//     gives the fix.
//  6. The sending address is extracted from the places each receiver puts it
//     (Gmail's "[2001:db8::25      12]" right after the codes, Microsoft's
//     "sending IPv6 address [..]", Yahoo's "Messages from ADDR", Postfix's
//     "cannot find your hostname, [ADDR]"), never from the receiving host's
//     bracket.
//
// Text no rule matches is reported as not recognised, with everything that
// could still be extracted: addresses, reply codes and host names.
package bounce

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// MaxInput bounds the text Parse looks at: a pasted bounce with its headers
// fits many times over; a whole mail log does not need to.
const MaxInput = 1 << 20

// maxReply bounds the reply text kept in a Result (RFC 5321 §4.5.3.1.5 limits
// a reply line to 512 octets; Gmail's longest replies span about six lines).
const maxReply = 4096

// maxScan bounds the part of the text searched as free text (phrases,
// addresses, host names, a reply without a Postfix log line around it).
// Postfix log lines are recognised anywhere in the input.
const maxScan = 64 << 10

// maxExtracted bounds the lists of things seen in unrecognised text.
const maxExtracted = 32

// Receivers.
const (
	ReceiverGmail     = "gmail"
	ReceiverMicrosoft = "microsoft"
	ReceiverYahoo     = "yahoo"
	// ReceiverPostfix is a receiving server running Postfix whose smtpd
	// restrictions rejected the sender (smtpd_check.c).
	ReceiverPostfix = "postfix"
	// ReceiverLocal is the sending host itself (a Postfix connect failure).
	ReceiverLocal = "local"
)

// Check names a sending-side property a reply depends on. The sender audit
// (pkg/sender) knows how to verify all of them except DKIM and reputation.
type Check string

const (
	CheckPTR        Check = "ptr"        // the sending address has a PTR record
	CheckFCrDNS     Check = "fcrdns"     // a PTR name resolves back to the address, same family
	CheckHELO       Check = "helo"       // the HELO/EHLO name is valid and resolves
	CheckSPF        Check = "spf"        // SPF of the envelope domain passes for the address
	CheckDKIM       Check = "dkim"       // messages carry a valid DKIM signature
	CheckDMARC      Check = "dmarc"      // the From domain publishes DMARC and aligns
	CheckDNSBL      Check = "dnsbl"      // the address (its /64 for IPv6) is not blocklisted
	CheckReputation Check = "reputation" // receiver-side reputation, not visible in DNS
	CheckIPv6Route  Check = "ipv6_route" // the sending host has a working IPv6 route
	CheckPort25     Check = "port25"     // outbound TCP port 25 is open
)

// Result is what Parse found in one text. JSON field names follow
// docs/json.md ("explain").
type Result struct {
	Recognised bool   `json:"recognised"`
	Receiver   string `json:"receiver,omitempty"` // gmail, microsoft, yahoo, postfix, local, or empty
	Rule       string `json:"rule,omitempty"`     // stable rule identifier, e.g. "gmail-ipv6-ptr-auth"
	Title      string `json:"title,omitempty"`    // the rule in a few words
	// Reason is the kind of failure in the vocabulary of the bounce-parsing
	// field (Sisimai's reason names: userunknown, blocked, requireptr, ...;
	// see reason.go), set whether or not a rule matched.
	Reason    string `json:"reason,omitempty"`
	ReplyCode int    `json:"reply_code,omitempty"`
	// EnhancedCode is the RFC 3463 status code ("5.7.1"), from the reply or
	// from Postfix's dsn= field.
	EnhancedCode string `json:"enhanced_code,omitempty"`
	// Permanent is true for 5xx replies (the message bounced) and false for
	// 4xx (it is queued and retried).
	Permanent     bool       `json:"permanent"`
	SenderIP      netip.Addr `json:"sender_ip,omitzero"`
	SenderDomain  string     `json:"sender_domain,omitempty"` // envelope or From domain named in the text
	HELO          string     `json:"helo,omitempty"`          // the sender's HELO name, from a receiving Postfix's log
	ReceivingHost string     `json:"receiving_host,omitempty"`
	ReceivingIP   netip.Addr `json:"receiving_ip,omitzero"`
	// Family is the IP family the rule is about: "ipv6" for IPv6-only rules,
	// otherwise the family of the sending (or receiving) address when known.
	Family string `json:"family,omitempty"`
	// Stage is the SMTP command the reply answered, from Postfix's "(in reply
	// to end of DATA command)": a rejection after DATA means the whole
	// message was transferred and judged.
	Stage  string `json:"stage,omitempty"`
	Status string `json:"postfix_status,omitempty"` // Postfix status=bounced|deferred|...
	// Reply is the receiver's reply, lines joined, continuation codes
	// removed, sanitised.
	Reply       string  `json:"reply,omitempty"`
	Explanation string  `json:"explanation"`
	Fix         string  `json:"fix"`
	Checks      []Check `json:"checks,omitempty"`
	// What could be extracted, recognised or not.
	Addresses []netip.Addr `json:"addresses,omitempty"`
	Codes     []string     `json:"codes,omitempty"` // "550 5.7.1" as seen
	Hosts     []string     `json:"hosts,omitempty"`
}

var (
	// Postfix smtp(8) logs and DSN texts: "host NAME[ADDR] said: REPLY (in
	// reply to COMMAND command)" (Postfix smtp_proto.c, smtp_trouble.c).
	reHostSaid  = lazyRegexp(`(?i)\bhost\s+([A-Za-z0-9._-]+)\[([0-9A-Fa-f:.]+)\](?::\d+)?\s+(?:said|refused to talk to me):\s*(.*)`)
	reInReplyTo = lazyRegexp(`(?i)\s*\(in reply to ([A-Za-z ]+?) command\)\)?`)
	// Postfix connect failures: "connect to NAME[ADDR]:25: Network is unreachable".
	reConnectTo = lazyRegexp(`(?i)\bconnect to\s+([A-Za-z0-9._-]+)\[([0-9A-Fa-f:.]+)\](?::\d+)?:\s*([^()\n]*)`)
	reRelay     = lazyRegexp(`(?i)\brelay=([A-Za-z0-9._-]+)\[([0-9A-Fa-f:.]+)\]`)
	reStatus    = lazyRegexp(`(?i)\bstatus=([a-z]+)`)
	reDSN       = lazyRegexp(`(?i)\bdsn=([245]\.\d{1,3}\.\d{1,3})\b`)
	reSmtpdTail = lazyRegexp(`;\s*from=<[^>]*>\s+to=<.*$`)
	reHELO      = lazyRegexp(`\bhelo=<([A-Za-z0-9._-]+)>`)
	reFrom      = lazyRegexp(`(?i)\bfrom=<[^<>@\s]*@([A-Za-z0-9.-]+)>`)
	// DSN fields (RFC 3464 §2.3).
	reDiagnostic = lazyRegexp(`(?i)\bDiagnostic-Code:\s*smtp;\s*(.*)`)
	reRemoteMTA  = lazyRegexp(`(?i)\bRemote-MTA:\s*dns;\s*([A-Za-z0-9._-]+)`)
	// A reply code, optionally with an enhanced status code (RFC 5321 §4.2,
	// RFC 3463 §2), starting at a word boundary.
	reReply = lazyRegexp(`(?:^|[\s(:;"'\[])([2-5][0-5][0-9])([ -])(?:([245]\.\d{1,3}\.\d{1,3})(?:[\s,;:]|$))?`)
)

// Parse recognises text and returns what it means. It never fails: text it
// does not recognise gives Recognised false and whatever could be extracted.
//
// A whole message (a saved .eml file, headers and MIME parts) is read with
// ParseMessage, and the result for its first failed recipient is returned;
// ParseMessage gives all of them.
func Parse(text string) Result {
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	if looksLikeMessage(text) {
		return ParseMessage(text).Primary()
	}
	return parseText(text)
}

// parseText reads a pasted reply, log line or bounce text (no headers).
func parseText(text string) Result {
	text = sanitize.MultiLine(normaliseNewlines(eximLogBreaks(text)))
	var r Result
	line, reply := locateReply(&r, text)
	finish(&r, line, reply, text)
	if r.Stage == "" {
		r.Stage = transcriptCommand(text)
	}
	if r.Reason == "" {
		r.Reason = classify(&r, text)
	}
	return r
}

// finish reads the reply located in text (line is the Postfix log line
// that holds it, if any) and applies the rules.
func finish(r *Result, line, reply, text string) {
	// Postfix log fields come from the log line that holds the reply, or
	// from the head of the text.
	head := text
	if len(head) > maxScan {
		head = head[:maxScan]
	}
	fields := line
	if fields == "" {
		fields = head
	}
	if m := reStatus.FindStringSubmatch(fields); m != nil {
		r.Status = strings.ToLower(m[1])
	}
	if m := reRelay.FindStringSubmatch(fields); m != nil && r.ReceivingHost == "" {
		r.ReceivingHost = strings.ToLower(m[1])
		r.ReceivingIP, _ = addr.ParseLiteral(m[2])
	}
	if m := reFrom.FindStringSubmatch(fields); m != nil {
		r.SenderDomain = strings.ToLower(strings.TrimSuffix(m[1], "."))
	}

	flat := unfold(head)
	if loc := reInReplyTo.FindStringSubmatchIndex(reply); loc != nil {
		r.Stage = strings.TrimSpace(reply[loc[2]:loc[3]])
		reply = reply[:loc[0]]
	}
	// A receiving Postfix logs "...; from=<a@b> to=<c@d> proto=ESMTP
	// helo=<name>" after its reply (smtpd_check.c log_whatsup).
	if loc := reSmtpdTail.FindStringIndex(reply); loc != nil {
		reply = reply[:loc[0]]
	}
	if m := reHELO.FindStringSubmatch(fields); m != nil {
		r.HELO = strings.ToLower(m[1])
	}
	r.ReplyCode, r.EnhancedCode, r.Reply = normaliseReply(reply)
	if r.EnhancedCode == "" {
		if m := reDSN.FindStringSubmatch(fields); m != nil {
			r.EnhancedCode = m[1]
		}
	}
	if r.ReplyCode != 0 {
		r.Permanent = r.ReplyCode >= 500
	} else if r.EnhancedCode != "" {
		r.Permanent = r.EnhancedCode[0] == '5'
	}

	r.Addresses = extractAddrs(flat)
	r.Codes = extractCodes(flat)
	r.Hosts = extractHosts(flat)

	r.Receiver = identifyReceiver(r.ReceivingHost, flat)
	match(r, flat)
	if !r.SenderIP.IsValid() {
		r.SenderIP = senderAddr(r.Reply, flat, r.ReceivingIP)
	}
	if r.SenderDomain == "" {
		r.SenderDomain = senderDomain(r.Reply)
	}
	if r.Family == "" {
		// The family the connection used: logs of dual-stack sockets print
		// an IPv4 peer as ::ffff:192.0.2.1, which is an IPv4 connection.
		switch {
		case r.SenderIP.IsValid():
			r.Family = addr.Family(r.SenderIP.Unmap())
		case r.ReceivingIP.IsValid():
			r.Family = addr.Family(r.ReceivingIP.Unmap())
		}
	}
	if !r.Recognised {
		r.Explanation = notRecognised(*r)
	}
}

// locateReply finds the receiver's reply in text and records the receiving
// host it names. Postfix log lines are looked at one by one (a pasted log
// holds many); a DSN or a mail client's bounce is looked at paragraph by
// paragraph, unfolded, because generators wrap long replies.
func locateReply(r *Result, text string) (line, reply string) {
	return locateReplyIn(r, text, true)
}

// locateReplyIn is locateReply; with anywhere false it looks only where an
// MTA's wording or a field marks a reply as one, not at the first reply
// code of any paragraph.
func locateReplyIn(r *Result, text string, anywhere bool) (line, reply string) {
	lines := strings.Split(text, "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
	}
	for _, line = range lines {
		if !strings.Contains(line, "status=") {
			continue
		}
		if m := reHostSaid.FindStringSubmatch(line); m != nil {
			r.ReceivingHost = strings.ToLower(m[1])
			r.ReceivingIP, _ = addr.ParseLiteral(m[2])
			return line, trimLogParen(m[3])
		}
		if m := reConnectTo.FindStringSubmatch(line); m != nil {
			r.ReceivingHost = strings.ToLower(m[1])
			r.ReceivingIP, _ = addr.ParseLiteral(m[2])
			return line, trimLogParen(strings.TrimSpace(m[3]))
		}
	}
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	paras := paragraphs(text)
	for _, para := range paras {
		if m := reHostSaid.FindStringSubmatch(para); m != nil {
			r.ReceivingHost = strings.ToLower(m[1])
			r.ReceivingIP, _ = addr.ParseLiteral(m[2])
			return "", m[3]
		}
	}
	if m := reConnectTo.FindStringSubmatch(unfold(text)); m != nil {
		r.ReceivingHost = strings.ToLower(m[1])
		r.ReceivingIP, _ = addr.ParseLiteral(m[2])
		return "", strings.TrimSpace(m[3])
	}
	if d := diagnosticCode(strings.Split(text, "\n")); d != "" {
		if m := reRemoteMTA.FindStringSubmatch(text); m != nil && r.ReceivingHost == "" {
			r.ReceivingHost = strings.ToLower(m[1])
		}
		return "", d
	}
	if reply, cmd := chatFailure(text); reply != "" {
		r.Stage = cmd
		return "", reply
	}
	if reply := zohoReply(text); reply != "" {
		return "", reply
	}
	if m := reGMXReply.FindStringSubmatch(text); m != nil {
		r.ReceivingHost = strings.ToLower(m[2])
		r.Stage = strings.ToUpper(m[1])
		return "", m[3]
	}
	if !anywhere {
		return "", ""
	}
	for _, para := range paras {
		if loc := reReply.FindStringSubmatchIndex(para); loc != nil {
			eximContext(r, text)
			// A reply quoted in parentheses ends before their close:
			// Sendmail's "(reason: 550 5.2.2 Mailbox full)".
			return "", trimLogParen(para[loc[2]:])
		}
	}
	return "", ""
}

// chatFailure reads the session transcript Postfix's smtpd sends the
// postmaster ("Out: 451 4.3.0 Error: queue file write error" after "In:
// DATA", smtpd_chat.c): the first reply that refused something (a 503 only
// follows an earlier refusal) and the command it answered. Replies that
// accepted (250) are not the failure.
func chatFailure(text string) (reply, command string) {
	if !strings.Contains(text, "Out: ") {
		return "", ""
	}
	last := ""
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "In:"):
			if len(lines) > 0 {
				return strings.Join(lines, " "), last
			}
			last, _, _ = strings.Cut(strings.TrimSpace(t[3:]), " ")
		case strings.HasPrefix(t, "Out: "):
			t = strings.TrimSpace(t[5:])
			if len(t) >= 3 && (t[0] == '4' || t[0] == '5') && !strings.HasPrefix(t, "503") {
				lines = append(lines, t)
				if len(t) == 3 || t[3] != '-' {
					return strings.Join(lines, " "), last
				}
			}
		}
	}
	// A multi-line refusal cut off before its last line (a truncated
	// transcript) is still the refusal.
	return strings.Join(lines, " "), last
}

// Zoho Mail's failure notice writes the reply code and the rest of the
// reply as two ERROR_CODE fields after the recipient ("a@b Invalid
// Address, ERROR_CODE :550, ERROR_CODE :5.1.1 <a@b>... User Unknown"), its
// warning as "[Status: Error, Address: <a@b>, ResponseCode 421, , Host not
// reachable.]": neither puts the code where a reply starts.
var (
	reZohoErrorCode    = lazyRegexp(`ERROR_CODE :([2-5]\d\d), ERROR_CODE :[ ]?([^\n]*)`)
	reZohoResponseCode = lazyRegexp(`ResponseCode ([2-5]\d\d), ([245]\.\d{1,3}\.\d{1,3})?,? ?([^\]\n]*)`)
)

// GMX writes Exim's wording with the host on a line of its own and the
// reply often without its code: "SMTP error from remote server after RCPT
// command:\nhost: mx.example.org\n5.2.2 <a@b>... Mailbox Full".
var reGMXReply = lazyRegexp(`(?i)SMTP error from remote server after ([A-Z]+) command:\s*\nhost: ([A-Za-z0-9._-]+)\n((?:[2-5]\d\d[ -]|[245]\.\d{1,3}\.\d{1,3} )[^\n]*)`)

// zohoReply rebuilds the reply of Zoho Mail's notice ("550 5.1.1 <a@b>...
// User Unknown", "421 Host not reachable."); empty for other text.
func zohoReply(text string) string {
	if m := reZohoErrorCode.FindStringSubmatch(text); m != nil {
		return unfold(m[1] + " " + strings.TrimLeft(m[2], ", "))
	}
	if m := reZohoResponseCode.FindStringSubmatch(text); m != nil {
		return unfold(m[1] + " " + m[2] + " " + strings.TrimLeft(m[3], ", "))
	}
	return ""
}

// Exim's bounce text names the receiving host on its own line, "host
// NAME [ADDR]", its main log as "H=NAME [ADDR]", and both the command in
// "SMTP error from remote mail server after end of data:" (Exim's
// deliver.c and transports/smtp.c).
var (
	reEximHost    = lazyRegexp(`(?m)^\s*host\s+([A-Za-z0-9._-]+)\s+\[([0-9A-Fa-f:.]+)\]`)
	reEximLogHost = lazyRegexp(`\bH=([A-Za-z0-9._-]+) \[([0-9A-Fa-f:.]+)\]`)
	// Exim's main log writes the line breaks of a multi-line reply as the
	// two characters "\n" (string_printing): "does\n550-5.7.1 not meet".
	reEximLogBreak = lazyRegexp(`\\n([2-5][0-9][0-9][ -])`)
	reEximAfter    = lazyRegexp(`(?i)SMTP error from remote (?:mail server|mailer) after (end of data|RCPT TO|MAIL FROM|DATA|EHLO|HELO|initial connection)`)
)

// eximContext fills the receiving host and the stage from Exim's wording
// around a reply, when nothing else named them.
func eximContext(r *Result, text string) {
	if r.ReceivingHost == "" {
		m := reEximHost.FindStringSubmatch(text)
		if m == nil {
			m = reEximLogHost.FindStringSubmatch(text)
		}
		if m != nil {
			r.ReceivingHost = strings.ToLower(m[1])
			r.ReceivingIP, _ = addr.ParseLiteral(m[2])
		}
	}
	if m := reEximAfter.FindStringSubmatch(text); m != nil && r.Stage == "" {
		switch st := strings.ToUpper(m[1]); st {
		case "END OF DATA":
			r.Stage = "end of DATA"
		case "INITIAL CONNECTION":
		default:
			r.Stage = st
		}
	}
}

// eximLogBreaks turns the "\n" that Exim's main log writes between the
// lines of a multi-line reply back into line breaks.
func eximLogBreaks(text string) string {
	if !strings.Contains(text[:min(len(text), maxScan)], `\n`) {
		return text
	}
	return reEximLogBreak.ReplaceAllString(text, "\n$1")
}

// maxLines bounds how many lines of a pasted log are examined.
const maxLines = 20000

// trimLogParen drops the ")" that closes Postfix's "status=bounced (...)"
// (or another parenthesis quoting a reply) when the reply itself does not
// open it.
func trimLogParen(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, ")") && strings.Count(s, ")") > strings.Count(s, "(") {
		s = strings.TrimSpace(s[:len(s)-1])
	}
	return s
}

// paragraphs splits text at blank lines and unfolds each paragraph.
func paragraphs(text string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, unfold(strings.Join(cur, " ")))
			cur = cur[:0]
		}
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// diagnosticCode returns the value of a DSN's Diagnostic-Code field with its
// folded continuation lines (RFC 3464 §2.3.6, RFC 5322 §2.2.3).
func diagnosticCode(lines []string) string {
	for i, line := range lines {
		m := reDiagnostic.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		parts := []string{m[1]}
		for _, next := range lines[i+1:] {
			if next == "" || (next[0] != ' ' && next[0] != '\t') {
				break
			}
			parts = append(parts, next)
		}
		return unfold(strings.Join(parts, " "))
	}
	return ""
}

// unfold joins all lines into one and collapses runs of white space, so a
// phrase wrapped by a DSN generator or a mail client still matches.
func unfold(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// normaliseReply splits "550-5.7.1 text 550-5.7.1 more 550 5.7.1 end" into
// the code, the enhanced code and the text with the continuation prefixes
// removed (RFC 5321 §4.2.1: every line of a multi-line reply repeats the
// code, with "-" on all lines but the last). Postfix logs such replies with
// the lines joined by spaces, prefixes kept.
func normaliseReply(reply string) (code int, enhanced, text string) {
	reply = strings.TrimSpace(reply)
	loc := reReply.FindStringSubmatchIndex(reply)
	if loc == nil || loc[0] > 0 && strings.TrimSpace(reply[:loc[2]]) != "" {
		// No leading code: free text (a connect error, a DSN without
		// codes), or a reply that kept only its enhanced status code
		// ("5.2.2 <a@b>... Mailbox Full", as GMX quotes it). A status
		// followed by " - " is a relay's own category before the
		// reply it quotes (reRelayWrapper), and stays in the text.
		if m := reLeadingStatus.FindStringSubmatch(reply); m != nil && !strings.HasPrefix(reply[len(m[0]):], "- ") {
			return 0, m[1], clip(unfold(reply[len(m[0]):]))
		}
		return 0, "", clip(reply)
	}
	code, _ = strconv.Atoi(reply[loc[2]:loc[3]])
	if loc[6] >= 0 {
		enhanced = reply[loc[6]:loc[7]]
	}
	body := reply[loc[1]:]
	if loc[6] < 0 {
		body = reply[loc[3]+1:]
	}
	// Remove the later lines' prefixes, with or without the enhanced code.
	c := reply[loc[2]:loc[3]]
	var prefixes []string
	switch {
	case enhanced != "":
		prefixes = []string{c + "-" + enhanced, c + " " + enhanced, c + "-"}
	case reply[loc[3]] == '-' || strings.Contains(body, " "+c+"-"):
		// Without an enhanced code a bare code is also a number the
		// text may hold ("retry in 450 seconds"): it is taken for a
		// prefix only in a reply of several lines.
		prefixes = []string{c + "-", c}
	}
	body = " " + unfold(body) + " "
	for _, p := range prefixes {
		// Until none is left: an empty continuation line leaves two
		// prefixes in a row ("550-5.7.26 550-5.7.26 Authentication"),
		// which share the space between them.
		for strings.Contains(body, " "+p+" ") {
			body = strings.ReplaceAll(body, " "+p+" ", " ")
		}
	}
	body = unfold(dropGluedPrefixes(body, c))
	if enhanced == "" {
		// The code written twice before the status ("554 554 5.7.0
		// Header error", as Gmail quotes another server's reply).
		rest := strings.TrimPrefix(body, c+" ")
		if m := reLeadingStatus.FindStringSubmatch(rest); m != nil && !strings.HasPrefix(rest[len(m[0]):], "- ") {
			enhanced, body = m[1], rest[len(m[0]):]
		}
	}
	return code, enhanced, clip(body)
}

// dropGluedPrefixes removes the prefixes of continuation lines written
// without a space after the code ("550-Reason:"), but not the code as the
// start of a range in the text ("retry in 450-600 seconds").
func dropGluedPrefixes(body, c string) string {
	p := " " + c + "-"
	var b strings.Builder
	for {
		i := strings.Index(body, p)
		if i < 0 {
			break
		}
		j := i + len(p)
		if j < len(body) && body[j] >= '0' && body[j] <= '9' {
			b.WriteString(body[:j])
		} else {
			b.WriteString(body[:i+1])
		}
		body = body[j:]
	}
	b.WriteString(body)
	return b.String()
}

// reLeadingStatus is an enhanced status code (RFC 3463) that starts a
// reply in place of the reply code.
var reLeadingStatus = lazyRegexp(`^([245]\.\d{1,3}\.\d{1,3}) +`)

func clip(s string) string {
	if len(s) <= maxReply {
		return s
	}
	// Cut on a rune boundary.
	cut := maxReply
	for cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// extractAddrs returns the distinct addresses in s, in order of
// appearance. It tokenises on characters that cannot occur in an address
// rather than running a pattern over the text (linear and cheap on large
// pastes).
func extractAddrs(s string) []netip.Addr {
	var out []netip.Addr
	seen := map[netip.Addr]bool{}
	forTokens(s, isAddrByte, func(start, end int) bool {
		tok := strings.Trim(s[start:end], ".")
		if strings.Count(tok, ":") < 2 && strings.Count(tok, ".") != 3 {
			return true
		}
		// Yahoo appends an internal code that looks like an address:
		// "user complaints - 4.16.55.1; see ...". It is not one.
		if strings.HasSuffix(s[:start], " - ") && strings.HasPrefix(s[end:], ";") {
			return true
		}
		a, err := addr.ParseLiteral(tok)
		if err == nil && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
		return len(out) < maxExtracted
	})
	return out
}

func isAddrByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

func isHostByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.'
}

// forTokens calls fn with the bounds of every maximal run of bytes
// accepted by in, until fn returns false.
func forTokens(s string, in func(byte) bool, fn func(start, end int) bool) {
	for i := 0; i < len(s); {
		if !in(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && in(s[j]) {
			j++
		}
		if !fn(i, j) {
			return
		}
		i = j
	}
}

// extractCodes returns the distinct "CODE ENHANCED" pairs in s.
func extractCodes(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range reReply.FindAllStringSubmatch(s, -1) {
		c := m[1]
		if m[3] != "" {
			c += " " + m[3]
		}
		if !seen[c] && len(out) < maxExtracted {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// extractHosts returns the distinct host names in s (two labels or more,
// the last one letters), lower-cased, in order of appearance.
func extractHosts(s string) []string {
	var out []string
	seen := map[string]bool{}
	forTokens(s, isHostByte, func(start, end int) bool {
		h := strings.ToLower(strings.Trim(s[start:end], ".-"))
		if !seen[h] && isHostName(h) {
			seen[h] = true
			out = append(out, h)
		}
		return len(out) < maxExtracted
	})
	return out
}

// isHostName accepts LDH labels of 1-63 octets, at least two of them, the
// last alphabetic of 2-63 (a top-level domain).
func isHostName(h string) bool {
	if len(h) > 253 || !strings.Contains(h, ".") {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] < 'a' || tld[i] > 'z' {
			return false
		}
	}
	return true
}
