package maillog

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/bounce"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// Summary is what the logs say per destination domain and per family
// (docs/json.md, "logs").
type Summary struct {
	Lines    int64     `json:"lines"`
	Attempts int64     `json:"attempts"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	// QueueIDsDropped counts queue ids no longer followed because more
	// than Options.MaxQueueIDs were waiting at once; DomainsDropped the
	// attempts to destinations beyond Options.MaxDomains; PendingDropped
	// Postfix per-address lines whose recipient line never came.
	QueueIDsDropped int64         `json:"queue_ids_dropped"`
	DomainsDropped  int64         `json:"domains_dropped"`
	PendingDropped  int64         `json:"pending_dropped"`
	Destinations    []Destination `json:"destinations"`
}

// Destination is one recipient domain.
type Destination struct {
	Domain    string `json:"domain"`
	Attempts  int64  `json:"attempts"`
	Delivered int64  `json:"delivered"`
	Deferred  int64  `json:"deferred"`
	Bounced   int64  `json:"bounced"`
	// DeliveredAfterDeferral counts recipients delivered after at least
	// one deferral of the same queue id; FallbackDelivered those of them
	// delivered over the other family than the one that deferred.
	DeliveredAfterDeferral int64    `json:"delivered_after_deferral"`
	FallbackDelivered      int64    `json:"fallback_delivered"`
	Families               []Family `json:"families"`
	// Verdict is the one sentence that matters; Fix what to do, empty when
	// nothing fails.
	Verdict string `json:"verdict"`
	Fix     string `json:"fix,omitempty"`
}

// Family is a destination's attempts over one family: "ipv4", "ipv6", or
// "unknown" (no relay address in the line: a routing failure, relay=none).
type Family struct {
	Family       string    `json:"family"`
	Attempts     int64     `json:"attempts"`
	Delivered    int64     `json:"delivered"`
	Deferred     int64     `json:"deferred"`
	Bounced      int64     `json:"bounced"`
	First        time.Time `json:"first,omitzero"`
	Last         time.Time `json:"last,omitzero"`
	FirstFailure time.Time `json:"first_failure,omitzero"`
	LastFailure  time.Time `json:"last_failure,omitzero"`
	// Replies are the distinct failure replies, most frequent first, each
	// explained as `mailcheck explain` explains it.
	Replies []Reply `json:"replies,omitempty"`
	// RepliesOther counts failures whose reply was not kept (more than
	// 32 distinct replies).
	RepliesOther int64 `json:"replies_other,omitempty"`
}

// Reply is one distinct failure reply and what it means.
type Reply struct {
	Count        int64      `json:"count"`
	Outcome      Outcome    `json:"outcome"` // deferred or bounced
	Reply        string     `json:"reply"`   // one instance, sanitised
	ReplyCode    int        `json:"reply_code,omitempty"`
	EnhancedCode string     `json:"enhanced_code,omitempty"`
	Receiver     string     `json:"receiver,omitempty"`
	Rule         string     `json:"rule,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	SenderIP     netip.Addr `json:"sender_ip,omitzero"`
	Explanation  string     `json:"explanation,omitempty"`
	Fix          string     `json:"fix,omitempty"`
}

type destAgg struct {
	domain                       string
	fams                         map[string]*famAgg
	afterDeferralN, fallback     int64
	mta                          map[string]int64
	hosts                        map[string]bool
	delivered, deferred, bounced int64
}

type famAgg struct {
	Family
	replies map[string]*replyAgg
}

type replyAgg struct {
	count   int64
	outcome Outcome
	example string
	dsn     string // Postfix dsn=, the status when the reply has none
	first   int    // arrival order, for a stable sort
}

func newDestAgg(domain string) *destAgg {
	return &destAgg{domain: domain, fams: map[string]*famAgg{}, mta: map[string]int64{}, hosts: map[string]bool{}}
}

