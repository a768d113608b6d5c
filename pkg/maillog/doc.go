// Package maillog reads Postfix and Exim mail logs and says, per
// destination domain and per address family, how deliveries went and why.
//
// The flow, one line at a time (Read, Aggregator.Line):
//
//  1. The inputs are read one after another (rotated logs, oldest first);
//     gzip is recognised by its magic bytes (RFC 1952 §2.3.1), lines are
//     bounded (maxLine) and a longer line is cut, not fatal.
//  2. A byte search for the markers of an attempt (" to=<", " said: ",
//     "connect to ", Exim's " => ", " == ", " ** ", "MSGID H=") skips the rest of a
//     busy log (smtpd, cleanup, qmgr, arrivals) before any parsing.
//  3. ParseLine reads the time (RFC 3164 syslog with the year supplied,
//     RFC 3339, journalctl's short forms, Exim's own) and the attempt:
//     Postfix smtp(8)/lmtp(8) recipient lines "QUEUEID: to=<r>,
//     relay=host[ip]:port, ..., dsn=X.Y.Z, status=sent|deferred|bounced
//     (reply)" (log_adhoc.c), the per-address lines "QUEUEID: host
//     X[ip] said: ...", "lost connection with X[ip] ...", "conversation
//     with X[ip] timed out ..." and "connect to X[ip]:25: ..." that Postfix writes
//     for each address it gives up on before the next (smtp_trouble.c,
//     smtp_connect.c), and Exim's =>, ->, == and ** lines with "H=host
//     [ip]" and its per-host lines "MSGID H=host [ip]: SMTP error ..."
//     (transports/smtp.c write_logs). The family is the relay address's
//     (pkg/addr's one rule); deliveries to local mailboxes and pipes are
//     not attempts.
//  4. Per-address lines name no recipient: they are held per process
//     (an smtp(8) process handles one delivery at a time) or per Exim
//     message id, and counted for the recipient the same process or
//     message logs next. Exim repeats the last host's failure in its
//     delivery line: one attempt, whether that line names the host or,
//     when no host could be reached, none.
//  5. Queue ids are followed while a recipient waits for a final outcome,
//     so that a delivery after a deferral, and one over the other family
//     (Postfix's fallback from IPv6 to IPv4), are counted.
//  6. Per destination and family: attempts delivered, deferred and
//     bounced, the span of the failures, and the distinct failure replies
//     (grouped without the numbers and tokens that change per message).
//
// Summary then explains each kept reply with pkg/bounce, as `mailcheck
// explain` would, and writes the verdict: when one family fails and the
// other delivers, the receiver's fix for the address it quoted and the
// stop-gap that sends to that destination over the healthy family only.
//
// Memory is bounded whatever the size of the logs: the queue ids followed
// (least recently seen dropped first), the processes holding lines, the
// destinations and the replies kept are capped (Options), every drop is
// counted in the Summary, and kept strings are copies, never substrings
// that would pin a whole line.
package maillog
