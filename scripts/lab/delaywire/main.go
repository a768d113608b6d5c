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
	"os"
	"os/signal"
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

// pump copies packets from src to dst, each one written delay after it was read.
func pump(src, dst *os.File, delay time.Duration, errc chan<- error) {
	q := make(chan packet, queueLen)
	defer close(q) // the writer drains what is queued, then ends
	go func() {
		for p := range q {
			if d := time.Until(p.due); d > 0 {
				time.Sleep(d)
			}
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
		select {
		case q <- p:
		default: // queue full: drop
		}
	}
}

func run() error {
	a := flag.String("a", "wa", "name of the first TUN device")
	b := flag.String("b", "wb", "name of the second TUN device")
	delay := flag.Duration("delay", 25*time.Millisecond, "one-way delay (round trip is twice this)")
	ready := flag.String("ready", "", "file to create once both devices exist")
	flag.Parse()
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
