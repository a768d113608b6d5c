package mta

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

func TestDefaultGAIConfIsGlibcsNotRFC6724s(t *testing.T) {
	c := DefaultGAIConf()
	for _, tt := range []struct {
		addr              string
		label, prec, scop int
	}{
		{"::1", 0, 50, 2},
		{"2001:db8::1", 1, 40, 14},
		{"192.0.2.1", 4, 10, 14},  // RFC 6724: precedence 35
		{"10.1.2.3", 4, 10, 5},    // default_scopes: RFC 1918 is "site-local"
		{"169.254.1.1", 4, 10, 2}, // link-local
		{"fd00::1", 6, 40, 14},    // RFC 6724: label 13, precedence 3
		{"2002:c000:204::1", 2, 30, 14},
		{"2001:0:c000:205::1", 7, 40, 14}, // RFC 6724: label 5, precedence 5
		{"fec0::1", 5, 40, 5},
		{"::ffff:10.1.2.3", 4, 10, 14}, // mapped: IPv6 scope rules
	} {
		a := netip.MustParseAddr(tt.addr)
		if l, p, s := c.Label(a), c.PrecedenceOf(a), c.Scope(a); l != tt.label || p != tt.prec || s != tt.scop {
			t.Errorf("%s: label %d precedence %d scope %d, want %d %d %d", tt.addr, l, p, s, tt.label, tt.prec, tt.scop)
		}
	}
}

func TestParseGAIConfReplacesAWholeTableAndAddsTheDefaultRow(t *testing.T) {
	c := ParseGAIConf("/etc/gai.conf", []byte("# prefer IPv4\nprecedence ::ffff:0:0/96 100\nreload yes\n"))
	if len(c.Warnings) != 0 {
		t.Fatalf("warnings %v", c.Warnings)
	}
	// The row from the file keeps its line; the ::/0 row glibc adds has none.
	want := []GAIPolicyEntry{{Prefix: v6prefix("::ffff:0:0/96"), Value: 100, Line: 2}, {Prefix: v6prefix("::/0"), Value: 40}}
	if len(c.Precedence) != 2 || c.Precedence[0] != want[0] || c.Precedence[1] != want[1] {
		t.Errorf("precedence table %v, want %v", c.Precedence, want)
	}
	if len(c.Labels) != len(defaultGAILabels()) || !c.Reload {
		t.Errorf("labels %v reload %v: labels must stay glibc's, reload on", c.Labels, c.Reload)
	}
	if len(c.Lines) != 2 || c.Lines[0].Line != 2 || c.Lines[0].Keyword != "precedence" || c.Lines[1].Keyword != "reload" {
		t.Errorf("lines %+v", c.Lines)
	}
}

func TestParseGAIConfSortsLongestPrefixFirstKeepingFileOrderOnTies(t *testing.T) {
	c := ParseGAIConf("g", []byte("label ::/0 1\nlabel 2001:db8::/32 7\nlabel 2001:db8::/32 8\nlabel 2001:db8:1::/48 9\n"))
	var got []string
	for _, e := range c.Labels {
		got = append(got, e.Prefix.String()+"="+string(rune('0'+e.Value)))
	}
	if strings.Join(got, " ") != "2001:db8:1::/48=9 2001:db8::/32=7 2001:db8::/32=8 ::/0=1" {
		t.Errorf("labels %v", got)
	}
	if l := c.Label(netip.MustParseAddr("2001:db8:2::1")); l != 7 {
		t.Errorf("label %d, want 7 (the first of two equal prefixes)", l)
	}
}

// A file of bad lines keeps its first warnings and counts the rest, and
// a crashing line past the kept ones is still the crash reported.
func TestParseGAIConfKeepsTheFirstWarningsAndCountsTheRest(t *testing.T) {
	conf := strings.Repeat("x\n", 1000) + "scopev4 ::ffff:169.254.0.0 2\n"
	c := ParseGAIConf("big.conf", []byte(conf))
	if len(c.Warnings) != MaxGAIConfWarnings || c.MoreWarnings != 1001-MaxGAIConfWarnings {
		t.Fatalf("%d warnings kept and %d counted, want %d and %d", len(c.Warnings), c.MoreWarnings, MaxGAIConfWarnings, 1001-MaxGAIConfWarnings)
	}
	if c.Crash == nil || c.Crash.Line != 1001 {
		t.Errorf("crash %v, want line 1001", c.Crash)
	}
}

