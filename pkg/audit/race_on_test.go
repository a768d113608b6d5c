//go:build race

package audit

// raceEnabled says the tests run under the race detector, whose
// instrumentation makes every stack frame bigger.
const raceEnabled = true
