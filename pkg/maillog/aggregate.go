package maillog

import (
	"bytes"
	"container/list"
	"strings"
	"time"
)

// Options say which attempts count and bound the state kept while reading.
type Options struct {
	Since  time.Time // attempts before it are skipped; zero: all
	Domain string    // only this destination domain; "": all
	// Year is the year of syslog time stamps, which have none; Location
	// the zone of time stamps written without one. When Now is set, a
	// time in Year more than a day after Now is taken to be from the
	// year before (a log that spans New Year, read in January).
	Year     int
	Location *time.Location
	Now      time.Time
	// MaxQueueIDs bounds the queue ids followed at once (least recently
	// seen dropped first), MaxDomains the destinations counted, MaxPending
	// the per-address lines held until their recipient's line.
	MaxQueueIDs int
	MaxDomains  int
	MaxPending  int
}

// Default bounds: about 100 bytes per queue id, a few KiB per destination.
const (
	DefaultMaxQueueIDs = 100_000
	DefaultMaxDomains  = 10_000
	DefaultMaxPending  = 4096
	maxRepliesKept     = 32 // distinct replies per destination and family
	maxPendingPerProc  = 32
)

// Aggregator counts delivery attempts line by line. Its state is bounded
// by Options whatever the length of the log.
type Aggregator struct {
	opt     Options
	lines   int64
	dests   map[string]*destAgg
	dropped struct{ queueIDs, domains, pending int64 }
	// pending holds Postfix's per-address lines ("connect to X[addr]:25:
	// ...", "QUEUEID: host X[addr] said: ...") until the same process logs
	// the recipient's line, which says which destination they were for.
	pending      map[string]*list.Element
	pendingOrder *list.List // of *heldLines, oldest first
	// queue follows queue ids: per recipient, the families over which a
	// delivery was deferred, so that a later delivery over another
	// family is seen as a fallback.
	queue      map[string]*list.Element
	queueOrder *list.List // of *queueEntry, least recently seen first
	first      time.Time
	last       time.Time
}

type heldLines struct {
	proc   string
	events []Event
}

// queueEntry is one followed queue id. Its strings are copies, never
// substrings of a log line, which would keep the whole line in memory.
type queueEntry struct {
	id    string
	rcpts []rcptState
}

type rcptState struct {
	rcpt     string
	deferred string // the families deferred over: "4", "6", "?"
}

const maxRcptsFollowed = 64 // per queue id

func (q *queueEntry) find(rcpt string) int {
	for i := range q.rcpts {
		if q.rcpts[i].rcpt == rcpt {
			return i
		}
	}
	return -1
}

