package target

import (
	"fmt"
	"hash/fnv"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for in, want := range map[string]Shard{"0/1": {0, 1}, "0/4": {0, 4}, " 3/4 ": {3, 4}, "99999/100000": {99999, 100000}} {
		if got, err := ParseShard(in); err != nil || got != want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"4/4":       "I counts from 0, so it must be below N=4 (for a Slurm array starting at 1, pass $((SLURM_ARRAY_TASK_ID-1)))",
		"1/0":       "N must be a whole number of shares, 1 or more",
		"-1/4":      "I must be a whole number from 0 to N-1",
		"+1/4":      "I must be a whole number from 0 to N-1",
		"a/b":       "N must be a whole number",
		"3":         "want I/N",
		"":          "want I/N",
		"0/2000000": "N is larger than 1000000",
		"1/2/3":     "N must be a whole number",
	} {
		_, err := ParseShard(in)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), fmt.Sprintf("shard %q: ", in)) {
			t.Errorf("ParseShard(%q): %v, want %q", in, err, want)
		}
	}
}

// TestShardsSplitAListIntoDisjointSharesWhoseUnionIsTheList splits 100,000
// generated domains among N processes: each domain is owned by exactly one
// share, the shares together hold the whole list, and each holds close to
// its N-th.
func TestShardsSplitAListIntoDisjointSharesWhoseUnionIsTheList(t *testing.T) {
	const total = 100_000
	domains := make([]string, total)
	for i := range domains {
		domains[i] = fmt.Sprintf("d%d.example%d.com", i, i%97)
	}
	for _, n := range []int{2, 7, 16, 100} {
		owners := make([]int, total)
		sizes := make([]int, n)
		for i := 0; i < n; i++ {
			s := Shard{I: i, N: n}
			for j, d := range domains {
				if s.Owns(d) {
					owners[j]++
					sizes[i]++
				}
			}
		}
		union := 0
		for j, c := range owners {
			if c != 1 {
				t.Fatalf("N=%d: %s is owned by %d shares", n, domains[j], c)
			}
			union++
		}
		if union != total {
			t.Fatalf("N=%d: the shares hold %d of %d domains", n, union, total)
		}
		for i, size := range sizes {
			if want := total / n; size < want*9/10 || size > want*11/10 {
				t.Errorf("N=%d: share %d holds %d domains, want about %d", n, i, size, want)
			}
		}
	}
}

func TestShardIsStableAndNormalised(t *testing.T) {
	// The hash is FNV-1a 64 as the standard library computes it: a job's
	// processes and later runs must agree on every domain's share.
	for _, d := range []string{"", "example.com", "xn--bcher-kva.example"} {
		h := fnv.New64a()
		h.Write([]byte(d))
		if got := fnv1a(d); got != h.Sum64() {
			t.Errorf("fnv1a(%q) = %x, hash/fnv says %x", d, got, h.Sum64())
		}
	}
	// Fixed values: changing the mapping would split a job's list
	// differently between two binaries (computed apart from this code:
	// (FNV-1a(d) * 4) >> 64).
	for d, want := range map[string]int{"example.com": 1, "example.net": 3, "example.org": 3, "gmail.com": 0, "xn--bcher-kva.example": 1} {
		if got := ShardOf(d, 4); got != want {
			t.Errorf("ShardOf(%q, 4) = %d, want %d", d, got, want)
		}
	}
	s := Shard{I: ShardOf("example.org", 5), N: 5}
	for _, line := range []string{"example.org", "Example.ORG.", "user@example.org", "https://example.org/x"} {
		if !s.OwnsLine(line) {
			t.Errorf("%q is not in the share of example.org", line)
		}
	}
	idn := Shard{I: ShardOf("xn--bcher-kva.example", 5), N: 5}
	if !idn.OwnsLine("bücher.example") || !idn.Owns("XN--BCHER-KVA.EXAMPLE.") {
		t.Error("an IDN's U-label, and its A-label in upper case, must fall in the A-label's share")
	}
	// Lines that are not domains belong to share 0 only.
	for _, line := range []string{"192.0.2.1", "not a domain", "-", "a..b"} {
		for i := 0; i < 3; i++ {
			if got := (Shard{I: i, N: 3}).OwnsLine(line); got != (i == 0) {
				t.Errorf("share %d/3 owns %q: %v", i, line, got)
			}
		}
	}
	if !(Shard{}).Owns("example.com") || !(Shard{}).OwnsLine("garbage line") || (Shard{}).String() != "" || (Shard{2, 4}).String() != "2/4" {
		t.Error("the zero Shard is the whole list")
	}
}
