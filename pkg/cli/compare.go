package cli

import "github.com/mailcheck/mailcheck/pkg/audit"

// validateCompare checks the two baselines of check, --compare-live (live
// DNS against the --zone files) and --baseline FILE (a previous report),
// and completes the request with the one given.
func (o *checkOptions) validateCompare() error {
	if o.CompareLive && o.Baseline != "" {
		return usageErr("--compare-live and --baseline are two baselines (live DNS, a previous report): give one")
	}
	if o.CompareLive {
		if len(o.f.zones) == 0 {
			return usageErr("--compare-live compares the --zone files with live DNS: give at least one --zone")
		}
		o.req.CompareLive = o.f.liveResolver
	}
	if o.Baseline != "" {
		fh, err := o.f.open(o.Baseline)
		if err != nil {
			return usageErr("--baseline: %v", err)
		}
		defer fh.Close()
		b, err := audit.ReadBaseline(fh)
		if err != nil {
			return usageErr("--baseline %s: %v", o.Baseline, err)
		}
		o.req.Baseline = b
	}
	return nil
}
