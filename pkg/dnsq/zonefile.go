package dnsq

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/miekg/dns"
)

// A Zone is one RFC 1035 master file loaded into memory, indexed by owner
// name, to be answered from by an Overlay exactly as an authoritative
// server for it would answer. Its records stay in miekg/dns form inside
// this package: callers see only the typed results of the Resolver
// methods, so that the rest of mailcheck never depends on miekg/dns.
//
// A Zone is immutable once loaded and safe for concurrent use.
type Zone struct {
	apex   string // absolute, lower-case
	file   string // the file as the user named it, for messages
	server string // Result.Server of answers from this zone
	signed bool
	// nodes maps every owner name at or under the apex to its records in
	// file order. Empty non-terminals (names owning nothing, with
	// descendants) are present with no records: they exist, so they answer
	// NODATA, never NXDOMAIN, and they stop wildcards (RFC 4592 §2.2.2).
	nodes    map[string]*zoneNode
	records  int
	warnings []ZoneWarning
	ignored  int // records ignored, warnings beyond maxZoneWarnings included
}

type zoneNode struct {
	rrs []dns.RR
	// cut marks a delegation: NS records at a name below the apex (RFC
	// 1034 §4.2.1). The names at and under it are the child zone's.
	cut bool
	// dname is the node's DNAME target (RFC 6672), or "".
	dname string
}

// ZoneWarning is a record the zone file holds but an authoritative server
// for the zone would not serve: outside the apex, another class than IN,
// an SOA that is not the apex's.
type ZoneWarning struct {
	File string
	Line int // the line on which the record ends (a record in parentheses may start earlier)
	Msg  string
}

func (w ZoneWarning) String() string { return w.File + ":" + strconv.Itoa(w.Line) + ": " + w.Msg }

// ZoneError is a zone file that cannot be loaded. Line is 0 when the
// error is about the file as a whole (unreadable, no apex).
type ZoneError struct {
	File string
	Line int
	Msg  string
}

func (e *ZoneError) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.File + ": " + e.Msg
}

// Apex returns the zone's apex, absolute and lower-case.
func (z *Zone) Apex() string { return z.apex }

// File returns the file the zone was read from, as its caller named it.
func (z *Zone) File() string { return z.file }

// Records returns how many records the zone serves.
func (z *Zone) Records() int { return z.records }

// Signed reports whether the file is DNSSEC-signed: a DNSKEY at the apex
// and RRSIG records. Answers from a signed zone are Authentic, as if a
// validating resolver had checked them; nothing here checks a signature.
// DANE is then judged on the file's TLSA records as if validated.
func (z *Zone) Signed() bool { return z.signed }

// Warnings returns the records that were ignored, at most maxZoneWarnings
// of them; IgnoredRecords counts them all.
func (z *Zone) Warnings() []ZoneWarning { return z.warnings }

// IgnoredRecords counts the records that were ignored.
func (z *Zone) IgnoredRecords() int { return z.ignored }

const (
	// maxZoneWarnings bounds the warnings kept: a file with a million
	// records for another zone needs one line, not a million.
	maxZoneWarnings = 20
	// maxZoneBytes bounds what one zone and its $INCLUDEs may read: ten
	// million records of a hundred bytes. Larger input is not a zone a
	// pre-deploy check loads, and the bound makes a $INCLUDE of /dev/zero,
	// or a tree of files including each other many times, end.
	maxZoneBytes = 1 << 30
	// maxZoneIncludes bounds the number of $INCLUDE directives followed,
	// so that a file including another ten times, which includes another
	// ten times, and so on, does not open files for hours.
	maxZoneIncludes = 1000
	// maxZoneRecords bounds the records of one zone: a loaded record holds
	// about 150 bytes (measured with BenchmarkLoadZoneMillion), so five
	// million stay under 1 GiB. One $GENERATE line makes up to 65,536
	// records, so the bound, not the file's size, is what stops a short
	// file from filling the memory.
	maxZoneRecords = 5_000_000
	// defaultZoneTTL is the TTL of records before any $TTL or SOA gives
	// one; answers do not report TTLs, but the parser needs one.
	defaultZoneTTL = 3600
	// maxZoneMsg bounds the text of one parse error: it quotes the
	// offending token, which may be a 64 KiB line of garbage.
	maxZoneMsg = 200
)

