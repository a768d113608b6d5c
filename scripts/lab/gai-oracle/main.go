//go:build linux

// Command gai-oracle checks mailcheck's model of glibc's getaddrinfo() order
// (pkg/mta GetaddrinfoOrder, ParseGAIConf) against the real glibc. It runs
// as root inside the lab (scripts/lab/t-gai.sh), which creates one network
// namespace per host setup and names them with -ns KEY=NAMESPACE. For each
// setup it writes the namespace's /etc/netns files (hosts with several A and
// AAAA lines per name, host.conf "multi on", and one gai.conf after another,
// which `ip netns exec` bind-mounts over /etc), then for every name:
//
//   - asks glibc with Postfix's hints (gaiorder postfix: AF_UNSPEC,
//     SOCK_STREAM, no AI_ADDRCONFIG) and with getent's (`getent ahosts`,
//     whose lines list each address three times: the order of first
//     appearance counts);
//   - builds the model's input the way a caller on that host would: the
//     host's addresses from `ip -j addr`, each destination's source from a
//     UDP connect (gaiorder source), the name's addresses in hosts-file order;
//   - compares, and prints every disagreement with the model's reasons.
//
// The destinations are never contacted (a UDP connect sends nothing; every
// namespace is isolated). It prints "FIGURE: ..." lines for run.sh and exits
// 1 when any combination disagrees.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/mta"
)

// names are the hosts-file entries, each address on its own line, in this
// order (the files backend returns them in file order).
var names = []struct {
	name  string
	addrs []string
}{
	{"mixed4", []string{"192.0.2.25", "2001:db8:25::1", "198.51.100.25", "2001:db8:2::25"}},
	{"mixed6", []string{"2001:db8:25::1", "192.0.2.25", "2001:db8:1::99", "203.0.113.25"}},
	{"ula", []string{"fd00:25::1", "192.0.2.25", "2001:db8:25::2", "fd00:1::99"}},
	{"sixto4", []string{"2002:c000:204::1", "192.0.2.25", "2001:db8:25::1"}},
	{"teredo", []string{"2001:0:c000:205::1", "198.51.100.25", "2001:db8:25::1"}},
	{"mapped", []string{"::ffff:192.0.2.26", "2001:db8:25::1", "192.0.2.25"}},
	{"subnet4", []string{"198.51.100.25", "192.0.2.99", "203.0.113.5", "192.0.2.200", "192.0.2.11"}},
	{"prefix6", []string{"2001:db8:ffff::1", "2001:db8:1::99", "2001:db8:1:0:ffff::1", "2001:db8:1:8000::1"}},
	{"loop", []string{"192.0.2.25", "::1", "127.0.0.1", "2001:db8:25::1"}},
	{"sitelocal", []string{"fec0::25", "2001:db8:25::1", "192.0.2.25"}},
	{"v4only", []string{"203.0.113.25", "192.0.2.11", "198.51.100.25"}},
	// With gai.conf "flat" (one precedence for all), rule 9 prefers the
	// third address to the first, but each is tied with the IPv4 address
	// between them: glibc's comparison is not transitive, and its merge
	// sort decides.
	{"nontrans", []string{"2001:db8:ffff::1", "192.0.2.25", "2001:db8:1::99", "198.51.100.25", "2001:db8:1:8000::1"}},
}

// confs are the gai.conf files tried on every host.
var confs = []struct{ key, text string }{
	{"default", ""},
	{"prefer4", "precedence ::ffff:0:0/96 100\n"},
	{"prefer4-full", "precedence ::1/128 50\nprecedence ::/0 40\nprecedence 2002::/16 30\nprecedence ::/96 20\nprecedence ::ffff:0:0/96 100\n"},
	{"rfc6724", "label ::1/128 0\nlabel ::/0 1\nlabel ::ffff:0:0/96 4\nlabel 2002::/16 2\nlabel 2001::/32 5\nlabel fc00::/7 13\nlabel ::/96 3\nlabel fec0::/10 11\nlabel 3ffe::/16 12\n" +
		"precedence ::1/128 50\nprecedence ::/0 40\nprecedence ::ffff:0:0/96 35\nprecedence 2002::/16 30\nprecedence 2001::/32 5\nprecedence fc00::/7 3\nprecedence ::/96 1\nprecedence fec0::/10 1\nprecedence 3ffe::/16 1\n"},
	{"labels", "label ::1/128 0\nlabel ::/0 1\nlabel fc00::/7 1\nlabel ::ffff:0:0/96 4\n"},
	{"scopev4", "scopev4 ::ffff:198.51.100.0/120 5\nscopev4 192.0.2.0/24 2\nscopev4 203.0.113.0/25 8\n"},
	{"malformed", "precedence ::ffff:0:0/96   # no value: reads as 0\nlabel 2001:db8::/32 abc\nbogus line here\nPrecedence ::/0 10\nlabel fd00::/8\nscopev4 192.0.2.0/ 5\nreload maybe\n"},
	{"flat", "precedence ::/0 40\n"},
	{"nobits", "precedence ::ffff:0:0/96 100\nprecedence ::1 45\nlabel 2001:db8:25::1 9\n"},
	{"nobits-scope", "scopev4 192.0.2.25 2\nscopev4 ::ffff:203.0.113.5 5\n"},
}

