package dnsq

import (
	"hash/maphash"
	"sync"
)

// DefaultCacheSize is the number of (name, type) answers a Client keeps.
// An entry with a one-address answer costs about 400 bytes, so the default
// bounds the cache near 6 MB. Only answers asked for more than once can
// fill it (see cache): a bulk run over 100k domains whose names are
// mostly their own keeps about an eighth of it, while one domain's check,
// a few dozen names, is held whole.
const DefaultCacheSize = 16384

// freshShare is the part of the cache (1/freshShare) that holds answers
// asked for once only.
const freshShare = 8

// cacheKey identifies one question.
type cacheKey struct {
	name  string // absolute, lower-case
	qtype uint16
}

// cacheEntry is an answer, or an answer being fetched. Its fields are
// guarded by the cache's lock. done is made by the first caller that has
// to wait for the answer, and closed once val is set (or the fetch was
// abandoned and val stays nil): most questions of a bulk run are asked by
// one caller only, and a channel costs 96 bytes and an allocation.
type cacheEntry struct {
	key     cacheKey
	done    chan struct{}
	val     *step
	settled bool // val is final, or the entry was abandoned
}

// cache is the per-run answer cache with request coalescing: the first
// caller for a question becomes its leader and asks the network; callers
// that arrive meanwhile wait for the leader's answer instead of asking
// again.
//
// It is bounded in two segments, in the manner of a segmented LRU: an
// answer enters fresh, and moves to reused when it is asked for again
// (a coalesced caller counts). In a bulk run most names are asked about
// once (each domain's MX, its exchanges' addresses, their PTRs) and a few
// again and again (the exchanges, addresses and PTR names that many
// domains share, big providers'); within one domain, discovery asks each
// question once (pkg/discover's per-run memo). So fresh is small, an
// eighth of the size, and reused, the rest, keeps what was shared. An
// answer shared by domains further apart than fresh holds is caught the
// second time: the questions fresh evicted are remembered (a 64-bit hash
// each, in seen), and an answer to one of them goes straight to reused.
// Each segment has two generations: new entries go into cur; when cur is
// full, it becomes old and the previous old generation is dropped, and a
// hit in old moves the entry back into cur. This evicts what has not been
// used for a generation (an approximation of LRU with no per-entry list)
// and costs a few map operations per access. An evicted answer is asked
// again: the bound changes what is asked, never what is answered.
//
// Its maps are keyed by a 64-bit hash of the question, computed once per
// access (the segments and the evicted set are up to five lookups); an
// entry holds its question, and one whose question differs (a collision)
// counts as absent.
type cache struct {
	mu     sync.Mutex
	seed   maphash.Seed
	fresh  generations
	reused generations
	seen   evicted
}

func newCache(size int) *cache {
	fresh := max(size/freshShare, 1)
	c := &cache{seed: maphash.MakeSeed(), fresh: newGenerations(fresh, true), reused: newGenerations(max(size-fresh, 1), false)}
	c.seen = evicted{half: c.reused.half}
	c.fresh.dropped = c.seen.add
	return c
}

func (c *cache) hash(k cacheKey) uint64 { return maphash.Comparable(c.seed, k) }

// acquire returns the entry for k, and what its caller does with it: val
// is the answer when there is one; otherwise wait is the channel to wait
// on for the leader's answer, or leader is true when the caller created
// the entry and must call complete or abandon.
func (c *cache) acquire(k cacheKey) (e *cacheEntry, val *step, wait <-chan struct{}, leader bool) {
	h := c.hash(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	e = c.reused.get(h, k)
	if e == nil {
		if e = c.fresh.take(h, k); e != nil {
			c.reused.put(h, e) // asked again: keep it longer
		}
	}
	if e == nil {
		e = &cacheEntry{key: k}
		if c.seen.take(h) {
			c.reused.put(h, e) // asked before, evicted from fresh since
		} else {
			c.fresh.put(h, e)
		}
		return e, nil, nil, true
	}
	if e.settled {
		return e, e.val, nil, false
	}
	if e.done == nil {
		e.done = make(chan struct{})
	}
	return e, nil, e.done, false
}

// answer is e's answer once the wait channel acquire returned is closed
// (nil if the leader gave up). No lock: val is written before the channel
// is closed, and a receive that sees the close happens after it.
func (e *cacheEntry) answer() *step { return e.val }

// complete publishes the leader's answer to waiters and later callers.
func (c *cache) complete(e *cacheEntry, v *step) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.val, e.settled = v, true
	if e.done != nil {
		close(e.done)
	}
}

