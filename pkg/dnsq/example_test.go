package dnsq_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mailcheck/mailcheck/pkg/dnsq"
	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// A Client asks the given servers; every answer carries its status, so a
// missing record is a result to report, not an error to bail out on.
func ExampleClient() {
	srv, err := dnstest.Start(`
example.     SOA  ns.example. hostmaster.example. 1 3600 600 86400 60
example.     MX   10 mail.example.
mail.example. A   192.0.2.25
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c, err := dnsq.New(dnsq.Config{Servers: []string{srv.Addr4()}, Timeout: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	mx := c.LookupMX(ctx, "Example")
	fmt.Println(mx.Name, mx.Status, mx.MX)
	a := c.LookupA(ctx, mx.MX[0].Host)
	fmt.Println(a.Name, a.Status, a.Addrs)
	aaaa := c.LookupAAAA(ctx, mx.MX[0].Host)
	fmt.Println(aaaa.Name, aaaa.Status, aaaa.Addrs)
	none := c.LookupMX(ctx, "nowhere.example.")
	fmt.Println(none.Name, none.Status)
	// Output:
	// example. ok [{10 mail.example.}]
	// mail.example. ok [192.0.2.25]
	// mail.example. nodata []
	// nowhere.example. nxdomain
}
