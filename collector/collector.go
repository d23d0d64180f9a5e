// Package collector is the exporter's core: the fetcher keeps each app's
// rooms fresh within its rate budget (fetcher.go, app.go, budget.go,
// refresh.go), rooms publish immutable snapshots (snapshot.go), and the
// Collector turns the latest snapshots into metrics at scrape time without
// ever calling Tencent.
package collector

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// namespace prefixes every metric of the exporter.
const namespace = "tencent_live"

// roomHelpSuffix tells readers where room values come from.
const roomHelpSuffix = " (value from the exporter's last refresh of the room, not from the scrape)"

// Label names used beside the configured ones.
const (
	labelSDKAppID = "sdkappid"
	labelRoomID   = "room_id"
	labelAPI      = "api"
	labelCode     = "code"
	labelSource   = "source"
)

// infoLabels are the extra labels of tencent_live_room_info.
var infoLabels = []string{"room_name", "room_type", "owner_account", "take_seat_mode", "category"}

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

// roomDescs are the descriptors of room series for one set of label names.
type roomDescs struct {
	exists, views, maxMembers, activity, maxSeats, seatEnabled *prometheus.Desc
	messageDisabled, publicVisible, createTime, info           *prometheus.Desc
	refreshSuccess, lastRefresh                                *prometheus.Desc
}

// newRoomDescs builds room descriptors whose labels are sdkappid, room_id
// and then extra (the app's and the rooms' label names).
func newRoomDescs(extra []string) *roomDescs {
	labels := append([]string{labelSDKAppID, labelRoomID}, extra...)
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "room", name), help+roomHelpSuffix, labels, nil)
	}
	return &roomDescs{
		exists:          d("exists", "1 when Tencent returned the room, 0 when it answered that the room does not exist (never created or dissolved)"),
		views:           d("views_total", "Cumulative room entries (ViewCount)"),
		maxMembers:      d("max_members", "Room capacity (MaxMemberCount)"),
		activity:        d("activity_status", "User-defined activity status of the room (ActivityStatus)"),
		maxSeats:        d("max_seats", "Number of seats (MaxSeatCount)"),
		seatEnabled:     d("seat_enabled", "1 when seats are enabled (IsSeatEnabled)"),
		messageDisabled: d("message_disabled", "1 when messages are disabled in the room (IsMessageDisabled)"),
		publicVisible:   d("public_visible", "1 when the room is publicly visible (IsPublicVisible)"),
		createTime:      d("create_time_seconds", "Unix time the room was created (CreateTime)"),
		info: prometheus.NewDesc(prometheus.BuildFQName(namespace, "room", "info"),
			"Descriptive details of the room, always 1"+roomHelpSuffix, append(labels[:len(labels):len(labels)], infoLabels...), nil),
		refreshSuccess: d("refresh_success", "1 when the room's last refresh got a definitive answer from Tencent, else 0"),
		lastRefresh:    d("last_refresh_timestamp_seconds", "Unix time of the room's last definitive answer from Tencent"),
	}
}

// Collector exposes the fetcher's latest results. It never calls Tencent, so
// any number of concurrent scrapes costs no request. It is an unchecked
// collector: room label names follow the configuration and change on reload.
type Collector struct {
	fetcher *Fetcher
}

// NewCollector returns the collector of f's results.
func NewCollector(f *Fetcher) *Collector {
	return &Collector{fetcher: f}
}

// Describe implements prometheus.Collector. It sends no descriptor, which
// makes the collector unchecked: room label names follow the configuration.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, a := range c.fetcher.appList() {
		a.collect(ch, now)
	}
	c.fetcher.metrics.collect(ch)
}

// collect sends the app's metrics and its rooms' series.
func (a *app) collect(ch chan<- prometheus.Metric, now time.Time) {
	view := a.view.Load()
	if view == nil {
		return
	}
	a.mu.Lock()
	up, cycle, firstDone := a.health.up, a.passes.last, a.passes.firstDone
	a.mu.Unlock()

	ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, a.budget.Rate(), a.id, tencent.CommandGetRoomInfo)
	ch <- prometheus.MustNewConstMetric(apiUpDesc, prometheus.GaugeValue, boolValue(up), a.id)
	if firstDone {
		ch <- prometheus.MustNewConstMetric(cycleDesc, prometheus.GaugeValue, cycle.Seconds(), a.id)
	}
	if expiry := view.creds.Expiry(); !expiry.IsZero() {
		ch <- prometheus.MustNewConstMetric(expiryDesc, prometheus.GaugeValue, float64(expiry.Unix()), a.id)
	}
	for _, source := range []string{"config", "file"} {
		ch <- prometheus.MustNewConstMetric(roomsDesc, prometheus.GaugeValue, float64(view.count(source)), a.id, source)
	}
	for i := range view.rooms {
		rv := &view.rooms[i]
		collectRoom(ch, view.descs, rv.labelValues, rv.room.snap.Load(), now, view.staleAfter)
	}
}

// collectRoom sends one room's series as spec'd by its freshness: values
// only while fresh, the two refresh series always once known.
func collectRoom(ch chan<- prometheus.Metric, d *roomDescs, labels []string, s *roomSnapshot, now time.Time, staleAfter time.Duration) {
	gauge := func(desc *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, labels...)
	}
	gauge(d.refreshSuccess, boolValue(s.refreshOK))
	if !s.known {
		return
	}
	gauge(d.lastRefresh, float64(s.lastDefinitive.UnixNano())/1e9)
	if !s.fresh(now, staleAfter) {
		return
	}
	gauge(d.exists, boolValue(s.exists))
	if !s.exists {
		return
	}
	info := s.info
	ch <- prometheus.MustNewConstMetric(d.views, prometheus.CounterValue, float64(info.ViewCount), labels...)
	gauge(d.maxMembers, float64(info.MaxMemberCount))
	gauge(d.activity, float64(info.ActivityStatus))
	gauge(d.maxSeats, float64(info.MaxSeatCount))
	gauge(d.seatEnabled, boolValue(info.IsSeatEnabled))
	gauge(d.messageDisabled, boolValue(info.IsMessageDisabled))
	gauge(d.publicVisible, boolValue(info.IsPublicVisible))
	gauge(d.createTime, float64(info.CreateTime))
	infoValues := append(labels[:len(labels):len(labels)],
		info.RoomName, info.RoomType, info.OwnerAccount, info.TakeSeatMode, strings.Join(info.Category, ","))
	ch <- prometheus.MustNewConstMetric(d.info, prometheus.GaugeValue, 1, infoValues...)
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
