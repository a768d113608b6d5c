//go:build linux

// Command delaywire is the lab's latency link: two TUN devices joined by a
// userspace wire that holds every packet for a fixed one-way delay, so the
// round trip between the two ends is twice that delay. It stands in for
// `tc qdisc ... netem delay`, which needs the sch_netem kernel module that
// many CI kernels lack.
//
// It creates both devices in its own network namespace and then waits; the
// lab moves one end to another namespace (`ip link set DEV netns NS`), which
// keeps the open file descriptors working. Packets are IP datagrams (TUN,
// no packet-info header), so there is no ARP or neighbour discovery on the
// wire. Order is kept: the delay is constant, each direction is one FIFO.
// It runs until it gets SIGTERM or SIGINT.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

const (
	tunSetIff = 0x400454ca // TUNSETIFF, linux/if_tun.h
	iffTun    = 0x0001
	iffNoPI   = 0x1000
	maxPacket = 65535
	queueLen  = 8192 // packets in flight per direction; beyond it they are dropped, like a full queue
)

type ifreq struct {
	name  [16]byte
	flags uint16
	_     [22]byte
}

func openTun(name string) (*os.File, error) {
	if len(name) == 0 || len(name) > 15 {
		return nil, fmt.Errorf("device name %q: 1 to 15 characters", name)
	}
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var req ifreq
	copy(req.name[:], name)
	req.flags = iffTun | iffNoPI
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), tunSetIff, uintptr(unsafe.Pointer(&req))); errno != 0 {
		_ = syscall.Close(fd) // the ioctl error is the one to report
		return nil, fmt.Errorf("TUNSETIFF %s: %w", name, errno)
	}
	return os.NewFile(uintptr(fd), name), nil
}

type packet struct {
	due  time.Time
	data []byte
}

// tracer, when set, gets one line per packet read (see describe).
var tracer *log.Logger

// describe summarises an IP packet for the trace: protocol, addresses,
// ports, TCP flags and payload length. It reads only what the headers
// promise and says so when a packet is too short.
func describe(b []byte) string {
	if len(b) < 1 {
		return "empty"
	}
	var proto byte
	var src, dst netip.Addr
	var hdr int
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return "short IPv4"
		}
		hdr = int(b[0]&0x0f) * 4
		proto = b[9]
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
	case 6:
		if len(b) < 40 {
			return "short IPv6"
		}
		hdr = 40
		proto = b[6] // extension headers are not followed
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
	default:
		return fmt.Sprintf("not IP (version %d)", b[0]>>4)
	}
	if hdr > len(b) {
		return "short IP header"
	}
	l4 := b[hdr:]
	switch {
	case proto == 6 && len(l4) >= 20:
		off := int(l4[12]>>4) * 4
		flags := ""
		for i, name := range []string{"F", "S", "R", "P", "A"} {
			if l4[13]&(1<<i) != 0 {
				flags += name
			}
		}
		return fmt.Sprintf("tcp %s -> %s [%s] len %d", netip.AddrPortFrom(src, uint16(l4[0])<<8|uint16(l4[1])),
			netip.AddrPortFrom(dst, uint16(l4[2])<<8|uint16(l4[3])), flags, max(0, len(l4)-off))
	case proto == 17 && len(l4) >= 8:
		return fmt.Sprintf("udp %s -> %s len %d", netip.AddrPortFrom(src, uint16(l4[0])<<8|uint16(l4[1])),
			netip.AddrPortFrom(dst, uint16(l4[2])<<8|uint16(l4[3])), len(l4)-8)
	}
	return fmt.Sprintf("proto %d %s -> %s len %d", proto, src, dst, len(l4))
}

