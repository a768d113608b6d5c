package audit

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/discover"
	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/report"
	"github.com/mailcheck/mailcheck/pkg/sender"
)

// The lookup paths of the sending-side audit: for the domain, which family
// this host's first connection uses when its exchanges are looked up the
// way Postfix does by default (smtp_host_lookup = dns), the way Postfix
// does with smtp_host_lookup = native, the way any libc client does
// (getaddrinfo, glibc's order) and the way a Go client does, each with the
// rule that decided it (mta.FirstFamilyOf). Then the findings about the
// host's own configuration: a gai.conf that turns glibc's default order
// around, and an IPv6 source address that is not global (research: the
// "Postfix uses IPv4 although IPv6 is available" question, whose answer was
// "post your gai.conf, ip addr and ping6").

// lookupPathMaxOrderings lists every attempt order of a Postfix run within
// its default address limit (5! orders of one preference), so that the
// first connection's family is exact when some addresses have no route.
const lookupPathMaxOrderings = 5040

// lookupPath is one way of looking up the exchanges.
type lookupPath struct {
	name string
	cfg  func(base mta.Config) mta.Config
}

var lookupPathList = []lookupPath{
	{sender.PathPostfixDNS, func(b mta.Config) mta.Config {
		b.Set = append(slices.Clone(b.Set), mta.Assignment{Name: "smtp_host_lookup", Value: "dns", Source: mta.SourceSet})
		return b
	}},
	{sender.PathPostfixNative, func(b mta.Config) mta.Config {
		b.Set = append(slices.Clone(b.Set), mta.Assignment{Name: "smtp_host_lookup", Value: "native", Source: mta.SourceSet})
		return b
	}},
	{sender.PathGetaddrinfo, func(b mta.Config) mta.Config {
		return mta.Config{MTA: mta.Getaddrinfo, Native: b.Native}
	}},
	{sender.PathGo, func(b mta.Config) mta.Config {
		return mta.Config{MTA: mta.Go, Native: b.Native}
	}},
}

// lookupPaths discovers domain's exchanges and answers, per lookup path,
// which family the first connection from the host uses; req describes the
// host (nil: this host with /etc/gai.conf absent), mainCF Postfix's
// settings. The findings judge the host's configuration against the
// domain; have are the audit's findings so far (a missing IPv6 route
// already reported is not reported again).
func (c *Checker) lookupPaths(ctx context.Context, r dnsq.Resolver, domain string, req *NativeRequest, mainCF *MainCF, have []report.Finding) ([]sender.LookupPath, []report.Finding) {
	d := discover.Run(ctx, r, domain, discover.Options{IPv4: c.IPv4, IPv6: c.IPv6})
	env := c.nativeEnv(ctx, req, d)
	routed := func(ip netip.Addr) bool { return env.Sources[ip].IsValid() }
	base := mta.Config{Native: env}
	if mainCF != nil {
		base.MainCF = mainCF.Settings
	}
	in := MTAInput(d)
	var paths []sender.LookupPath
	var gai *mta.Document
	for _, lp := range lookupPathList {
		doc, err := mta.Simulate(in, lp.cfg(base), mta.Options{MaxOrderings: lookupPathMaxOrderings, NoSuggest: true, Stop: ctx.Done()})
		if err != nil || doc.Partial {
			continue
		}
		paths = append(paths, sender.LookupPath{Path: lp.name, FirstFamily: mta.FirstFamilyOf(&doc, routed)})
		if lp.name == sender.PathGetaddrinfo {
			gai = &doc
		}
	}
	var fs []report.Finding
	if gai != nil {
		fs = append(fs, c.gaiConfFindings(in, env, paths, d.Domain)...)
	}
	fs = append(fs, sourceFindings(d, env, paths, have)...)
	return paths, fs
}

