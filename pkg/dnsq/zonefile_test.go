package dnsq

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// files builds an in-memory file system of zone files.
func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

// mustZone parses name from fsys or fails the test.
func mustZone(t *testing.T, fsys fstest.MapFS, name, origin string) *Zone {
	t.Helper()
	z, err := ParseZone(fsys, name, origin)
	if err != nil {
		t.Fatalf("ParseZone(%s): %v", name, err)
	}
	return z
}

// zoneErr parses a zone that must fail and returns its *ZoneError.
func zoneErr(t *testing.T, fsys fstest.MapFS, name, origin string) *ZoneError {
	t.Helper()
	z, err := ParseZone(fsys, name, origin)
	if err == nil {
		t.Fatalf("ParseZone(%s) loaded %d records, want an error", name, z.Records())
	}
	var ze *ZoneError
	if !errors.As(err, &ze) {
		t.Fatalf("ParseZone(%s) error %T %v, want a *ZoneError", name, err, err)
	}
	return ze
}

const soaLine = "@ SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 60\n"

func TestZoneApexComesFromTheSOAOrFromTheOrigin(t *testing.T) {
	fsys := files(
		"soa.zone", "$ORIGIN example.com.\n"+soaLine+"mx1 A 192.0.2.1\n",
		"nosoa.zone", "mx1 A 192.0.2.1\n",
		"rootsoa.zone", soaLine,
	)
	if z := mustZone(t, fsys, "soa.zone", ""); z.Apex() != "example.com." || z.Records() != 2 {
		t.Errorf("apex from the SOA: %q with %d records, want example.com. with 2", z.Apex(), z.Records())
	}
	if z := mustZone(t, fsys, "nosoa.zone", "Example.COM"); z.Apex() != "example.com." || z.nodes["mx1.example.com."] == nil {
		t.Errorf("ORIGIN=Example.COM: apex %q, relative names not under it", z.Apex())
	}
	ze := zoneErr(t, fsys, "nosoa.zone", "")
	if ze.File != "nosoa.zone" || !strings.Contains(ze.Msg, "no SOA") || !strings.Contains(ze.Msg, "ORIGIN=") {
		t.Errorf("no SOA and no ORIGIN: %v, want the file named and ORIGIN= suggested", ze)
	}
	// Without ORIGIN= and $ORIGIN, "@" is the root: the apex would take
	// every name in the world.
	if ze := zoneErr(t, fsys, "rootsoa.zone", ""); !strings.Contains(ze.Msg, "root") {
		t.Errorf("SOA at the root: %v", ze)
	}
	if ze := zoneErr(t, fsys, "nosoa.zone", "bad..name"); !strings.Contains(ze.Msg, "ORIGIN") {
		t.Errorf("bad ORIGIN: %v", ze)
	}
}

func TestZoneDirectivesAndAnyRecordType(t *testing.T) {
	fsys := files(
		"zones/example.com.zone", `$ORIGIN example.com.
$TTL 600
`+soaLine+`
$INCLUDE hosts/mx.inc
$INCLUDE hosts/sub.inc sub.example.com.
$GENERATE 1-100 host$ A 198.51.100.$
_25._tcp.mx1 TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
@ CAA 0 issue "ca.example"
_sip._tcp SRV 10 5 5060 sip
x TYPE65400 \# 2 abcd
`,
		"zones/hosts/mx.inc", "mx1 A 192.0.2.1\nmx1 AAAA 2001:db8::1\n",
		"zones/hosts/sub.inc", "www A 192.0.2.80\n",
	)
	z := mustZone(t, fsys, "zones/example.com.zone", "")
	for _, name := range []string{"mx1.example.com.", "www.sub.example.com.", "host1.example.com.", "host100.example.com.",
		"_25._tcp.mx1.example.com.", "_sip._tcp.example.com.", "x.example.com."} {
		if n := z.nodes[name]; n == nil || len(n.rrs) == 0 {
			t.Errorf("%s: no records; $INCLUDE (relative to the including file), $GENERATE or an RR type was not read", name)
		}
	}
	// SOA + 2 included + 1 + 100 generated + TLSA, CAA, SRV, unknown type.
	if z.Records() != 108 {
		t.Errorf("%d records, want 108", z.Records())
	}
	if len(z.Warnings()) != 0 {
		t.Errorf("warnings on a clean zone: %v", z.Warnings())
	}
}