// pump copies packets from src to dst, each one written delay after it was read.
func pump(src, dst *os.File, delay time.Duration, errc chan<- error) {
	q := make(chan packet, queueLen)
	defer close(q) // the writer drains what is queued, then ends
	go func() {
		// The writer's own thread: hold sleeps on it with nanosleep(2).
		runtime.LockOSThread()
		var h holder
		for p := range q {
			h.hold(p.due)
			// A write error (device down while the lab tears down) drops
			// the packet, as a wire would.
			_, _ = dst.Write(p.data)
		}
	}()
	buf := make([]byte, maxPacket)
	for {
		n, err := src.Read(buf)
		if err != nil {
			errc <- fmt.Errorf("read %s: %w", src.Name(), err)
			return
		}
		p := packet{due: time.Now().Add(delay), data: append([]byte(nil), buf[:n]...)}
		if tracer != nil {
			tracer.Printf("%s->%s %s", src.Name(), dst.Name(), describe(p.data))
		}
		select {
		case q <- p:
		default: // queue full: drop
		}
	}
}

// Waking from a sleep takes 0.18 to 0.39 ms on the lab's virtual machines
// (medians, time.Sleep and nanosleep(2) alike, measured), so a wire that slept until
// each packet was due added that much to every crossing: 51.4 ms for a 50
// ms round trip. hold sleeps until wakeAhead before the packet is due and
// spins the rest (about 0.25 ms a packet; at most 2.4 ms in a window of
// the one-domain latency run), within a budget of spin time per window, so
// that a busy wire (thousands of packets a second, where no single
// crossing decides a run) does not take a core: past the budget it sleeps
// until the packet is due and wakes up to that latency late.
const (
	wakeAhead  = 500 * time.Microsecond
	spinWindow = 50 * time.Millisecond
	spinBudget = 5 * time.Millisecond // per window (a spin may end past it): about a tenth of a core
)

// holder is one direction's waiting: how much it spun in the current window.
type holder struct {
	window time.Time
	spent  time.Duration
}

// hold returns at due (or at once if due has passed): on time while the
// spin budget lasts, up to the wake-up latency late after.
func (h *holder) hold(due time.Time) {
	now := time.Now()
	if !now.Before(due) {
		return
	}
	if !h.maySpin(now) {
		sleepUntil(due)
		return
	}
	sleepUntil(due.Add(-wakeAhead))
	start := time.Now()
	for time.Now().Before(due) {
	}
	h.spent += time.Since(start)
}

// maySpin reports whether the budget of the window now is in has time
// left, starting a new window when the last one is over.
func (h *holder) maySpin(now time.Time) bool {
	if now.Sub(h.window) >= spinWindow {
		h.window, h.spent = now, 0
	}
	return h.spent < spinBudget
}

// sleepUntil sleeps on the calling thread until t (nanosleep(2), again
// after a signal interrupts it).
func sleepUntil(t time.Time) {
	for d := time.Until(t); d > 0; d = time.Until(t) {
		ts := syscall.NsecToTimespec(int64(d))
		_ = syscall.Nanosleep(&ts, nil)
	}
}

func run() error {
	a := flag.String("a", "wa", "name of the first TUN device")
	b := flag.String("b", "wb", "name of the second TUN device")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay (round trip is twice this)")
	ready := flag.String("ready", "", "file to create once both devices exist")
	trace := flag.Bool("trace", false, "log every packet (time, direction, addresses, TCP flags, length) to stderr")
	flag.Parse()
	if *trace {
		tracer = log.New(os.Stderr, "", log.Ltime|log.Lmicroseconds)
	}
	if *delay < 0 || *delay > 10*time.Second {
		return errors.New("-delay must be between 0 and 10s")
	}
	fa, err := openTun(*a)
	if err != nil {
		return err
	}
	fb, err := openTun(*b)
	if err != nil {
		return err
	}
	if *ready != "" {
		if err := os.WriteFile(*ready, []byte("ready\n"), 0o644); err != nil {
			return err
		}
	}
	errc := make(chan error, 2)
	go pump(fa, fb, *delay, errc)
	go pump(fb, fa, *delay, errc)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
		return nil
	case err := <-errc:
		return err
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "delaywire:", err)
		os.Exit(1)
	}
}
