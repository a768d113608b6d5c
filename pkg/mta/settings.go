package mta

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MTA names accepted by --mta.
const (
	Postfix   = "postfix"
	Exim      = "exim"
	OpenSMTPD = "opensmtpd"
	Sendmail  = "sendmail"
)

// DefaultVersions are the versions modelled when --mta gives none: the
// packages of Debian 12, the release the research verified against
// (research §0, PF-deb, EX-run).
var DefaultVersions = map[string]string{
	Postfix:   "3.7.11",
	Exim:      "4.96",
	OpenSMTPD: "6.8.0p2",
	Sendmail:  "8.17.1",
	// The address-only clients (native.go): glibc of Debian 12, and the
	// Go release whose net package goorder.go follows.
	Getaddrinfo: "2.36",
	Go:          "1.26",
}

// Sources of a setting, as printed next to it.
const (
	SourceDefault = "default"
	SourceSet     = "--set"
)

// Assignment is one "name = value" from main.cf or --set, with where it came
// from ("main.cf:12", "--set").
type Assignment struct {
	Name, Value, Source string
}

// Config selects the MTA and its settings.
type Config struct {
	MTA     string // postfix, exim, opensmtpd, sendmail
	Version string // "" = DefaultVersions[MTA]
	// MainCF holds assignments read from a configuration file (Postfix
	// main.cf); unknown names are ignored, as Postfix does.
	MainCF []Assignment
	// Set holds --set assignments; an unknown name is an error.
	Set []Assignment
	// LocalAddrs are this host's addresses, for loop detection (Postfix
	// inet_interfaces/proxy_interfaces, Exim local_interfaces).
	LocalAddrs []netip.Addr
	// Port is the SMTP port; Postfix detects loops only on port 25
	// (research §1.4). 0 means 25.
	Port int
	// Native is the host's getaddrinfo inputs, for `--mta getaddrinfo`,
	// `--mta go` and Postfix with smtp_host_lookup = native (native.go).
	Native *NativeEnv
}

// ParseMTA splits "postfix:3.7.11" into name and version and checks both.
func ParseMTA(s string) (name, ver string, err error) {
	name, ver, _ = strings.Cut(strings.ToLower(strings.TrimSpace(s)), ":")
	if _, ok := DefaultVersions[name]; !ok {
		return "", "", fmt.Errorf("unknown MTA %q (want postfix, exim, opensmtpd, sendmail, getaddrinfo or go, optionally :VERSION)", name)
	}
	if ver == "" {
		ver = DefaultVersions[name]
	}
	if err := checkVersion(name, ver); err != nil {
		return "", "", err
	}
	return name, ver, nil
}

func checkVersion(name, ver string) error {
	if name == OpenSMTPD && (ver == "openbsd" || strings.HasPrefix(ver, "openbsd-")) {
		return nil
	}
	v, err := parseVersion(ver)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	switch name {
	case Postfix:
		// research §1.9: smtp_address_preference exists from 2.8; before
		// that IPv6 was hard-coded first, which this model does not cover.
		if !v.atLeast(2, 8) {
			return fmt.Errorf("postfix %s: versions before 2.8 are not modelled (smtp_address_preference appeared in 2.8)", ver)
		}
	case Exim:
		if !v.atLeast(4, 80) {
			return fmt.Errorf("exim %s: versions before 4.80 are not modelled", ver)
		}
	}
	return nil
}

// Setting is one effective parameter with its source.
type Setting struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

// param describes one parameter a model reads.
type param struct {
	name  string
	def   func(v version) string
	check func(string) error
	since []int // first version that knows the parameter; nil = always
	note  string
	// quiet parameters enter the settings only when main.cf or --set
	// gives them: their default is Postfix's empty value, which changes
	// nothing the models compute (tls.go).
	quiet bool
}

func constDef(s string) func(version) string { return func(version) string { return s } }

func checkBool(s string) error {
	switch strings.ToLower(s) {
	case "yes", "no", "true", "false":
		return nil
	}
	return fmt.Errorf("want yes or no, got %q", s)
}

func isTrue(s string) bool {
	s = strings.ToLower(s)
	return s == "yes" || s == "true"
}

func checkUint(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a whole number >= 0, got %q", s)
	}
	if n > 100000 {
		return fmt.Errorf("%s is unreasonably large", s)
	}
	return nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// parseTime parses a Postfix/Exim time value: a number with an optional unit
