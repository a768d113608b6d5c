package report

import (
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Entry is one code of the findings catalogue. The catalogue is the single
// source of docs/findings.md (generated, see TestFindingsDocIsUpToDate), of
// the severities findings carry, and of the codes --ignore accepts.
//
// Codes are "MC" + 3 digits; the first digit is the area (Areas). A code,
// once published, keeps its meaning; retire a code rather than reuse it.
type Entry struct {
	Code     string   // "MC101"
	Severity Severity // default severity of findings with this code
	Title    string   // one line, for docs and the text report's headings
	// Explain says why it matters and cites the source (RFC section,
	// receiver policy, MTA source file). Markdown, plain sentences.
	Explain string
	// Fix is the generic remedy, as documented; each Finding carries the
	// concrete one (the exact record or setting for that subject).
	Fix string
}

// Areas names the first digit of a code.
var Areas = map[byte]string{
	'1': "DNS and MX",
	'2': "Addresses and reverse DNS",
	'3': "SMTP reachability and TLS",
	'4': "IPv4 / IPv6 parity",
	'5': "Delivery simulation",
	'6': "Sending side",
	'7': "TLS policy: DNSSEC, DANE, MTA-STS, TLS-RPT",
	'9': "Tool self-check",
}

var (
	catalogMu  sync.Mutex // serialises building the catalogue and Register
	catalogMap atomic.Pointer[map[string]Entry]
)

// catalog returns the catalogue, built from the area files' entries
// (catalog_*.go) on first use rather than at start-up, where most
// commands never need it before their first finding (docs/performance.md,
// "Start-up"). A map once stored is never changed (Register stores a new
// one), so readers take no lock: every finding of a bulk run looks its
// code up. Building it panics on a malformed or duplicate code or an
// incomplete entry, and again at every later use, so a bad catalogue
// fails every test that makes a finding instead of shipping.
func catalog() map[string]Entry {
	if m := catalogMap.Load(); m != nil {
		return *m
	}
	catalogMu.Lock()
	defer catalogMu.Unlock()
	return catalogLocked()
}

// catalogLocked is catalog for a caller that holds catalogMu.
func catalogLocked() map[string]Entry {
	if m := catalogMap.Load(); m != nil {
		return *m
	}
	m := map[string]Entry{}
	for _, set := range [][]Entry{receiverEntries, senderEntries, tlsEntries} {
		for _, e := range set {
			register(m, e)
		}
	}
	catalogMap.Store(&m)
	return m
}

// Register adds entries to the catalogue. It panics on a malformed or
// duplicate code or an entry without title, explanation or fix, and the
// catalogue is then as it was.
func Register(entries ...Entry) {
	catalogMu.Lock()
	defer catalogMu.Unlock()
	m := maps.Clone(catalogLocked())
	for _, e := range entries {
		register(m, e)
	}
	catalogMap.Store(&m)
}

func register(m map[string]Entry, e Entry) {
	if err := validCode(e.Code); err != nil {
		panic("report.Register: " + err.Error())
	}
	if _, dup := m[e.Code]; dup {
		panic("report.Register: duplicate code " + e.Code)
	}
	if e.Severity.Rank() < 0 || e.Title == "" || e.Explain == "" || e.Fix == "" {
		panic("report.Register: incomplete entry " + e.Code)
	}
	m[e.Code] = e
}

func validCode(code string) error {
	if len(code) != 5 || !strings.HasPrefix(code, "MC") {
		return fmt.Errorf("code %q is not MC + 3 digits", code)
	}
	for _, c := range code[2:] {
		if c < '0' || c > '9' {
			return fmt.Errorf("code %q is not MC + 3 digits", code)
		}
	}
	if _, ok := Areas[code[2]]; !ok {
		return fmt.Errorf("code %q is in no area", code)
	}
	return nil
}

// Warm builds the catalogue now, if it is not built yet: for a caller
// that has time to spare before its first finding (a check waiting on the
// network), so that the finding does not wait for it.
func Warm() { catalog() }

// Lookup returns the catalogue entry for code.
func Lookup(code string) (Entry, bool) {
	e, ok := catalog()[code]
	return e, ok
}

// CheckCode validates a code given by a user (--ignore): it must be in the
// catalogue. Codes are case-insensitive on input.
func CheckCode(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if _, ok := Lookup(c); !ok {
		return "", fmt.Errorf("unknown finding code %q (see docs/findings.md)", code)
	}
	return c, nil
}

// Entries returns the whole catalogue sorted by code.
func Entries() []Entry {
	m := catalog()
	out := make([]Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// New returns a finding for a catalogued code with the catalogue's
// severity. subject is the domain, host or address; message says what was
// seen on that subject; fix is the concrete remedy (falls back to the
// catalogue's generic fix when empty). An unknown code is a programming
// error and panics.
func New(code, subject, message, fix string) Finding {
	e, ok := Lookup(code)
	if !ok {
		panic("report.New: unknown code " + code)
	}
	if fix == "" {
		fix = e.Fix
	}
	return Finding{Code: code, Severity: e.Severity, Subject: subject, Message: message, Fix: fix}
}

// Newf is New with a formatted message.
func Newf(code, subject, fix, format string, args ...any) Finding {
	return New(code, subject, fmt.Sprintf(format, args...), fix)
}

// SortFindings orders findings for reports: most severe first, then by
// code, then by subject, so that output is deterministic.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Subject < b.Subject
	})
}

// AtLeast reports whether any finding has severity at or above threshold.
func AtLeast(fs []Finding, threshold Severity) bool {
	for _, f := range fs {
		if f.Severity.Rank() >= threshold.Rank() {
			return true
		}
	}
	return false
}

// Without returns fs minus the findings whose code is in ignore.
func Without(fs []Finding, ignore map[string]bool) []Finding {
	if len(ignore) == 0 {
		return fs
	}
	out := fs[:0:0]
	for _, f := range fs {
		if !ignore[f.Code] {
			out = append(out, f)
		}
	}
	return out
}
