package dnsq_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing/fstest"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
)

// An Overlay answers the names of a zone file as its server will once the
// file is deployed, and the rest of the world from live DNS: here the next
// version of example.com drops mx2's AAAA, and its MX host names resolve
// from the file while the CNAME out of it resolves live.
func ExampleOverlay() {
	next := `
$ORIGIN example.com.
@    SOA   ns hostmaster 2 3600 600 86400 60
@    MX    10 mx1
@    MX    20 mx2
mx1  AAAA  2001:db8::1
mx2  A     192.0.2.2
mail CNAME relay.example.net.
`
	zone, err := dnsq.ParseZone(fstest.MapFS{"example.com.zone": {Data: []byte(next)}}, "example.com.zone", "")
	if err != nil {
		fmt.Println(err) // "FILE:LINE: what is wrong"
		return
	}
	live := &dnsq.Mock{
		AAAA: map[string][]netip.Addr{
			"mx2.example.com.":   {netip.MustParseAddr("2001:db8::2")},
			"relay.example.net.": {netip.MustParseAddr("2001:db8::25")},
		},
	}
	o, err := dnsq.NewOverlay(live, zone)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, host := range []string{"mx1.example.com", "mx2.example.com", "mail.example.com"} {
		r := o.LookupAAAA(ctx, host)
		fmt.Println(host, r.Status, r.Addrs, r.CNAMEs, r.Server)
	}
	// Output:
	// mx1.example.com ok [2001:db8::1] [] zone:example.com.zone
	// mx2.example.com nodata [] [] zone:example.com.zone
	// mail.example.com ok [2001:db8::25] [relay.example.net.] mock:53
}
