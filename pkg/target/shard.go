package target

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Shard is this process's share of a bulk list split among N processes
// without a coordinator (a Kubernetes Indexed Job, a Slurm array, a CI
// matrix): share I of N, I counting from 0. The zero Shard is the whole
// list.
//
// A domain belongs to the share its hash picks: FNV-1a (64 bits) of the
// normalised domain (lower case, A-label, no trailing dot: Target.ASCII),
// mapped onto 0..N-1 by its high bits (the high 64 bits of hash*N, Lemire's
// multiply-shift, since FNV-1a's low bits are its weakest). FNV-1a is
// specified by its constants, in the standard library, and the same on
// every platform and Go version, so every process of one job, and every
// later run, puts a domain in the same share whatever binary it runs; it
// is not a defence against adversarial input, which a job's own list is
// not. Lines that are not domains belong to share 0, so that each error is
// reported once.
type Shard struct {
	I, N int
}

// maxShards bounds N: a Kubernetes Indexed Job has at most 100,000
// completions; a larger N is a typo.
const maxShards = 1_000_000

// ParseShard reads a --shard value, "I/N" with 0 <= I < N.
func ParseShard(s string) (Shard, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %s: want I/N, this process's share I of N, counting from 0 (e.g. 0/4 ... 3/4)", q(s))
	}
	i, errI := strconv.ParseUint(strings.TrimSpace(is), 10, 32)
	n, errN := strconv.ParseUint(strings.TrimSpace(ns), 10, 32)
	switch {
	case errN != nil || n == 0:
		return Shard{}, fmt.Errorf("shard %s: N must be a whole number of shares, 1 or more", q(s))
	case n > maxShards:
		return Shard{}, fmt.Errorf("shard %s: N is larger than %d", q(s), maxShards)
	case errI != nil:
		return Shard{}, fmt.Errorf("shard %s: I must be a whole number from 0 to N-1", q(s))
	case i >= n:
		return Shard{}, fmt.Errorf("shard %s: I counts from 0, so it must be below N=%d (for a Slurm array starting at 1, pass $((SLURM_ARRAY_TASK_ID-1)))", q(s), n)
	}
	return Shard{I: int(i), N: int(n)}, nil
}

// String returns "I/N", or "" for the whole list.
func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return strconv.Itoa(s.I) + "/" + strconv.Itoa(s.N)
}

// Owns reports whether the domain belongs to this share. domain is
// Target.ASCII; a trailing dot and upper case are folded as a safeguard.
func (s Shard) Owns(domain string) bool {
	if s.N <= 1 {
		return true
	}
	return ShardOf(domain, s.N) == s.I
}

// OwnsLine reports whether a line of bulk input belongs to this share: the
// domain Parse reads from it, or share 0 when it reads none.
func (s Shard) OwnsLine(line string) bool {
	if s.N <= 1 {
		return true
	}
	t, err := Parse(line)
	if err != nil {
		return s.I == 0
	}
	return s.Owns(t.ASCII)
}

// ShardOf returns the share, 0 to n-1, of a normalised domain among n.
func ShardOf(domain string, n int) int {
	if n <= 1 {
		return 0
	}
	hi, _ := bits.Mul64(fnv1a(strings.TrimSuffix(domain, ".")), uint64(n))
	return int(hi)
}

// fnv1a is FNV-1a, 64 bits (the offset basis and prime of
// draft-eastlake-fnv; hash/fnv's New64a), over s with A-Z folded, written
// out to hash without allocating.
func fnv1a(s string) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= prime64
	}
	return h
}
