package audit

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/addr"
	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/target"
)

// SimulateProbeOnlyFlags are the SMTP settings that mean something to
// `simulate` only with --probe.
var SimulateProbeOnlyFlags = []string{"connect-timeout", "command-timeout", "helo", "no-starttls", "source4", "source6"}

// SimulateInput is `mailcheck simulate` as typed.
type SimulateInput struct {
	MTA          string
	Set          []string
	MainCF       string
	Seed         *uint64
	MaxOrderings int
	Assume       []string
	Probe        bool
	SMTP         SMTPInput
	// ProbeFlagsSet: one of SimulateProbeOnlyFlags was given.
	ProbeFlagsSet bool
	LocalAddress  []string
	GAIConf       string
	SourceAddr    []string
}

// Request checks the input and builds the model configuration (files read
// through open), so that bad settings are refused before any lookup; the
// warnings are NewNativeRequest's. The domain is the caller's to fill.
func (in SimulateInput) Request(open Opener) (req SimulateRequest, warnings []string, err error) {
	name, ver, err := mta.ParseMTA(in.MTA)
	if err != nil {
		return req, nil, invalid("--mta: %v", err)
	}
	cfg := mta.Config{MTA: name, Version: ver, Port: in.SMTP.Port}
	if in.MaxOrderings < 1 {
		return req, nil, invalid("--max-orderings must be at least 1, got %d", in.MaxOrderings)
	}
	smtp, err := in.SMTP.Options()
	if err != nil {
		return req, nil, err
	}
	if in.ProbeFlagsSet && !in.Probe {
		return req, nil, invalid("--%s need --probe", strings.Join(SimulateProbeOnlyFlags, ", --"))
	}
	if in.Probe && len(in.Assume) > 0 {
		return req, nil, invalid("--probe and --assume exclude each other: the replay uses either measured or assumed outcomes")
	}
	if in.MainCF != "" && name != mta.Postfix {
		return req, nil, invalid("--main-cf is a Postfix file; --mta is %s (use --set)", name)
	}
	for _, s := range in.LocalAddress {
		ip, err := addr.ParseLiteral(s)
		if errors.Is(err, addr.ErrZone) {
			// MX addresses have no zone: this one could never match.
			return req, nil, invalid("--local-address: %v", err)
		}
		if err != nil {
			return req, nil, invalid("--local-address %q is not an IP address", s)
		}
		cfg.LocalAddrs = append(cfg.LocalAddrs, ip.Unmap())
	}
	var assume map[netip.Addr]mta.Outcome
	if len(in.Assume) > 0 {
		assume = map[netip.Addr]mta.Outcome{}
		for _, s := range in.Assume {
			ip, out, err := mta.ParseAssume(s)
			if err != nil {
				return req, nil, invalid("%v", err)
			}
			assume[ip] = out
		}
	}
	if cfg, _, err = MTASettings(open, cfg, in.MainCF, in.Set); err != nil {
		return req, nil, err
	}
	native, warnings, err := NewNativeRequest(open, cfg, in.GAIConf, in.SourceAddr)
	if err != nil {
		return req, warnings, err
	}
	req = SimulateRequest{Config: cfg, MaxOrderings: in.MaxOrderings, Assume: assume, Probe: in.Probe, SMTP: smtp, Native: native, Seed: in.Seed}
	return req, warnings, nil
}

// CheckInput is `mailcheck check` as typed, past its domains and its
// finding flags.
type CheckInput struct {
	Domains         []string // the arguments
	File            string   // -f: a list, '-' for stdin
	Concurrency     int
	ConcurrencySet  bool
	DNSOnly         bool
	NoRDNS          bool
	ExpectIPv6      bool
	ExpectMX        []string
	ExpectPTRSuffix string
	RequireSTARTTLS bool
	SMTP            SMTPInput
	MainCF          string
	Set             []string
	Sender          bool
	Shard           string
	CompareLive     bool
	// Zones: the run's resolver lays --zone files over live DNS, which
	// --compare-live needs.
	Zones    bool
	Baseline string
	Ignore   map[string]bool
	// GAIConf and SourceAddr describe another host (--gai-conf,
	// --source-addr): the one smtp_host_lookup = native and --sender
	// model, and whose lookup paths toward each domain are judged.
	GAIConf    string
	SourceAddr []string
}

// CheckPlan is a checked CheckInput: the request and how to run it.
type CheckPlan struct {
	Request     CheckRequest // CompareLive is the caller's to set
	Shard       target.Shard
	Concurrency int      // the default filled in
	ExpectMX    []string // A-label forms
	Warnings    []string // NewNativeRequest's
}

