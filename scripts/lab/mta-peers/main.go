// Command mta-peers runs the far side of the MTA conformance lab
// (scripts/lab/mta-conformance.sh): a small authoritative DNS server and SMTP
// listeners that greet 421, all inside the lab's server namespace.
//
// Why its own DNS server: the lab needs one cell where the AAAA lookup of an
// exchange fails with SERVFAIL while its A lookup succeeds
// (research/mta-address-selection.md §1.3 item 4, §2.1 item 3). Stock
// authoritative servers cannot fail one type of one name, so this server
// serves a zone file and fails the (name, type) pairs it is told to. It also
// answers in zone-file order and sets RA: glibc's stub resolver ignores
// answers without RA, and keeping file order means any reordering the lab
// observes is the MTA's own.
//
// The -smtp421 listeners greet "421" and close. Each accepted connection is
// logged, which cross-checks the attempt order read from the MTA's log.
//
// The -smtp listeners are scripted receivers for the logs lab
// (scripts/lab/t-logs.sh): each accepts, defers (421 greeting, 451 to RCPT)
// or rejects (Gmail's and Microsoft's IPv6 PTR wording) every transaction,
// and logs each final answer ("smtp answer local=IP ... outcome=bounced"),
// which is what the MTA's log must show (smtp.go).
//
//	mta-peers -dns 198.51.100.53:53 -zone lab.zone -servfail host.test./AAAA \
//	          -smtp421 192.0.2.1:25,[2001:db8::1]:25 -log peers.log \
//	          -smtp [2001:db8:c1::1]:25=gmail-ipv6-ptr -smtp 203.0.113.11:25=accept
//
// It prints "ready" on stdout once every socket is bound, and exits on
// SIGTERM or SIGINT.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mta-peers:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mta-peers", flag.ContinueOnError)
	var dnsAddrs, servfail, smtp421, scripted listFlag
	zonePath := fs.String("zone", "", "zone file (RFC 1035 text, $ORIGIN required)")
	logPath := fs.String("log", "", "log file for queries and accepted SMTP connections")
	fs.Var(&dnsAddrs, "dns", "DNS listen address host:port (repeatable, UDP and TCP)")
	fs.Var(&servfail, "servfail", "NAME/TYPE answered with SERVFAIL (repeatable)")
	fs.Var(&smtp421, "smtp421", "SMTP listen address host:port that greets 421 (repeatable)")
	fs.Var(&scripted, "smtp", "scripted SMTP receiver ADDR=MODE, MODE one of "+strings.Join(receiverModes, ", ")+" (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logw := io.Discard
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	lg := &eventLog{w: logw}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var servers []*dns.Server
	if len(dnsAddrs) > 0 {
		if *zonePath == "" {
			return errors.New("-dns needs -zone")
		}
		z, err := loadZone(*zonePath, servfail)
		if err != nil {
			return err
		}
		h := &handler{zone: z, log: lg}
		for _, a := range dnsAddrs {
			for _, netw := range []string{"udp", "tcp"} {
				srv, err := listenDNS(netw, a, h)
				if err != nil {
					shutdownDNS(servers)
					return err
				}
				servers = append(servers, srv)
			}
		}
	}
	var lns []net.Listener
	for _, a := range smtp421 {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			shutdownDNS(servers)
			return fmt.Errorf("smtp listen %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	var receivers []*listener
	var seq atomic.Int64
	for _, v := range scripted {
		a, mode, err := parseSMTPFlag(v)
		if err == nil {
			var ln net.Listener
			if ln, err = net.Listen("tcp", a); err == nil {
				receivers = append(receivers, &listener{ln: ln, mode: mode, log: lg, seq: &seq})
				lns = append(lns, ln)
			}
		}
		if err != nil {
			for _, ln := range lns {
				_ = ln.Close()
			}
			shutdownDNS(servers)
			return fmt.Errorf("smtp %s: %w", v, err)
		}
	}
	var wg sync.WaitGroup
	for _, l := range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.serve()
		}()
	}
	for _, ln := range lns[:len(smtp421)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			serve421(ln, lg)
		}()
	}
	fmt.Fprintln(stdout, "ready")

	<-ctx.Done()
	for _, ln := range lns {
		_ = ln.Close()
	}
	shutdownDNS(servers)
	wg.Wait()
	return nil
}

// eventLog orders log lines from concurrent handlers.
type eventLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *eventLog) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s ", time.Now().UTC().Format("15:04:05.000000"))
	fmt.Fprintf(l.w, format, a...)
	fmt.Fprintln(l.w)
}

func listenDNS(netw, addr string, h dns.Handler) (*dns.Server, error) {
	started := make(chan struct{})
	srv := &dns.Server{Addr: addr, Net: netw, Handler: h, NotifyStartedFunc: func() { close(started) },
		ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case <-started:
		return srv, nil
	case err := <-errc:
		return nil, fmt.Errorf("dns listen %s/%s: %w", addr, netw, err)
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("dns listen %s/%s: not started after 5s", addr, netw)
	}
}

func shutdownDNS(servers []*dns.Server) {
	for _, s := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = s.ShutdownContext(ctx)
		cancel()
	}
}

// serve421 greets every connection with 421 and closes it, as a server
// that is temporarily unavailable does (RFC 5321 §3.1, §4.2.3).
func serve421(ln net.Listener, lg *eventLog) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		lg.printf("smtp accept local=%s remote=%s", c.LocalAddr(), c.RemoteAddr())
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := io.WriteString(c, "421 4.3.2 lab peer not available\r\n"); err != nil {
				return
			}
			// Read (bounded) what the client says before it hangs up, typically QUIT.
			r := bufio.NewReader(io.LimitReader(c, 4096))
			line, _ := r.ReadString('\n')
			if line != "" {
				_, _ = io.WriteString(c, "221 2.0.0 bye\r\n")
			}
		}()
	}
}