func (d *destAgg) add(e Event) {
	name := e.Family()
	if name == "" {
		name = "unknown"
	}
	f := d.fams[name]
	if f == nil {
		f = &famAgg{Family: Family{Family: name}, replies: map[string]*replyAgg{}}
		d.fams[name] = f
	}
	d.mta[e.MTA]++
	if e.RelayHost != "" && len(d.hosts) < 8 {
		d.hosts[strings.Clone(strings.ToLower(e.RelayHost))] = true
	}
	f.Attempts++
	stamp(&f.First, &f.Last, e.Time)
	switch e.Outcome {
	case Delivered:
		f.Delivered++
		d.delivered++
		return
	case Deferred:
		f.Deferred++
		d.deferred++
	case Bounced:
		f.Bounced++
		d.bounced++
	}
	stamp(&f.FirstFailure, &f.LastFailure, e.Time)
	key := string(e.Outcome) + " " + replyKey(e.Reply)
	r := f.replies[key]
	if r == nil {
		if len(f.replies) >= maxRepliesKept {
			f.RepliesOther++
			return
		}
		r = &replyAgg{outcome: e.Outcome, example: strings.Clone(clip(e.Reply, 2048)), dsn: strings.Clone(e.DSN), first: len(f.replies)}
		f.replies[strings.Clone(key)] = r
	}
	r.count++
}

func (d *destAgg) afterDeferral(e Event, deferredOver, fam string) {
	if e.Outcome != Delivered {
		return
	}
	d.afterDeferralN++
	if !strings.Contains(deferredOver, fam) {
		d.fallback++
	}
}

func stamp(first, last *time.Time, t time.Time) {
	if t.IsZero() {
		return
	}
	if first.IsZero() || t.Before(*first) {
		*first = t
	}
	if t.After(*last) {
		*last = t
	}
}