// s, m, h, d or w (Postfix: seconds when no unit is given).
func parseTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, fmt.Errorf("empty time value")
	}
	unit := time.Second
	switch s[len(s)-1] {
	case 's':
		s = s[:len(s)-1]
	case 'm':
		unit, s = time.Minute, s[:len(s)-1]
	case 'h':
		unit, s = time.Hour, s[:len(s)-1]
	case 'd':
		unit, s = 24*time.Hour, s[:len(s)-1]
	case 'w':
		unit, s = 7*24*time.Hour, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1_000_000 {
		return 0, fmt.Errorf("want a time like 30s or 5m, got %q", s)
	}
	return time.Duration(n) * unit, nil
}

func checkTime(s string) error { _, err := parseTime(s); return err }

func checkOneOf(vals ...string) func(string) error {
	return func(s string) error {
		for _, v := range vals {
			if strings.EqualFold(s, v) {
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(vals, ", "), s)
	}
}

// splitList splits a Postfix list value: commas and whitespace separate.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// InetProtocols reports which address families a Postfix inet_protocols
// value ("all", "ipv4", "ipv6", "ipv4, ipv6") enables. Unknown words enable
// nothing; checkInetProtocols is what rejects them.
func InetProtocols(value string) (v4, v6 bool) {
	for _, p := range splitList(strings.ToLower(value)) {
		switch p {
		case "all":
			v4, v6 = true, true
		case "ipv4":
			v4 = true
		case "ipv6":
			v6 = true
		}
	}
	return v4, v6
}

func checkInetProtocols(s string) error {
	f := splitList(strings.ToLower(s))
	if len(f) == 0 {
		return fmt.Errorf("empty inet_protocols")
	}
	for _, p := range f {
		if p != "all" && p != "ipv4" && p != "ipv6" {
			return fmt.Errorf("want all, ipv4 or ipv6, got %q", p)
		}
	}
	return nil
}

// checkAddrList accepts a list of IP addresses and the keywords all,
// loopback-only; host names are accepted and ignored (they need DNS).
func checkAddrList(s string) error { return nil }

// addrsOf returns the addresses of such a list. The list is the MTA's own
// syntax (an address, bracketed or not), not addr.ParseLiteral's: a form
// like "IPv6:2001:db8::1" or "192.0.2.1." is no address to Postfix or Exim.
func addrsOf(s string) []netip.Addr {
	var out []netip.Addr
	for _, f := range splitList(strings.ToLower(s)) {
		f = strings.Trim(f, "[]")
		if f == "loopback-only" {
			out = append(out, netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, a.Unmap())
		}
	}
	return out
}

var postfixParams = []param{
	{name: "inet_protocols", check: checkInetProtocols,
		// research §1.8: ipv4 up to 2.8, all from 2.9 (sys_defs.h)
		def: func(v version) string {
			if v.atLeast(2, 9) {
				return "all"
			}
			return "ipv4"
		}},
	{name: "smtp_address_preference", check: checkOneOf("any", "ipv4", "ipv6"), since: []int{2, 8},
		// research §1.8: ipv6 in 2.8.x, any from 2.9 (mail_params.h)
		def: func(v version) string {
			if v.atLeast(2, 9) {
				return "any"
			}
			return "ipv6"
		}},
	{name: "smtp_balance_inet_protocols", check: checkBool, since: []int{3, 3}, def: constDef("yes")},
	{name: "smtp_randomize_addresses", check: checkBool, def: constDef("yes")},
	{name: "smtp_mx_address_limit", check: checkUint, def: constDef("5")},
	{name: "smtp_mx_session_limit", check: checkUint, def: constDef("2")},
	{name: "smtp_skip_5xx_greeting", check: checkBool, def: constDef("yes")},
	{name: "smtp_connect_timeout", check: checkTime, def: constDef("30s")},
	{name: "ignore_mx_lookup_error", check: checkBool, def: constDef("no")},
	{name: "smtp_defer_if_no_mx_address_found", check: checkBool, def: constDef("no")},
	{name: "smtp_host_lookup", def: constDef("dns"), check: func(s string) error {
		// native.go: "native" takes each exchange's addresses from the
		// getaddrinfo model; "dns, native" only where DNS finds nothing.
		f := splitList(strings.ToLower(s))
		for _, w := range f {
			if w != "dns" && w != "native" {
				return fmt.Errorf("smtp_host_lookup: want dns, native or both, got %q", s)
			}
		}
		if len(f) == 0 {
			return fmt.Errorf("smtp_host_lookup: want dns, native or both, got %q", s)
		}
		return nil
	}},
	{name: "inet_interfaces", check: checkAddrList, def: constDef("all"),
		note: "addresses listed here count as local for loop detection"},
	{name: "proxy_interfaces", check: checkAddrList, def: constDef("")},
	// tls.go: the levels whose outcome the probes' TLS facts decide.
	// Postfix's default is empty (none, unless the obsolete smtp_use_tls
	// or smtp_enforce_tls say otherwise: smtp_tls_policy.c
	// global_tls_level()).
	{name: "smtp_tls_security_level", quiet: true, def: constDef(""),
		check: checkOneOf("", TLSLevelNone, TLSLevelMay, TLSLevelEncrypt, TLSLevelDANE, TLSLevelVerify, TLSLevelSecure)},
	{name: "smtp_dns_support_level", quiet: true, def: constDef(""), check: checkOneOf("", "disabled", "enabled", "dnssec")},
}

var eximParams = []param{
	{name: "ipv4_prefer", check: checkBool, def: constDef("false"), since: []int{4, 91}},
	{name: "ipv4_only", check: checkBool, def: constDef("false"), since: []int{4, 91}},
	{name: "disable_ipv6", check: checkBool, def: constDef("false")},
	{name: "dns_ipv4_lookup", check: checkAddrList, def: constDef("")},
	{name: "hosts_max_try", check: checkUint, def: constDef("5")},
	{name: "hosts_max_try_hardlimit", check: checkUint, def: constDef("50")},
	{name: "allow_mx_to_ip", check: checkBool, def: constDef("false")},
	{name: "connect_timeout", check: checkTime, def: constDef("5m")},
	{name: "local_interfaces", check: checkAddrList, def: constDef("")},
}

var opensmtpdParams = []param{
	// research §3.2: libasr's family order by release.
	{name: "family", check: checkOneOf("inet6 inet4", "inet4 inet6", "inet4", "inet6"), def: func(v version) string {
		if v.raw == "openbsd" || strings.HasPrefix(v.raw, "openbsd-") {
			return "inet4 inet6"
		}
		if v.atLeast(7, 3) && !v.atLeast(7, 5) {
			return "inet4 inet6"
		}
		return "inet6 inet4"
	}},
	{name: "connect_timeout", check: checkTime, def: constDef("300s")},
	{name: "conndelay_relay", check: checkTime, def: constDef("2s")},
}

var sendmailParams = []param{
	{name: "InetMode", check: checkOneOf("inet6", "inet"), def: constDef("inet6")},
	{name: "WorkAroundBrokenAAAA", check: checkBool, def: constDef("false")},
	// Timeout.connect 0 leaves it to the kernel: Linux gives up after
	// tcp_syn_retries = 6, about 127 s.
	{name: "Timeout.connect", check: checkTime, def: constDef("127s")},
}

func paramsFor(mta string) []param {
	switch mta {
	case Postfix:
		return postfixParams
	case Exim:
		return eximParams
	case OpenSMTPD:
		return opensmtpdParams
	case Sendmail:
		return sendmailParams
	case Getaddrinfo, Go:
		return addressClientParams
	}
	return nil
}

// Settings is the effective parameter set of a model, by name.
type Settings map[string]Setting

func (s Settings) str(name string) string { return s[name].Value }
func (s Settings) bool(name string) bool  { return isTrue(s[name].Value) }
func (s Settings) int(name string) int    { return atoi(s[name].Value) }
func (s Settings) dur(name string) time.Duration {
	d, _ := parseTime(s[name].Value)
	return d
}

// Names returns the setting names in a stable order.
func (s Settings) Names() []string {
	n := make([]string, 0, len(s))
	for k := range s {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// resolveSettings merges defaults, main.cf and --set, expands $name
// references and validates every value. Errors name the source.
//
// The answer is remembered (settingsMemo): callers only read it, and must
// copy it before handing it out (Simulate's document owns its copy).
func resolveSettings(mta, ver string, cfg Config) (Settings, error) {
	key := settingsKey(mta, ver, cfg)
	settingsMemo.Lock()
	s, ok := settingsMemo.m[key]
	settingsMemo.Unlock()
	if ok {
		return s, nil
	}
	s, err := mergeSettings(mta, ver, cfg)
	if err != nil {
		return nil, err
	}
	settingsMemo.Lock()
	if len(settingsMemo.m) >= settingsMemoMax {
		clear(settingsMemo.m)
	}
	settingsMemo.m[key] = s
	settingsMemo.Unlock()
	return s, nil
}

// settingsMemo holds resolveSettings' answers by settingsKey. check
// simulates the same MTA with the same settings for every domain of a
// bulk run, and once more per replay suggestion (suggest): merging,
// expanding and validating them again each time cost more CPU and
// allocation than the rest of a small domain's simulation. The answer is
// a pure function of the key, which spells out every input, so the model
// stays a pure function of its arguments. At most settingsMemoMax entries:
// all are forgotten when it is full (a run uses a handful).
var settingsMemo = struct {
	sync.Mutex
	m map[string]Settings
}{m: map[string]Settings{}}

const settingsMemoMax = 256

// settingsKey spells out every input of mergeSettings, each string length-
// prefixed so that no two different inputs share a key.
func settingsKey(mta, ver string, cfg Config) string {
	var b strings.Builder
	str := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	list := func(as []Assignment) {
		b.WriteString(strconv.Itoa(len(as)))
		b.WriteByte('[')
		for _, a := range as {
			str(a.Name)
			str(a.Value)
			str(a.Source)
		}
	}
	str(mta)
	str(ver)
	list(cfg.MainCF)
	list(cfg.Set)
	return b.String()
}

// mergeSettings is resolveSettings without the memo.
func mergeSettings(mta, ver string, cfg Config) (Settings, error) {
	v, _ := parseVersion(ver)
	if mta == OpenSMTPD && strings.HasPrefix(ver, "openbsd") {
		v = version{raw: ver, patch: -1}
	}
	params := paramsFor(mta)
	known := map[string]param{}
	raw := map[string]Setting{}
	for _, p := range params {
		known[p.name] = p
		if (p.since != nil && !v.atLeast(p.since...)) || p.quiet {
			continue
		}
		raw[p.name] = Setting{Value: p.def(v), Source: SourceDefault}
	}
	// main.cf values may refer to any parameter defined in the file.
	fileVals := map[string]string{}
	for _, a := range cfg.MainCF {
		fileVals[a.Name] = a.Value
	}
	for _, a := range cfg.MainCF {
		if _, ok := known[a.Name]; ok {
			raw[a.Name] = Setting{Value: a.Value, Source: a.Source}
		}
	}
	for _, a := range cfg.Set {
		p, ok := known[a.Name]
		if !ok {
			return nil, fmt.Errorf("%s: %s has no parameter %q that this model uses (known: %s)", a.Source, mta, a.Name, paramNames(params))
		}
		if p.since != nil && !v.atLeast(p.since...) {
			return nil, fmt.Errorf("%s: %s %s has no parameter %s (it appeared in %s)", a.Source, mta, ver, a.Name, joinInts(p.since))
		}
		raw[a.Name] = Setting{Value: a.Value, Source: a.Source}
	}
	lookup := func(name string) (string, bool) {
		if s, ok := raw[name]; ok {
			return s.Value, true
		}
		val, ok := fileVals[name]
		return val, ok
	}
	out := Settings{}
	for name, s := range raw {
		val, err := Expand(s.Value, lookup)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", s.Source, name, err)
		}
		val = strings.TrimSpace(val)
		if err := known[name].check(val); err != nil {
			return nil, fmt.Errorf("%s: %s = %s: %v", s.Source, name, s.Value, err)
		}
		out[name] = Setting{Value: val, Source: s.Source}
	}
	return out, nil
}

func paramNames(ps []param) string {
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.name
	}
	return strings.Join(n, ", ")
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ".")
}

// ParseAssignment parses "name=value" or "name = value" (postconf syntax).
func ParseAssignment(s, source string) (Assignment, error) {
	name, val, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Assignment{}, fmt.Errorf("%s: want name=value, got %q", source, s)
	}
	// main.cf name bytes (isNameByte) or a dot; a byte >= 0x80 is neither.
	for i := 0; i < len(name); i++ {
		if c := name[i]; c != '.' && !isNameByte(c) {
			return Assignment{}, fmt.Errorf("%s: bad parameter name %q", source, name)
		}
	}
	return Assignment{Name: name, Value: strings.TrimSpace(val), Source: source}, nil
}