func main() {
	helper := flag.String("helper", "", "path of the compiled gaiorder helper")
	etc := flag.String("etc", "/etc/netns", "where ip netns exec finds per-namespace /etc files")
	var nsFlags []string
	flag.Func("ns", "KEY=NAMESPACE of one host setup (repeatable)", func(s string) error {
		nsFlags = append(nsFlags, s)
		return nil
	})
	verbose := flag.Bool("v", false, "print every combination, not only disagreements")
	flag.Parse()
	if *helper == "" || len(nsFlags) == 0 {
		fmt.Fprintln(os.Stderr, "usage: gai-oracle -helper PATH -ns KEY=NAMESPACE...")
		os.Exit(2)
	}
	total, agree := map[string]int{}, map[string]int{}
	var failures []string
	for _, kv := range nsFlags {
		key, ns, _ := strings.Cut(kv, "=")
		t0 := time.Now()
		res, err := runHost(*helper, filepath.Join(*etc, ns), ns, key, *verbose)
		fmt.Fprintf(os.Stderr, "host %s: %d comparisons in %.1fs\n", key, len(res), time.Since(t0).Seconds())
		if err != nil {
			fmt.Fprintf(os.Stderr, "host %s: %v\n", key, err)
			os.Exit(1)
		}
		for _, r := range res {
			total[r.oracle]++
			if r.ok {
				agree[r.oracle]++
			} else {
				failures = append(failures, r.report)
			}
		}
	}
	for _, f := range failures {
		fmt.Println(f)
	}
	oracles := make([]string, 0, len(total))
	for o := range total {
		oracles = append(oracles, o)
	}
	sort.Strings(oracles)
	for _, o := range oracles {
		note := ""
		if crashes[o] > 0 {
			note = fmt.Sprintf(" (%d crashed where the model says glibc may)", crashes[o])
		}
		fmt.Printf("FIGURE: %s: %d of %d combinations agree with the model%s\n", o, agree[o], total[o], note)
	}
	if len(failures) > 0 {
		os.Exit(1)
	}
}

// plainRoutes are the host setups whose routes are default routes without
// a source hint: only there can addresses alone predict the source.
var plainRoutes = map[string]bool{"global6": true, "ula-only": true, "no-ipv6": true,
	"link-local-only": true, "ipv6-only": true, "ipv4-on-lo": true}

// crashed stands for "the process died of SIGSEGV" in an order.
const crashed = "CRASH"

// crashes counts, per oracle, the lookups that crashed as the model said
// they might.
var crashes = map[string]int{}

type outcome struct {
	oracle string
	ok     bool
	report string
}

