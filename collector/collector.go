// Package collector is the exporter's core: the fetcher keeps each app's
// rooms fresh within its rate budget (fetcher.go, app.go, budget.go,
// refresh.go), rooms publish immutable snapshots (snapshot.go), and at
// scrape time the latest snapshots become metrics (rooms.go for room
// series, collector.go for the exporter's health) without ever calling
// Tencent.
package collector

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// namespace prefixes every metric of the exporter.
const namespace = "tencent_live"

// Label names used beside the configured ones.
const (
	labelSDKAppID = "sdkappid"
	labelRoomID   = "room_id"
	labelAPI      = "api"
	labelCode     = "code"
	labelSource   = "source"
)

// App-level descriptors, labelled by sdkappid only (and api or source).
var (
	rateLimitDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "api", "rate_limit_qps"),
		"Requests per second the exporter allows itself now for this app and API command, lowered after rate-limit answers.",
		[]string{labelSDKAppID, labelAPI}, nil)
	apiUpDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "api", "up"),
		"0 while the app's requests fail for app-wide causes (auth, disabled app or package, IP allow-list, network), else 1.",
		[]string{labelSDKAppID}, nil)
	cycleDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "refresh", "cycle_duration_seconds"),
		"Duration of the app's last full pass over its rooms, in which every room concluded one refresh; above refresh_interval means the rate budget cannot keep up.",
		[]string{labelSDKAppID}, nil)
	roomsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "", "rooms"),
		"Rooms being watched, by where they come from (config, file, discovery).",
		[]string{labelSDKAppID, labelSource}, nil)
	expiryDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "usersig", "expiry_timestamp_seconds"),
		"Unix time at which the UserSig in use by the app expires.",
		[]string{labelSDKAppID}, nil)
)

// Collector exposes the fetcher's health: per app, the rate in force, whether
// the API is usable, the pass duration, the rooms watched and the UserSig
// expiry, and the counts and durations of requests. Room series are served
// by Gatherer. It never calls Tencent, so scrapes cost no request.
type Collector struct {
	fetcher *Fetcher
}

// NewCollector returns the collector of f's health metrics.
func NewCollector(f *Fetcher) *Collector {
	return &Collector{fetcher: f}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{rateLimitDesc, apiUpDesc, cycleDesc, roomsDesc, expiryDesc} {
		ch <- d
	}
	c.fetcher.metrics.requests.Describe(ch)
	c.fetcher.metrics.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, a := range c.fetcher.appList() {
		a.collect(ch)
	}
	c.fetcher.metrics.collect(ch)
}

// Gatherer is what /metrics serves: the metrics of a registry (the
// exporter's own, build info, Go and process metrics) and the room series.
// Room series are built straight into metric families from the rooms'
// snapshots at each scrape: with tens of thousands of rooms, a registry's
// per-sample consistency checks would multiply the cost of a scrape, and
// their uniqueness holds by construction (room IDs are unique per app,
// SDKAppIDs across apps).
type Gatherer struct {
	registry prometheus.Gatherer
	fetcher  *Fetcher
}

// NewGatherer returns the gatherer of registry's metrics and f's rooms.
func NewGatherer(registry prometheus.Gatherer, f *Fetcher) *Gatherer {
	return &Gatherer{registry: registry, fetcher: f}
}

// Gather implements prometheus.Gatherer.
func (g *Gatherer) Gather() ([]*dto.MetricFamily, error) {
	families, err := g.registry.Gather()
	families = append(families, g.fetcher.roomFamilies(time.Now())...)
	slices.SortFunc(families, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return families, err
}

// collect sends the app's health metrics.
func (a *app) collect(ch chan<- prometheus.Metric) {
	view := a.view.Load()
	if view == nil {
		return
	}
	a.mu.Lock()
	up, cycle, firstDone := a.health.up, a.passes.last, a.passes.firstDone
	qps, discovering := a.settings.qps, a.settings.discovery.enabled
	a.mu.Unlock()

	for kind, l := range a.lanes {
		if qps[kind] > 0 {
			ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, l.budget.Rate(), a.id, l.command)
		}
	}
	if discovering {
		ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, a.finder.budget.Rate(), a.id, tencent.CommandGetRoomList)
	}
	ch <- prometheus.MustNewConstMetric(apiUpDesc, prometheus.GaugeValue, boolValue(up), a.id)
	if firstDone {
		ch <- prometheus.MustNewConstMetric(cycleDesc, prometheus.GaugeValue, cycle.Seconds(), a.id)
	}
	if expiry := view.creds.Expiry(); !expiry.IsZero() {
		ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, float64(expiry.Unix()), a.id)
	}
	for _, source := range []string{sourceConfig, sourceFile, sourceDiscovery} {
		ch <- prometheus.MustNewConstMetric(roomsDesc, prometheus.GaugeValue, float64(view.count(source)), a.id, source)
	}
}

// boolValue is 1 for true and 0 for false.
func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// apiMetrics are the exporter's own counters of requests to Tencent.
type apiMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newAPIMetrics returns the request counters, not registered anywhere: the
// Collector exposes them.
func newAPIMetrics() *apiMetrics {
	return &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "api", Name: "requests_total",
			Help: "Requests sent to Tencent's Live API, by outcome code: Tencent's ErrorCode (\"0\" = OK), http_<status>, timeout, network or decode.",
		}, []string{labelSDKAppID, labelAPI, labelCode}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "api", Name: "request_duration_seconds",
			Help:    "Duration of requests to Tencent's Live API.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{labelSDKAppID, labelAPI}),
	}
}

// observe counts one request.
func (m *apiMetrics) observe(sdkappid, api, code string, elapsed time.Duration) {
	m.requests.WithLabelValues(sdkappid, api, code).Inc()
	m.duration.WithLabelValues(sdkappid, api).Observe(elapsed.Seconds())
}

// forget drops the series of an app no longer configured.
func (m *apiMetrics) forget(sdkappid string) {
	m.requests.DeletePartialMatch(prometheus.Labels{labelSDKAppID: sdkappid})
	m.duration.DeletePartialMatch(prometheus.Labels{labelSDKAppID: sdkappid})
}

// collect sends the request metrics.
func (m *apiMetrics) collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// formatID is the label form of an SDKAppID.
func formatID(sdkappid uint64) string { return strconv.FormatUint(sdkappid, 10) }
