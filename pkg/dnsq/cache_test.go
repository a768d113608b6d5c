package dnsq

import "testing"

// Two questions with one hash: the entry is the first's, and the second
// finds nothing (and asks) rather than the first's answer.
func TestCacheEntryUnderAHashOfAnotherQuestionIsNotItsAnswer(t *testing.T) {
	a, b := cacheKey{"a.example.", 1}, cacheKey{"b.example.", 1}
	const h = 42 // as if both questions hashed alike
	g := newGenerations(8, false)
	e := &cacheEntry{key: a}
	g.put(h, e)
	if got := g.get(h, b); got != nil {
		t.Errorf("get(b) = %+v, want nothing: the entry is a's", got.key)
	}
	if got := g.take(h, b); got != nil || g.len() != 1 {
		t.Errorf("take(b) = %v and %d entries left, want nothing taken", got, g.len())
	}
	if got := g.get(h, a); got != e {
		t.Errorf("get(a) = %v, want a's entry", got)
	}
	// In the old generation too.
	for i := range 4 {
		g.put(uint64(100+i), &cacheEntry{key: cacheKey{"x.example.", uint16(i)}})
	}
	if got := g.get(h, b); got != nil {
		t.Errorf("get(b) from the old generation = %+v", got.key)
	}
	if got := g.take(h, a); got != e {
		t.Errorf("take(a) from the old generation = %v, want a's entry", got)
	}
}
