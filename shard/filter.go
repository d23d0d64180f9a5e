package shard

import (
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Metric descriptions of a shard; the names are a contract with dashboards.
var (
	infoDesc = prometheus.NewDesc("tencent_live_shard_info",
		"The shard this process is (index, from 0) of how many (count) share the configuration's apps; always 1.",
		[]string{"index", "count"}, nil)
	appsDesc = prometheus.NewDesc("tencent_live_apps",
		"Apps of the configuration this process watches: those whose sdkappid hashes to its shard. Summed over the shards, every app of the configuration.",
		[]string{"shard"}, nil)
)

// Filter hands a fetcher only its shard's apps of each configuration, and
// exposes tencent_live_shard_info and tencent_live_apps. It is a
// prometheus.Collector. Its methods are safe for concurrent use.
type Filter struct {
	shard  Shard
	apply  func(*config.Config) error
	logger log.Logger

	applied atomic.Pointer[appliedConfig] // nil before the first Apply
}

// appliedConfig is a configuration applied successfully: the whole of it, and
// how many of its apps the shard watches.
type appliedConfig struct {
	cfg *config.Config
	own int
}

// NewFilter returns a Filter of shard s that applies configurations through
// apply (the fetcher's Apply).
func NewFilter(s Shard, apply func(*config.Config) error, logger log.Logger) *Filter {
	return &Filter{shard: s, apply: apply, logger: logger}
}

// Apply applies the apps of cfg that the shard watches, through the apply
// function. On error nothing changes and the error is apply's.
func (f *Filter) Apply(cfg *config.Config) error {
	own := f.shard.Select(cfg)
	if err := f.apply(own); err != nil {
		return err
	}
	f.applied.Store(&appliedConfig{cfg: cfg, own: len(own.Apps)})
	if f.shard.Count > 1 {
		logger := log.With(f.logger, "shard", f.shard.Index, "shards", f.shard.Count, "apps", len(own.Apps), "apps_configured", len(cfg.Apps))
		if len(own.Apps) == 0 {
			level.Warn(logger).Log("msg", "This shard watches no app: the configuration's apps all hash to other shards")
		} else {
			level.Info(logger).Log("msg", "Watching this shard's apps")
		}
	}
	return nil
}

// Elsewhere returns the shard that watches sdkappid when the configuration
// last applied lists it and another shard watches it; ok is false when this
// shard watches it or when no app of the configuration has it.
func (f *Filter) Elsewhere(sdkappid uint64) (owner Shard, ok bool) {
	last := f.applied.Load()
	if last == nil || last.cfg.App(sdkappid) == nil || f.shard.Owns(sdkappid) {
		return Shard{}, false
	}
	return Shard{Index: Of(sdkappid, f.shard.Count), Count: f.shard.Count}, true
}

// ConfigComment returns the YAML comment that /config puts above the
// configuration file of a shard: which part of the file it watches. It is
// empty with one shard, whose /config is the file alone.
func (f *Filter) ConfigComment() string {
	last := f.applied.Load()
	if f.shard.Count == 1 || last == nil {
		return ""
	}
	return fmt.Sprintf("# This process is %s: it watches the %d of the %d apps below whose sdkappid hashes to it.\n",
		f.shard, last.own, len(last.cfg.Apps))
}

// Describe implements prometheus.Collector.
func (f *Filter) Describe(ch chan<- *prometheus.Desc) {
	ch <- infoDesc
	ch <- appsDesc
}

// Collect implements prometheus.Collector.
func (f *Filter) Collect(ch chan<- prometheus.Metric) {
	index := strconv.Itoa(f.shard.Index)
	ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1, index, strconv.Itoa(f.shard.Count))
	own := 0
	if last := f.applied.Load(); last != nil {
		own = last.own
	}
	ch <- prometheus.MustNewConstMetric(appsDesc, prometheus.GaugeValue, float64(own), index)
}
