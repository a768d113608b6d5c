package mta

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
)

// This file wires the getaddrinfo and Go resolver orders (gai.go,
// goorder.go) into the simulation: the two address-only clients
// (`--mta getaddrinfo`, `--mta go`) and Postfix with smtp_host_lookup =
// native. The host's inputs (its addresses, the source each destination
// would get, gai.conf) are measured by the caller and handed in as a
// NativeEnv: the model reads no file and opens no socket.

// MTA names of the address-only clients.
const (
	// Getaddrinfo is any client that resolves each exchange with glibc's
	// getaddrinfo() and tries the addresses in the order returned.
	Getaddrinfo = "getaddrinfo"
	// Go is a client written in Go: net.LookupMX, then Go's resolver
	// order of each exchange's addresses.
	Go = "go"
)

// NativeEnv is what the getaddrinfo and Go orders depend on besides DNS.
type NativeEnv struct {
	// Conf is the gai.conf in effect; nil means glibc's built-in tables
	// (no /etc/gai.conf, or one that sets nothing).
	Conf *GAIConf
	// ConfMissing says that the file Conf names could not be read (glibc
	// then uses its defaults); Conf is nil then.
	ConfMissing string
	// Host is the host's own addresses with prefix lengths.
	Host GAIHost
	// Sources holds the source address a UDP connect to each destination
	// gives; a destination that is absent (or maps to an invalid address)
	// has no route from the host.
	Sources map[netip.Addr]netip.Addr
	// SourcesFrom says where the sources came from: "this host" (a UDP
	// connect per destination) or "--source-addr" (GAISourcesFor).
	SourcesFrom string
}

// GAIDoc is the getaddrinfo/Go part of the simulate document: the inputs
// used and, per exchange, the order and the rule that decided each
// adjacent pair.
type GAIDoc struct {
	Model           string       `json:"model"` // "glibc" or "go"
	GAIConf         *GAIConfDoc  `json:"gai_conf,omitempty"`
	SourceAddrs     []string     `json:"source_addrs"`
	SourceAddrsFrom string       `json:"source_addrs_from"`
	Hosts           []GAIHostDoc `json:"hosts"`
	// HappyEyeballs says how a Go dialer races the families (go only).
	HappyEyeballs string `json:"happy_eyeballs,omitempty"`
}

// GAIConfDoc is the gai.conf the glibc order used.
type GAIConfDoc struct {
	Path string `json:"path"` // "" for glibc's built-in defaults
	// Default is true when glibc's built-in tables were used.
	Default  bool             `json:"default"`
	Lines    []GAIConfLineDoc `json:"lines"`
	Warnings []string         `json:"warnings"`
	// WarningsOmitted counts the warnings past the first
	// MaxGAIConfWarnings, which are not listed.
	WarningsOmitted int    `json:"warnings_omitted,omitempty"`
	Crash           string `json:"crash,omitempty"`
}

// GAIConfLineDoc is one line of gai.conf that set something.
type GAIConfLineDoc struct {
	Line    int    `json:"line"`
	Keyword string `json:"keyword"`
	Text    string `json:"text"`
}

// GAIHostDoc is one exchange's addresses in the resolver's order.
type GAIHostDoc struct {
	Host       string           `json:"host"`
	Preference uint16           `json:"preference"`
	Order      []GAIAddrDoc     `json:"order"`
	Decisions  []GAIDecisionDoc `json:"decisions"`
	RestsOnTie bool             `json:"rests_on_tie"`
}

// GAIAddrDoc is one destination with the source it would use and the
// policy values the rules compared.
type GAIAddrDoc struct {
	IP          string `json:"ip"`
	Family      string `json:"family"`
	Source      string `json:"source"` // "" when there is no route
	Scope       int    `json:"scope"`
	SourceScope int    `json:"source_scope"`
	Label       int    `json:"label"`
	SourceLabel int    `json:"source_label"`
	Precedence  int    `json:"precedence"`
}