// LoadZone reads the master file at path (RFC 1035 §5: $ORIGIN, $TTL,
// $INCLUDE relative to the including file, BIND's $GENERATE, any record
// type). origin is the zone's apex; when it is empty the apex is the
// owner of the file's SOA record, and relative names before any $ORIGIN
// are an error rather than names under the root. Records outside the apex
// are ignored with a warning. A syntax error is a *ZoneError naming the
// file and line.
func LoadZone(path, origin string) (*Zone, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &ZoneError{File: path, Msg: err.Error()}
	}
	// Every file is read through one fs.FS rooted at the volume's root
	// ("/" on Unix, "C:\" on Windows), so that $INCLUDE may name any
	// file, relative to the including one or absolute.
	vol := filepath.VolumeName(abs)
	name := strings.TrimPrefix(filepath.ToSlash(abs[len(vol):]), "/")
	display := func(n string) string {
		if n == name {
			return path
		}
		full := vol + filepath.FromSlash("/"+n)
		if !filepath.IsAbs(path) {
			if rel, err := filepath.Rel(filepath.Dir(abs), full); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.Join(filepath.Dir(path), rel)
			}
		}
		return full
	}
	return parseZone(os.DirFS(vol+string(filepath.Separator)), name, origin, display, maxZoneRecords)
}

// LoadZoneFlag loads the zone a --zone value names: "FILE", whose apex is
// its SOA's owner, or "ORIGIN=FILE". A value that names an existing file
// is a FILE even when it holds "=", so that "zones/a=b.zone" needs no
// escaping.
func LoadZoneFlag(value string) (*Zone, error) {
	origin, path, ok := strings.Cut(value, "=")
	if !ok || path == "" {
		return LoadZone(value, "")
	}
	if _, err := os.Stat(value); err == nil {
		return LoadZone(value, "")
	}
	if origin == "" {
		return nil, &ZoneError{File: path, Msg: "empty ORIGIN before '='; give ORIGIN=FILE or FILE alone"}
	}
	return LoadZone(path, origin)
}

// ParseZone reads the master file name from fsys, as LoadZone does; the
// targets of $INCLUDE are read from fsys too, relative to the including
// file's directory.
func ParseZone(fsys fs.FS, name, origin string) (*Zone, error) {
	return parseZone(fsys, name, origin, func(n string) string { return n }, maxZoneRecords)
}

// parsedRR is a record with where it was read.
type parsedRR struct {
	rr   dns.RR
	file string
	line int
}

func parseZone(fsys fs.FS, name, origin string, display func(string) string, maxRecords int) (*Zone, error) {
	g := &guardFS{fsys: fsys, display: display, budget: maxZoneBytes}
	root, err := g.open(name)
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u // openError's reason without the name, said by ZoneError
		}
		return nil, &ZoneError{File: display(name), Msg: clipMsg(sanitize(err.Error()))}
	}
	defer func() { _ = root.Close() }()
	parseOrigin := "."
	if origin != "" {
		o, err := zoneName(origin)
		if err != nil {
			return nil, &ZoneError{File: display(name), Msg: "ORIGIN " + err.Error()}
		}
		parseOrigin = o
	}
	zp := dns.NewZoneParser(root, parseOrigin, name)
	zp.SetDefaultTTL(defaultZoneTTL)
	zp.SetIncludeAllowed(true)
	zp.SetIncludeFS(g)
	var rrs []parsedRR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		top := g.stack[len(g.stack)-1]
		if len(rrs) >= maxRecords {
			return nil, &ZoneError{File: display(top.name), Line: top.line(),
				Msg: fmt.Sprintf("more than %d records: too large for a zone to check", maxRecords)}
		}
		rrs = append(rrs, parsedRR{rr, top.name, top.line()})
	}
	if err := zp.Err(); err != nil {
		return nil, g.zoneError(err, name)
	}
	z := &Zone{file: display(name), nodes: map[string]*zoneNode{}}
	z.server = "zone:" + sanitize(z.file)
	if origin != "" {
		z.apex = parseOrigin
	} else {
		for _, p := range rrs {
			if p.rr.Header().Rrtype == dns.TypeSOA {
				z.apex = strings.ToLower(p.rr.Header().Name)
				break
			}
		}
		switch z.apex {
		case "":
			return nil, &ZoneError{File: z.file, Msg: "no SOA record to take the zone's apex from; give it as ORIGIN=FILE"}
		case ".":
			return nil, &ZoneError{File: z.file, Msg: "the SOA record's owner is the root (.), which is what relative names become without $ORIGIN; add $ORIGIN to the file or give the apex as ORIGIN=FILE"}
		}
	}
	z.build(rrs, display)
	return z, nil
}