func TestParseGAIConfReadsMalformedLinesAsGlibcDoesAndSaysWhere(t *testing.T) {
	conf := strings.Join([]string{
		"precedence ::ffff:0:0/96", // 1: no value -> 0
		"label 2001:db8::/32 abc",  // 2: ignored
		"Precedence ::/0 10",       // 3: unknown keyword (case)
		"label ::/ 5",              // 4: empty length -> /0
		"precedence ::1 45",        // 5: no length: glibc drops it
		"scopev4 192.0.2.0/33 5",   // 6: ignored
		"reload maybe",             // 7: reload no
		"label ::1/128 0 extra",    // 8: rest ignored
		"scopev4 10.0.0.0/8",       // 9: no value -> 0
	}, "\n")
	c := ParseGAIConf("/tmp/gai.conf", []byte(conf))
	byLine := map[int]string{}
	for _, w := range c.Warnings {
		if w.Path != "/tmp/gai.conf" {
			t.Errorf("warning without the file: %v", w)
		}
		byLine[w.Line] += w.Message
	}
	for line, want := range map[int]string{1: "reads as 0", 2: "ignored", 3: "ignored", 4: "/0", 5: "ignored",
		6: "ignored", 7: "reload no", 8: "after the second value", 9: "reads as 0"} {
		if !strings.Contains(byLine[line], want) {
			t.Errorf("line %d: warning %q, want it to say %q", line, byLine[line], want)
		}
	}
	ipv4 := netip.MustParseAddr("192.0.2.1")
	if p := c.PrecedenceOf(ipv4); p != 0 {
		t.Errorf("IPv4 precedence %d, want 0 (the missing value)", p)
	}
	if p := c.PrecedenceOf(netip.IPv6Loopback()); p != 40 {
		t.Errorf("::1 precedence %d, want 40 (line 5 dropped, default row added)", p)
	}
	if l := c.Label(netip.MustParseAddr("2001:db8::1")); l != 5 {
		t.Errorf("label %d, want 5 from '::/ 5'", l)
	}
	if s := c.Scope(netip.MustParseAddr("10.9.9.9")); s != 0 {
		t.Errorf("scope %d, want 0 from 'scopev4 10.0.0.0/8'", s)
	}
	if c.Crash != nil {
		t.Errorf("crash %v, want none", c.Crash)
	}
}

func TestParseGAIConfSaysWhenGlibcMayCrash(t *testing.T) {
	c := ParseGAIConf("gai.conf", []byte("scopev4 ::ffff:10.0.0.0/104 5\nscopev4 192.0.2.25 2\n"))
	if c.Crash == nil || c.Crash.Line != 2 || !strings.Contains(c.Crash.Message, "crash") {
		t.Fatalf("crash %v, want line 2", c.Crash)
	}
	if s := c.Scope(netip.MustParseAddr("192.0.2.25")); s != 14 {
		t.Errorf("scope %d, want 14: the crashing line sets nothing", s)
	}
	if s := c.Scope(netip.MustParseAddr("10.1.1.1")); s != 5 {
		t.Errorf("scope %d, want 5 from line 1", s)
	}
}

func TestParseGAIConfNeverPanicsOnBinaryOrHugeInput(t *testing.T) {
	in := []byte("label \x00::1/128 3\nprecedence ::1/128 99999999999999999999999\nscopev4 -1/8 -1\n\xff\xfe label")
	c := ParseGAIConf("x", append(in, make([]byte, MaxGAIConfSize)...))
	if len(c.Precedence) != len(defaultGAIPrecedence()) {
		t.Errorf("precedence %v, want the defaults (overflow refused)", c.Precedence)
	}
}

func FuzzParseGAIConf(f *testing.F) {
	f.Add([]byte("precedence ::ffff:0:0/96 100\n"))
	f.Add([]byte("label ::1/128 0\nlabel ::/0 1\nscopev4 ::ffff:169.254.0.0/112 2\nreload yes\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseGAIConf("fuzz", data)
		// Every table ends in a row that matches everything, so a lookup
		// always finds a value, as glibc's loops rely on.
		for _, tab := range [][]GAIPolicyEntry{c.Labels, c.Precedence} {
			if len(tab) == 0 || tab[len(tab)-1].Prefix.Bits() != 0 && !hasNullRow(tab) {
				t.Fatalf("table without a /0 row: %v", tab)
			}
		}
		for _, a := range []string{"192.0.2.1", "2001:db8::1", "::1", "::ffff:10.0.0.1"} {
			ip := netip.MustParseAddr(a)
			_, _, _ = c.Label(ip), c.PrecedenceOf(ip), c.Scope(ip)
		}
		for _, w := range c.Warnings {
			if w.Line < 1 || w.Path != "fuzz" {
				t.Fatalf("warning %v", w)
			}
		}
		// Whatever came before, a last line without its value is read as
		// glibc 2.36 reads it (strtoul of "" is 0) and warned about by
		// file and line.
		const probe = "precedence ::ffff:198.51.100.77/128"
		ip := netip.MustParseAddr("198.51.100.77")
		if len(data)+len(probe)+2 > MaxGAIConfSize {
			return
		}
		for _, l := range c.Lines {
			if l.Keyword == "precedence" && l.Prefix.Bits() == 128 && l.Prefix.Addr() == netip.AddrFrom16(ip.As16()) {
				return // an earlier line for the same /128 wins
			}
		}
		withProbe := append(append(append([]byte(nil), data...), '\n'), probe...)
		p := ParseGAIConf("fuzz", withProbe)
		line := bytes.Count(withProbe, []byte("\n")) + 1
		if got := p.PrecedenceOf(ip); got != 0 || p.PrecedenceLine(ip) != line {
			t.Fatalf("%q: precedence %d from line %d, want 0 from line %d", withProbe, got, p.PrecedenceLine(ip), line)
		}
		if p.MoreWarnings == 0 {
			w := p.Warnings[len(p.Warnings)-1]
			if w.Line != line || !strings.Contains(w.Message, "reads as 0") {
				t.Fatalf("last warning %v, want line %d's missing value", w, line)
			}
		}
	})
}

func hasNullRow(t []GAIPolicyEntry) bool {
	for _, e := range t {
		if e.Prefix.Bits() == 0 {
			return true
		}
	}
	return false
}