// GAIDecisionDoc says why First comes before Second.
type GAIDecisionDoc struct {
	First      string `json:"first"`
	Second     string `json:"second"`
	Rule       int    `json:"rule"`
	Reason     string `json:"reason"`
	RestsOnTie bool   `json:"rests_on_tie"`
}

// tieWording is how a decision that rests on the answers' arrival is said.
const tieWording = "the order of these two rests on which DNS answer arrives first"

// newGAIDoc describes the inputs of one run.
func newGAIDoc(model string, env *NativeEnv) *GAIDoc {
	d := &GAIDoc{Model: model, SourceAddrs: []string{}, Hosts: []GAIHostDoc{}, SourceAddrsFrom: env.SourcesFrom}
	for _, h := range env.Host.Addrs {
		d.SourceAddrs = append(d.SourceAddrs, h.Prefix.String())
	}
	if model != "glibc" {
		return d
	}
	c := env.Conf
	cd := &GAIConfDoc{Default: c == nil || c.Path == "", Lines: []GAIConfLineDoc{}, Warnings: []string{}}
	if c != nil {
		cd.Path = c.Path
		for _, l := range c.Lines {
			cd.Lines = append(cd.Lines, GAIConfLineDoc{Line: l.Line, Keyword: l.Keyword, Text: l.Text})
		}
		for _, w := range c.Warnings {
			cd.Warnings = append(cd.Warnings, w.String())
		}
		cd.WarningsOmitted = c.MoreWarnings
		if c.Crash != nil {
			cd.Crash = "real glibc crashes reading this file: " + c.Crash.String()
		}
	}
	if env.ConfMissing != "" {
		cd.Path, cd.Default = env.ConfMissing, true
	}
	d.GAIConf = cd
	return d
}

// order sorts one exchange's addresses with glibc's or Go's rules and
// records the explanation in d.
func (d *GAIDoc) order(env *NativeEnv, host string, pref uint16, addrs []netip.Addr) []netip.Addr {
	dests := make([]GAIDest, len(addrs))
	for i, a := range addrs {
		dests[i] = GAIDest{Addr: a, Source: env.Sources[a]}
	}
	var res GAIResult
	if d.Model == "go" {
		res = GoResolverOrder(dests)
	} else {
		// Postfix's hostname_to_sockaddr(): AF_UNSPEC, SOCK_STREAM, no
		// AI_ADDRCONFIG (so nothing is dropped), one entry per address.
		res = GetaddrinfoOrder(GAIInput{Dests: dests, Host: env.Host, Conf: env.Conf, SockTypes: 1})
	}
	hd := GAIHostDoc{Host: host, Preference: pref, Order: []GAIAddrDoc{}, Decisions: []GAIDecisionDoc{}, RestsOnTie: res.RestsOnTie}
	out := make([]netip.Addr, 0, len(res.Order))
	for _, a := range res.Order {
		out = append(out, a.Addr)
		ad := GAIAddrDoc{IP: a.Addr.String(), Family: addr.Family(a.Addr.Unmap()), Scope: a.Scope, SourceScope: a.SourceScope,
			Label: a.Label, SourceLabel: a.SourceLabel, Precedence: a.Precedence}
		if a.Source.IsValid() {
			ad.Source = a.Source.String()
		}
		hd.Order = append(hd.Order, ad)
	}
	for _, dec := range res.Decisions {
		reason := dec.Reason
		if dec.Tie {
			reason += ": " + tieWording
		}
		hd.Decisions = append(hd.Decisions, GAIDecisionDoc{First: dec.First.String(), Second: dec.Second.String(), Rule: dec.Rule, Reason: reason, RestsOnTie: dec.Tie})
	}
	d.Hosts = append(d.Hosts, hd)
	return out
}

// notes says, in words, the crash of a gai.conf glibc cannot read, and
// which family the first exchange with both families puts first and the
// rule that decided it: the answer to "why IPv4 first". The first pair of
// different families decides that, since everything before it is of the
// first address's family.
func (d *GAIDoc) notes() []string {
	var out []string
	if d.GAIConf != nil && d.GAIConf.Crash != "" {
		out = append(out, d.GAIConf.Crash)
	}
	for _, h := range d.Hosts {
		for _, dec := range h.Decisions {
			a, b := netip.MustParseAddr(dec.First), netip.MustParseAddr(dec.Second)
			if a.Unmap().Is4() == b.Unmap().Is4() {
				continue
			}
			fam := "IPv4"
			if !a.Unmap().Is4() {
				fam = "IPv6"
			}
			return append(out, fmt.Sprintf("%s: %s first, %s before %s because %s", h.Host, fam, dec.First, dec.Second, dec.Reason))
		}
	}
	return out
}

