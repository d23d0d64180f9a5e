package shard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// recorder stands for the fetcher: it records the configurations applied,
// and fails while err is set.
type recorder struct {
	applied []*config.Config
	err     error
}

func (r *recorder) apply(cfg *config.Config) error {
	if r.err != nil {
		return r.err
	}
	r.applied = append(r.applied, cfg)
	return nil
}

// metricsText is the exposition of a Filter of shard index of count watching
// apps of the configuration's apps.
func metricsText(index, count, apps int) string {
	return fmt.Sprintf(`# HELP tencent_live_apps Apps of the configuration this process watches: those whose sdkappid hashes to its shard. Summed over the shards, every app of the configuration.
# TYPE tencent_live_apps gauge
tencent_live_apps{shard="%[1]d"} %[3]d
# HELP tencent_live_shard_info The shard this process is (index, from 0) of how many (count) share the configuration's apps; always 1.
# TYPE tencent_live_shard_info gauge
tencent_live_shard_info{count="%[2]d",index="%[1]d"} 1
`, index, count, apps)
}

func TestFilterAppliesTheShardsApps(t *testing.T) {
	cfg := sixApps(t)
	var logs bytes.Buffer
	rec := &recorder{}
	f := NewFilter(Shard{1, 3}, rec.apply, log.NewLogfmtLogger(&logs))
	if err := testutil.CollectAndCompare(f, strings.NewReader(metricsText(1, 3, 0))); err != nil {
		t.Errorf("before the first Apply: %v", err)
	}
	if err := f.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if len(rec.applied) != 1 || fmt.Sprint(sdkappids(rec.applied[0])) != "[1400000104 1400000106]" {
		t.Fatalf("applied %v, want one configuration of apps 1400000104 and 1400000106", rec.applied)
	}
	if err := testutil.CollectAndCompare(f, strings.NewReader(metricsText(1, 3, 2))); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(f); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if want := "shard=1 shards=3 apps=2 apps_configured=6"; !strings.Contains(logs.String(), want) {
		t.Errorf("log %q lacks %q", logs.String(), want)
	}

	for _, tc := range []struct {
		sdkappid uint64
		owner    Shard
		ok       bool
	}{
		{1400000102, Shard{0, 3}, true},
		{1400000101, Shard{2, 3}, true},
		{1400000104, Shard{}, false}, // this shard's
		{1400000199, Shard{}, false}, // configured nowhere
	} {
		owner, ok := f.Elsewhere(tc.sdkappid)
		if owner != tc.owner || ok != tc.ok {
			t.Errorf("Elsewhere(%d) = %v, %v; want %v, %v", tc.sdkappid, owner, ok, tc.owner, tc.ok)
		}
	}
	want := "# This process is shard 1 of 3: it watches the 2 of the 6 apps below whose sdkappid hashes to it.\n"
	if got := f.ConfigComment(); got != want {
		t.Errorf("ConfigComment() = %q, want %q", got, want)
	}

	// A reload to a file with only this shard's first app is filtered again.
	fewer := *cfg
	fewer.Apps = cfg.Apps[2:4] // 1400000103 (shard 2), 1400000104 (shard 1)
	if err := f.Apply(&fewer); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(sdkappids(rec.applied[1])); got != "[1400000104]" {
		t.Errorf("after the reload applied %s, want [1400000104]", got)
	}
	if err := testutil.CollectAndCompare(f, strings.NewReader(metricsText(1, 3, 1))); err != nil {
		t.Error(err)
	}
	if _, ok := f.Elsewhere(1400000102); ok {
		t.Error("an app removed by the reload is still said to be watched elsewhere")
	}

	// A failed apply changes nothing.
	rec.err = errors.New("fetcher stopped")
	if err := f.Apply(cfg); !errors.Is(err, rec.err) {
		t.Errorf("Apply error %v, want the fetcher's", err)
	}
	if err := testutil.CollectAndCompare(f, strings.NewReader(metricsText(1, 3, 1))); err != nil {
		t.Errorf("after a failed apply: %v", err)
	}
}

func TestFilterOfOneShardPassesEverything(t *testing.T) {
	cfg := sixApps(t)
	var logs bytes.Buffer
	rec := &recorder{}
	f := NewFilter(Shard{0, 1}, rec.apply, log.NewLogfmtLogger(&logs))
	if err := f.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	if len(rec.applied) != 1 || rec.applied[0] != cfg {
		t.Errorf("applied %v, want the configuration itself", rec.applied)
	}
	if err := testutil.CollectAndCompare(f, strings.NewReader(metricsText(0, 1, 6))); err != nil {
		t.Error(err)
	}
	if got := f.ConfigComment(); got != "" {
		t.Errorf("ConfigComment() = %q, want none with one shard", got)
	}
	if _, ok := f.Elsewhere(1400000101); ok {
		t.Error("with one shard an app is said to be watched elsewhere")
	}
	if logs.Len() != 0 {
		t.Errorf("one shard logged %q, want nothing", logs.String())
	}
}

func TestFilterWarnsOfAnEmptyShard(t *testing.T) {
	var logs bytes.Buffer
	f := NewFilter(Shard{0, 1000}, (&recorder{}).apply, log.NewLogfmtLogger(&logs))
	if err := f.Apply(sixApps(t)); err != nil {
		t.Fatal(err)
	}
	if want := "This shard watches no app"; !strings.Contains(logs.String(), want) {
		t.Errorf("log %q lacks %q", logs.String(), want)
	}
}