// Plan checks the input and builds the request (files read through
// open); every problem is refused before any network traffic.
func (in CheckInput) Plan(open Opener) (p CheckPlan, err error) {
	if len(in.Domains) == 0 && in.File == "" {
		return p, invalid("check needs a DOMAIN or -f FILE (see 'mailcheck check --help')")
	}
	for _, d := range in.Domains {
		if _, _, err := ParseDomain(d); err != nil {
			return p, invalid("%v", err)
		}
	}
	if in.Shard != "" {
		if p.Shard, err = target.ParseShard(in.Shard); err != nil {
			return p, invalid("--shard: %v", err)
		}
	}
	if in.ConcurrencySet && in.Concurrency < 1 {
		return p, invalid("--concurrency must be at least 1, got %d", in.Concurrency)
	}
	if in.Concurrency > MaxConcurrency {
		// More workers would only queue at the resolver and the network
		// while each costs memory and a file descriptor (MaxConcurrency).
		return p, invalid("--concurrency must be at most %d, got %d (split a larger run into processes: docs/scale.md)", MaxConcurrency, in.Concurrency)
	}
	p.Concurrency = in.Concurrency
	if p.Concurrency == 0 {
		p.Concurrency = 32
		if in.DNSOnly {
			p.Concurrency = 256
		}
	}
	if in.RequireSTARTTLS && in.SMTP.NoStartTLS {
		// A probe that does not try STARTTLS cannot tell whether it works.
		return p, invalid("--require-starttls needs the STARTTLS handshake that --no-starttls skips; drop one of them")
	}
	if in.ExpectPTRSuffix != "" && in.NoRDNS {
		return p, invalid("--expect-ptr-suffix needs the PTR lookups that --no-rdns skips; drop one of them")
	}
	if in.RequireSTARTTLS && in.DNSOnly {
		// Without probes nothing could ever fail the requirement: a CI gate
		// that silently passes is worse than an error.
		return p, invalid("--require-starttls needs the SMTP probes that --dns-only skips; drop one of them")
	}
	smtp, err := in.SMTP.Options()
	if err != nil {
		return p, err
	}
	for _, m := range in.ExpectMX {
		a, _, err := ParseDomain(m)
		if err != nil {
			return p, invalid("--expect-mx: %v", err)
		}
		p.ExpectMX = append(p.ExpectMX, a)
	}
	cfg, mainCF, err := MTASettings(open, mta.Config{Port: in.SMTP.Port}, in.MainCF, in.Set)
	if err != nil {
		return p, err
	}
	// smtp_host_lookup = native: the model reads this host's getaddrinfo
	// inputs, as simulate's do (its defaults: /etc/gai.conf, this host).
	described := in.GAIConf != "" || len(in.SourceAddr) > 0
	var native *NativeRequest
	var warnings []string
	if mta.UsesNative(cfg) || in.Sender || described {
		// The native lookups, --sender's lookup paths and the host the
		// flags describe all read the same getaddrinfo inputs.
		native, warnings, err = readGAIInputs(open, in.GAIConf, in.SourceAddr)
	}
	p.Warnings = warnings
	if err != nil {
		return p, err
	}
	p.Request = CheckRequest{
		DNSOnly: in.DNSOnly, NoRDNS: in.NoRDNS, SMTP: smtp, MTA: cfg, Native: native,
		Expect: Expect{IPv6: in.ExpectIPv6, MX: p.ExpectMX, PTRSuffix: in.ExpectPTRSuffix, STARTTLS: in.RequireSTARTTLS},
		Ignore: in.Ignore, Sender: in.Sender, MainCF: mainCF,
		// Without --sender the lookup paths of the host the flags
		// describe are still judged (their findings only).
		HostPaths: described && !in.Sender,
	}
	return p, in.baseline(open, &p.Request)
}

// baseline checks the two baselines of check, --compare-live (live DNS
// against the --zone files) and --baseline FILE (a previous report), and
// reads the file.
func (in CheckInput) baseline(open Opener, req *CheckRequest) error {
	if in.CompareLive && in.Baseline != "" {
		return invalid("--compare-live and --baseline are two baselines (live DNS, a previous report): give one")
	}
	if in.CompareLive && !in.Zones {
		return invalid("--compare-live compares the --zone files with live DNS: give at least one --zone")
	}
	if in.Baseline != "" {
		fh, err := open(in.Baseline)
		if err != nil {
			return invalid("--baseline: %v", err)
		}
		defer fh.Close()
		b, err := ReadBaseline(fh)
		if err != nil {
			return invalid("--baseline %s: %v", in.Baseline, err)
		}
		req.Baseline = b
	}
	return nil
}