// abandon removes an entry whose answer must not be kept (the leader's own
// context ended) and wakes its waiters, who then ask again themselves.
func (c *cache) abandon(k cacheKey, e *cacheEntry) {
	h := c.hash(k)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fresh.remove(h, e)
	c.reused.remove(h, e)
	e.settled = true
	if e.done != nil {
		close(e.done)
	}
}

// len returns the number of entries held.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fresh.len() + c.reused.len()
}

// generations is one bounded segment of the cache: at most 2*half
// entries, in two generations.
type generations struct {
	half     int
	hint     int                    // the size a new generation's map starts with
	cur, old map[uint64]*cacheEntry // by the question's hash
	// dropped, if set, is told about each generation dropped.
	dropped func(map[uint64]*cacheEntry)
}

// newGenerations holds at most size entries (at least 2). A segment that
// fills (fresh, in bulk) has its generations' maps made at their full
// size, so that they do not grow step by step; the reused segment of a
// bulk run may never hold more than a few hundred entries.
func newGenerations(size int, full bool) generations {
	g := generations{half: max(size/2, 1)}
	if full {
		g.hint = g.half
	}
	g.cur = make(map[uint64]*cacheEntry, g.hint)
	return g
}

// get returns the entry of k (hash h), moving it into the current
// generation.
func (g *generations) get(h uint64, k cacheKey) *cacheEntry {
	if e := g.cur[h]; e != nil {
		if e.key != k {
			return nil
		}
		return e
	}
	e := g.old[h]
	if e == nil || e.key != k {
		return nil
	}
	delete(g.old, h)
	g.put(h, e)
	return e
}

// take removes the entry of k (hash h) and returns it.
func (g *generations) take(h uint64, k cacheKey) *cacheEntry {
	if e := g.cur[h]; e != nil {
		if e.key != k {
			return nil
		}
		delete(g.cur, h)
		return e
	}
	e := g.old[h]
	if e == nil || e.key != k {
		return nil
	}
	delete(g.old, h)
	return e
}

// put adds an entry under its question's hash h (replacing one whose
// question has the same hash), dropping the old generation when the
// current one is full.
func (g *generations) put(h uint64, e *cacheEntry) {
	if len(g.cur) >= g.half {
		if g.dropped != nil && g.old != nil {
			g.dropped(g.old)
		}
		g.old = g.cur
		g.cur = make(map[uint64]*cacheEntry, g.hint)
	}
	g.cur[h] = e
}

// remove removes e, the entry under hash h.
func (g *generations) remove(h uint64, e *cacheEntry) {
	if g.cur[h] == e {
		delete(g.cur, h)
	}
	if g.old[h] == e {
		delete(g.old, h)
	}
}

func (g *generations) len() int { return len(g.cur) + len(g.old) }

// evicted remembers the questions whose answers fresh dropped, by their
// 64-bit hashes (about 20 bytes each instead of an answer's 400), in two
// generations of at most half each. A false match (two questions with one
// hash) only files an answer under reused.
type evicted struct {
	half     int
	cur, old map[uint64]struct{}
}

// add remembers the questions of a dropped generation.
func (v *evicted) add(gen map[uint64]*cacheEntry) {
	for h := range gen {
		if len(v.cur) >= v.half {
			v.old, v.cur = v.cur, nil
		}
		if v.cur == nil {
			v.cur = make(map[uint64]struct{}, min(v.half, len(gen)))
		}
		v.cur[h] = struct{}{}
	}
}

// take reports whether the question of hash h was evicted, and forgets it.
func (v *evicted) take(h uint64) bool {
	if v.cur == nil {
		return false // nothing was evicted yet
	}
	if _, ok := v.cur[h]; ok {
		delete(v.cur, h)
		return true
	}
	if _, ok := v.old[h]; ok {
		delete(v.old, h)
		return true
	}
	return false
}