// nativeEnv returns the run's environment, or an empty one (no source
// for any destination, glibc's defaults) when the caller gave none.
func (m modelRun) nativeEnv() *NativeEnv {
	if m.native != nil {
		return m.native
	}
	return &NativeEnv{SourcesFrom: "none given"}
}

// nativeHostAddrs is the host's own addresses (NativeEnv.Host), nil when
// no NativeEnv was given.
func (m modelRun) nativeHostAddrs() []netip.Addr {
	if m.native == nil {
		return nil
	}
	out := make([]netip.Addr, 0, len(m.native.Host.Addrs))
	for _, a := range m.native.Host.Addrs {
		out = append(out, a.Prefix.Addr())
	}
	return out
}

// addressClientPlan is the plan of `--mta getaddrinfo` and `--mta go`: the
// exchanges in preference order, each exchange's addresses in the
// resolver's order. A generic getaddrinfo client has no rule for equal
// preferences; the model keeps answer order (as Postfix does). Go's
// net.LookupMX shuffles equal preferences (dnsclient.go byPref.sort), so
// every order of such hosts is equally likely.
func (m modelRun) addressClientPlan(in Input) (cands []Candidate, ws []weighted, dec Decision, notes []string, doc *GAIDoc) {
	model := "glibc"
	if m.name == Go {
		model = "go"
	}
	env := m.nativeEnv()
	doc = newGAIDoc(model, env)
	switch {
	case in.NullMX:
		return nil, nil, Decision{Action: ActionBounce, DSN: "5.1.0", Reason: fmt.Sprintf("Domain %s does not accept mail (null MX, RFC 7505)", in.Domain)}, nil, doc
	case in.MXStatus == LookupSkipped || in.MXStatus == "":
		return nil, nil, Decision{Action: ActionUndecided, Reason: "the MX lookup was not made"}, nil, doc
	case in.MXStatus.Temporary() && !in.ImplicitMX:
		return nil, nil, Decision{Action: ActionDefer, DSN: "4.4.3", Reason: fmt.Sprintf("the MX lookup for %s failed (%s)", in.Domain, in.MXStatus)}, nil, doc
	}
	mx := slices.Clone(in.MX)
	slices.SortStableFunc(mx, func(a, b Exchange) int { return int(a.Preference) - int(b.Preference) })
	var hostCands [][]int
	var soft bool
	for _, x := range mx {
		if x.InvalidName && !x.IPLiteral {
			continue
		}
		addrs := append(append([]netip.Addr(nil), x.A...), x.AAAA...)
		soft = soft || (len(addrs) == 0 && (x.AStatus.Temporary() || x.AAAAStatus.Temporary()))
		var idx []int
		for _, a := range doc.order(env, x.Host, x.Preference, addrs) {
			idx = append(idx, len(cands))
			cands = append(cands, Candidate{Index: len(cands), IP: a, Family: addr.Family(a), Host: x.Host, Preference: x.Preference})
		}
		hostCands = append(hostCands, idx)
	}
	if len(cands) == 0 {
		if soft {
			return nil, nil, Decision{Action: ActionDefer, DSN: "4.4.3", Reason: fmt.Sprintf("no exchange of %s has an address (a lookup failed temporarily)", in.Domain)}, nil, doc
		}
		return nil, nil, Decision{Action: ActionBounce, DSN: "5.4.4", Reason: fmt.Sprintf("no exchange of %s has an address", in.Domain)}, nil, doc
	}
	dec = Decision{Action: ActionAttempt}
	notes = doc.notes()
	// Groups of exchanges with equal preference, in order.
	var groups [][]int
	for i := range hostCands {
		if i > 0 && mx[i].Preference == mx[i-1].Preference && m.name == Go {
			groups[len(groups)-1] = append(groups[len(groups)-1], i)
			continue
		}
		groups = append(groups, []int{i})
	}
	total := big.NewInt(1)
	for _, g := range groups {
		total.Mul(total, new(big.Int).MulRange(1, int64(len(g))))
	}
	if m.name == Go {
		doc.HappyEyeballs = "net.Dialer dials a host name's addresses of the first address's family one after another and, 300 ms after starting (or at once if they all fail), races the first address of the other family (dial.go dialParallel; RFC 8305 §5 staggers every attempt by 250 ms instead): the attempts listed are the order without that race, which FallbackDelay < 0 or dialing IP literals one at a time gives"
	}
	if total.Cmp(big.NewInt(720)) > 0 {
		notes = append(notes, "Go shuffles MX hosts of equal preference; there are too many orders to list, so the hosts are listed in answer order")
		groups = nil
		for i := range hostCands {
			groups = append(groups, []int{i})
		}
		total = big.NewInt(1)
	}
	p := new(big.Rat).SetFrac(big.NewInt(1), total)
	var walk func(g int, prefix []int)
	walk = func(g int, prefix []int) {
		if g == len(groups) {
			ws = append(ws, weighted{order: slices.Clone(prefix), p: p})
			return
		}
		permute(groups[g], func(hosts []int) {
			next := slices.Clone(prefix)
			for _, h := range hosts {
				next = append(next, hostCands[h]...)
			}
			walk(g+1, next)
		})
	}
	walk(0, nil)
	return cands, ws, dec, notes, doc
}