// NewAggregator returns an Aggregator with opt's bounds (defaults for
// zero values).
func NewAggregator(opt Options) *Aggregator {
	if opt.MaxQueueIDs <= 0 {
		opt.MaxQueueIDs = DefaultMaxQueueIDs
	}
	if opt.MaxDomains <= 0 {
		opt.MaxDomains = DefaultMaxDomains
	}
	if opt.MaxPending <= 0 {
		opt.MaxPending = DefaultMaxPending
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	opt.Domain = strings.ToLower(strings.TrimSuffix(opt.Domain, "."))
	return &Aggregator{
		opt: opt, dests: map[string]*destAgg{},
		pending: map[string]*list.Element{}, pendingOrder: list.New(),
		queue: map[string]*list.Element{}, queueOrder: list.New(),
	}
}

// markers are the substrings without which a line cannot be a delivery
// attempt; interesting tests them first, so that most of a busy log
// (smtpd, cleanup, qmgr, arrivals) is skipped before any parsing or
// allocation.
var markers = [][]byte{
	[]byte(" to=<"), []byte(" said: "), []byte(": connect to "), []byte(" refused to talk to me: "),
	[]byte(": lost connection with "), []byte(": conversation with "),
	[]byte(" => "), []byte(" -> "), []byte(" == "), []byte(" ** "),
}

// eximHostMarker starts Exim's per-host lines, right after the message id
// ("1xaJ17-0004pa-0h H=host [ip]: ..."); an arrival line's " H=" follows
// the sender's address. Only lines that start with Exim's time stamp
// ("2026-11-29 10:12:01") are searched for it.
var eximHostMarker = []byte(" H=")

// eximID reports whether id has the shape of an Exim message id: 16
// characters, 6-6-2, up to Exim 4.96, and 23, 6-11-4, from 4.97 on
// (ChangeLog JH/29: "The new ID is 23 characters rather than 16").
func eximID(id []byte) bool {
	switch len(id) {
	case 16:
		return id[6] == '-' && id[13] == '-'
	case 23:
		return id[6] == '-' && id[18] == '-'
	}
	return false
}

func interesting(line []byte) bool {
	for _, m := range markers {
		if bytes.Contains(line, m) {
			return true
		}
	}
	if len(line) < 20 || line[4] != '-' || line[10] != ' ' {
		return false
	}
	i := bytes.Index(line, eximHostMarker)
	if i < 0 {
		return false
	}
	return eximID(line[bytes.LastIndexByte(line[:i], ' ')+1 : i])
}

// Line reads one log line.
func (a *Aggregator) Line(line []byte) {
	a.lines++
	if !interesting(line) {
		return
	}
	e, ok := ParseLine(string(line), a.opt.Year, a.opt.Location)
	if !ok {
		return
	}
	if !a.opt.Now.IsZero() && e.Time.Year() == a.opt.Year && e.Time.After(a.opt.Now.Add(24*time.Hour)) {
		e.Time = e.Time.AddDate(-1, 0, 0)
	}
	a.Add(e)
}

// Add counts one attempt.
func (a *Aggregator) Add(e Event) {
	if !e.Time.IsZero() && !a.opt.Since.IsZero() && e.Time.Before(a.opt.Since) {
		return
	}
	if !e.Final {
		a.hold(e)
		return
	}
	held := a.release(e.Proc)
	domain := e.Domain()
	if domain == "" || a.opt.Domain != "" && domain != a.opt.Domain {
		return
	}
	d := a.dests[domain]
	if d == nil {
		if len(a.dests) >= a.opt.MaxDomains {
			a.dropped.domains++
			return
		}
		d = newDestAgg(strings.Clone(domain))
		a.dests[d.domain] = d
	}
	for _, h := range held {
		if e.MTA == "exim" && e.RelayIP.IsValid() && h.RelayIP == e.RelayIP {
			// Exim logs a failure at the last host tried twice: its
			// per-host line, then the delivery line that names the same
			// host (transports/smtp.c write_logs, then deliver.c): one
			// attempt.
			continue
		}
		h.Recipient = e.Recipient
		if h.QueueID == "" {
			h.QueueID = e.QueueID
		}
		a.count(d, h)
		a.follow(d, h)
	}
	if e.MTA == "exim" && e.Outcome == Deferred && !e.RelayIP.IsValid() && len(held) > 0 {
		// When no host could be reached, Exim's deferral names none
		// ("== RCPT R=dnslookup T=remote_smtp defer (111): Connection
		// refused") and repeats the last host's failure, which its
		// per-host line has already counted.
		return
	}
	a.count(d, e)
	a.follow(d, e)
}

func (a *Aggregator) count(d *destAgg, e Event) {
	d.add(e)
	if !e.Time.IsZero() {
		if a.first.IsZero() || e.Time.Before(a.first) {
			a.first = e.Time
		}
		if e.Time.After(a.last) {
			a.last = e.Time
		}
	}
}

// hold keeps a per-address line until its process names the recipient.
func (a *Aggregator) hold(e Event) {
	if e.Proc == "" {
		return
	}
	el, ok := a.pending[e.Proc]
	if !ok {
		if len(a.pending) >= a.opt.MaxPending {
			// The oldest process never logged a recipient line (killed,
			// or the log ended): drop what it held.
			old := a.pendingOrder.Remove(a.pendingOrder.Front()).(*heldLines)
			a.dropped.pending += int64(len(old.events))
			delete(a.pending, old.proc)
		}
		el = a.pendingOrder.PushBack(&heldLines{proc: e.Proc})
		a.pending[e.Proc] = el
	}
	h := el.Value.(*heldLines)
	if len(h.events) >= maxPendingPerProc {
		a.dropped.pending++
		return
	}
	h.events = append(h.events, e)
}

func (a *Aggregator) release(proc string) []Event {
	el, ok := a.pending[proc]
	if !ok {
		return nil
	}
	delete(a.pending, proc)
	return a.pendingOrder.Remove(el).(*heldLines).events
}

// follow updates the queue id's state with a recipient's attempt: a
// deferral remembers the family; a final outcome forgets the recipient,
// and a delivery after a deferral over the other family is counted.
func (a *Aggregator) follow(d *destAgg, e Event) {
	if e.QueueID == "" {
		return
	}
	el, ok := a.queue[e.QueueID]
	if !ok {
		if e.Outcome != Deferred {
			return // delivered or bounced at the first attempt: nothing to follow
		}
		if a.queueOrder.Len() >= a.opt.MaxQueueIDs {
			old := a.queueOrder.Remove(a.queueOrder.Front()).(*queueEntry)
			delete(a.queue, old.id)
			a.dropped.queueIDs++
		}
		el = a.queueOrder.PushBack(&queueEntry{id: strings.Clone(e.QueueID)})
		a.queue[el.Value.(*queueEntry).id] = el
	} else {
		a.queueOrder.MoveToBack(el)
	}
	q := el.Value.(*queueEntry)
	fam := familyDigit(e.Family())
	i := q.find(e.Recipient)
	switch e.Outcome {
	case Deferred:
		switch {
		case i >= 0 && !strings.Contains(q.rcpts[i].deferred, fam):
			q.rcpts[i].deferred += fam
		case i < 0 && len(q.rcpts) < maxRcptsFollowed:
			q.rcpts = append(q.rcpts, rcptState{rcpt: strings.Clone(e.Recipient), deferred: fam})
		}
	default:
		if i >= 0 {
			d.afterDeferral(e, q.rcpts[i].deferred, fam)
			q.rcpts = append(q.rcpts[:i], q.rcpts[i+1:]...)
		}
		if len(q.rcpts) == 0 {
			a.queueOrder.Remove(el)
			delete(a.queue, e.QueueID)
		}
	}
}

func familyDigit(f string) string {
	switch f {
	case "ipv4":
		return "4"
	case "ipv6":
		return "6"
	}
	return "?"
}
