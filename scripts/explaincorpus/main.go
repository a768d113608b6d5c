// Command explaincorpus runs the bounce reader over every file of a
// directory of messages (one message per file, as a maildir holds them) and
// prints coverage (messages with at least one recognised rule, reasons by
// count) and timing (time per message: median, 90th percentile, maximum;
// each message is parsed -repeat times and the least time kept, which is
// the parse's own CPU time less what a busy machine adds).
//
// With -labels FILE (lines "NAME<TAB>STATUS,REPLYCODE,REASON", one per
// recipient, as other bounce parsers' regression tables list them) it also
// scores the reasons: a message counts as agreeing when its first
// recipient's reason is one of the labelled reasons of that file. Recipient
// by recipient, it compares the reasons in order in the messages that have
// as many recipients as labels.
//
// With -disagree it lists the messages whose reason differs from the
// labels, grouped by (labelled, got), core categories first.
//
//	go run ./scripts/explaincorpus [-labels FILE] [-v] [-disagree] DIR
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mailcheck/mailcheck/pkg/bounce"
)

func main() {
	labelsPath := flag.String("labels", "", "file of expected reasons (NAME<TAB>STATUS,CODE,REASON)")
	verbose := flag.Bool("v", false, "print one line per message")
	disagree := flag.Bool("disagree", false, "with -labels, list the messages whose reason differs, grouped by (labelled, got)")
	repeat := flag.Int("repeat", 3, "parse each message this many times and keep the least time")
	core := flag.String("core", "requireptr,blocked,badreputation,authfailure,policyviolation,rejected,spamdetected,securityerror",
		"comma-separated reasons counted as the core categories")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: explaincorpus [-labels FILE] [-v] DIR")
		os.Exit(2)
	}
	entries, err := os.ReadDir(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	labels := map[string][]string{}
	if *labelsPath != "" {
		if labels, err = readLabels(*labelsPath); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	coreSet := strings.Split(*core, ",")

	var times []time.Duration
	var differ []string // "core<TAB>want<TAB>got<TAB>name<TAB>status<TAB>reply"
	byReason := map[string]int{}
	var n, recognised, bad, labelled, agree, coreN, coreAgree int
	// Recipient by recipient, in messages with as many recipients as
	// labels (the labels list them in the message's order).
	var rcptN, rcptAgree, rcptMessages int
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(flag.Arg(0), e.Name()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		if len(data) > bounce.MaxInput {
			data = data[:bounce.MaxInput]
		}
		text := string(data)
		var rep bounce.Report
		best := time.Duration(-1)
		for range max(1, *repeat) {
			start := time.Now()
			rep = bounce.ParseMessage(text)
			if d := time.Since(start); best < 0 || d < best {
				best = d
			}
		}
		times = append(times, best)
		n++
		first := rep.Recipients[0]
		anyRecognised := false
		for _, rc := range rep.Recipients {
			anyRecognised = anyRecognised || rc.Recognised
			for _, s := range []string{rc.Reply, rc.Explanation, rc.Fix, rc.Recipient, rc.ReceivingHost} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
					bad++
				}
			}
		}
		if anyRecognised {
			recognised++
		}
		byReason[first.Reason]++
		want, ok := labels[e.Name()]
		verdict := ""
		if ok && len(want) == len(rep.Recipients) {
			rcptMessages++
			for i, rc := range rep.Recipients {
				rcptN++
				if rc.Reason == want[i] {
					rcptAgree++
				}
			}
		}
		if ok {
			labelled++
			isCore := false
			for _, w := range want {
				isCore = isCore || slices.Contains(coreSet, w)
			}
			if isCore {
				coreN++
			}
			if slices.Contains(want, first.Reason) {
				agree++
				if isCore {
					coreAgree++
				}
				verdict = "ok"
			} else {
				verdict = "want " + strings.Join(want, "|")
				group := "other"
				if isCore {
					group = "core"
				}
				differ = append(differ, fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%.100s", group, strings.Join(want, "|"), first.Reason,
					e.Name(), first.EnhancedCode, first.Reply))
			}
		}
		if *verbose {
			fmt.Printf("%s\t%s\t%s\t%s\t%s\t%v\t%.120s\n", e.Name(), first.Reason, first.Rule, first.EnhancedCode, verdict,
				times[len(times)-1].Round(time.Microsecond), first.Reply)
		}
	}
	if n == 0 {
		fmt.Println("no messages")
		return
	}
	slices.Sort(times)
	fmt.Printf("messages:   %d\n", n)
	fmt.Printf("recognised: %d (%.1f%%) by a mailcheck rule\n", recognised, pct(recognised, n))
	if labelled > 0 {
		fmt.Printf("reason agrees with labels: %d of %d (%.1f%%); core categories %d of %d (%.1f%%)\n",
			agree, labelled, pct(agree, labelled), coreAgree, coreN, pct(coreAgree, coreN))
		fmt.Printf("recipient by recipient: %d of %d (%.1f%%) in the %d messages with as many recipients as labels\n",
			rcptAgree, rcptN, pct(rcptAgree, rcptN), rcptMessages)
	}
	fmt.Printf("unclean output fields: %d\n", bad)
	fmt.Printf("time per message (least of %d runs): median %v, p90 %v, max %v\n", max(1, *repeat), times[len(times)/2], times[len(times)*9/10], times[len(times)-1])
	type kv struct {
		k string
		v int
	}
	var rs []kv
	for k, v := range byReason {
		rs = append(rs, kv{k, v})
	}
	if *disagree {
		// "core" sorts before "other": the core categories first.
		slices.Sort(differ)
		fmt.Println("differing reasons (group, labelled, got, message, status, reply):")
		for _, d := range differ {
			fmt.Println("  " + d)
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].v > rs[j].v || rs[i].v == rs[j].v && rs[i].k < rs[j].k })
	fmt.Println("reasons (first recipient):")
	for _, r := range rs {
		fmt.Printf("  %-16s %d\n", r.k, r.v)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func readLabels(path string) (map[string][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		fields := strings.Split(rest, ",")
		out[name] = append(out[name], fields[len(fields)-1])
	}
	return out, sc.Err()
}