// zoneName checks and normalises an apex given by the user.
func zoneName(s string) (string, error) {
	n := Fqdn(strings.TrimSpace(s))
	if _, ok := dns.IsDomainName(n); !ok || n == "." || strings.Contains(n, "..") {
		return "", fmt.Errorf("%q is not a domain name", clipMsg(s))
	}
	return n, nil
}

// build indexes the records under the apex.
func (z *Zone) build(rrs []parsedRR, display func(string) string) {
	hasKey, hasSig := false, false
	for _, p := range rrs {
		h := p.rr.Header()
		h.Name = strings.ToLower(h.Name)
		var why string
		switch {
		case h.Class != dns.ClassINET:
			why = "class " + dns.Class(h.Class).String() + ", not IN"
		case !dns.IsSubDomain(z.apex, h.Name):
			why = h.Name + " is outside the zone " + z.apex
		case h.Rrtype == dns.TypeSOA && h.Name != z.apex:
			why = "SOA of " + h.Name + ", not of the apex " + z.apex
		}
		if why != "" {
			z.ignored++
			if len(z.warnings) < maxZoneWarnings {
				z.warnings = append(z.warnings, ZoneWarning{File: display(p.file), Line: p.line,
					Msg: "record ignored: " + clipMsg(sanitize(why))})
			}
			continue
		}
		n := z.nodes[h.Name]
		if n == nil {
			n = &zoneNode{}
			z.nodes[h.Name] = n
			z.addAncestors(h.Name)
		}
		n.rrs = append(n.rrs, p.rr)
		z.records++
		switch v := p.rr.(type) {
		case *dns.NS:
			n.cut = h.Name != z.apex
		case *dns.DNAME:
			n.dname = strings.ToLower(v.Target)
		case *dns.DNSKEY:
			hasKey = hasKey || h.Name == z.apex
		case *dns.RRSIG:
			hasSig = true
		}
	}
	z.signed = hasKey && hasSig
}

// addAncestors records every ancestor of name down to the apex as an
// existing node (an empty non-terminal unless it owns records).
func (z *Zone) addAncestors(name string) {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		parent := name[off:]
		if _, ok := z.nodes[parent]; ok {
			return // its ancestors were added with it
		}
		if len(parent) < len(z.apex) {
			return
		}
		z.nodes[parent] = &zoneNode{}
	}
}

