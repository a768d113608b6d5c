package audit

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/report"
)

// Answers from zone files (--zone) are said in the report: an info
// finding (MC908) per file names what the file answered, so that a reader
// of a pre-deploy check sees which part of the result is the new zone and
// which is live DNS. It is info, never more, so that an overlay that
// changes nothing checks exactly as clean as live DNS.

// NoteZones wraps the overlay resolver r so that every answer a zone file
// gave (Result.Server "zone:FILE") is noted for the command that asked.
// The notes live in the context of one command or one bulk domain (see
// withZoneNotes), so one resolver serves every domain of a bulk run.
func NoteZones(r dnsq.Resolver) dnsq.Resolver {
	n := zoneNoting{r}
	if s, ok := r.(dnsq.SecureResolver); ok {
		return secureZoneNoting{n, s}
	}
	return n
}

type zoneNotesKey struct{}

// zoneNotes collects, for one domain, the names each zone file answered.
type zoneNotes struct {
	mu    sync.Mutex
	names map[string][]string // file -> "name TYPE", in order of asking
}

// withZoneNotes starts the notes of one domain's run.
func withZoneNotes(ctx context.Context) (context.Context, *zoneNotes) {
	n := &zoneNotes{names: map[string][]string{}}
	return context.WithValue(ctx, zoneNotesKey{}, n), n
}

func note(ctx context.Context, res dnsq.Result, name, qtype string) {
	file, ok := strings.CutPrefix(res.Server, "zone:")
	if !ok {
		return
	}
	n, _ := ctx.Value(zoneNotesKey{}).(*zoneNotes)
	if n == nil {
		return
	}
	q := dnsq.Bare(dnsq.Fqdn(name)) + " " + qtype
	n.mu.Lock()
	defer n.mu.Unlock()
	if !slices.Contains(n.names[file], q) {
		n.names[file] = append(n.names[file], q)
	}
}

// maxNotedNames bounds the names one MC908 message lists.
const maxNotedNames = 20

// findings returns fs with one MC908 per zone file that answered, sorted.
func (n *zoneNotes) findings(fs []report.Finding) []report.Finding {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.names) == 0 {
		return fs
	}
	files := make([]string, 0, len(n.names))
	for f := range n.names {
		files = append(files, f)
	}
	slices.Sort(files)
	for _, f := range files {
		qs := slices.Clone(n.names[f])
		slices.Sort(qs)
		more := ""
		if len(qs) > maxNotedNames {
			more = fmt.Sprintf(" and %d more", len(qs)-maxNotedNames)
			qs = qs[:maxNotedNames]
		}
		fs = append(fs, report.Newf(report.CodeZoneOverlay, f, "",
			"Answered from the zone file %s, not live DNS: %s%s.", f, strings.Join(qs, ", "), more))
	}
	report.SortFindings(fs)
	return fs
}

type zoneNoting struct{ r dnsq.Resolver }

func (z zoneNoting) LookupMX(ctx context.Context, name string) dnsq.MXResult {
	res := z.r.LookupMX(ctx, name)
	note(ctx, res.Result, name, "MX")
	return res
}

func (z zoneNoting) LookupA(ctx context.Context, name string) dnsq.AddrResult {
	res := z.r.LookupA(ctx, name)
	note(ctx, res.Result, name, "A")
	return res
}

func (z zoneNoting) LookupAAAA(ctx context.Context, name string) dnsq.AddrResult {
	res := z.r.LookupAAAA(ctx, name)
	note(ctx, res.Result, name, "AAAA")
	return res
}

func (z zoneNoting) LookupPTR(ctx context.Context, ip netip.Addr) dnsq.NameResult {
	res := z.r.LookupPTR(ctx, ip)
	if ip.IsValid() {
		note(ctx, res.Result, ip.String(), "PTR")
	}
	return res
}

func (z zoneNoting) LookupTXT(ctx context.Context, name string) dnsq.TXTResult {
	res := z.r.LookupTXT(ctx, name)
	note(ctx, res.Result, name, "TXT")
	return res
}

// secureZoneNoting keeps the DNSSEC and DANE questions of a SecureResolver
// answerable through the wrapper.
type secureZoneNoting struct {
	zoneNoting
	s dnsq.SecureResolver
}

func (z secureZoneNoting) LookupTLSA(ctx context.Context, name string) dnsq.TLSAResult {
	res := z.s.LookupTLSA(ctx, name)
	note(ctx, res.Result, name, "TLSA")
	return res
}

func (z secureZoneNoting) LookupNS(ctx context.Context, name string) dnsq.NameResult {
	res := z.s.LookupNS(ctx, name)
	note(ctx, res.Result, name, "NS")
	return res
}

// Overlay lays the --zone files (LoadZones) over the live resolver and
// notes which answers came from a file (NoteZones); with no zones it
// returns live as is. trace (-v; nil: none) gets the answers taken from
// the files, beside live DNS's in the query trace.
func Overlay(live dnsq.Resolver, zones []*dnsq.Zone, trace io.Writer) (dnsq.Resolver, error) {
	if len(zones) == 0 {
		return live, nil
	}
	o, err := dnsq.NewOverlay(live, zones...)
	if err != nil {
		return nil, invalid("--zone: %v", err)
	}
	if trace != nil {
		o.SetTrace(trace)
	}
	return NoteZones(o), nil
}