// addLookupPaths adds the lookup paths toward rep's domain and their
// findings to a sender audit.
func (c *Checker) addLookupPaths(ctx context.Context, r dnsq.Resolver, rep *sender.Report, req *NativeRequest, mainCF *MainCF) {
	if !c.IPv4 || !c.IPv6 {
		return // -4 or -6: there is no choice of family to explain
	}
	paths, fs := c.lookupPaths(ctx, r, rep.Domain, req, mainCF, rep.Findings)
	rep.LookupPaths = paths
	if len(fs) > 0 {
		rep.Findings = append(rep.Findings, fs...)
		report.SortFindings(rep.Findings)
	}
}

// pathFamily is the first family of one path.
func pathFamily(paths []sender.LookupPath, name string) (mta.FirstFamily, bool) {
	for _, p := range paths {
		if p.Path == name {
			return p.FirstFamily, true
		}
	}
	return mta.FirstFamily{}, false
}

// gaiConfFindings compares glibc's order under the host's gai.conf with
// its order under glibc's built-in tables (same sources): when the file
// changes which family comes first, it names the lines that set the
// values the deciding rule compared.
func (c *Checker) gaiConfFindings(in mta.Input, env *mta.NativeEnv, paths []sender.LookupPath, domain string) []report.Finding {
	conf := env.Conf
	if conf == nil || len(conf.Lines) == 0 {
		return nil
	}
	withFile, ok := pathFamily(paths, sender.PathGetaddrinfo)
	if !ok || (withFile.Family != addr.IPv4 && withFile.Family != addr.IPv6) {
		return nil
	}
	plain := *env
	plain.Conf = nil
	doc, err := mta.Simulate(in, mta.Config{MTA: mta.Getaddrinfo, Native: &plain}, mta.Options{MaxOrderings: 1, NoSuggest: true})
	if err != nil {
		return nil
	}
	builtin := mta.FirstFamilyOf(&doc, nil)
	if builtin.Family == withFile.Family || (builtin.Family != addr.IPv4 && builtin.Family != addr.IPv6) {
		return nil
	}
	lines := decidingLines(conf, env, doc.Getaddrinfo)
	if len(lines) == 0 {
		return nil
	}
	var quoted []string
	for _, l := range lines {
		quoted = append(quoted, fmt.Sprintf("line %d `%s`", l.Line, l.Text))
	}
	subject := fmt.Sprintf("%s:%d", conf.Path, lines[0].Line)
	winner, loser := addr.Label(withFile.Family), addr.Label(builtin.Family)
	msg := fmt.Sprintf("%s (%s) makes getaddrinfo put %s first for %s, whose exchanges glibc's built-in table reaches over %s first: "+
		"Postfix with smtp_host_lookup = native and every other getaddrinfo client connect over %s first (%s).",
		conf.Path, strings.Join(quoted, ", "), winner, domain, loser, winner, withFile.Reason)
	fix := fmt.Sprintf("If %s should come first, delete or comment out %s of %s (`%s`); each program reads the file when it starts, "+
		"so `postfix reload` afterwards (new smtp processes then read it). If %s first is intended, nothing to change.",
		loser, plural(len(lines), "line "+fmt.Sprint(lines[0].Line), "lines "+lineNumbers(lines)), conf.Path, lines[0].Text, winner)
	return []report.Finding{report.New(report.CodeGAIConfReorders, subject, msg, fix)}
}

func lineNumbers(ls []mta.GAIConfLine) string {
	var ns []string
	for _, l := range ls {
		ns = append(ns, fmt.Sprint(l.Line))
	}
	return strings.Join(ns, ", ")
}

// decidingLines are the gai.conf lines that set the label, precedence or
// scope of the first exchange's first IPv4 and first IPv6 address or of
// their sources: the values rules 2, 5, 6 and 8 compare.
func decidingLines(conf *mta.GAIConf, env *mta.NativeEnv, g *mta.GAIDoc) []mta.GAIConfLine {
	if g == nil {
		return nil
	}
	want := map[int]bool{}
	for _, h := range g.Hosts {
		var v4, v6 netip.Addr
		for _, a := range h.Order {
			ip, err := netip.ParseAddr(a.IP)
			if err != nil {
				continue
			}
			if ip.Unmap().Is4() && !v4.IsValid() {
				v4 = ip
			} else if !ip.Unmap().Is4() && !v6.IsValid() {
				v6 = ip
			}
		}
		if !v4.IsValid() || !v6.IsValid() {
			continue
		}
		for _, ip := range []netip.Addr{v4, v6, env.Sources[v4], env.Sources[v6]} {
			if !ip.IsValid() {
				continue
			}
			want[conf.PrecedenceLine(ip)] = true
			want[conf.LabelLine(ip)] = true
			want[conf.ScopeLine(ip.Unmap())] = true
		}
		break
	}
	var out []mta.GAIConfLine
	for _, l := range conf.Lines {
		if want[l.Line] {
			out = append(out, l)
		}
	}
	return out
}