// permute calls f with every permutation of items.
func permute(items []int, f func([]int)) {
	a := slices.Clone(items)
	var rec func(k int)
	rec = func(k int) {
		if k == len(a) {
			f(a)
			return
		}
		for i := k; i < len(a); i++ {
			a[k], a[i] = a[i], a[k]
			rec(k + 1)
			a[k], a[i] = a[i], a[k]
		}
	}
	rec(0)
}

// prepareAddressClient fills p for `--mta getaddrinfo` and `--mta go`.
func (m modelRun) prepareAddressClient(in Input, maxOrderings int, p *prepared) []Candidate {
	cands, ws, dec, notes, doc := m.addressClientPlan(in)
	p.decision, p.notes, p.gai = dec, notes, doc
	p.rules = rules{name: m.name, connectTime: m.s.dur("connect_timeout")}
	p.listCap = listCap(maxOrderings, len(cands))
	p.dist = summarize(cands, ws, p.listCap)
	p.sample = func(r *rand.Rand) []int { return ws[r.IntN(len(ws))].order }
	p.replay = func(o map[netip.Addr]Outcome) Replay {
		return replayOrderings(cands, ws, o, p.rules, true, m.stop)
	}
	if len(ws) == 0 {
		p.sample = func(*rand.Rand) []int { return nil }
	}
	return cands
}

// postfixNative says whether Postfix looks up exchange addresses with
// getaddrinfo (smtp_host_lookup = native) or only after DNS_NOTFOUND
// ("dns, native").
func postfixNative(s Settings) (native, fallback bool) {
	f := splitList(strings.ToLower(s.str("smtp_host_lookup")))
	hasDNS := slices.Contains(f, "dns")
	hasNative := slices.Contains(f, "native")
	return hasNative && !hasDNS, hasNative && hasDNS
}

// addressClientParams are the settings of the address-only clients.
var addressClientParams = []param{
	// A client's own connect timeout; without one, Linux gives up after
	// tcp_syn_retries (about 127 s).
	{name: "connect_timeout", check: checkTime, def: constDef("30s")},
}

