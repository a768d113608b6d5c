// Package audit runs one full check of a mail domain and judges it.
//
// A run (Run) does discovery (MX, A/AAAA, PTR and forward confirmation), the
// SMTP probes of every address and the default delivery simulation under
// one deadline, keeping every partial result. Evaluate then turns the facts
// into findings from the report catalogue; it is pure (no I/O, no clock)
// and table-tested. audit never prints and never exits.
package audit