// clipMsg bounds a message that may quote file content, cutting at a
// character boundary so that the message stays valid UTF-8.
func clipMsg(s string) string {
	if len(s) <= maxZoneMsg {
		return s
	}
	cut := maxZoneMsg
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// guardFS is the file system a zone and its $INCLUDEs are read through. It
// opens regular files only (a FIFO or a device such as /dev/zero would
// hang or never end), refuses a file that is already being read (an
// $INCLUDE loop: miekg/dns would only stop it after seven levels, after
// reading the loop seven times), bounds the bytes read and the number of
// includes, and counts lines so that records and warnings carry one.
type guardFS struct {
	fsys     fs.FS
	display  func(string) string
	budget   int64
	includes int
	stack    []*zoneReader // the files being read, the innermost last
	openErr  error         // why the last Open failed
}

// errNotRegular refuses a device, a pipe or a directory as a zone file.
var errNotRegular = errors.New("not a regular file")

// openError words a failure to open a zone file with the name the user
// knows, not the path inside the file system it was read through.
func openError(display string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read %s: %w", display, err)
}

func (g *guardFS) Open(name string) (fs.File, error) {
	f, err := g.open(name)
	if err != nil {
		// miekg/dns words a failed $INCLUDE with the path inside fsys;
		// zoneError says it with the path the user knows.
		g.openErr = err
	}
	return f, err
}

func (g *guardFS) open(name string) (fs.File, error) {
	for _, r := range g.stack {
		if r.name == name {
			chain := make([]string, 0, len(g.stack)+1)
			for _, r := range g.stack {
				chain = append(chain, g.display(r.name))
			}
			chain = append(chain, g.display(name))
			return nil, fmt.Errorf("loop: %s", strings.Join(chain, " includes "))
		}
	}
	if len(g.stack) > 0 {
		g.includes++
		if g.includes > maxZoneIncludes {
			return nil, fmt.Errorf("more than %d files included", maxZoneIncludes)
		}
	}
	f, err := g.fsys.Open(name)
	if err != nil {
		return nil, openError(g.display(name), err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, openError(g.display(name), err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, openError(g.display(name), errNotRegular)
	}
	r := &zoneReader{File: f, name: name, g: g}
	g.stack = append(g.stack, r)
	return r, nil
}

// zoneError turns a parse error into a *ZoneError naming the file (as the
// user knows it) and the line.
func (g *guardFS) zoneError(err error, root string) error {
	var pe *dns.ParseError
	if !errors.As(err, &pe) {
		file := root
		if len(g.stack) > 0 {
			file = g.stack[len(g.stack)-1].name
		}
		return &ZoneError{File: g.display(file), Msg: clipMsg(sanitize(err.Error()))}
	}
	// miekg/dns keeps the position unexported; its message is
	// "FILE: dns: WHAT: "TOKEN" at line: L:C".
	s := pe.Error()
	ze := &ZoneError{File: g.display(root)}
	if g.openErr != nil {
		// An $INCLUDE that could not be opened: say why in our words,
		// at the line of the directive.
		ze.Msg = clipMsg("$INCLUDE: " + sanitize(g.openErr.Error()))
	}
	if i := strings.LastIndex(s, " at line: "); i >= 0 {
		lc := s[i+len(" at line: "):]
		if j := strings.IndexByte(lc, ':'); j >= 0 {
			ze.Line, _ = strconv.Atoi(lc[:j])
		}
		s = s[:i]
	}
	if i := strings.Index(s, ": dns: "); i >= 0 {
		ze.File = g.display(s[:i])
		s = s[i+len(": dns: "):]
	} else {
		s = strings.TrimPrefix(s, "dns: ")
	}
	if ze.Msg == "" {
		ze.Msg = clipMsg(sanitize(s))
	}
	return ze
}

// zoneReader reads one file of a zone a line at a time, so that the
// parser's buffer never holds more than one line and the lines delivered
// tell on which line the record just parsed ends.
type zoneReader struct {
	fs.File
	name    string
	g       *guardFS
	lines   int  // newlines delivered
	midway  bool // the last byte delivered was not a newline
	closed  bool
	buf     []byte
	pending []byte // read from the file, not yet delivered
}

func (r *zoneReader) Read(p []byte) (int, error) {
	if r.g.budget <= 0 {
		return 0, fmt.Errorf("more than %d MiB of zone text read", maxZoneBytes>>20)
	}
	if int64(len(p)) > r.g.budget {
		p = p[:r.g.budget]
	}
	// Read through a small buffer of our own so that one Read hands the
	// parser at most one line.
	if len(r.pending) == 0 {
		if cap(r.buf) == 0 {
			r.buf = make([]byte, 32<<10)
		}
		n, err := r.File.Read(r.buf[:cap(r.buf)])
		r.pending = r.buf[:n]
		if n == 0 {
			return 0, err
		}
	}
	chunk := r.pending
	if i := bytes.IndexByte(chunk, '\n'); i >= 0 {
		chunk = chunk[:i+1]
	}
	n := copy(p, chunk)
	r.pending = r.pending[n:]
	r.g.budget -= int64(n)
	if n > 0 {
		if p[n-1] == '\n' {
			r.lines++
			r.midway = false
		} else {
			r.midway = true
		}
	}
	return n, nil
}

// line is the line of the last byte delivered.
func (r *zoneReader) line() int {
	if r.midway || r.lines == 0 {
		return r.lines + 1
	}
	return r.lines
}

func (r *zoneReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if n := len(r.g.stack); n > 0 && r.g.stack[n-1] == r {
		r.g.stack = r.g.stack[:n-1]
	}
	return r.File.Close()
}

var _ io.Reader = (*zoneReader)(nil)