// sourceFindings reports an IPv6 path that loses at this host: the
// domain's IPv6 addresses get a source address that is not global (a ULA,
// whose label differs from a global destination's, so rule 5 puts IPv4
// first, and which reaches the Internet only through NAT66 or NPTv6), or
// none at all while IPv4 has one (rule 1; reported only when the audit
// has not already said the host has no IPv6 route).
func sourceFindings(d discover.Result, env *mta.NativeEnv, paths []sender.LookupPath, have []report.Finding) []report.Finding {
	var v6 []netip.Addr
	any4 := false
	for _, x := range d.MX {
		for _, a := range x.Addresses {
			switch {
			case a.IP.Unmap().Is4():
				any4 = any4 || env.Sources[a.IP].IsValid()
			case addr.Classify(a.IP) == addr.Public || addr.Classify(a.IP) == addr.Documentation:
				// Global destinations (documentation ones stand for them
				// in examples and tests).
				v6 = append(v6, a.IP)
			}
		}
	}
	if len(v6) == 0 {
		return nil
	}
	host := "This host"
	if env.SourcesFrom == "--source-addr" {
		host = "The host --source-addr describes"
	}
	var unrouted []string
	for _, ip := range v6 {
		src := env.Sources[ip]
		if !src.IsValid() {
			unrouted = append(unrouted, ip.String())
			continue
		}
		kind := "not a global address"
		switch addr.Classify(src) {
		case addr.ULA:
			kind = "a unique local address (RFC 4193), not a global one"
		case addr.LinkLocal:
			kind = "a link-local address, not a global one"
		case addr.Public, addr.Documentation:
			continue
		}
		why := "its label differs from a global destination's, so glibc's rule 5 puts IPv4 destinations first"
		if ff, ok := pathFamily(paths, sender.PathGetaddrinfo); ok && ff.Family == addr.IPv4 {
			why = "getaddrinfo puts IPv4 first: " + ff.Reason
		}
		return []report.Finding{report.Newf(report.CodeIPv6SourceNotGlobal, src.String(),
			"Give the interface with the IPv6 default route a global address (from 2000::/3) and let the kernel pick it (or set Postfix's `smtp_bind_address6` to it); until then mail to IPv6 destinations leaves only through the NAT66/NPTv6 gateway, if there is one.",
			"%s's IPv6 source address toward %s (%s) is %s, %s: IPv6 connections reach the Internet only through NAT66 or NPTv6, and %s.",
			host, ip, d.Domain, src, kind, why)}
	}
	if len(unrouted) == 0 || !any4 {
		return nil
	}
	for _, f := range have {
		if f.Code == report.CodeSenderNoRoute && f.Subject == "IPv6" && env.SourcesFrom != "--source-addr" {
			return nil // the audit has said it of this host already
		}
	}
	return []report.Finding{report.Newf(report.CodeIPv6SourceNotGlobal, d.Domain,
		"Configure a global IPv6 address and a default IPv6 route on the sending host (check with `ip -6 route get "+unrouted[0]+"`), or accept that mail to "+d.Domain+" goes over IPv4 only.",
		"%s has no IPv6 source address toward %s's IPv6 exchanges (%s): no route, so getaddrinfo puts them last (rule 1) and every IPv6 attempt fails at once; mail to %s goes over IPv4 only.",
		host, d.Domain, strings.Join(unrouted, ", "), d.Domain)}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
