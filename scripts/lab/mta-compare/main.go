// Command mta-compare reads what a real MTA did in the conformance lab
// (scripts/lab/mta-t-conformance.sh) and compares it with the model's exact
// distribution from `mailcheck simulate -o json`.
//
//	mta-compare postfix-log MAILLOG   > deliveries.tsv
//	mta-compare exim-log MAINLOG      > deliveries.tsv
//	mta-compare sendmail-log OUTPUT   > deliveries.tsv
//	mta-compare opensmtpd-log OUTPUT  > deliveries.tsv
//	mta-compare check -cell NAME -mta postfix -domain D -model sim.json \
//	                  -deliveries deliveries.tsv [-want N] [-alpha 1e-4] [-trials 20000]
//	                  [-support-only]
//
// check prints one Markdown table row (see -header) and exits 1 when the
// MTA disagrees with the model beyond the tolerance:
//   - any observed ordering the model gives probability 0 fails the cell
//     (a structural disagreement needs no statistics);
//   - the share of deliveries whose first attempt is IPv6 must lie in the
//     exact two-sided binomial acceptance region at level alpha;
//   - the total variation distance between observed and model distributions
//     (of whole orderings, and of family patterns such as "6464") must not
//     exceed its (1 − alpha) quantile under the model, found by drawing
//     `trials` samples of the same size from the model (seeded, so a rerun
//     on the same data gives the same verdict).
//
// With -support-only the tests of probabilities are reported in the row but
// fail nothing: OpenSMTPD takes equal-preference hosts in the order their
// lookups complete, which depends on the DNS server and the event loop,
// so the model fixes which orderings can occur, not how often.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
)

func main() {
	code, err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mta-compare:", err)
	}
	os.Exit(code)
}

func run(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 {
		return 2, errors.New("usage: mta-compare postfix-log|exim-log|sendmail-log|opensmtpd-log FILE | check [flags] | header")
	}
	switch args[0] {
	case "postfix-log", "exim-log", "sendmail-log", "opensmtpd-log":
		if len(args) != 2 {
			return 2, fmt.Errorf("%s takes one log file", args[0])
		}
		f, err := os.Open(args[1])
		if err != nil {
			return 2, err
		}
		defer f.Close()
		parse := map[string]func(io.Reader) ([]delivery, error){
			"postfix-log": parsePostfixLog, "exim-log": parseEximLog, "sendmail-log": parseSendmailLog,
			"opensmtpd-log": parseOpenSMTPDLog,
		}[args[0]]
		ds, err := parse(f)
		if err != nil {
			return 2, err
		}
		return 0, writeDeliveries(stdout, ds)
	case "header":
		_, err := io.WriteString(stdout, markdownHeader)
		return 0, err
	case "check":
		return runCheck(args[1:], stdout, stderr)
	}
	return 2, fmt.Errorf("unknown subcommand %q", args[0])
}

func runCheck(args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cell := fs.String("cell", "", "cell name for the report")
	mta := fs.String("mta", "postfix", "MTA name for the report")
	domain := fs.String("domain", "", "recipient domain of this cell's deliveries")
	modelPath := fs.String("model", "", "`mailcheck simulate -o json` output")
	delivPath := fs.String("deliveries", "", "TSV from postfix-log or exim-log")
	alpha := fs.Float64("alpha", 1e-4, "per-test false-alarm rate")
	trials := fs.Int("trials", 20000, "Monte Carlo draws for the TVD tolerance")
	seed := fs.Uint64("seed", 1, "seed of the Monte Carlo draws")
	wantN := fs.Int("want", 0, "deliveries expected for the domain (0: any); fewer or more fails the cell")
	support := fs.Bool("support-only", false, "fail only on orderings the model rules out (and on statuses and counts): for an MTA whose order among some hosts depends on timing outside it")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	if *cell == "" || *domain == "" || *modelPath == "" || *delivPath == "" {
		return 2, errors.New("check needs -cell, -domain, -model and -deliveries")
	}
	if !(*alpha > 0 && *alpha < 1) || *trials < 100 {
		return 2, errors.New("-alpha must be in (0,1) and -trials at least 100")
	}
	mf, err := os.Open(*modelPath)
	if err != nil {
		return 2, err
	}
	defer mf.Close()
	m, err := readModel(mf)
	if err != nil {
		return 2, err
	}
	df, err := os.Open(*delivPath)
	if err != nil {
		return 2, err
	}
	defer df.Close()
	all, err := readDeliveries(df)
	if err != nil {
		return 2, err
	}
	var obs []delivery
	want := strings.ToLower(strings.TrimSuffix(*domain, "."))
	for _, d := range all {
		if d.Domain == want {
			obs = append(obs, d)
		}
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6d7461))
	r := compare(*cell, *mta, m, obs, *alpha, *trials, rng)
	if *support {
		r.supportOnly()
	}
	if *wantN > 0 && len(obs) != *wantN {
		// A delivery the log reader missed (or counted twice) would bias
		// every figure; the lab knows how many it sent.
		r.Failures = append(r.Failures, fmt.Sprintf("%d deliveries in the log, %d sent", len(obs), *wantN))
	}
	if _, err := io.WriteString(stdout, markdownRow(r)); err != nil {
		return 2, err
	}
	if !r.Pass() {
		for _, f := range r.Failures {
			fmt.Fprintf(stderr, "%s %s: %s\n", *mta, *cell, f)
		}
		return 1, nil
	}
	return 0, nil
}
