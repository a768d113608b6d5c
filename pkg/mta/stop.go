package mta

import "errors"

// errStopped reports that Options.Stop ended a computation before it
// finished.
var errStopped = errors.New("stopped before the computation finished")

// stopEvery is how many units of work (search nodes, enumerated cases,
// sampled addresses) pass between two polls of the stop channel. A poll
// costs a few nanoseconds; the grain keeps a computation that ends within
// a few thousand steps complete whatever the channel says, so that small
// domains are never reported partial because their deadline happened to
// pass just before the model ran.
const stopEvery = 4096

// stopper polls the caller's stop channel from the model's loops. The model
// has no clock and no context: the caller closes the channel (typically
// ctx.Done()) and the model returns what is complete at the next poll.
// A nil *stopper, or one without a channel, never stops.
type stopper struct {
	ch   <-chan struct{}
	work int
	hit  bool
}

func newStopper(ch <-chan struct{}) *stopper { return &stopper{ch: ch} }

// spent records n units of work and reports whether the computation must
// stop. Once stopped, it stays stopped.
func (s *stopper) spent(n int) bool {
	if s == nil || s.ch == nil {
		return false
	}
	if s.hit {
		return true
	}
	before := s.work / stopEvery
	s.work += n
	if s.work/stopEvery == before {
		return false
	}
	select {
	case <-s.ch:
		s.hit = true
	default:
	}
	return s.hit
}

// stopped reports whether the computation was stopped.
func (s *stopper) stopped() bool { return s != nil && s.hit }
