package cli

// validateCompare checks --compare-live and completes the request with
// the live resolver it compares against.
func (o *checkOptions) validateCompare() error {
	if !o.CompareLive {
		return nil
	}
	if len(o.f.zones) == 0 {
		return usageErr("--compare-live compares the --zone files with live DNS: give at least one --zone")
	}
	o.req.CompareLive = o.f.liveResolver
	return nil
}