func TestZoneSyntaxErrorsNameFileAndLine(t *testing.T) {
	fsys := files(
		"a.zone", "$ORIGIN example.com.\n"+soaLine+"mx1 A 192.0.2.1\nmx2 A 192.0.2.300\n",
		"b.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE inc/c.inc\n",
		"inc/c.inc", "ok A 192.0.2.1\n\n; comment\nbad MX ten mx1\n",
		"d.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE missing.inc\n",
		"e.zone", "$ORIGIN example.com.\n"+soaLine+"$GENERATE 1-0 h$ A 192.0.2.$\n",
		"f.zone", "$ORIGIN example.com.\n"+soaLine+"t TXT \""+strings.Repeat("\x01\x7f", 5000)+"\n",
	)
	for _, c := range []struct {
		file, wantFile string
		line           int
		msg            string
	}{
		{"a.zone", "a.zone", 4, "192.0.2.300"},
		{"b.zone", "inc/c.inc", 4, "MX"},
		{"d.zone", "d.zone", 3, "missing.inc"},
		{"e.zone", "e.zone", 3, "GENERATE"},
		{"f.zone", "f.zone", 3, ""},
	} {
		ze := zoneErr(t, fsys, c.file, "")
		if ze.File != c.wantFile || ze.Line != c.line || !strings.Contains(ze.Msg, c.msg) {
			t.Errorf("%s: %q, want %s:%d and %q in the message", c.file, ze, c.wantFile, c.line, c.msg)
		}
		if len(ze.Msg) > maxZoneMsg+3 || strings.ContainsAny(ze.Msg, "\x01\x7f\n") {
			t.Errorf("%s: message not bounded or not sanitised: %q", c.file, ze.Msg)
		}
	}
}

