package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mailcheck/mailcheck/pkg/internal/dnstest"
)

// shardDomains runs check --shard I/N over list and returns the domains
// written and the inputs reported as not domains.
func shardDomains(t *testing.T, resolver, list, shard string) (domains, errors []string) {
	t.Helper()
	out, errOut, code := runInProcess(t, context.Background(), list,
		"check", "--resolver", resolver, "--dns-only", "--concurrency", "64", "-o", "jsonl",
		"--ignore", "MC207", "--shard", shard, "-f", "-")
	if code != ExitOK && code != ExitUsage {
		t.Fatalf("--shard %s: exit %d; stderr: %s", shard, code, errOut)
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var doc struct {
			Domain string `json:"domain"`
			Input  string `json:"input"`
			Error  string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if doc.Error != "" {
			errors = append(errors, doc.Input)
			continue
		}
		domains = append(domains, doc.Domain)
	}
	return domains, errors
}

func TestCheckShardsSplitOneListIntoDisjointSharesWhoseUnionIsTheList(t *testing.T) {
	const n, shards = 600, 4
	s := dnstest.New(t, bulkZone(n), dnstest.WithoutQueryLog())
	// Duplicates in other spellings, and one line that is not a domain.
	list := bulkList(n, true) + "not a domain!\n"
	owner := map[string]int{}
	var errs []int
	for i := 0; i < shards; i++ {
		ds, bad := shardDomains(t, s.Addr4(), list, fmt.Sprintf("%d/%d", i, shards))
		if len(ds) == 0 || len(ds) > n/2 {
			t.Errorf("shard %d/%d holds %d of %d domains: not a share", i, shards, len(ds), n)
		}
		for _, d := range ds {
			if prev, dup := owner[d]; dup {
				t.Errorf("%s is in shard %d and shard %d", d, prev, i)
			}
			owner[d] = i
		}
		for range bad {
			errs = append(errs, i)
		}
	}
	if len(owner) != n {
		t.Errorf("the shards hold %d distinct domains, want the list's %d", len(owner), n)
	}
	for i := 0; i < n; i++ {
		if _, ok := owner[fmt.Sprintf("d%d.bulk.test", i)]; !ok {
			t.Errorf("d%d.bulk.test is in no shard", i)
		}
	}
	if len(errs) != 1 || errs[0] != 0 {
		t.Errorf("the bad line was reported by shards %v, want by shard 0 alone", errs)
	}
}

func TestCheckShardRejectsAShareOutsideTheList(t *testing.T) {
	for _, v := range []string{"4/4", "1", "-1/4", "0/0"} {
		_, errOut, code := runInProcess(t, context.Background(), "", "check", "--shard", v, "-f", "-")
		if code != ExitUsage || !strings.Contains(errOut, "--shard") {
			t.Errorf("--shard %s: exit %d, stderr %q; want 2 naming --shard", v, code, errOut)
		}
	}
}
