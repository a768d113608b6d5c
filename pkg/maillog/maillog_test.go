package maillog

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mailcheck/mailcheck/pkg/internal/logtest"
)

var logStart = time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)

func readLogs(t *testing.T, opt Options, inputs ...string) *Summary {
	t.Helper()
	var in []Input
	for i, s := range inputs {
		in = append(in, Input{Name: "log" + string(rune('0'+i)), R: strings.NewReader(s)})
	}
	if opt.Year == 0 {
		opt.Year = 2026
	}
	s, err := Read(context.Background(), in, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func family(d Destination, name string) Family {
	for _, f := range d.Families {
		if f.Family == name {
			return f
		}
	}
	return Family{}
}

func destination(s *Summary, domain string) Destination {
	for _, d := range s.Destinations {
		if d.Domain == domain {
			return d
		}
	}
	return Destination{}
}

// checkCounts compares a summary with what the generator wrote: the
// lines, and every count per destination and family.
func checkCounts(t *testing.T, s *Summary, want logtest.Expected) {
	t.Helper()
	if s.Lines != int64(want.Lines) {
		t.Errorf("lines %d, want %d", s.Lines, want.Lines)
	}
	for domain, fams := range want.Dest {
		d := destination(s, domain)
		for name, c := range fams {
			f := family(d, name)
			got := logtest.Counts{Attempts: int(f.Attempts), Delivered: int(f.Delivered), Deferred: int(f.Deferred), Bounced: int(f.Bounced)}
			if got != *c {
				t.Errorf("%s over %s: %+v, want %+v", domain, name, got, *c)
			}
		}
	}
}

func TestReadCountsExactlyWhatAGeneratedPostfixLogHolds(t *testing.T) {
	var buf bytes.Buffer
	want, err := logtest.Postfix(&buf, 500, logStart)
	if err != nil {
		t.Fatal(err)
	}
	s := readLogs(t, Options{}, buf.String())
	checkCounts(t, s, want)
	for domain, fams := range want.Dest {
		if d := destination(s, domain); len(d.Families) != len(fams) {
			t.Errorf("%s: families %+v, want %d", domain, d.Families, len(fams))
		}
	}
	gmail := destination(s, "gmail.com")
	if gmail.FallbackDelivered != int64(want.FallbackDelivered) || gmail.DeliveredAfterDeferral != int64(want.FallbackDelivered) {
		t.Errorf("fallback %d after deferral %d, want %d", gmail.FallbackDelivered, gmail.DeliveredAfterDeferral, want.FallbackDelivered)
	}
	if s.QueueIDsDropped != 0 || s.PendingDropped != 0 || s.DomainsDropped != 0 {
		t.Errorf("dropped %d/%d/%d", s.QueueIDsDropped, s.PendingDropped, s.DomainsDropped)
	}
}

func TestReadCountsExactlyWhatAGeneratedEximLogHolds(t *testing.T) {
	var buf bytes.Buffer
	want, err := logtest.Exim(&buf, 300, logStart)
	if err != nil {
		t.Fatal(err)
	}
	s := readLogs(t, Options{}, buf.String())
	checkCounts(t, s, want)
	fallback := int64(0)
	for _, d := range s.Destinations {
		fallback += d.FallbackDelivered
	}
	if fallback != int64(want.FallbackDelivered) {
		t.Errorf("fallback %d, want %d", fallback, want.FallbackDelivered)
	}
	gmail := destination(s, "gmail.com")
	if !strings.Contains(gmail.Verdict, "120 of 120 attempts over IPv6 failed") || !strings.Contains(gmail.Fix, "dns_ipv4_lookup = *.l.google.com") {
		t.Errorf("verdict %q fix %q", gmail.Verdict, gmail.Fix)
	}
}

func TestTheVerdictNamesTheFailingFamilyItsReplyAndTheFix(t *testing.T) {
	var buf bytes.Buffer
	if _, err := logtest.Postfix(&buf, 500, logStart); err != nil {
		t.Fatal(err)
	}
	s := readLogs(t, Options{}, buf.String())
	if s.Destinations[0].Domain != "gmail.com" {
		t.Fatalf("first destination %q, want the one with most failures", s.Destinations[0].Domain)
	}
	gmail := s.Destinations[0]
	v6 := family(gmail, "ipv6")
	// 100 rejections with Gmail's PTR reply, 100 deferrals with its rate reply.
	if len(v6.Replies) != 2 || v6.Replies[0].Count != 100 || v6.Replies[0].Reason != "requireptr" || v6.Replies[0].SenderIP.String() != "2001:db8::25" {
		t.Fatalf("replies %+v", v6.Replies)
	}
	if v6.Replies[0].Rule != "gmail-ipv6-ptr-auth" || v6.Replies[0].Explanation == "" {
		t.Errorf("dominant reply not explained: %+v", v6.Replies[0])
	}
	for _, want := range []string{"gmail.com: 200 of 200 attempts over IPv6 failed", "550 5.7.1", "(requireptr)", "0 of 200 over IPv4 failed"} {
		if !strings.Contains(gmail.Verdict, want) {
			t.Errorf("verdict lacks %q: %s", want, gmail.Verdict)
		}
	}
	for _, want := range []string{"PTR record for 2001:db8::25", "smtp_address_preference = ipv4", "gmail.com smtp4:"} {
		if !strings.Contains(gmail.Fix, want) {
			t.Errorf("fix lacks %q: %s", want, gmail.Fix)
		}
	}
	if !v6.FirstFailure.Equal(logStart) || v6.LastFailure.Before(logStart.Add(50*time.Minute)) {
		t.Errorf("failures span %v .. %v", v6.FirstFailure, v6.LastFailure)
	}
	if net := destination(s, "example.net"); net.Fix != "" || !strings.Contains(net.Verdict, "all 100 attempts delivered") {
		t.Errorf("example.net: %q / %q", net.Verdict, net.Fix)
	}
}

func TestReadTakesRotatedFilesInOrderAndGzipByMagicBytes(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := logtest.Postfix(&a, 50, logStart); err != nil {
		t.Fatal(err)
	}
	if _, err := logtest.Postfix(&b, 50, logStart.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	whole := readLogs(t, Options{}, a.String()+b.String())
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(a.Bytes())
	zw.Close()
	s, err := Read(context.Background(), []Input{{Name: "mail.log.1.gz", R: &gz}, {Name: "mail.log", R: &b}}, Options{Year: 2026})
	if err != nil {
		t.Fatal(err)
	}
	if s.Attempts != whole.Attempts || s.Lines != whole.Lines || s.Attempts == 0 {
		t.Errorf("gzip and plain: %d attempts %d lines; one plain file: %d, %d", s.Attempts, s.Lines, whole.Attempts, whole.Lines)
	}
	if !s.First.Equal(logStart) || s.Last.Before(logStart.Add(24*time.Hour)) {
		t.Errorf("span %v .. %v", s.First, s.Last)
	}
	if _, err := Read(context.Background(), []Input{{Name: "bad.gz", R: strings.NewReader("\x1f\x8b\x08garbage")}}, Options{}); err == nil || !strings.Contains(err.Error(), "bad.gz") {
		t.Errorf("corrupt gzip: %v", err)
	}
}

func TestSinceAndDomainFilterTheAttemptsCounted(t *testing.T) {
	var buf bytes.Buffer
	if _, err := logtest.Postfix(&buf, 500, logStart); err != nil {
		t.Fatal(err)
	}
	all := readLogs(t, Options{}, buf.String())
	// 500 messages 7 s apart: the last 100 start at 400*7 s.
	late := readLogs(t, Options{Since: logStart.Add(400 * 7 * time.Second)}, buf.String())
	if late.Attempts*5 > all.Attempts || late.Attempts == 0 {
		t.Errorf("since: %d of %d attempts", late.Attempts, all.Attempts)
	}
	net := readLogs(t, Options{Domain: "Example.NET."}, buf.String())
	if len(net.Destinations) != 1 || net.Destinations[0].Domain != "example.net" || net.Destinations[0].Attempts != 100 {
		t.Errorf("domain: %+v", net.Destinations)
	}
}

func TestStateIsBoundedAndWhatWasDroppedIsCounted(t *testing.T) {
	var b strings.Builder
	// 100 queue ids deferred and never finished, more than MaxQueueIDs.
	for i := 0; i < 100; i++ {
		b.WriteString("Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3" + strings.Repeat("C", 1+i%7) + string(rune('A'+i%26)) + string(rune('A'+i/26)) +
			": to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, dsn=4.7.1, status=deferred (host mx.example.com[192.0.2.1] said: 450 4.7.1 later)\n")
	}
	// 20 processes that log an address and never a recipient.
	for i := 0; i < 20; i++ {
		b.WriteString("Nov 29 10:12:01 mail postfix/smtp[" + string(rune('a'+i)) + "]: connect to mx.example.com[2001:db8::1]:25: Connection refused\n")
	}
	for i := 0; i < 3; i++ {
		b.WriteString("Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4D: to=<a@d" + string(rune('a'+i)) + ".example>, relay=mx[192.0.2.1]:25, dsn=2.0.0, status=sent (250 ok)\n")
	}
	s := readLogs(t, Options{MaxQueueIDs: 10, MaxPending: 5, MaxDomains: 2}, b.String())
	if s.QueueIDsDropped != 90 || s.PendingDropped != 15 || s.DomainsDropped != 2 {
		t.Errorf("dropped queue ids %d (want 90), pending %d (want 15), domains %d (want 2)", s.QueueIDsDropped, s.PendingDropped, s.DomainsDropped)
	}
	if d := destination(s, "example.com"); d.Deferred != 100 {
		t.Errorf("a dropped queue id is still counted: %d deferrals", d.Deferred)
	}
}

func TestAVeryLongLineIsCutNotFatal(t *testing.T) {
	long := "Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4D: to=<a@example.com>, relay=mx.example.com[192.0.2.1]:25, dsn=5.7.1, status=bounced (550 " + strings.Repeat("x", 100<<10) + ")\n"
	s := readLogs(t, Options{}, long+long)
	if s.Lines != 2 || s.Attempts != 2 {
		t.Errorf("%d lines %d attempts", s.Lines, s.Attempts)
	}
	if r := family(destination(s, "example.com"), "ipv4").Replies; len(r) != 1 || len(r[0].Reply) > 4096 {
		t.Errorf("replies %d, first %d bytes", len(r), len(r[0].Reply))
	}
}

func TestAnIPv6OnlyFailureStillGetsTheIPv4StopGap(t *testing.T) {
	line := "Nov 29 10:12:01 mail postfix/smtp[5]: 4F1A2B3C4D: to=<a@gmail.com>, relay=gmail-smtp-in.l.google.com[2001:db8:4860::1b]:25, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[2001:db8:4860::1b] said: " +
		strings.ReplaceAll(logtest.GmailPTRReply, "%s", "x1si2") + " (in reply to end of DATA command))\n"
	g := destination(readLogs(t, Options{}, strings.Repeat(line, 5)), "gmail.com")
	if !strings.Contains(g.Verdict, "5 of 5 attempts over IPv6 failed") || !strings.HasSuffix(g.Verdict, "no attempts over IPv4.") {
		t.Errorf("verdict %q", g.Verdict)
	}
	if !strings.Contains(g.Fix, "PTR record for 2001:db8::25") || !strings.Contains(g.Fix, "smtp_address_preference = ipv4") {
		t.Errorf("fix %q", g.Fix)
	}
}

// Shapes the logs lab found in real Postfix 3.7 and Exim 4.96 logs.
func TestOneReplyIsOneGroupWhetherAPerAddressLineOrTheRecipientLineCarriesIt(t *testing.T) {
	s := readLogs(t, Options{Year: 2026}, `Dec 06 20:39:09 client postfix/smtp[17478]: 572FB98EE6E: host mx.down.example[2001:db8:c1:6::25] refused to talk to me: 421 4.3.2 not available
Dec 06 20:39:09 client postfix/smtp[17478]: 572FB98EE6E: to=<a@down.example>, relay=mx.down.example[203.0.113.106]:25, delay=0.3, delays=0.1/0/0.2/0, dsn=4.3.2, status=deferred (host mx.down.example[203.0.113.106] refused to talk to me: 421 4.3.2 not available)
Dec 06 20:39:10 client postfix/smtp[17479]: 672FB98EE6F: host mx.down.example[203.0.113.106] refused to talk to me: 421 4.3.2 not available
Dec 06 20:39:10 client postfix/smtp[17479]: 672FB98EE6F: to=<b@down.example>, relay=mx.down.example[2001:db8:c1:6::25]:25, delay=0.3, delays=0.1/0/0.2/0, dsn=4.3.2, status=deferred (host mx.down.example[2001:db8:c1:6::25] refused to talk to me: 421 4.3.2 not available)
`)
	d := destination(s, "down.example")
	for _, name := range []string{"ipv4", "ipv6"} {
		f := family(d, name)
		if f.Deferred != 2 || len(f.Replies) != 1 || f.Replies[0].Count != 2 || f.Replies[0].ReplyCode != 421 {
			t.Errorf("%s: deferred %d, replies %+v; want one reply counted twice", name, f.Deferred, f.Replies)
		}
	}
}

func TestAnEximMultiLineReplyIsReadWithoutItsContinuationCodes(t *testing.T) {
	s := readLogs(t, Options{}, `2026-12-06 20:39:25 1xaJ13-0004nn-2V ** e1@gmail.example R=dnslookup T=remote_smtp H=mx.gmail.example [2001:db8:c1:2::25]: SMTP error from remote mail server after end of data: 550-5.7.1 [2001:db8:1::1      12] Our system has detected that this message does\n550-5.7.1 not meet IPv6 sending guidelines regarding PTR records and\n550-5.7.1 authentication. Please review\n550-5.7.1  https://support.google.com/mail/?p=IPv6AuthError for more information\n550 5.7.1 . lab50si565 - gsmtp
`)
	f := family(destination(s, "gmail.example"), "ipv6")
	if f.Bounced != 1 || len(f.Replies) != 1 {
		t.Fatalf("bounced %d replies %+v", f.Bounced, f.Replies)
	}
	r := f.Replies[0]
	if strings.Contains(r.Reply, `\n`) || strings.Contains(r.Reply, "550-5.7.1") || !strings.Contains(r.Reply, "does not meet IPv6 sending guidelines") ||
		r.Reason != "requireptr" || r.Rule != "gmail-ipv6-ptr-auth" {
		t.Errorf("reply %q reason %q rule %q", r.Reply, r.Reason, r.Rule)
	}
}

// Exim 4.97 lengthened its message ids from 16 characters (6-6-2) to 23
// (6-11-4); a per-host line names the host right after either form.
func TestEximPerHostLinesCountWithEitherMessageIDFormat(t *testing.T) {
	for _, id := range []string{"1xaJ17-0004ps-2g", "1rPEsZ-00000000BqF-1Ge5"} {
		s := readLogs(t, Options{}, `2026-12-06 20:39:25 `+id+` H=mx.example.org [2001:db8:6::25]: SMTP error from remote mail server after initial connection: 421 4.3.2 Service not available
2026-12-06 20:39:25 `+id+` => x@example.org R=dnslookup T=remote_smtp H=mx.example.org [198.51.100.80] C="250 2.0.0 Ok: queued as 9B"
`)
		d := destination(s, "example.org")
		if f := family(d, "ipv6"); f.Deferred != 1 {
			t.Errorf("%s: IPv6 deferred %d, want the per-host line's 1", id, f.Deferred)
		}
		if f := family(d, "ipv4"); f.Delivered != 1 {
			t.Errorf("%s: IPv4 delivered %d, want 1", id, f.Delivered)
		}
	}
}

// When every host refuses the connection, Exim logs each host's failure on
// its own line and then a deferral that names no host ("== RCPT
// R=dnslookup T=remote_smtp defer (111): Connection refused"): the
// attempts are the per-host lines, and the deferral is not one more.
func TestAnEximDeferralNamingNoHostIsNotAnotherAttempt(t *testing.T) {
	s := readLogs(t, Options{}, `2026-12-06 20:39:25 1xaJ17-0004ps-2g H=mx.example.org [2001:db8:6::25] Connection refused
2026-12-06 20:39:25 1xaJ17-0004ps-2g H=mx.example.org [198.51.100.80] Connection refused
2026-12-06 20:39:25 1xaJ17-0004ps-2g == x@example.org R=dnslookup T=remote_smtp defer (111): Connection refused
`)
	d := destination(s, "example.org")
	for _, name := range []string{"ipv4", "ipv6"} {
		if f := family(d, name); f.Attempts != 1 || f.Deferred != 1 {
			t.Errorf("%s: %d attempts, %d deferred; want 1 and 1", name, f.Attempts, f.Deferred)
		}
	}
	if f := family(d, "unknown"); f.Attempts != 0 {
		t.Errorf("%d attempts of unknown family, want none: the deferral repeats the last host's failure", f.Attempts)
	}
}