func TestZoneIncludeLoopsEndWithAnError(t *testing.T) {
	fsys := files(
		"self.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE self.zone\n",
		"a.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE b.inc\n",
		"b.inc", "$INCLUDE a.zone\n",
	)
	// A file that includes one other ten times, which includes another ten
	// times, six levels down: a million opens without a bound.
	fsys["fan.zone"] = &fstest.MapFile{Data: []byte("$ORIGIN example.com.\n" + soaLine + strings.Repeat("$INCLUDE f1.inc\n", 10))}
	for i := 1; i < 6; i++ {
		fsys["f"+string(rune('0'+i))+".inc"] = &fstest.MapFile{Data: []byte(strings.Repeat("$INCLUDE f"+string(rune('0'+i+1))+".inc\n", 10))}
	}
	fsys["f6.inc"] = &fstest.MapFile{Data: []byte("h A 192.0.2.1\n")}
	for file, want := range map[string]string{
		"self.zone": "$INCLUDE: loop: self.zone includes self.zone",
		"a.zone":    "$INCLUDE: loop: a.zone includes b.inc includes a.zone",
		"fan.zone":  "$INCLUDE: more than 1000 files included",
	} {
		start := time.Now()
		ze := zoneErr(t, fsys, file, "")
		if !strings.Contains(ze.Msg, want) || ze.Line == 0 {
			t.Errorf("%s: %v, want %q with the line of the $INCLUDE", file, ze, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", file, d)
		}
	}
}

func TestZoneIncludeOfADeviceIsRefused(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "dev.zone")
	if err := os.WriteFile(path, []byte("$ORIGIN example.com.\n"+soaLine+"$INCLUDE /dev/zero\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadZone(path, "")
	var ze *ZoneError
	if !errors.As(err, &ze) || ze.Msg != "$INCLUDE: cannot read /dev/zero: not a regular file" || ze.Line != 3 {
		t.Fatalf("$INCLUDE /dev/zero: %v, want a line-3 error saying it is not a regular file", err)
	}
	if _, err := LoadZone("/dev/zero", "example.com"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("LoadZone(/dev/zero): %v", err)
	}
}

func TestLoadZoneNamesIncludedFilesAsTheUserWouldFindThem(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "zones", "inc"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("zones/example.com.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE inc/hosts.inc\n")
	write("zones/inc/hosts.inc", "mx1 A 192.0.2.1\nmx2 A nonsense\n")
	t.Chdir(dir)
	_, err := LoadZone("zones/example.com.zone", "")
	if err == nil || err.Error() != `zones/inc/hosts.inc:2: bad A A: "nonsense"` {
		t.Errorf("relative path: %v", err)
	}
	abs := filepath.Join(dir, "zones/example.com.zone")
	_, err = LoadZone(abs, "")
	if want := filepath.Join(dir, "zones/inc/hosts.inc") + ":2:"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("absolute path: %v, want it to start with %s", err, want)
	}
	write("zones/inc/hosts.inc", "mx1 A 192.0.2.1\n")
	z, err := LoadZone("zones/example.com.zone", "")
	if err != nil || z.File() != "zones/example.com.zone" || z.server != "zone:zones/example.com.zone" {
		t.Fatalf("LoadZone: %v, file %q", err, z.File())
	}
}

func TestZoneBinaryGarbageIsAnErrorNotACrash(t *testing.T) {
	garbage := make([]byte, 1<<16)
	for i := range garbage {
		garbage[i] = byte(i*7919 + i>>8)
	}
	fsys := files("bin.zone", string(garbage), "mid.zone", "$ORIGIN example.com.\n"+soaLine+string(garbage[:300])+"\n")
	for _, f := range []string{"bin.zone", "mid.zone"} {
		ze := zoneErr(t, fsys, f, "example.com")
		if ze.File != f || ze.Line == 0 {
			t.Errorf("%s: %v, want a line-numbered error", f, ze)
		}
	}
}

func TestZoneRecordsOutsideTheApexAreIgnoredWithAWarning(t *testing.T) {
	text := "$ORIGIN example.com.\n" + soaLine + "mx1 A 192.0.2.1\n" +
		"mx1.example.net. A 192.0.2.2\n" + // line 4
		"sub SOA ns.example.com. h.example.com. 1 2 3 4 5\n" + // line 5
		"mx3 CH A 192.0.2.3\n" + // line 6
		"big (\n MX 10\n mx1 )\n" // lines 7-9: in zone
	for i := 0; i < 30; i++ {
		text += "x.example.org. A 192.0.2.4\n"
	}
	z := mustZone(t, files("w.zone", text), "w.zone", "")
	w := z.Warnings()
	if len(w) != maxZoneWarnings || z.IgnoredRecords() != 33 {
		t.Fatalf("%d warnings, %d ignored; want %d and 33", len(w), z.IgnoredRecords(), maxZoneWarnings)
	}
	for i, want := range []string{
		"w.zone:4: record ignored: mx1.example.net. is outside the zone example.com.",
		"w.zone:5: record ignored: SOA of sub.example.com., not of the apex example.com.",
		"w.zone:6: record ignored: class CH, not IN",
		"w.zone:10: record ignored: x.example.org. is outside the zone example.com.",
	} {
		if w[i].String() != want {
			t.Errorf("warning %d: %q, want %q", i, w[i], want)
		}
	}
	if z.Records() != 3 || z.nodes["mx1.example.net."] != nil {
		t.Errorf("%d records served, want the SOA, mx1 and big", z.Records())
	}
}

func TestZoneTakes64KiBTXTLines(t *testing.T) {
	// 254 character-strings of 255 bytes: a line over 64 KiB, 65,024
	// bytes of RDATA, under the 65,535-byte limit.
	var b strings.Builder
	for i := 0; i < 254; i++ {
		b.WriteString(` "` + strings.Repeat(string(rune('a'+i%26)), 255) + `"`)
	}
	line := "big TXT" + b.String()
	if len(line) < 64<<10 {
		t.Fatalf("line of %d bytes", len(line))
	}
	z := mustZone(t, files("t.zone", "$ORIGIN example.com.\n"+soaLine+line+"\nafter A 192.0.2.1\n"), "t.zone", "")
	ans := z.answer("big.example.com.", 16)
	if ans.kind != answerRecords {
		t.Fatalf("big TXT: %v", ans.kind)
	}
	st := &step{}
	rec := recordOf(ans.rrs[0])
	st.add(&rec)
	if len(st.strs) != 1 || len(st.strs[0]) != 254*255 {
		t.Errorf("TXT of %d bytes, want %d", len(st.strs[0]), 254*255)
	}
	if z.nodes["after.example.com."] == nil {
		t.Error("the record after the long line was lost")
	}
}

func TestZoneSignedFile(t *testing.T) {
	signed := "$ORIGIN example.com.\n" + soaLine +
		"@ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==\n" +
		"@ RRSIG SOA 13 2 3600 20300101000000 20200101000000 12345 example.com. AAAA\n"
	if z := mustZone(t, files("s.zone", signed), "s.zone", ""); !z.Signed() {
		t.Error("a file with a DNSKEY at the apex and RRSIGs is signed")
	}
	if z := mustZone(t, files("u.zone", "$ORIGIN example.com.\n"+soaLine), "u.zone", ""); z.Signed() {
		t.Error("a file without DNSKEY is not signed")
	}
}

func TestZoneRecordsAreBounded(t *testing.T) {
	text := "$ORIGIN example.com.\n" + soaLine + "$GENERATE 1-600 h$ A 192.0.2.1\n$GENERATE 1-600 g$ A 192.0.2.1\n"
	_, err := parseZone(files("g.zone", text), "g.zone", "", func(n string) string { return n }, 1000)
	if err == nil || err.Error() != "g.zone:4: more than 1000 records: too large for a zone to check" {
		t.Fatalf("%v", err)
	}
}

func TestLoadZoneFlag(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for name, text := range map[string]string{
		"soa.zone":  "$ORIGIN example.com.\n" + soaLine,
		"bare.zone": "mx1 A 192.0.2.1\n",
		"a=b.zone":  "$ORIGIN example.org.\n" + soaLine,
	} {
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for value, apex := range map[string]string{"soa.zone": "example.com.", "example.net=bare.zone": "example.net.", "a=b.zone": "example.org."} {
		z, err := LoadZoneFlag(value)
		if err != nil || z.Apex() != apex {
			t.Errorf("--zone %s: %v, want the zone %s", value, err, apex)
		}
	}
	for value, want := range map[string]string{
		"bare.zone":          "bare.zone: no SOA record",
		"=bare.zone":         "bare.zone: empty ORIGIN",
		"a..b=bare.zone":     `bare.zone: ORIGIN "a..b" is not a domain name`,
		"missing.zone":       "missing.zone: ",
		"example.net=nofile": "nofile: ",
	} {
		if _, err := LoadZoneFlag(value); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("--zone %s: %v, want %q", value, err, want)
		}
	}
}

func TestZoneWarningsNameTheIncludedFile(t *testing.T) {
	fsys := files(
		"z.zone", "$ORIGIN example.com.\n"+soaLine+"$INCLUDE inc/x.inc\nafter.example.org. A 192.0.2.3\n",
		"inc/x.inc", "in A 192.0.2.1\nout.example.org. A 192.0.2.2\n",
	)
	z := mustZone(t, fsys, "z.zone", "")
	var got []string
	for _, w := range z.Warnings() {
		got = append(got, w.File+":"+strconv.Itoa(w.Line))
	}
	if want := []string{"inc/x.inc:2", "z.zone:4"}; !slices.Equal(got, want) {
		t.Errorf("warnings at %v, want %v", got, want)
	}
}
