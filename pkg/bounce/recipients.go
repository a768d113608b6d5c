package bounce

import (
	"net/mail"
	"net/netip"
	"net/textproto"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// Report is what ParseMessage found in a whole bounce message: one
// Recipient per failed (or delayed, or delivered) recipient, at least one.
type Report struct {
	Subject      string      `json:"subject,omitempty"`
	From         string      `json:"from,omitempty"`
	ReportingMTA string      `json:"reporting_mta,omitempty"` // RFC 3464 §2.2.2
	Recipients   []Recipient `json:"recipients"`
}

// Recipient is the result for one recipient of a bounce: the RFC 3464
// per-recipient fields where the message has them, and the reading of the
// receiver's reply (the embedded Result: reply code, enhanced status code,
// remote MTA, diagnostic text, receiver, reason, rule, fix).
type Recipient struct {
	Recipient string `json:"recipient,omitempty"`
	// Action is RFC 3464 §2.3.3's failed, delayed, delivered, relayed or
	// expanded; derived from the reply code when the message has no DSN.
	Action      string `json:"action,omitempty"`
	LastAttempt string `json:"last_attempt,omitempty"` // Last-Attempt-Date, as written
	Result
}

// reLogTo is the recipient of a Postfix log line: "QUEUEID: to=<r@d>,".
var reLogTo = lazyRegexp(`\bto=<([^<>\s@]+@[A-Za-z0-9.-]+)>`)

// maxRecipients bounds the recipients reported for one message.
const maxRecipients = 64

// maxShared bounds the text read as context for a DSN recipient that has
// no block of its own in the text, and maxSharedReaders how many
// recipients read it: together they bound the work on one message.
const (
	maxShared        = 16 << 10
	maxSharedReaders = 8
)

// Primary is the result Parse returns for a whole message: the first
// recipient whose reply a rule recognised, else the first one.
func (rep Report) Primary() Result {
	for _, rc := range rep.Recipients {
		if rc.Recognised {
			return rc.Result
		}
	}
	return rep.Recipients[0].Result
}

// ParseMessage reads a whole bounce message (RFC 5322 headers, MIME
// multipart/report with message/delivery-status, or a plain-text bounce
// from Sendmail, qmail, Exim, Exchange, Gmail, Yahoo and others) and
// returns one result per recipient. Text without headers is read as a
// plain-text bounce. It never fails.
func ParseMessage(text string) Report {
	if len(text) > MaxInput {
		text = text[:MaxInput]
	}
	var m *message
	if looksLikeMessage(text) {
		m = readMessage(text)
	} else {
		m = &message{texts: []string{normaliseNewlines(text)}}
	}
	rep := Report{}
	if m.header != nil {
		rep.Subject = sanitize.Text(decodeHeader(m.header.Get("Subject")))
		rep.From = sanitize.Text(decodeHeader(m.header.Get("From")))
	}
	body := bodyText(m)

	var perMsg textproto.MIMEHeader
	var groups []textproto.MIMEHeader
	for _, g := range m.dsn {
		if g.Get("Final-Recipient") == "" && g.Get("Original-Recipient") == "" {
			if perMsg == nil {
				perMsg = g
			}
			continue
		}
		groups = append(groups, g)
	}
	fieldsInText := false
	if len(groups) == 0 {
		// Some generators write the DSN fields into the text part.
		for _, g := range fieldGroups(body) {
			if g.Get("Final-Recipient") != "" || g.Get("Original-Recipient") != "" {
				groups = append(groups, g)
				fieldsInText = true
			} else if g.Get("Reporting-Mta") != "" && perMsg == nil {
				perMsg = g
			}
		}
	}
	ses := false
	if len(groups) == 0 {
		// Amazon SES's JSON notification (ses.go).
		var complaint bool
		if groups, complaint = sesGroups(body); len(groups) > 0 {
			m.feedback = m.feedback || complaint
			ses = true
		}
	}
	if perMsg != nil {
		rep.ReportingMTA = sanitize.Text(typedValue(perMsg.Get("Reporting-Mta")))
	}

	human := humanPart(body)
	// Whether the notice says delivery goes on (a delay notice): said once
	// for the whole notice, in its introduction or around a transcript
	// ("It will be retried until it is 5 days old", "THIS IS A WARNING
	// MESSAGE ONLY"), or in its subject, never in a recipient's own lines.
	trying := reStillTrying.MatchString(human[:min(len(human), maxScan)]) || reDelaySubject.MatchString(rep.Subject)
	if ses {
		// The notification's JSON is no one's words.
		human = ""
	}
	if fieldsInText {
		// The fields are each recipient's own: read as text, one
		// recipient's Diagnostic-Code would be taken for the words
		// about another.
		human = beforeFields(human)
	}
	blocks := recipientBlocks(human)
	sessions := sendmailRecipients(human)
	switch {
	case len(groups) > 0:
		shared := human
		if len(shared) > maxShared {
			shared = shared[:maxShared]
		}
		for i, g := range groups {
			if len(rep.Recipients) >= maxRecipients {
				break
			}
			if i == maxSharedReaders {
				// The text no recipient block claims is read for the
				// first few recipients only: a message listing many
				// recipients without a word about each would otherwise
				// have the same text read again for every one of them.
				shared = ""
			}
			rep.Recipients = append(rep.Recipients, fromDSN(g, blocks, sessions, shared))
		}
	case len(sessions) > 0:
		// A Sendmail transcript (old Sendmail's only record): each
		// recipient with its own session's reply (transcript.go), in the
		// order of the list before the transcript where there is one; a
		// listed recipient without a line in the transcript is read from
		// its own block.
		for _, b := range blocks {
			if len(rep.Recipients) >= maxRecipients {
				break
			}
			if i := slices.IndexFunc(sessions, func(s sessionRecipient) bool { return s.addr == b.addr }); i >= 0 {
				rep.Recipients = append(rep.Recipients, fromSession(sessions[i], trying))
				continue
			}
			rc := fromText(b.text, trying)
			rc.Recipient = b.addr
			rep.Recipients = append(rep.Recipients, rc)
		}
		for _, s := range sessions {
			if len(rep.Recipients) >= maxRecipients {
				break
			}
			if !slices.ContainsFunc(blocks, func(b block) bool { return b.addr == s.addr }) {
				rep.Recipients = append(rep.Recipients, fromSession(s, trying))
			}
		}
	case len(blocks) > 0:
		for i, b := range blocks {
			if len(rep.Recipients) >= maxRecipients {
				break
			}
			rc := fromText(b.text, trying)
			if rc.Reason == ReasonUndefined && rc.ReplyCode == 0 && i < maxSharedReaders {
				// The reason stands before the address ("The account is
				// disabled.\n<a@b>"): read the whole text.
				if whole := fromText(human[:min(len(human), maxShared)], trying); whole.Reason != ReasonUndefined {
					rc = whole
				}
			}
			rc.Recipient = b.addr
			rep.Recipients = append(rep.Recipients, rc)
		}
	default:
		rc := fromText(human, trying)
		rc.Recipient = fallbackRecipient(m)
		if rc.Recipient == "" {
			// A forwarded Postfix log line names the recipient itself.
			if mt := reLogTo.FindStringSubmatch(human[:min(len(human), maxScan)]); mt != nil {
				rc.Recipient = sanitize.Text(strings.ToLower(mt[1]))
			}
		}
		if rc.Recipient == "" {
			// A plain-text notice that names no recipient (Sendmail's
			// "Deferred" line names the host only) still quotes the
			// returned message: its To is the recipient.
			if h := quotedOriginal(body, human); h != nil {
				if a, err := mailAddress(h.Get("To")); err == nil {
					rc.Recipient = sanitize.Text(strings.ToLower(a))
				}
			}
		}
		if rc.Recipient == "" {
			rc.Recipient = sanitize.Text(textRecipient(human, m))
		}
		rep.Recipients = append(rep.Recipients, rc)
	}
	if notBounce := notABounce(m, len(groups) > 0); notBounce != "" {
		for i := range rep.Recipients {
			// An abuse report is never a bounce, whatever its quoted
			// text says; an automatic reply is read so only where
			// nothing in it reads as a failure.
			rc := &rep.Recipients[i]
			if notBounce == ReasonFeedback || rc.Reason == ReasonUndefined && rc.ReplyCode == 0 && rc.EnhancedCode == "" {
				rc.Reason = notBounce
				rc.Explanation = notBounceExplanation[notBounce]
			}
		}
	}
	// Sendmail names the reason in the subject, "Returned mail: User
	// unknown" (savemail.c); other generators put the original subject
	// there, which is the sender's words and is not read.
	if _, why, ok := strings.Cut(rep.Subject, "Returned mail: "); ok && why != "" {
		for i := range rep.Recipients {
			rc := &rep.Recipients[i]
			if rc.Reason == ReasonUndefined && rc.Action != "delivered" {
				// Nothing in the body says why (the report is nested
				// deeper than is read, or in words no family knows).
				tmp := rc.Result
				tmp.Reply = why
				rc.Reason = classify(&tmp, why)
			}
		}
	}
	return rep
}

var notBounceExplanation = map[string]string{
	ReasonFeedback: "Not a bounce: an abuse report (RFC 5965 feedback report) that a receiver sent about a message " +
		"it accepted, usually because its user marked it as spam. Nothing failed; the complaint counts against " +
		"the sender's reputation.",
	ReasonVacation: "Not a bounce: an automatic reply (RFC 3834), such as an out-of-office notice. The message " +
		"was delivered.",
}

// autoReplySubjects start the subjects of automatic replies that carry no
// RFC 3834 field: Outlook's "Automatic reply:", and the common others.
var autoReplySubjects = []string{"automatic reply:", "auto reply:", "autoreply:", "auto-reply:", "out of office", "autoresponse"}

// notABounce says what a message is when it is not a bounce at all: an
// abuse report (RFC 5965, or Amazon SES's complaint notification, ses.go),
// whatever fields it has, or, without a delivery report, an automatic
// reply (RFC 3834 §5: Auto-Submitted: auto-replied). Bounces themselves
// carry Auto-Submitted too (Postfix sets it), so a message with DSN fields
// is never read as an automatic reply.
func notABounce(m *message, hasDSN bool) string {
	if m.feedback {
		return ReasonFeedback
	}
	if hasDSN || m.report || m.header == nil {
		return ""
	}
	auto := strings.ToLower(strings.TrimSpace(m.header.Get("Auto-Submitted")))
	subject := strings.ToLower(strings.TrimSpace(decodeHeader(m.header.Get("Subject"))))
	if strings.HasPrefix(auto, "auto-replied") || m.header.Get("X-Autoreply") != "" {
		return ReasonVacation
	}
	for _, p := range autoReplySubjects {
		if strings.HasPrefix(subject, p) {
			return ReasonVacation
		}
	}
	return ""
}

// bodyText joins the text parts of the message.
func bodyText(m *message) string {
	var b strings.Builder
	for _, t := range m.texts {
		if b.Len()+len(t) > MaxInput {
			break
		}
		b.WriteString(normaliseNewlines(t))
		b.WriteString("\n\n")
	}
	return b.String()
}

// Lines after which a plain-text bounce quotes the original message (whose
// words are the sender's, not the receiver's).
var originalMarkers = []string{
	"------ this is a copy of the message",
	"--- below this line is a copy of the message",
	"----- original message -----",
	"------ original message",
	"original message follows",
	"--- original message",
	"----- unsent message follows -----",
	"------ the body of the message is",
	"--- the header of the original message is following",
	"included is a copy of the message header",
	"----- message header follows -----",
	"----- the following addresses had transient non-fatal errors",
	"message headers follow",
	"below is a copy of the original message",
	"original message headers",
	"------- returned message",
	"original mail as follows", // fml, the mailing list manager
}

// humanPart cuts the quoted original off a bounce's text.
func humanPart(body string) string {
	low := strings.ToLower(body)
	cut := len(body)
	for _, mk := range originalMarkers {
		if i := strings.Index(low, mk); i >= 0 && i < cut && i > 0 {
			cut = i
		}
	}
	// Without a marker, the returned message starts at its first trace
	// field (RFC 5322 §3.6.7: Received is the topmost field a relayed
	// message has).
	if i := strings.Index(low, "\nreceived:"); i > 0 && i < cut {
		cut = i
	}
	if cut > maxScan {
		cut = maxScan
	}
	return body[:cut]
}

// reFieldGroupStart is the first line of an RFC 3464 field group
// (§2.2, §2.3): the per-message fields, then one group per recipient.
var reFieldGroupStart = lazyRegexp(`(?im)^(?:reporting-mta|original-recipient|final-recipient):`)

// beforeFields cuts text at its first RFC 3464 field group.
func beforeFields(text string) string {
	if loc := reFieldGroupStart.FindStringIndex(text); loc != nil {
		return text[:loc[0]]
	}
	return text
}

// reBracketed is an address in angle brackets, as bounces name recipients
// ("delivering your mail to <a@b>.", "<a@b>... User unknown").
var reBracketed = lazyRegexp(`<([^<>\s@":]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>`)

// reAddressHeader is a header line that names the sender, the bounce's
// own recipient or a message, not the failed recipient.
var reAddressHeader = lazyRegexp(`(?i)^(?:resent-)?(?:to|from|cc|bcc|reply-to|return-path|sender|errors-to|message-id|in-reply-to|references|content-id):`)

// textRecipient is the last resort for a bounce that names its recipient
// nowhere else: the first address in angle brackets in its text (quoting
// "> " removed), outside the header lines that name the sender or the
// bounce's own recipient, and other than theirs (the bounce's To, the
// returned message's From), or "".
func textRecipient(human string, m *message) string {
	not := map[string]bool{}
	if m.header != nil {
		if a, err := mailAddress(m.header.Get("To")); err == nil {
			not[strings.ToLower(a)] = true
		}
	}
	if m.original != nil {
		if a, err := mailAddress(m.original.Get("From")); err == nil {
			not[strings.ToLower(a)] = true
		}
	}
	for _, line := range strings.Split(human[:min(len(human), maxScan)], "\n") {
		line = strings.TrimLeft(line, "> \t")
		if reAddressHeader.MatchString(line) {
			continue
		}
		for _, mt := range reBracketed.FindAllStringSubmatch(line, -1) {
			if a := strings.ToLower(mt[1]); !not[a] {
				return a
			}
		}
	}
	return ""
}

// quotedOriginal reads the header of the returned message that a
// plain-text bounce quotes after its text (human is that text, as
// humanPart cut it from body): the lines after the marker line, or from
// the first Received field on. Nil when nothing is quoted.
func quotedOriginal(body, human string) textproto.MIMEHeader {
	rest := body[len(human):]
	if !strings.HasPrefix(strings.ToLower(strings.TrimLeft(rest, "\n")), "received:") {
		// Skip the marker line ("----- Unsent message follows -----").
		_, rest, _ = strings.Cut(rest, "\n")
	}
	rest = strings.TrimLeft(rest, "\n")
	rest, _, _ = strings.Cut(rest[:min(len(rest), maxShared)], "\n\n")
	if g := fieldGroups(rest); len(g) > 0 {
		return g[0]
	}
	return nil
}

type block struct {
	addr string
	text string
}

// reRecipientLine is a line that names a recipient the way Postfix
// ("<a@b>: host ... said: ..."), qmail ("<a@b>:"), Exim ("  a@b"),
// Sendmail ("<a@b>... User unknown", "<a@b>"), GMX ("\"a@b\":") and most
// others do: the address first on its line, alone or followed by the
// reason.
var reRecipientLine = lazyRegexp(`^\s{0,8}[<"]?([A-Za-z0-9._%+=/'&!#$*?^{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})[>"]?(?:\.\.\.|:|\s|$)`)

// reZohoStatusLine is the line Zoho Mail's warning writes for a
// recipient: "[Status: Error, Address: <a@b>, ResponseCode 421, , ...]".
var reZohoStatusLine = lazyRegexp(`^\[Status: [A-Za-z]+, Address: <([^<>\s@]+@[A-Za-z0-9.-]+)>,`)

// recipientBlocks splits text into one block per recipient named at the
// start of a line; a recipient named twice keeps its first block with the
// second appended.
func recipientBlocks(text string) []block {
	var out []block
	idx := map[string]int{}
	cur := -1
	for _, line := range strings.Split(text, "\n") {
		m := reRecipientLine.FindStringSubmatch(line)
		if m != nil && isHeaderLine(line) {
			m = nil
		}
		if m == nil {
			m = reZohoStatusLine.FindStringSubmatch(line)
		}
		if m != nil {
			a := strings.ToLower(m[1])
			i, ok := idx[a]
			if !ok {
				if len(out) >= maxRecipients {
					break
				}
				i = len(out)
				idx[a] = i
				out = append(out, block{addr: a})
			}
			cur = i
		}
		if cur >= 0 && len(out[cur].text) < maxScan {
			out[cur].text += line + "\n"
		}
	}
	return out
}

func isHeaderLine(line string) bool {
	name, _, ok := strings.Cut(line, ":")
	return ok && !strings.Contains(name, "@") && !strings.ContainsAny(strings.TrimSpace(name), " <>") && name == strings.TrimSpace(name)
}

// fromDSN reads one per-recipient field group (RFC 3464 §2.3). The
// Diagnostic-Code holds the receiver's reply, but Sendmail keeps only its
// first line and others shorten it: a longer reply with the same code in
// the recipient's part of the text (a Postfix "host X said:" paragraph, a
// "<<< 550-..." transcript) is preferred; in a Sendmail transcript, the
// reply of the recipient's own session (transcript.go).
func fromDSN(g textproto.MIMEHeader, blocks []block, sessions []sessionRecipient, human string) Recipient {
	rc := Recipient{
		Recipient:   strings.ToLower(strings.Trim(typedValue(firstOf(g, "Final-Recipient", "Original-Recipient")), "<> ")),
		Action:      strings.ToLower(strings.TrimSpace(g.Get("Action"))),
		LastAttempt: g.Get("Last-Attempt-Date"),
	}
	ctx := human
	for _, b := range blocks {
		if b.addr == rc.Recipient {
			ctx = b.text
			break
		}
	}
	var session *sessionRecipient
	for i := range sessions {
		if sessions[i].addr == rc.Recipient && (sessions[i].reply != "" || sessions[i].output != "") {
			session = &sessions[i]
			ctx = session.diagnostic() + "\n" + session.own
			break
		}
	}
	diagType, diag := typedPair(g.Get("Diagnostic-Code"))
	status := strings.TrimSpace(g.Get("Status"))
	statusComment := ""
	if i := strings.IndexAny(status, " \t("); i > 0 {
		status, statusComment = status[:i], strings.TrimSpace(status[i:])
		if strings.HasPrefix(statusComment, "(") && strings.HasSuffix(statusComment, ")") {
			statusComment = strings.TrimSpace(statusComment[1 : len(statusComment)-1])
		} else {
			statusComment = ""
		}
	}
	mta := typedValue(firstOf(g, "Remote-Mta", "X-Postfix-Remote-Mta"))

	ctx = sanitize.MultiLine(ctx)
	var r Result
	line, reply := "", ""
	if diag != "" && !strings.EqualFold(diagType, "x-unix") {
		reply = sanitize.MultiLine(diag)
		// A diagnostic that is not a reply but a log line of the sending
		// MTA ("connect to mx[addr]:25: Connection timed out") is read as
		// one, for the receiving host and address it names.
		if code, _, _ := normaliseReply(reply); code == 0 && reConnectTo.MatchString(reply) {
			var tmp Result
			if _, rep := locateReply(&tmp, reply); rep != "" && tmp.ReceivingIP.IsValid() {
				reply = rep
				r.ReceivingHost, r.ReceivingIP = tmp.ReceivingHost, tmp.ReceivingIP
			}
		}
		host, ip := r.ReceivingHost, r.ReceivingIP
		alt := ""
		if session != nil {
			alt = sanitize.MultiLine(session.diagnostic())
		} else {
			alt = bodyReply(&r, ctx)
		}
		if len(alt) > len(reply) && extends(alt, reply) {
			reply = alt
		} else {
			r.ReceivingHost, r.ReceivingIP = host, ip
		}
	} else if session != nil {
		reply = sanitize.MultiLine(session.diagnostic())
	} else {
		line, reply = locateReply(&r, ctx)
		if reply == "" && diag != "" {
			reply = sanitize.MultiLine(diag)
		}
	}
	if r.ReceivingHost == "" && mta != "" {
		host, ip := splitMTA(mta)
		r.ReceivingHost = sanitize.Text(host)
		if !r.ReceivingIP.IsValid() {
			r.ReceivingIP = ip
		}
	}
	if !r.ReceivingIP.IsValid() {
		// Exim's Remote-MTA names the host only ("dns; mx.example.com");
		// its address is in the recipient's text, "host NAME [ADDR]"
		// (Exim deliver.c, the bounce's failed-address list).
		r.ReceivingIP = eximHostAddr(ctx, r.ReceivingHost)
	}
	text := ctx
	switch {
	case diag != "":
		text = sanitize.MultiLine(diag) + "\n\n" + ctx
	case statusComment != "":
		// RFC 3464 §2.3.4 allows a comment after the status code
		// ("4.0.0 (example.net: host name lookup failure)"): without a
		// diagnostic, it is a word about why, read with the text.
		text = sanitize.Text(statusComment) + "\n\n" + ctx
	}
	finish(&r, line, reply, text)
	if r.Stage == "" && session != nil {
		r.Stage = sanitize.Text(commandVerb(session.command))
	}
	if r.Stage == "" {
		r.Stage = sanitize.Text(transcriptCommand(ctx))
	}
	if isStatus(status) && (r.EnhancedCode == "" || r.EnhancedCode[2:] == "0.0" && status[2:] != "0.0") {
		r.EnhancedCode = status
		if r.ReplyCode == 0 {
			r.Permanent = status[0] == '5'
		}
	}
	if r.ReplyCode == 0 && r.EnhancedCode == "" {
		r.Permanent = rc.Action == "failed"
	}
	if diagType != "" && !strings.EqualFold(diagType, "smtp") && r.Reply == "" {
		r.Reply = clip(unfold(sanitize.Text(diag)))
	}
	r.Reason = classify(&r, text)
	if strings.EqualFold(diagType, "x-unix") && r.ReplyCode == 0 {
		// RFC 3464 §2.3.6: the only diagnostic came from a local delivery
		// program (a Unix mailer such as procmail or a pipe), not from an
		// SMTP peer; what failed is that program.
		switch r.Reason {
		case ReasonSystemError, ReasonUndefined, ReasonExpired, ReasonOnHold:
			r.Reason = ReasonMailerError
		}
	}
	switch {
	case rc.Action == "failed":
		r.Reason = finalReason(r)
	case rc.Action == "expired" && r.ReplyCode < 500:
		// Not an RFC 3464 §2.3.3 action, but some senders (SendGrid)
		// write it for a message whose retries ran out.
		r.Reason = ReasonExpired
	}
	rc.Action = sanitize.Text(rc.Action)
	rc.Recipient = sanitize.Text(rc.Recipient)
	rc.LastAttempt = sanitize.Text(rc.LastAttempt)
	if rc.Action == "" {
		rc.Action = actionOf(r)
	}
	rc.Result = r
	return rc
}

// eximHostAddr is the address of Exim's "host NAME [ADDR]" line for host
// in text (any host when host is empty); invalid when there is none.
func eximHostAddr(text, host string) netip.Addr {
	// Every "host" line of the scanned part: a bounce for several
	// recipients names one host per recipient, the wanted one anywhere.
	for _, m := range reEximHost.FindAllStringSubmatch(text[:min(len(text), maxScan)], -1) {
		if host == "" || strings.EqualFold(m[1], host) {
			a, _ := addr.ParseLiteral(m[2])
			return a
		}
	}
	return netip.Addr{}
}

// fromText reads the part of a plain-text bounce about one recipient;
// trying says the notice is a delay notice (finalRecipient).
func fromText(text string, trying bool) Recipient {
	return finalRecipient(parseText(text), trying)
}

// finalRecipient is the recipient of a plain-text notice whose reply r
// is: its reason is finalReason's, and a temporary reply that ended a
// failure notice means the sending server gave up (failed); in a notice
// that says it will go on trying (trying: a delay notice) it is delayed.
func finalRecipient(r Result, trying bool) Recipient {
	reason := finalReason(r)
	action := actionOf(r)
	if reason != r.Reason && reason == ReasonExpired && !trying {
		action = "failed"
	}
	r.Reason = reason
	return Recipient{Action: action, Result: r}
}

// reStillTrying is a delay notice's word that delivery goes on.
var reStillTrying = lazyRegexp(`(?i)will be retried|will continue trying|delivery attempts will continue|warning message only|warning only|will keep trying|still trying`)

// reDelaySubject is the subject of a delay notice: Sendmail's "Warning:
// could not send message for past 4 hours", Postfix's "Delayed Mail
// (still being retried)", Exchange's and Gmail's "(Delay)".
var reDelaySubject = lazyRegexp(`(?i)^warning: could not send|delayed mail|\(delay\)|delivery delayed`)

// finalReason is the reason of a recipient in a failure notice: a
// temporary error there means the sending server stopped retrying, and
// the message expired (a delay notice keeps the reply's own reason).
func finalReason(r Result) string {
	temporary := r.ReplyCode >= 400 && r.ReplyCode < 500 || r.ReplyCode == 0 && strings.HasPrefix(r.EnhancedCode, "4.")
	switch {
	case !temporary:
	case r.Reason == ReasonUndefined, r.Reason == ReasonNetworkError && reNotReached.MatchString(r.Reply):
		// Nothing more specific than "it kept failing", or a host that
		// could not be reached until the queue lifetime ran out
		// (Sisimai's expired: "delivery time has expired due to a
		// connection failure"). A DNS failure or a connection lost
		// mid-session stays a network error.
		return ReasonExpired
	}
	return r.Reason
}

// reNotReached is a reply that says the receiving host could not be
// reached at all.
var reNotReached = lazyRegexp(`(?i)timed out|not reachable|unreachable`)

// transcriptCommand returns the client command ("DATA", "RCPT") that the
// failing server reply of a transcript answered. With pipelining (RFC 2920)
// the client sends several commands before reading the replies, which then
// answer them in order: the commands are queued and each final reply line
// takes the oldest. A 503 "bad sequence" reply is the consequence of an
// earlier failure, not the failure.
//
// Sendmail's transcript shows two more things. A reply read right after
// "... while talking to HOST.:", before any command was sent, is the
// greeting (RFC 5321 §3.1). And Sendmail shows only the last command of a
// pipelined group (">>> DATA"), so a refusal of a recipient's RCPT appears
// after it; Sendmail then writes its own line for that recipient
// ("550 5.1.1 <addr>... User unknown", usersmtp.c), which tells that the
// reply answered the recipient, not the DATA command.
func transcriptCommand(ctx string) string {
	if !strings.Contains(ctx, "<<< ") {
		return ""
	}
	var queue []string
	failed, prev := "", ""
	pending := false // the failing reply was the last line read
	for _, line := range strings.Split(ctx, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if pending && failed != "" && !strings.HasPrefix(t, "<<< ") && reSendmailRcptLine.MatchString(t) {
			failed = "RCPT"
		}
		pending = false
		switch {
		case strings.HasPrefix(t, "... while talking to"):
			queue = queue[:0]
		case strings.HasPrefix(t, ">>> "):
			if len(queue) < 16 {
				queue = append(queue, strings.TrimSpace(t[4:]))
			}
		case strings.HasPrefix(t, "<<< "):
			greeting := strings.HasPrefix(prev, "... while talking to")
			t = strings.TrimSpace(t[4:])
			if len(t) > 3 && t[3] == '-' {
				break // not the last line of the reply
			}
			cmd := ""
			if len(queue) > 0 {
				cmd, queue = queue[0], queue[1:]
			} else if greeting {
				cmd = "initial connection"
			}
			if (t[0] == '4' || t[0] == '5') && !strings.HasPrefix(t, "503") && failed == "" {
				failed, pending = cmd, true
			}
		}
		if !strings.HasPrefix(t, "<<< ") || !strings.HasPrefix(prev, "... while talking to") {
			prev = t
		}
	}
	if failed == "initial connection" {
		return failed
	}
	verb, _, _ := strings.Cut(failed, " ")
	verb, _, _ = strings.Cut(verb, ":")
	return strings.ToUpper(verb)
}

// reSendmailRcptLine is Sendmail's own line for a refused recipient:
// "550 5.1.1 <user@example.org>... User unknown".
var reSendmailRcptLine = lazyRegexp(`^[45]\d\d [245]\.\d{1,3}\.\d{1,3} <[^<>\s]+@[^<>\s]+>\.\.\. `)

// bodyReply finds the receiver's reply in the recipient's part of the
// text: Postfix's "host X[addr] said:", Exim's "host X [addr]: 550 ...",
// qmail's "Remote host said:", or a Sendmail "<<< 550 ..." transcript.
func bodyReply(r *Result, ctx string) string {
	if t := transcriptReply(ctx); t != "" {
		return t
	}
	var tmp Result
	if _, rep := locateReplyIn(&tmp, ctx, false); rep != "" {
		r.ReceivingHost, r.ReceivingIP = tmp.ReceivingHost, tmp.ReceivingIP
		return rep
	}
	return ""
}

// mailAddress reads the first address of an address header.
func mailAddress(v string) (string, error) {
	a, err := mail.ParseAddress(decodeHeader(v))
	if err != nil {
		return "", err
	}
	return a.Address, nil
}

// transcriptReply collects the server's lines ("<<< 550-5.7.1 ...") of an
// SMTP transcript as Sendmail and others include it; the last reply wins
// (the one that ended the transaction).
func transcriptReply(ctx string) string {
	if !strings.Contains(ctx, "<<< ") {
		return ""
	}
	var cur, last []string
	for _, line := range strings.Split(ctx, "\n") {
		t := strings.TrimSpace(line)
		if !strings.HasPrefix(t, "<<< ") {
			if len(cur) > 0 {
				last, cur = cur, nil
			}
			continue
		}
		t = strings.TrimSpace(t[4:])
		cur = append(cur, t)
		if len(t) > 3 && t[3] == ' ' {
			// RFC 5321 §4.2.1: the last line of a reply has a space after
			// the code.
			last, cur = cur, nil
		}
	}
	if len(cur) > 0 {
		last = cur
	}
	return strings.Join(last, " ")
}

// extends says whether reply long is the whole of reply short, which a
// DSN's Diagnostic-Code shortened (Sendmail keeps the first line of a
// multi-line reply): the same code, and short's words at the start of
// long's. A reply that merely has the same code may be another
// recipient's.
func extends(long, short string) bool {
	lc, _, lt := normaliseReply(long)
	sc, _, st := normaliseReply(short)
	return lc != 0 && lc == sc && strings.HasPrefix(strings.ToLower(lt), strings.ToLower(strings.TrimSuffix(st, "…")))
}

func firstOf(h textproto.MIMEHeader, keys ...string) string {
	for _, k := range keys {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// typedPair splits an RFC 3464 typed field ("smtp; 550 ...", "rfc822;
// a@b", "dns; mx.example.com") into its type and value.
func typedPair(v string) (typ, val string) {
	v = strings.TrimSpace(v)
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.ContainsAny(t, " \t") && len(t) <= 20 {
		return strings.TrimSpace(t), strings.TrimSpace(rest)
	}
	return "", v
}

func typedValue(v string) string {
	_, val := typedPair(v)
	return val
}

// splitMTA reads "mx.example.com", "mx.example.com [192.0.2.1]" or
// "[192.0.2.1]" from a Remote-MTA field.
func splitMTA(v string) (host string, ip netip.Addr) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '['); i >= 0 {
		if j := strings.IndexByte(v[i:], ']'); j > 0 {
			ip, _ = addr.ParseLiteral(v[i+1 : i+j])
		}
		v = strings.TrimSpace(v[:i])
	}
	if a, err := addr.ParseLiteral(v); err == nil {
		return "", a
	}
	host = strings.ToLower(strings.TrimSuffix(v, "."))
	if !isHostName(host) {
		host = ""
	}
	return host, ip
}

func isStatus(s string) bool {
	return len(s) >= 5 && (s[0] == '2' || s[0] == '4' || s[0] == '5') && s[1] == '.' && reStatusCode.MatchString(s)
}

var reStatusCode = lazyRegexp(`^[245]\.\d{1,3}\.\d{1,3}$`)

func actionOf(r Result) string {
	code := r.ReplyCode
	switch {
	case code >= 500 || code == 0 && strings.HasPrefix(r.EnhancedCode, "5."):
		return "failed"
	case code >= 400 || code == 0 && strings.HasPrefix(r.EnhancedCode, "4."):
		return "delayed"
	case code >= 200 && code < 300 || strings.HasPrefix(r.EnhancedCode, "2."):
		return "delivered"
	}
	return ""
}

// fallbackRecipient names the recipient of a bounce that names none in its
// text: Exim's X-Failed-Recipients header, else the returned message's To.
func fallbackRecipient(m *message) string {
	if m.header != nil {
		if v := m.header.Get("X-Failed-Recipients"); v != "" {
			v, _, _ = strings.Cut(v, ",")
			return sanitize.Text(strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>")))
		}
	}
	if m.original != nil {
		if a, err := mailAddress(m.original.Get("To")); err == nil {
			return sanitize.Text(strings.ToLower(a))
		}
	}
	return ""
}
