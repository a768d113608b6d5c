// Command overlay-ask asks DNS questions two ways and prints the answers in
// one normalised form, so that scripts/lab/t-overlay.sh can compare them
// line by line:
//
//	overlay-ask overlay -resolver ADDR -zone FILE... <questions
//	    answers through dnsq.Overlay (what `mailcheck --zone FILE` sees),
//	    with the live side pointed at ADDR;
//	overlay-ask kdig -server IP [-port N] <questions
//	    asks the authoritative server with kdig (non-recursive), following
//	    an alias chain that stops in the answer the way a stub resolver's
//	    recursive server would: by asking again for the last target.
//
// Each question is a line "NAME TYPE" (MX, A, AAAA, TXT, PTR, TLSA, NS).
// Each answer is one line:
//
//	NAME TYPE STATUS cnames=A,B rrs=R1|R2
//
// with names absolute and lower-case, the chain of aliases in order (or
// "-"), and the records of the asked type as a sorted set: "10 mx.example."
// for MX, the address for A and AAAA, the concatenated strings for TXT,
// the name for PTR and NS, "3 1 1 hex" (lower-case hex) for TLSA. STATUS
// is dnsq's: ok, nodata, nxdomain, servfail, refused, timeout, error.
package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

type question struct{ name, qtype string }

type answer struct {
	status string
	cnames []string
	rrs    []string
}

func (a answer) line(q question) string {
	cn := "-"
	if len(a.cnames) > 0 {
		cn = strings.Join(a.cnames, ",")
	}
	rrs := slices.Clone(a.rrs)
	slices.Sort(rrs)
	rrs = slices.Compact(rrs)
	return fmt.Sprintf("%s %s %s cnames=%s rrs=%s", q.name, q.qtype, a.status, cn, strings.Join(rrs, "|"))
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: overlay-ask overlay|kdig [flags] <questions")
		os.Exit(2)
	}
	qs, err := readQuestions(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "overlay-ask:", err)
		os.Exit(2)
	}
	var ask func(question) answer
	switch mode, args := os.Args[1], os.Args[2:]; mode {
	case "overlay":
		ask, err = overlayAsker(args)
	case "kdig":
		ask, err = kdigAsker(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "overlay-ask:", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, q := range qs {
		fmt.Fprintln(w, ask(q).line(q))
	}
	if err := w.Flush(); err != nil {
		os.Exit(1)
	}
}

func readQuestions(r io.Reader) ([]question, error) {
	var qs []question
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("question %q is not NAME TYPE", sc.Text())
		}
		qs = append(qs, question{dnsq.Fqdn(strings.ToLower(f[0])), strings.ToUpper(f[1])})
	}
	return qs, sc.Err()
}

type zoneFlags []string

func (z *zoneFlags) String() string     { return strings.Join(*z, ",") }
func (z *zoneFlags) Set(v string) error { *z = append(*z, v); return nil }

// overlayAsker answers through dnsq.Overlay over a Client that asks the
// live server, as `mailcheck --zone` does.
func overlayAsker(args []string) (func(question) answer, error) {
	fs := flag.NewFlagSet("overlay", flag.ContinueOnError)
	resolver := fs.String("resolver", "", "live DNS server, host:port")
	var zones zoneFlags
	fs.Var(&zones, "zone", "zone file (FILE or ORIGIN=FILE), repeatable")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	srv, err := dnsq.ParseServer(*resolver)
	if err != nil {
		return nil, err
	}
	live, err := dnsq.New(dnsq.Config{Servers: []string{srv}, Timeout: 2 * time.Second})
	if err != nil {
		return nil, err
	}
	var zs []*dnsq.Zone
	for _, v := range zones {
		z, err := dnsq.LoadZoneFlag(v)
		if err != nil {
			return nil, err
		}
		zs = append(zs, z)
	}
	o, err := dnsq.NewOverlay(live, zs...)
	if err != nil {
		return nil, err
	}
	return func(q question) answer {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var res dnsq.Result
		var rrs []string
		switch q.qtype {
		case "MX":
			r := o.LookupMX(ctx, q.name)
			res = r.Result
			for _, mx := range r.MX {
				rrs = append(rrs, fmt.Sprintf("%d %s", mx.Preference, mx.Host))
			}
		case "A", "AAAA":
			r := o.LookupA(ctx, q.name)
			if q.qtype == "AAAA" {
				r = o.LookupAAAA(ctx, q.name)
			}
			res = r.Result
			for _, a := range r.Addrs {
				rrs = append(rrs, a.String())
			}
		case "TXT":
			r := o.LookupTXT(ctx, q.name)
			res, rrs = r.Result, r.TXT
		case "PTR":
			ip, ok := addr.ParseReverseName(q.name)
			if !ok {
				return answer{status: "error", rrs: []string{"not a reverse name"}}
			}
			r := o.LookupPTR(ctx, ip)
			res, rrs = r.Result, r.Names
		case "NS":
			r := o.LookupNS(ctx, q.name)
			res, rrs = r.Result, r.Names
		case "TLSA":
			r := o.LookupTLSA(ctx, q.name)
			res = r.Result
			for _, t := range r.TLSA {
				rrs = append(rrs, fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, hex.EncodeToString(t.Data)))
			}
		default:
			return answer{status: "error", rrs: []string{"type not asked by mailcheck"}}
		}
		return answer{status: string(res.Status), cnames: res.CNAMEs, rrs: rrs}
	}, nil
}