// replyKey groups replies that differ only in what changes from one
// message to the next: Postfix's "host X[addr] said:" and "host X[addr]
// refused to talk to me:" prefixes (the per-address line has none of the
// "host" part that the recipient's line has), numbers (Gmail's
// "[2001:db8::25      12]", queue ids, dates) and the tail where
// receivers put a per-message token ("x1si2 - gsmtp").
func replyKey(reply string) string {
	for _, p := range []string{" said: ", " refused to talk to me: "} {
		if i := strings.Index(reply, p); i >= 0 {
			reply = reply[i+len(p):]
			break
		}
	}
	if i := strings.Index(reply, "(in reply to "); i >= 0 {
		reply = reply[:i]
	}
	var b strings.Builder
	for i, tok := range strings.Fields(reply[:min(len(reply), 256)]) {
		if b.Len() >= 72 {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if i > 0 && strings.ContainsAny(tok, "0123456789") {
			b.WriteByte('#') // the reply code (first) is kept
		} else {
			b.WriteString(tok)
		}
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Summary returns what was counted so far: destinations with failures
// first (most failures first), then by attempts, then by name.
func (a *Aggregator) Summary() *Summary {
	s := &Summary{
		Lines: a.lines, First: a.first, Last: a.last,
		QueueIDsDropped: a.dropped.queueIDs, DomainsDropped: a.dropped.domains, PendingDropped: a.dropped.pending,
		Destinations: []Destination{},
	}
	for _, d := range a.dests {
		dst := d.destination()
		s.Attempts += dst.Attempts
		s.Destinations = append(s.Destinations, dst)
	}
	sort.Slice(s.Destinations, func(i, j int) bool {
		x, y := s.Destinations[i], s.Destinations[j]
		if fx, fy := x.Deferred+x.Bounced, y.Deferred+y.Bounced; fx != fy {
			return fx > fy
		}
		if x.Attempts != y.Attempts {
			return x.Attempts > y.Attempts
		}
		return x.Domain < y.Domain
	})
	return s
}

func (d *destAgg) destination() Destination {
	dst := Destination{
		Domain: sanitize.Text(d.domain), Delivered: d.delivered, Deferred: d.deferred, Bounced: d.bounced,
		DeliveredAfterDeferral: d.afterDeferralN, FallbackDelivered: d.fallback,
	}
	dst.Attempts = d.delivered + d.deferred + d.bounced
	for _, name := range []string{"ipv6", "ipv4", "unknown"} {
		f := d.fams[name]
		if f == nil {
			continue
		}
		fam := f.Family
		keys := make([]string, 0, len(f.replies))
		for k := range f.replies {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			x, y := f.replies[keys[i]], f.replies[keys[j]]
			if x.count != y.count {
				return x.count > y.count
			}
			return x.first < y.first
		})
		for _, k := range keys {
			fam.Replies = append(fam.Replies, explainReply(f.replies[k]))
		}
		dst.Families = append(dst.Families, fam)
	}
	dst.Verdict, dst.Fix = verdict(dst, d.dominantMTA(), d.hostDomain())
	return dst
}

// explainReply reads one reply as `mailcheck explain` does.
func explainReply(r *replyAgg) Reply {
	b := bounce.Parse(r.example)
	out := Reply{
		Count: r.count, Outcome: r.outcome, Reply: b.Reply, ReplyCode: b.ReplyCode, EnhancedCode: b.EnhancedCode,
		Reason: b.Reason, SenderIP: b.SenderIP,
	}
	if out.Reply == "" {
		out.Reply = sanitize.Text(r.example)
	}
	if out.EnhancedCode == "" && isStatus(r.dsn) {
		out.EnhancedCode = r.dsn
	}
	if b.Recognised {
		out.Receiver, out.Rule, out.Explanation, out.Fix = b.Receiver, b.Rule, b.Explanation, b.Fix
	}
	return out
}

func (d *destAgg) dominantMTA() string {
	best, n := "postfix", int64(-1)
	for m, c := range d.mta {
		if c > n || c == n && m < best {
			best, n = m, c
		}
	}
	return best
}

// hostDomain is the parent domain of the relay hosts
// ("gmail-smtp-in.l.google.com" -> "l.google.com"), for Exim's
// dns_ipv4_lookup, which lists the domains of host names.
func (d *destAgg) hostDomain() string {
	for h := range d.hosts {
		if _, parent, ok := strings.Cut(h, "."); ok && strings.Contains(parent, ".") {
			return parent
		}
	}
	return ""
}

func failures(f Family) int64 { return f.Deferred + f.Bounced }

// verdict says what the counts mean for one destination. A family is
// failing when at least half its attempts failed, and healthy when under
// a tenth did: one failing beside one healthy is the case this tool is
// about, and its fix names the sending address the receiver quoted.
func verdict(d Destination, mta, hostDomain string) (string, string) {
	var v6, v4 *Family
	for i := range d.Families {
		switch d.Families[i].Family {
		case "ipv6":
			v6 = &d.Families[i]
		case "ipv4":
			v4 = &d.Families[i]
		}
	}
	failing := func(f *Family) bool { return f != nil && failures(*f)*2 >= f.Attempts && failures(*f) > 0 }
	healthy := func(f *Family) bool { return f != nil && failures(*f)*10 < f.Attempts }
	of := func(f *Family) string {
		return fmt.Sprintf("%d of %d attempts over %s failed", failures(*f), f.Attempts, addr.Label(f.Family))
	}
	if d.Deferred+d.Bounced == 0 {
		return fmt.Sprintf("%s: all %d attempts delivered.", d.Domain, d.Attempts), ""
	}
	switch {
	case failing(v6) && healthy(v4), failing(v4) && healthy(v6):
		bad, good := v6, v4
		if failing(v4) {
			bad, good = v4, v6
		}
		r := dominant(bad)
		text := fmt.Sprintf("%s: %s%s; %s.", d.Domain, of(bad), replyPhrase(r), strings.Replace(of(good), " attempts", "", 1))
		return text, familyFix(d.Domain, bad.Family, r, mta, hostDomain)
	case failing(v6) && v4 == nil:
		// Only IPv6 was tried: Postfix's default order (IPv6 first when
		// the destination has it) and a 5xx after DATA bounce the message
		// without ever trying IPv4, so the IPv4 stop-gap applies all the
		// same.
		r := dominant(v6)
		return fmt.Sprintf("%s: %s%s; no attempts over IPv4.", d.Domain, of(v6), replyPhrase(r)), familyFix(d.Domain, "ipv6", r, mta, hostDomain)
	case failing(v6) && failing(v4):
		return fmt.Sprintf("%s: failing over both families: %s%s; %s%s.", d.Domain, of(v6), replyPhrase(dominant(v6)), of(v4), replyPhrase(dominant(v4))),
			fixOf(dominant(v6))
	}
	var worst *Family
	for i := range d.Families {
		if f := &d.Families[i]; failures(*f) > 0 && (worst == nil || failures(*f) > failures(*worst)) {
			worst = f
		}
	}
	r := dominant(worst)
	return fmt.Sprintf("%s: %s%s.", d.Domain, of(worst), replyPhrase(r)), fixOf(r)
}

func dominant(f *Family) *Reply {
	if f == nil || len(f.Replies) == 0 {
		return nil
	}
	return &f.Replies[0]
}

func replyPhrase(r *Reply) string {
	if r == nil {
		return ""
	}
	code := strings.TrimSpace(fmt.Sprintf("%s %s", codeText(r.ReplyCode), r.EnhancedCode))
	text := clip(r.Reply, 80)
	if len(text) < len(r.Reply) {
		text += " ..."
	}
	s := fmt.Sprintf(", mostly (%d) %q", r.Count, text)
	if code != "" {
		s = fmt.Sprintf(", mostly (%d) %s %q", r.Count, code, text)
	}
	if r.Reason != "" && r.Reason != bounce.ReasonUndefined {
		s += " (" + r.Reason + ")"
	}
	return s
}

// isStatus accepts an RFC 3463 status code ("4.4.1").
func isStatus(s string) bool {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return false
	}
	for _, c := range s[2:] {
		if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return strings.Count(s, ".") == 2
}

func codeText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func fixOf(r *Reply) string {
	if r == nil {
		return ""
	}
	return r.Fix
}

// familyFix is the fix when one family fails and the other delivers: the
// receiver's own fix (a PTR for the address it quoted, SPF, ...), and
// until then the stop-gap that sends to this destination over the
// healthy family only. Postfix: smtp_address_preference (Postfix >= 2.8)
// in a transport used for this domain alone; Exim: dns_ipv4_lookup, which
// skips AAAA lookups for the listed host domains.
func familyFix(domain, badFamily string, r *Reply, mta, hostDomain string) string {
	var fix string
	switch {
	case r != nil && r.Reason == bounce.ReasonRequirePTR && r.SenderIP.IsValid():
		fix = fmt.Sprintf("Publish a PTR record for %s naming a host whose %s record resolves back to it.", r.SenderIP, map[bool]string{true: "AAAA", false: "A"}[r.SenderIP.Is6()])
	case r != nil && r.Fix != "":
		fix = r.Fix
	default:
		fix = fmt.Sprintf("Find out why %s refuses this host over %s: mailcheck explain on one of the replies, mailcheck sender for the sending address.", domain, addr.Label(badFamily))
	}
	if badFamily != "ipv6" {
		return fix
	}
	if mta == "exim" {
		hd := hostDomain
		if hd == "" {
			hd = "THE-MX-HOSTS-DOMAIN"
		}
		return fix + fmt.Sprintf(" Until then, send to %s over IPv4: `dns_ipv4_lookup = *.%s` in Exim's main configuration.", domain, hd)
	}
	return fix + fmt.Sprintf(" Until then, `smtp_address_preference = ipv4` for %s via a transport map: master.cf `smtp4 unix - - n - - smtp -o smtp_address_preference=ipv4`, transport_maps `%s smtp4:` (Postfix >= 2.8).", domain, domain)
}
