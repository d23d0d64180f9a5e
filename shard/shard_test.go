package shard

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// TestOfFixedVectors pins the hash. Changing it would move apps between
// shards when a fleet is upgraded, so two shards would watch some apps and
// none would watch others until every pod runs the same version. The
// expected shards were computed once with an independent implementation
// (Python, from the FNV-1a specification and the pseudocode of Lamping and
// Veach's paper), not with this package.
func TestOfFixedVectors(t *testing.T) {
	counts := []int{1, 2, 3, 4, 5, 8, 10, 100, 1000}
	vectors := []struct {
		sdkappid uint64
		want     []int // by counts
	}{
		{1, []int{0, 1, 2, 2, 2, 2, 2, 56, 595}},
		{1400000000, []int{0, 1, 2, 2, 2, 2, 2, 21, 654}},
		{1400000101, []int{0, 1, 2, 2, 2, 2, 2, 58, 503}},
		{1400000102, []int{0, 0, 0, 0, 0, 0, 8, 28, 500}},
		{1400000103, []int{0, 1, 2, 2, 4, 4, 4, 49, 113}},
		{1400000104, []int{0, 1, 1, 1, 1, 1, 1, 98, 163}},
		{1400000105, []int{0, 0, 0, 3, 4, 4, 4, 34, 862}},
		{1400000106, []int{0, 1, 1, 1, 1, 1, 1, 81, 845}},
		{1600012345, []int{0, 0, 2, 2, 4, 6, 6, 79, 728}},
		{20000001, []int{0, 1, 1, 1, 1, 5, 5, 38, 535}},
		{18446744073709551615, []int{0, 0, 0, 0, 0, 0, 0, 73, 233}},
	}
	for _, v := range vectors {
		for i, count := range counts {
			if got := Of(v.sdkappid, count); got != v.want[i] {
				t.Errorf("Of(%d, %d) = %d, want %d", v.sdkappid, count, got, v.want[i])
			}
		}
	}
}

// TestOfBalances spreads consecutive SDKAppIDs, as Tencent hands them out,
// evenly: every shard within 5 % of its fair share.
func TestOfBalances(t *testing.T) {
	const first, n = 1400000000, 30000
	for _, count := range []int{2, 3, 10} {
		perShard := make([]int, count)
		for id := uint64(first); id < first+n; id++ {
			perShard[Of(id, count)]++
		}
		fair := n / count
		for i, got := range perShard {
			if got < fair*95/100 || got > fair*105/100 {
				t.Errorf("%d shards: shard %d has %d of %d apps, want %d ± 5 %%", count, i, got, n, fair)
			}
		}
	}
}

// TestGrowingMovesFewAppsOnlyToTheNewShard checks the property that makes
// scaling a StatefulSet cheap: from count to count+1 shards an app either
// stays or moves to the new shard, and about 1/(count+1) of them move.
func TestGrowingMovesFewAppsOnlyToTheNewShard(t *testing.T) {
	const first, n = 1600000000, 20000
	for count := 1; count < 12; count++ {
		moved := 0
		for id := uint64(first); id < first+n; id++ {
			before, after := Of(id, count), Of(id, count+1)
			if before == after {
				continue
			}
			if after != count {
				t.Fatalf("sdkappid %d moved from shard %d to %d going from %d to %d shards, want only to the new shard %d", id, before, after, count, count+1, count)
			}
			moved++
		}
		fair := n / (count + 1)
		if moved < fair*9/10 || moved > fair*11/10 {
			t.Errorf("from %d to %d shards %d of %d apps moved, want about %d", count, count+1, moved, n, fair)
		}
	}
}

// hostname returns a host name function answering name, or failing.
func hostname(name string, err error) func() (string, error) {
	return func() (string, error) { return name, err }
}