func runHost(helper, etcDir, ns, key string, verbose bool) ([]outcome, error) {
	var hosts strings.Builder
	hosts.WriteString("127.0.0.1 localhost\n::1 localhost\n")
	all := map[string]bool{}
	var addrList []string
	for _, n := range names {
		for _, a := range n.addrs {
			fmt.Fprintf(&hosts, "%s %s\n", a, n.name)
			if !all[a] {
				all[a] = true
				addrList = append(addrList, a)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(etcDir, "hosts"), []byte(hosts.String()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(etcDir, "host.conf"), []byte("multi on\n"), 0o644); err != nil {
		return nil, err
	}
	// Files only: a name with no address of the family AI_ADDRCONFIG left
	// would otherwise wait for DNS servers the namespace cannot reach.
	if err := os.WriteFile(filepath.Join(etcDir, "nsswitch.conf"), []byte("passwd: files\ngroup: files\nhosts: files\n"), 0o644); err != nil {
		return nil, err
	}
	host, err := hostAddrs(ns)
	if err != nil {
		return nil, err
	}
	srcOut, err := run("ip", append([]string{"netns", "exec", ns, helper, "source"}, addrList...)...)
	if err != nil {
		return nil, err
	}
	sources := map[string]netip.Addr{}
	for _, line := range strings.Split(strings.TrimSpace(srcOut), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[1] != "-" {
			sources[f[0]] = netip.MustParseAddr(f[1])
		}
	}
	// One `ip netns exec` per host (each costs a mount namespace): a shell
	// inside writes each gai.conf over the bind-mounted /etc/gai.conf and
	// asks glibc for every name, one process per lookup, so a crash costs
	// one answer only.
	work, err := os.MkdirTemp("", "gai-oracle")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(work) }()
	nameList := make([]string, len(names))
	for i, n := range names {
		nameList[i] = n.name
	}
	var keys []string
	for _, c := range confs {
		keys = append(keys, c.key)
		if err := os.WriteFile(filepath.Join(work, "conf."+c.key), []byte(c.text), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(etcDir, "gai.conf"), nil, 0o644); err != nil {
		return nil, err
	}
	// A file that may crash glibc gets one process per lookup, so a crash
	// costs one answer; the others one process for all names (getent
	// starts each name's lines with its canonical name, the name itself).
	var crashKeys []string
	for _, c := range confs {
		if mta.ParseGAIConf("", []byte(c.text)).Crash != nil {
			crashKeys = append(crashKeys, c.key)
		}
	}
	script := `work=$1 helper=$2 confs=$3 crashy=" $4 "; shift 4
for k in $confs; do
	cat "$work/conf.$k" >/etc/gai.conf
	case "$crashy" in
	*" $k "*)
		for n in "$@"; do
			echo "== $k postfix $n"; "$helper" postfix "$n" || echo "!exit $?"
			echo "== $k getent $n"; getent ahosts "$n" || echo "!exit $?"
		done ;;
	*)
		echo "== $k postfix *"; "$helper" postfix "$@"
		echo "== $k getent *"; getent ahosts "$@" ;;
	esac
done`
	raw, err := run("ip", append([]string{"netns", "exec", ns, "sh", "-c", script, "sh", work, helper,
		strings.Join(keys, " "), strings.Join(crashKeys, " ")}, nameList...)...)
	if err != nil {
		return nil, err
	}
	answers := parseAnswers(raw)
	var out []outcome
	// The pure source choice for a host described by its addresses only
	// (mta.GAISourcesFor, for --source-addr) must match the kernel's on
	// the hosts whose routes are plain default routes.
	if plainRoutes[key] {
		var dests []netip.Addr
		for _, a := range addrList {
			dests = append(dests, netip.MustParseAddr(a))
		}
		var bad []string
		for _, d := range mta.GAISourcesFor(host, dests) {
			if d.Source != sources[d.Addr.String()] {
				bad = append(bad, fmt.Sprintf("%s: kernel %v, GAISourcesFor %v", d.Addr, sources[d.Addr.String()], d.Source))
			}
		}
		rep := fmt.Sprintf("GAISourcesFor host=%s: %d destinations", key, len(dests))
		if len(bad) > 0 {
			rep = "DISAGREE " + rep + "\n  " + strings.Join(bad, "\n  ")
		}
		out = append(out, outcome{oracle: "source address choice", ok: len(bad) == 0, report: rep})
	}
	for _, c := range confs {
		conf := mta.ParseGAIConf("gai.conf:"+c.key, []byte(c.text))
		for _, n := range names {
			in := mta.GAIInput{Host: host, Conf: conf}
			for _, a := range n.addrs {
				in.Dests = append(in.Dests, mta.GAIDest{Addr: netip.MustParseAddr(a), Source: sources[a]})
			}
			for _, o := range []struct {
				oracle string
				glibc  []string
				in     mta.GAIInput
			}{
				{"getaddrinfo(AF_UNSPEC, SOCK_STREAM)", answers[c.key+" postfix "+n.name], withHints(in, false, 1)},
				{"getent ahosts", answers[c.key+" getent "+n.name], withHints(in, true, 3)}, // AI_V4MAPPED | AI_ADDRCONFIG
			} {
				res := mta.GetaddrinfoOrder(o.in)
				model := make([]string, len(res.Order))
				for i, a := range res.Order {
					model[i] = a.Addr.String()
				}
				if conf.Crash != nil && res.Sorted {
					model = []string{crashed}
				}
				ok := strings.Join(model, " ") == strings.Join(o.glibc, " ")
				if conf.Crash != nil && res.Sorted {
					// Undefined behaviour: the program crashes or goes on
					// without the line (getent did); both agree.
					ok = len(o.glibc) == 1 && o.glibc[0] == crashed
					if !ok {
						model = model[:0]
						for _, a := range res.Order {
							model = append(model, a.Addr.String())
						}
						ok = strings.Join(model, " ") == strings.Join(o.glibc, " ")
					}
					if len(o.glibc) == 1 && o.glibc[0] == crashed {
						crashes[o.oracle]++
					}
				}
				label := fmt.Sprintf("%s host=%s gai.conf=%s name=%s", o.oracle, key, c.key, n.name)
				rep := fmt.Sprintf("%s %s\n  glibc: %s\n  model: %s", map[bool]string{true: "AGREE", false: "DISAGREE"}[ok], label,
					strings.Join(o.glibc, " "), strings.Join(model, " "))
				if !ok || verbose {
					for _, d := range res.Dropped {
						rep += fmt.Sprintf("\n    dropped %s: %s", d.Addr, d.Reason)
					}
					for _, d := range res.Decisions {
						rep += fmt.Sprintf("\n    %s before %s: %s", d.First, d.Second, d.Reason)
					}
					for _, a := range res.Order {
						rep += fmt.Sprintf("\n    %s src=%v scope=%d/%d label=%d/%d prec=%d plen=%d", a.Addr, a.Source, a.Scope, a.SourceScope, a.Label, a.SourceLabel, a.Precedence, a.PrefixLen)
					}
				}
				if verbose {
					fmt.Println(rep)
				}
				out = append(out, outcome{oracle: o.oracle, ok: ok, report: rep})
			}
		}
	}
	return out, nil
}

func withHints(in mta.GAIInput, getent bool, sockTypes int) mta.GAIInput {
	in.AddrConfig, in.V4Mapped, in.SockTypes = getent, getent, sockTypes
	return in
}

// hostAddrs reads the namespace's addresses as glibc's __check_pf does
// (RTM_GETADDR), through `ip -j addr show`.
func hostAddrs(ns string) (mta.GAIHost, error) {
	var h mta.GAIHost
	js, err := run("ip", "-n", ns, "-j", "addr", "show")
	if err != nil {
		return h, err
	}
	var links []struct {
		IfIndex  int    `json:"ifindex"`
		LinkType string `json:"link_type"`
		AddrInfo []struct {
			Local      string `json:"local"`
			PrefixLen  int    `json:"prefixlen"`
			Deprecated bool   `json:"deprecated"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(js), &links); err != nil {
		return h, err
	}
	for _, l := range links {
		switch l.LinkType {
		case "sit", "ipip", "tunnel6":
			h.Tunnels = append(h.Tunnels, l.IfIndex)
		}
		for _, a := range l.AddrInfo {
			ip, err := netip.ParseAddr(a.Local)
			if err != nil {
				continue
			}
			h.Addrs = append(h.Addrs, mta.GAIHostAddr{Prefix: netip.PrefixFrom(ip, a.PrefixLen), IfIndex: l.IfIndex, Deprecated: a.Deprecated})
		}
	}
	return h, nil
}

// parseAnswers reads the shell's output: "== CONF ORACLE NAME" then either
// the helper's line "NAME ADDR..." or getent's lines "ADDR STREAM name",
// "ADDR DGRAM", "ADDR RAW", ... (the order of first appearance counts), or
// "!exit N" for a failed lookup (an empty list; 139 = SIGSEGV, a crash).
func parseAnswers(out string) map[string][]string {
	m := map[string][]string{}
	var key, name, section string
	seen := map[string]bool{}
	isName := map[string]bool{}
	for _, n := range names {
		isName[n.name] = true
	}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		// In a section for all names ("NAME" = "*"), a helper line or a
		// getent line naming its name starts that name's answer.
		if section != "" && len(f) > 0 && isName[f[0]] {
			name, key, seen = f[0], section+" "+f[0], map[string]bool{}
		} else if section != "" && len(f) == 3 && isName[f[2]] {
			name, key, seen = f[2], section+" "+f[2], map[string]bool{}
		}
		switch {
		case len(f) == 4 && f[0] == "==" && f[3] == "*":
			section, key = strings.Join(f[1:3], " "), ""
		case len(f) == 4 && f[0] == "==":
			section, key, name, seen = "", strings.Join(f[1:], " "), f[3], map[string]bool{}
			m[key] = nil
		case key == "":
		case len(f) == 2 && f[0] == "!exit" && f[1] == "139":
			m[key] = []string{crashed}
		case len(f) == 0 || strings.HasPrefix(f[0], "!") || (len(f) > 1 && strings.HasPrefix(f[1], "!")):
		case f[0] == name: // the helper: NAME ADDR ADDR...
			m[key] = append(m[key], f[1:]...)
		case !seen[f[0]]:
			seen[f[0]] = true
			m[key] = append(m[key], f[0])
		}
	}
	return m
}

func run(name string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