// kdigAsker asks the server with kdig, non-recursively.
func kdigAsker(args []string) (func(question) answer, error) {
	fs := flag.NewFlagSet("kdig", flag.ContinueOnError)
	server := fs.String("server", "", "authoritative server address")
	port := fs.Int("port", 53, "its port")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if _, err := netip.ParseAddr(*server); err != nil {
		return nil, fmt.Errorf("-server: %w", err)
	}
	return func(q question) answer {
		var a answer
		name := q.name
		// A chain that stops at an alias (its target is in another zone,
		// or behind a delegation) is asked on, as a recursive server
		// would; 8 aliases are enough for any zone of the test.
		for range 8 {
			out, err := exec.Command("kdig", "-p", strconv.Itoa(*port), "@"+*server, "+norec", "+noall", "+header", "+answer",
				"+nocomments", "+time=2", "+retry=1", name, q.qtype).Output()
			if err != nil {
				return answer{status: "error", rrs: []string{err.Error()}}
			}
			rcode, recs, err := parseKdig(string(out))
			if err != nil {
				return answer{status: "error", rrs: []string{err.Error()}}
			}
			owner := name
			a.rrs = nil
			for _, r := range recs {
				switch {
				case r.rtype == "CNAME" && r.owner == owner:
					a.cnames = append(a.cnames, r.rdata)
					owner = r.rdata
				case r.rtype == q.qtype && r.owner == owner:
					a.rrs = append(a.rrs, r.rdata)
				}
			}
			switch {
			case rcode == "NOERROR" && len(a.rrs) > 0:
				a.status = "ok"
			case rcode == "NOERROR" && owner != name:
				name = owner // the chain stops at an alias: ask its target
				continue
			case rcode == "NOERROR":
				a.status = "nodata"
			default:
				a.status = strings.ToLower(rcode)
			}
			return a
		}
		return answer{status: "error", rrs: []string{"alias chain too long"}}
	}, nil
}

type kdigRecord struct{ owner, rtype, rdata string }

// parseKdig reads the status from kdig's header line and the answer
// records ("owner TTL IN TYPE rdata"), normalising rdata as the overlay
// side prints it.
func parseKdig(out string) (string, []kdigRecord, error) {
	rcode := ""
	var recs []kdigRecord
	for _, line := range strings.Split(out, "\n") {
		if _, st, ok := strings.Cut(line, "status: "); ok && strings.HasPrefix(line, ";;") {
			rcode, _, _ = strings.Cut(st, ";")
			continue
		}
		if line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 || f[2] != "IN" {
			return "", nil, fmt.Errorf("kdig line %q", line)
		}
		rd, err := normRdata(f[3], strings.Join(f[4:], " "))
		if err != nil {
			return "", nil, err
		}
		recs = append(recs, kdigRecord{strings.ToLower(f[0]), f[3], rd})
	}
	if rcode == "" {
		return "", nil, errors.New("kdig printed no status")
	}
	return rcode, recs, nil
}

func normRdata(rtype, rd string) (string, error) {
	switch rtype {
	case "CNAME", "PTR", "NS":
		return strings.ToLower(rd), nil
	case "MX":
		pref, host, _ := strings.Cut(rd, " ")
		return pref + " " + strings.ToLower(host), nil
	case "A", "AAAA":
		ip, err := netip.ParseAddr(rd)
		return ip.String(), err
	case "TXT":
		return unquoteTXT(rd)
	case "TLSA":
		f := strings.Fields(rd)
		if len(f) < 4 {
			return "", fmt.Errorf("TLSA %q", rd)
		}
		return strings.Join(f[:3], " ") + " " + strings.ToLower(strings.Join(f[3:], "")), nil
	}
	return rd, nil
}

// unquoteTXT concatenates the quoted character-strings of a TXT record in
// presentation form ("a" "b" -> ab), undoing \" \\ and \DDD.
func unquoteTXT(s string) (string, error) {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			in = !in
		case !in:
			if c != ' ' {
				return "", fmt.Errorf("TXT %q: text outside quotes", s)
			}
		case c == '\\' && i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]):
			n, _ := strconv.Atoi(s[i+1 : i+4])
			b.WriteByte(byte(n))
			i += 3
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
