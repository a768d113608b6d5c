// Package audit is mailcheck's one orchestrator: it runs every command and
// judges what it measured.
//
// A Checker is built from what touches the world (resolver, dialer, route
// checks, certificate roots, this host's name and addresses, the clock)
// and has one method per command, each returning the command's typed
// document (pkg/document): MX, Probe, Simulate, Check, Sender and Explain,
// and CheckMany, which streams documents for a list of domains with a
// bounded worker pool, deduplication, input or completion order and
// cancellation. The Checker owns the deadline: one --timeout per domain,
// under which discovery (MX, A/AAAA, PTR and forward confirmation), the
// SMTP probes of every address, the default delivery simulation and the
// sender audit all run, keeping every partial result (Run).
//
// probe and check also judge the TLS policy (package tlspolicy, TLSStages)
// under the same deadline and off the critical path where they can: whether
// the resolver validates DNSSEC is asked once per Checker, beside the first
// discovery; MTA-STS and TLS-RPT beside discovery; the TLSA records of the
// exchanges while the probes run. Once the probes are done each address
// gets its DANE verdict over its own family (smtpprobe.Result.DANE) and
// its MTA-STS certificate check, and its presented chain is dropped, so a
// bulk run holds no certificates. The resolver asks with the DO bit only
// then (dnsq.Config.DNSSECOK).
//
// Evaluate then turns the facts into findings from the report catalogue;
// it is pure (no I/O, no clock) and table-tested. audit never prints and
// never exits.
//
// The request constructors (request*.go) build each command's request from
// the values it was given as typed, reading the files they name through
// the caller's Opener, bounded; what cannot be run is a *RequestError,
// said in the words of the flag that set it, before any lookup.
package audit
