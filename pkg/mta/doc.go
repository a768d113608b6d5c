// Package mta models how real MTAs choose and order the addresses of a mail
// domain's exchangers, so that mailcheck can say which address Postfix, Exim,
// OpenSMTPD or Sendmail would try first, with what probability, and what a
// delivery would do given the outcome of each address.
//
// The models are pure: they read an Input (the MX answer and the A/AAAA
// answers of every exchange, with their lookup statuses) and a Config (the
// MTA, its version and its settings) and do no I/O. Randomness enters only
// through a caller-supplied *rand.Rand, and only for Sample; every
// probability is computed exactly with math/big.Rat.
//
// The flow for Postfix (research §1, §7.2) is:
//
//	MX answer -> stable sort by preference (no host shuffle)
//	          -> per exchange: A records, then AAAA records (inet_protocols)
//	          -> loop elimination against local addresses (port 25)
//	          -> shuffle per address, sort by (preference[, family])
//	          -> smtp_balance_inet_protocols deletion (3.3+)
//	          -> the first smtp_mx_address_limit addresses are attempted
//
// Because the shuffle is uniform and the sort is by a key, every key class
// ends up an independent uniform permutation (research §1.5.1), so the
// distribution is computed per class by combinatorics instead of walking n!
// permutations (see groups.go). Sendmail's uniform host order has closed
// forms too (others.go); Exim's random keys are enumerated exactly (enum.go)
// when the cases are few and estimated from seeded draws otherwise;
// OpenSMTPD does not randomise, but takes equal-preference hosts in the
// order their lookups complete, which the model counts as uniform with
// Sendmail's closed forms.
//
// Where a client takes its addresses from getaddrinfo (Postfix with
// smtp_host_lookup = native, and the address-only clients `getaddrinfo`
// and `go`), each exchange's addresses are first put in glibc's order
// (gai.go, with gai.conf from gaiconf.go) or Go's (goorder.go). That order
// depends on the sending host: Config.Native carries its addresses, the
// source address each destination gets and its gai.conf, which the caller
// measures (native.go). Postfix then shuffles and sorts the list as on the
// DNS path, so getaddrinfo's order survives only with
// smtp_randomize_addresses = no and smtp_address_preference = any.
//
// Nothing grows without bound with the input: enumerations and walks have
// budgets, the orderings listed hold at most maxListedAddresses addresses,
// and Options.Stop (the caller's deadline, polled from the loops: the model
// has no clock) ends a computation early with Document.Partial set.
//
// Replay walks the MTA's connection loop over a distribution of orderings
// with known per-address outcomes (research §1.6, §1.7, §2.2, §3) and
// returns the exact probabilities of delivery, deferral and bounce. At a
// mandatory Postfix smtp_tls_security_level (tls.go) the orchestrator
// hands in the addresses that level refuses as TLS-policy outcomes; the
// replay fails those attempts softly and reports, per family, the share
// of messages they delay or defer (ReplayDoc.TLSPolicy).
package mta
