package audit

import (
	"time"

	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"strings"

	"github.com/mailcheck/mailcheck/pkg/mta"
	"github.com/mailcheck/mailcheck/pkg/sanitize"
)

// The request constructors: they turn the plain values a command was
// given (file names, name=value settings, addresses as typed) into the
// Checker's requests, and refuse what cannot be run before any lookup.
// Their errors are *RequestError, said in the words of the flag that set
// the field; files come through the caller's Opener (the command layer's
// Factory), read bounded.

// RequestError is a request that cannot be run as given: bad input, which
// the command layer makes exit 2.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// invalid builds a *RequestError.
func invalid(format string, args ...any) error {
	return &RequestError{Err: fmt.Errorf(format, args...)}
}

// Opener opens a file named by a flag or an argument.
type Opener func(name string) (io.ReadCloser, error)

// CheckGlobal checks the flags every command shares: -4 with -6, and
// --timeout, which must leave a domain some time.
func CheckGlobal(only4, only6 bool, timeout time.Duration) error {
	if only4 && only6 {
		return invalid("-4 and -6 exclude each other")
	}
	if timeout <= 0 {
		return invalid("--timeout must be positive, got %s", timeout)
	}
	return nil
}

// ReadMainCF reads --main-cf, the one place it is read: mta.ParseMainCF
// reads at most its size limit and says so beyond it, so that a wrong path
// (a log, a device) is a clear error, never a hang. An empty name is no
// file.
func ReadMainCF(open Opener, name string) (*MainCF, error) {
	if name == "" {
		return nil, nil
	}
	fh, err := open(name)
	if err != nil {
		return nil, invalid("--main-cf: %v", err)
	}
	defer fh.Close()
	as, err := mta.ParseMainCF(fh, name)
	if err != nil {
		return nil, invalid("--main-cf: %v", err)
	}
	return &MainCF{File: name, Settings: as}, nil
}

// MTASettings completes cfg with --main-cf and --set (check, simulate)
// and validates the whole configuration once, on an empty domain, so that
// a bad setting is refused, naming the setting and its source, before any
// lookup.
func MTASettings(open Opener, cfg mta.Config, mainCF string, set []string) (mta.Config, *MainCF, error) {
	m, err := ReadMainCF(open, mainCF)
	if err != nil {
		return cfg, nil, err
	}
	if m != nil {
		cfg.MainCF = m.Settings
	}
	for _, s := range set {
		a, err := mta.ParseAssignment(s, mta.SourceSet)
		if err != nil {
			return cfg, nil, invalid("--set %q: %v", s, err)
		}
		cfg.Set = append(cfg.Set, a)
	}
	if _, err := mta.Simulate(mta.Input{Domain: "invalid"}, cfg, mta.Options{NoSuggest: true}); err != nil {
		return cfg, nil, invalid("%v", err)
	}
	return cfg, m, nil
}

// SystemGAIConf is where glibc reads its getaddrinfo policy.
const SystemGAIConf = "/etc/gai.conf"

// NewNativeRequest builds the NativeRequest when cfg's model reads the
// host's getaddrinfo inputs (gai.conf, and --source-addr's addresses
// standing for another host), and refuses those inputs when it does not.
// gai.conf is read bounded by mta.MaxGAIConfSize; an empty gaiConf is
// SystemGAIConf, which may be missing, as it may for glibc. The warnings
// (each naming file and line: the first mta.MaxGAIConfWarnings, then how
// many more) are for the caller to show once.
func NewNativeRequest(open Opener, cfg mta.Config, gaiConf string, sourceAddrs []string) (req *NativeRequest, warnings []string, err error) {
	if !mta.UsesNative(cfg) {
		if gaiConf != "" || len(sourceAddrs) > 0 {
			return nil, nil, invalid("--gai-conf and --source-addr describe getaddrinfo's inputs: they need --mta getaddrinfo, --mta go, --mta opensmtpd (its AI_ADDRCONFIG) or --set smtp_host_lookup=native")
		}
		return nil, nil, nil
	}
	return readGAIInputs(open, gaiConf, sourceAddrs)
}

// readGAIInputs reads the getaddrinfo inputs of a host: gai.conf
// (SystemGAIConf when gaiConf is empty) and --source-addr's addresses.
func readGAIInputs(open Opener, gaiConf string, sourceAddrs []string) (req *NativeRequest, warnings []string, err error) {
	req = &NativeRequest{}
	for _, s := range sourceAddrs {
		p, err := parseSourceAddr(s)
		if err != nil {
			return nil, nil, invalid("--source-addr %q: %v", s, err)
		}
		req.SourceAddrs = append(req.SourceAddrs, p)
	}
	name := gaiConf
	if name == "" {
		name = SystemGAIConf
	}
	data, err := readBounded(open, name, mta.MaxGAIConfSize)
	switch {
	case err != nil && gaiConf != "":
		return nil, nil, invalid("--gai-conf: %v", err)
	case err != nil:
		// glibc reads no file and uses its built-in tables; a file it
		// cannot open is the same to it.
		if !errors.Is(err, fs.ErrNotExist) {
			warnings = append(warnings, fmt.Sprintf("%v: glibc's default policy is assumed", err))
		}
		req.ConfMissing = name
		return req, warnings, nil
	}
	// The file's name and its lines are quoted in warnings, reasons,
	// findings (MC625) and JSON: cleaned once here, since pkg/mta imports
	// nothing of ours. A line keeps what follows its second value, which
	// glibc ignores, so any bytes may be there.
	shown := sanitize.Text(name)
	if len(data) > mta.MaxGAIConfSize {
		warnings = append(warnings, fmt.Sprintf("%s is longer than %d bytes; only the first %d were read", shown, mta.MaxGAIConfSize, mta.MaxGAIConfSize))
	}
	req.Conf = mta.ParseGAIConf(shown, data)
	for i := range req.Conf.Lines {
		req.Conf.Lines[i].Text = sanitize.Text(req.Conf.Lines[i].Text)
	}
	for _, w := range req.Conf.Warnings {
		warnings = append(warnings, fmt.Sprint(w))
	}
	if n := req.Conf.MoreWarnings; n > 0 {
		warnings = append(warnings, fmt.Sprintf("%s: %d more warnings", shown, n))
	}
	if c := req.Conf.Crash; c != nil {
		warnings = append(warnings, fmt.Sprintf("real glibc crashes reading %s (line %d); the simulation reads the rest of the file", c.Path, c.Line))
	}
	return req, warnings, nil
}

// parseSourceAddr reads "IP" (a host prefix) or "IP/PREFIXLEN".
func parseSourceAddr(s string) (netip.Prefix, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("want an IP address or IP/PREFIXLEN")
		}
		return p, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("want an IP address or IP/PREFIXLEN")
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// readBounded reads at most limit+1 bytes of a file, so that the caller
// can tell a file longer than limit.
func readBounded(open Opener, name string, limit int) ([]byte, error) {
	fh, err := open(name)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return io.ReadAll(io.LimitReader(fh, int64(limit)+1))
}
