package dnsq

import "sync"

// DefaultCacheSize is the number of (name, type) answers a Client keeps.
// An entry with a one-address answer costs about 480 bytes (measured with
// runtime.MemStats), so the default bounds the cache near 8 MB, which keeps
// a bulk run over 100k domains flat in memory while holding far more than
// the few dozen names one domain's check asks about.
const DefaultCacheSize = 16384

// cacheKey identifies one question.
type cacheKey struct {
	name  string // absolute, lower-case
	qtype uint16
}

// cacheEntry is an answer, or an answer being fetched: done is closed once
// val is set (or the fetch was abandoned and val stays nil).
type cacheEntry struct {
	done chan struct{}
	val  *step
}

// cache is the per-run answer cache with request coalescing: the first
// caller for a question becomes its leader and asks the network; callers
// that arrive meanwhile wait for the leader's answer instead of asking
// again. It is bounded with two generations: new entries go into cur; when
// cur is full, it becomes old and the previous old generation is dropped.
// A hit in old moves the entry back into cur. This keeps at most 2*half
// entries, evicts what has not been used for a generation (an approximation
// of LRU with no per-entry list), and costs one map operation per access.
type cache struct {
	mu   sync.Mutex
	half int
	cur  map[cacheKey]*cacheEntry
	old  map[cacheKey]*cacheEntry
}

func newCache(size int) *cache {
	half := max(size/2, 1)
	return &cache{half: half, cur: make(map[cacheKey]*cacheEntry)}
}

// acquire returns the entry for k. leader is true when the caller created it
// and must call complete or abandon.
func (c *cache) acquire(k cacheKey) (e *cacheEntry, leader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.cur[k]; e != nil {
		return e, false
	}
	if e = c.old[k]; e != nil {
		delete(c.old, k)
		c.insert(k, e)
		return e, false
	}
	e = &cacheEntry{done: make(chan struct{})}
	c.insert(k, e)
	return e, true
}

func (c *cache) insert(k cacheKey, e *cacheEntry) {
	if len(c.cur) >= c.half {
		c.old = c.cur
		c.cur = make(map[cacheKey]*cacheEntry, c.half)
	}
	c.cur[k] = e
}

// complete publishes the leader's answer to waiters and later callers.
func (c *cache) complete(e *cacheEntry, v *step) {
	e.val = v
	close(e.done)
}

// abandon removes an entry whose answer must not be kept (the leader's own
// context ended) and wakes its waiters, who then ask again themselves.
func (c *cache) abandon(k cacheKey, e *cacheEntry) {
	c.mu.Lock()
	if c.cur[k] == e {
		delete(c.cur, k)
	}
	if c.old[k] == e {
		delete(c.old, k)
	}
	c.mu.Unlock()
	close(e.done)
}

// len returns the number of entries held.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.old)
}