// nativeAddrs applies smtp_host_lookup to one exchange's addresses
// (Postfix smtp_addr.c smtp_addr_one(), research §1.3.6). With "native"
// the addresses come from hostname_to_sockaddr(): getaddrinfo(AF_UNSPEC,
// SOCK_STREAM) over the same DNS answers, in glibc's order, filtered by
// inet_protocols. With "dns, native" the DNS lookup runs first and
// getaddrinfo is asked only after DNS_NOTFOUND (no address record, no
// temporary failure); getaddrinfo's own DNS backend finds nothing more,
// so only a hosts file could add addresses, which mailcheck does not read.
func (pm *postfixModel) nativeAddrs(x Exchange, addrs []netip.Addr, soft bool, note string, out *postfixList) ([]netip.Addr, string) {
	if pm.native == nil || x.IPLiteral {
		return addrs, note
	}
	if !pm.nativeOnly {
		if len(addrs) == 0 && !soft {
			out.notes = append(out.notes, fmt.Sprintf("smtp_host_lookup = dns, native: DNS found no address for %s, so Postfix asks getaddrinfo, whose DNS lookup finds none either; only /etc/hosts (not read here) could give one", x.Host))
		}
		return addrs, note
	}
	if note != "" {
		note = strings.Replace(note, "Postfix silently uses", "getaddrinfo returns, and Postfix uses,", 1)
		note = strings.Replace(note, " (dns_lookup_rv)", "", 1)
	}
	if len(addrs) < 2 {
		if len(addrs) == 1 {
			pm.native.order(pm.env, x.Host, x.Preference, addrs)
		}
		return addrs, note
	}
	return pm.native.order(pm.env, x.Host, x.Preference, addrs), note
}

// nativeNotes says how much of getaddrinfo's order survives what Postfix
// does with the list afterwards (smtp_addr.c smtp_domain_addr(): the
// shuffle, the sort by MX preference and family, the balancing). The
// research note's "getaddrinfo's order is kept" holds only for
// smtp_randomize_addresses = no and smtp_address_preference = any, within
// one MX preference, and balancing can still drop addresses.
func (pm *postfixModel) nativeNotes(pl postfixList) []string {
	if pm.native == nil || !pm.nativeOnly || len(pl.cands) < 2 {
		return nil
	}
	out := []string{"smtp_host_lookup = native: each exchange's addresses come from getaddrinfo in glibc's order (gai.conf, this host's source addresses); see getaddrinfo.hosts for the rule behind each pair"}
	for _, n := range pm.native.notes() {
		out = append(out, "getaddrinfo's order: "+n)
	}
	pref := pm.s.str("smtp_address_preference")
	switch {
	case pl.shuffle:
		out = append(out, "smtp_randomize_addresses = yes shuffles the addresses after getaddrinfo, so its order is lost: every order within an MX preference"+familyClause(pref)+" is equally likely")
	case pl.keyed && pref != "any":
		out = append(out, fmt.Sprintf("smtp_address_preference = %s re-sorts getaddrinfo's order by family within each MX preference", pref))
	default:
		out = append(out, "smtp_randomize_addresses = no and smtp_address_preference = any: getaddrinfo's order is kept within each MX preference")
	}
	if pl.balance && len(pl.cands) > pl.limit {
		out = append(out, "smtp_balance_inet_protocols can still drop addresses of one family to keep both within smtp_mx_address_limit")
	}
	return out
}

func familyClause(pref string) string {
	if pref == "any" {
		return ""
	}
	return " (" + pref + " first)"
}

// UsesNative reports whether the model cfg selects reads the host's
// getaddrinfo inputs (cfg.Native): the address-only clients, OpenSMTPD
// (libasr's AI_ADDRCONFIG reads the host's addresses), and Postfix with
// "native" in smtp_host_lookup. A configuration error is reported as
// false; Simulate reports it.
func UsesNative(cfg Config) bool {
	name, ver, err := ParseMTA(cfg.MTA + ":" + cfg.Version)
	if cfg.MTA == "" {
		name, ver, err = Postfix, DefaultVersions[Postfix], nil
	}
	if err != nil {
		return false
	}
	switch name {
	case Getaddrinfo, Go, OpenSMTPD:
		return true
	case Postfix:
		s, err := resolveSettings(name, ver, cfg)
		if err != nil {
			return false
		}
		native, fallback := postfixNative(s)
		return native || fallback
	}
	return false
}
