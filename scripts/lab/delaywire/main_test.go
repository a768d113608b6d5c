//go:build linux

package main

import (
	"io"
	"os"
	"testing"
	"time"
)

// pipePair gives pump a source and a destination. Pipes stand in for the TUN
// devices: pump only reads and writes whole buffers.
func pipePair(t *testing.T) (srcW, src, dst, dstR *os.File) {
	t.Helper()
	src, srcW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dstR, dst, err = os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, f := range []*os.File{srcW, src, dst, dstR} {
			f.Close()
		}
	})
	return srcW, src, dst, dstR
}

func TestPumpHoldsEachPacketForTheDelay(t *testing.T) {
	const delay = 60 * time.Millisecond
	srcW, src, dst, dstR := pipePair(t)
	go pump(src, dst, delay, make(chan error, 1))

	start := time.Now()
	if _, err := srcW.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	dstR.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(dstR, buf); err != nil {
		t.Fatal(err)
	}
	if got := time.Since(start); got < delay {
		t.Errorf("packet arrived after %v, before the %v delay", got, delay)
	}
	if string(buf) != "ping" {
		t.Errorf("got %q, want %q", buf, "ping")
	}
}

func TestPumpKeepsPacketOrder(t *testing.T) {
	srcW, src, dst, dstR := pipePair(t)
	go pump(src, dst, 20*time.Millisecond, make(chan error, 1))

	want := "0123456789"
	for i := range want {
		if _, err := srcW.Write([]byte{want[i]}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // separate reads, so separate packets
	}
	buf := make([]byte, len(want))
	dstR.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(dstR, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != want {
		t.Errorf("got %q, want %q", buf, want)
	}
}

func TestPumpReportsAClosedSource(t *testing.T) {
	srcW, src, dst, _ := pipePair(t)
	errc := make(chan error, 1)
	go pump(src, dst, time.Millisecond, errc)
	srcW.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("pump reported a nil error for a closed source")
		}
	case <-time.After(5 * time.Second):
		t.Error("pump did not report the closed source")
	}
}

func TestOpenTunRejectsBadNames(t *testing.T) {
	for _, name := range []string{"", "a-name-longer-than-15"} {
		if f, err := openTun(name); err == nil {
			f.Close()
			t.Errorf("openTun(%q) succeeded, want an error", name)
		}
	}
}

func TestHoldNeverReturnsEarly(t *testing.T) {
	var h holder
	for _, wait := range []time.Duration{-time.Millisecond, 0, 100 * time.Microsecond, 2 * time.Millisecond, 20 * time.Millisecond} {
		due := time.Now().Add(wait)
		h.hold(due)
		if now := time.Now(); now.Before(due) {
			t.Errorf("hold(now + %v) returned %v early", wait, due.Sub(now))
		}
	}
	// Past the window's budget it sleeps instead: still never early, and
	// it spins no more.
	h.window, h.spent = time.Now(), spinBudget
	due := time.Now().Add(2 * time.Millisecond)
	h.hold(due)
	if now := time.Now(); now.Before(due) {
		t.Errorf("hold past its budget returned %v early", due.Sub(now))
	}
	if h.spent != spinBudget {
		t.Errorf("hold spun past its budget: %v spent of %v", h.spent, spinBudget)
	}
}

func TestHoldSpinsWithinABudgetPerWindow(t *testing.T) {
	now := time.Now()
	h := holder{window: now.Add(-spinWindow / 2), spent: spinBudget - time.Microsecond}
	if !h.maySpin(now) {
		t.Error("no spin allowed with budget left")
	}
	h.spent = spinBudget
	if h.maySpin(now) {
		t.Error("spin allowed past the budget")
	}
	if h.maySpin(now.Add(spinWindow/2 - time.Microsecond)) {
		t.Error("spin allowed past the budget before the window ended")
	}
	later := now.Add(spinWindow / 2)
	if !h.maySpin(later) {
		t.Error("no spin allowed in a new window")
	}
	if h.window != later || h.spent != 0 {
		t.Errorf("new window %v spent %v, want %v and 0", h.window, h.spent, later)
	}
}