func TestFromFlags(t *testing.T) {
	noHost := func() (string, error) {
		t.Error("the host name was read without --shard.from-hostname")
		return "", nil
	}
	tests := []struct {
		name    string
		flags   Flags
		host    func() (string, error)
		want    Shard
		wantErr string
	}{
		{"defaults", Flags{Count: 1}, noHost, Shard{0, 1}, ""},
		{"index", Flags{Count: 3, Index: 2, IndexSet: true}, noHost, Shard{2, 3}, ""},
		{"count 0", Flags{Count: 0}, noHost, Shard{}, "--shard.count must be at least 1, got 0"},
		{"count negative", Flags{Count: -2, FromHostname: true}, noHost, Shard{}, "--shard.count must be at least 1, got -2"},
		{"index too large", Flags{Count: 3, Index: 3, IndexSet: true}, noHost, Shard{}, "--shard.index must be 0..2 with --shard.count=3, got 3"},
		{"index negative", Flags{Count: 3, Index: -1, IndexSet: true}, noHost, Shard{}, "--shard.index must be 0..2 with --shard.count=3, got -1"},
		{"index without count", Flags{Count: 1, Index: 1, IndexSet: true}, noHost, Shard{}, "--shard.index must be 0..0 with --shard.count=1, got 1"},
		{"both", Flags{Count: 3, Index: 0, IndexSet: true, FromHostname: true}, noHost, Shard{},
			"--shard.index and --shard.from-hostname conflict"},
		{"pod name", Flags{Count: 4, FromHostname: true}, hostname("tencent-live-exporter-3", nil), Shard{3, 4}, ""},
		{"pod 0", Flags{Count: 1, FromHostname: true}, hostname("exporter-0", nil), Shard{0, 1}, ""},
		{"fully qualified", Flags{Count: 3, FromHostname: true}, hostname("exporter-1.exporter.monitoring.svc.cluster.local", nil), Shard{1, 3}, ""},
		{"ordinal out of range", Flags{Count: 3, FromHostname: true}, hostname("exporter-3", nil), Shard{},
			`--shard.from-hostname: host name "exporter-3" has ordinal 3, but --shard.count=3 allows 0..2`},
		{"no ordinal", Flags{Count: 3, FromHostname: true}, hostname("vm", nil), Shard{},
			`--shard.from-hostname: host name "vm" does not end in -<ordinal>`},
		{"no digits after the hyphen", Flags{Count: 3, FromHostname: true}, hostname("exporter-", nil), Shard{},
			`host name "exporter-" does not end in -<ordinal>`},
		{"letters after the hyphen", Flags{Count: 3, FromHostname: true}, hostname("exporter-7b9f4", nil), Shard{},
			`host name "exporter-7b9f4" does not end in -<ordinal>`},
		{"ordinal alone", Flags{Count: 3, FromHostname: true}, hostname("-1", nil), Shard{},
			`host name "-1" does not end in -<ordinal>`},
		{"ordinal in a later label only", Flags{Count: 3, FromHostname: true}, hostname("exporter.pod-1", nil), Shard{},
			`host name "exporter.pod-1" does not end in -<ordinal>`},
		{"huge ordinal", Flags{Count: 3, FromHostname: true}, hostname("exporter-99999999999999999999", nil), Shard{},
			`host name "exporter-99999999999999999999" has an ordinal out of range`},
		{"host name unreadable", Flags{Count: 3, FromHostname: true}, hostname("", errors.New("uname failed")), Shard{},
			"--shard.from-hostname: cannot read the host name: uname failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromFlags(tt.flags, tt.host)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("shard %+v, want %+v", got, tt.want)
			}
		})
	}
}

// sixApps is a configuration of six apps, spread by the hash over three
// shards as {0: 1400000102, 1400000105; 1: 1400000104, 1400000106;
// 2: 1400000101, 1400000103} (see TestOfFixedVectors), with 1 to 6 rooms.
func sixApps(t *testing.T) *config.Config {
	t.Helper()
	var text strings.Builder
	text.WriteString("global: {refresh_interval: 1m}\napps:\n")
	for i := 1; i <= 6; i++ {
		rooms := make([]string, i)
		for j := range rooms {
			rooms[j] = fmt.Sprintf("r%d-%d", i, j)
		}
		fmt.Fprintf(&text, "  - {sdkappid: %d, region: china, identifier: admin, secret_key: k%d, rooms: [%s]}\n",
			1400000100+i, i, strings.Join(rooms, ", "))
	}
	cfg, err := config.Parse([]byte(text.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// sdkappids returns the SDKAppIDs of cfg's apps in order.
func sdkappids(cfg *config.Config) []uint64 {
	ids := make([]uint64, len(cfg.Apps))
	for i, a := range cfg.Apps {
		ids[i] = a.SDKAppID
	}
	return ids
}

func TestSelect(t *testing.T) {
	cfg := sixApps(t)
	if got := (Shard{0, 1}).Select(cfg); got != cfg {
		t.Error("one shard: Select did not return the configuration itself")
	}
	want := [][]uint64{{1400000102, 1400000105}, {1400000104, 1400000106}, {1400000101, 1400000103}}
	for i, ids := range want {
		own := Shard{i, 3}.Select(cfg)
		if got := sdkappids(own); fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Errorf("shard %d of 3: apps %v, want %v", i, got, ids)
		}
		if own.Global != cfg.Global {
			t.Errorf("shard %d of 3: global %+v, want the file's %+v", i, own.Global, cfg.Global)
		}
	}
	if len(cfg.Apps) != 6 {
		t.Errorf("Select changed the configuration: %d apps left, want 6", len(cfg.Apps))
	}
}

func TestSplit(t *testing.T) {
	parts := Split(sixApps(t), 3)
	want := []string{
		"shard 0 of 3: 2 apps, 7 rooms: 1400000102, 1400000105",
		"shard 1 of 3: 2 apps, 10 rooms: 1400000104, 1400000106",
		"shard 2 of 3: 2 apps, 4 rooms: 1400000101, 1400000103",
	}
	if len(parts) != len(want) {
		t.Fatalf("%d parts, want %d", len(parts), len(want))
	}
	for i := range want {
		if got := parts[i].String(); got != want[i] {
			t.Errorf("part %d: %q, want %q", i, got, want[i])
		}
	}
	empty := Split(sixApps(t), 1000)
	if got, want := empty[0].String(), "shard 0 of 1000: 0 apps, 0 rooms"; got != want {
		t.Errorf("an empty shard: %q, want %q", got, want)
	}
}
