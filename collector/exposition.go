package collector

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// namespace prefixes every metric of the exporter.
const namespace = "tencent_live"

// Label names the exporter puts on series beside the configured ones. The
// configuration reserves them (config.ReservedLabelNames); a test keeps the
// two lists equal.
const (
	labelSDKAppID = "sdkappid"
	labelRoomID   = "room_id"
	labelAPI      = "api"
	labelCode     = "code"
	labelSource   = "source"
	labelResult   = "result"
	labelCause    = "cause"
)

// infoLabels are the extra labels of tencent_live_room_info.
var infoLabels = []string{"room_name", "room_type", "owner_account", "take_seat_mode", "category"}

// exposed is what scrapes read of one app: its rooms with their labels,
// immutable once published.
type exposed struct {
	labelNames     []string // of room series
	appLabelValues []string
	rooms          []exposedRoom
	blocks         []atomic.Pointer[blockText] // the rooms' series, rendered (text.go)
	changed        []roomSet                   // per block, rooms changed since it was rendered; under the app's mutex
	textBytes      int                         // the size of the blocks' text; under the app's mutex
	sources        map[string]int              // rooms by source
	creds          *credentials
	staleAfter     time.Duration
}

// exposedRoom is a watched room with where it comes from and its labels.
type exposedRoom struct {
	room   *room
	source string      // sourceConfig, sourceFile or sourceDiscovery
	labels []labelPair // sorted by name
}

// count returns the number of rooms from source.
func (v *exposed) count(source string) int {
	return v.sources[source]
}

// roomHelpSuffix tells readers where room values come from.
const roomHelpSuffix = " (value from the exporter's last refresh of the room, not from the scrape)"

// Room metric families, in the order of roomFamilyDefs.
const (
	famRefreshSuccess = iota
	famLastRefresh
	famExists
	famViews
	famMaxMembers
	famActivity
	famMaxSeats
	famSeatEnabled
	famMessageDisabled
	famPublicVisible
	famCreateTime
	famInfo
	famMembers
	famViewers
	famGiftsSent
	famGiftCoins
	famUniqueGiftSenders
	famLikes
	famMessages
	famMemberEvents
	roomFamilyCount
)

// roomFamilyDef names and documents one room metric family.
type roomFamilyDef struct {
	name, help string
	kind       dto.MetricType
}

// roomFamilyDefs are the room metric families. Every series carries
// sdkappid, room_id and the configured labels; info has infoLabels too.
var roomFamilyDefs = [roomFamilyCount]roomFamilyDef{
	famRefreshSuccess:    {"refresh_success", "1 when the room's last refresh got a definitive answer from Tencent, else 0", dto.MetricType_GAUGE},
	famLastRefresh:       {"last_refresh_timestamp_seconds", "Unix time of the room's last definitive answer from Tencent", dto.MetricType_GAUGE},
	famExists:            {"exists", "1 when Tencent returned the room, 0 when it answered that the room does not exist (never created or dissolved)", dto.MetricType_GAUGE},
	famViews:             {"views_total", "Cumulative room entries (ViewCount)", dto.MetricType_COUNTER},
	famMaxMembers:        {"max_members", "Room capacity (MaxMemberCount)", dto.MetricType_GAUGE},
	famActivity:          {"activity_status", "User-defined activity status of the room (ActivityStatus)", dto.MetricType_GAUGE},
	famMaxSeats:          {"max_seats", "Number of seats (MaxSeatCount)", dto.MetricType_GAUGE},
	famSeatEnabled:       {"seat_enabled", "1 when seats are enabled (IsSeatEnabled)", dto.MetricType_GAUGE},
	famMessageDisabled:   {"message_disabled", "1 when messages are disabled in the room (IsMessageDisabled)", dto.MetricType_GAUGE},
	famPublicVisible:     {"public_visible", "1 when the room is publicly visible (IsPublicVisible)", dto.MetricType_GAUGE},
	famCreateTime:        {"create_time_seconds", "Unix time the room was created (CreateTime)", dto.MetricType_GAUGE},
	famInfo:              {"info", "Descriptive details of the room, always 1", dto.MetricType_GAUGE},
	famMembers:           {"members", "People in the room now (get_member_list MemberCount, about 40 s granularity)", dto.MetricType_GAUGE},
	famViewers:           {"viewers_total", "Cumulative viewers of the room (get_room_stats TotalViewers)", dto.MetricType_COUNTER},
	famGiftsSent:         {"gifts_sent_total", "Gifts sent in the room (get_room_stats TotalGiftsSent)", dto.MetricType_COUNTER},
	famGiftCoins:         {"gift_coins_total", "Coins spent on gifts in the room (get_room_stats TotalGiftCoins)", dto.MetricType_COUNTER},
	famUniqueGiftSenders: {"unique_gift_senders_total", "Distinct gift senders of the room (get_room_stats TotalUniqueGiftSenders)", dto.MetricType_COUNTER},
	famLikes:             {"likes_total", "Likes the room received (get_room_stats TotalLikesReceived)", dto.MetricType_COUNTER},
	famMessages:          {"messages_total", "Messages sent in the room (get_room_stats TotalMsgCount)", dto.MetricType_COUNTER},
	famMemberEvents:      {"member_events_total", "Members' state changes in the room by EventCause, from Tencent's member-state webhooks since the exporter started", dto.MetricType_COUNTER},
}

// roomFamilies are the room metric families of one scrape, being filled.
type roomFamilies [roomFamilyCount]*dto.MetricFamily

// newRoomFamilies returns empty room families with room for n rooms each.
func newRoomFamilies(n int) *roomFamilies {
	var families roomFamilies
	for i := range roomFamilyDefs {
		def := &roomFamilyDefs[i]
		name, help := familyNames[i], def.help+roomHelpSuffix
		families[i] = &dto.MetricFamily{Name: &name, Help: &help, Type: def.kind.Enum(), Metric: make([]*dto.Metric, 0, n)}
	}
	return &families
}

// nonEmpty returns the families that have series.
func (families *roomFamilies) nonEmpty() []*dto.MetricFamily {
	out := make([]*dto.MetricFamily, 0, roomFamilyCount)
	for _, mf := range families {
		if len(mf.Metric) > 0 {
			out = append(out, mf)
		}
	}
	return out
}

// roomFamilies builds the room series of every app from the rooms' latest
// snapshots, for the formats other than text; families without series are
// left out.
func (f *Fetcher) roomFamilies(now time.Time) []*dto.MetricFamily {
	var views []*exposed
	rooms := 0
	for _, a := range f.appList() {
		if v := a.exposed.Load(); v != nil {
			views = append(views, v)
			rooms += len(v.rooms)
		}
	}
	families := newRoomFamilies(rooms)
	for _, v := range views {
		for i := range v.rooms {
			families.add(v.rooms[i].labels, v.rooms[i].room, now, v.staleAfter)
		}
	}
	return families.nonEmpty()
}

// add adds the series of room r, with labels (sorted by name), that are
// fresh at now.
func (families *roomFamilies) add(labels []labelPair, r *room, now time.Time, staleAfter time.Duration) {
	st := loadRoom(r)
	st.eachSample(func(fam int, extra []labelPair, value float64) {
		if !visible(fam, &st.at, now.UnixNano(), int64(staleAfter)) {
			return
		}
		m := &dto.Metric{Label: dtoLabels(mergeLabels(labels, extra))}
		if roomFamilyDefs[fam].kind == dto.MetricType_COUNTER {
			m.Counter = &dto.Counter{Value: &value}
		} else {
			m.Gauge = &dto.Gauge{Value: &value}
		}
		families[fam].Metric = append(families[fam].Metric, m)
	})
}

// dtoLabels returns labels as label pairs of the client model.
func dtoLabels(labels []labelPair) []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, len(labels))
	for i := range labels {
		pairs[i] = &dto.LabelPair{Name: &labels[i].name, Value: &labels[i].value}
	}
	return pairs
}

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
	requiredDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "api", "required_qps"),
		"Requests per second of this command that the app's watched rooms need to be refreshed every refresh_interval (every info_refresh_interval for get_room_info of the rooms discovery's listing keeps fresh); above about 0.975 x rate_limit_qps the budget cannot keep up.",
		[]string{labelSDKAppID, labelAPI}, nil)
	roomsCreatedDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "app", "rooms_created"),
		"Rooms the app had when Tencent last sent its room-quota webhook (CurRoomCount; sent from 70 % of the quota on).",
		[]string{labelSDKAppID}, nil)
	roomsMaxDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "app", "rooms_max"),
		"The app's room quota (MaxRoomCount) from Tencent's last room-quota webhook.",
		[]string{labelSDKAppID}, nil)
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
	for _, d := range []*prometheus.Desc{rateLimitDesc, requiredDesc, apiUpDesc, cycleDesc, roomsDesc, roomsCreatedDesc, roomsMaxDesc, expiryDesc} {
		ch <- d
	}
	for _, m := range c.fetcher.metrics.each() {
		m.Describe(ch)
	}
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
	view := a.exposed.Load()
	if view == nil {
		return
	}
	st := a.status()
	for kind, l := range a.lanes {
		if st.qps[kind] > 0 {
			ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, l.budget.Rate(), a.id, l.name)
			ch <- prometheus.MustNewConstMetric(requiredDesc, prometheus.GaugeValue, st.required[kind], a.id, l.name)
		}
	}
	if st.discovering {
		ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, a.discovery.budget.Rate(), a.id, a.discovery.name)
		ch <- prometheus.MustNewConstMetric(requiredDesc, prometheus.GaugeValue, st.listRequired, a.id, a.discovery.name)
	}
	ch <- prometheus.MustNewConstMetric(apiUpDesc, prometheus.GaugeValue, boolValue(st.up), a.id)
	if st.firstPass {
		ch <- prometheus.MustNewConstMetric(cycleDesc, prometheus.GaugeValue, st.lastPass.Seconds(), a.id)
	}
	if q := a.quota.Load(); q != nil {
		ch <- prometheus.MustNewConstMetric(roomsCreatedDesc, prometheus.GaugeValue, float64(q.created), a.id)
		ch <- prometheus.MustNewConstMetric(roomsMaxDesc, prometheus.GaugeValue, float64(q.max), a.id)
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
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	probeRejected *prometheus.CounterVec
	refreshes     *prometheus.CounterVec
	hints         *prometheus.CounterVec
	hintDelay     *prometheus.HistogramVec
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
		probeRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "probe", Name: "rejected_total",
			Help: "Probes answered 429 because the app's probe_share of its get_room_info budget had no slot before the scrape timeout.",
		}, []string{labelSDKAppID}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "rooms", Name: "refreshed_total",
			Help: "Definitive refreshes of watched rooms, by the API command that brought them: get_room_list for the rooms a discovery pass listed, else the room's own command.",
		}, []string{labelSDKAppID, labelAPI}),
		hints: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "hints_total",
			Help: "Hints that a watched room changed (webhook events, a room leaving discovery's listing), by result: queued for get_room_info ahead of the regular refreshes, coalesced with a hint not yet served, or unwatched.",
		}, []string{labelSDKAppID, labelResult}),
		hintDelay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "hint_delay_seconds",
			Help:    "Time from the event behind a hint to the room's refreshed state on /metrics.",
			Buckets: []float64{.1, .25, .5, 1, 2, 5, 10, 30, 60},
		}, []string{labelSDKAppID}),
	}
}

// metricVec is a labelled metric whose series can be dropped by label.
type metricVec interface {
	prometheus.Collector
	DeletePartialMatch(prometheus.Labels) int
}

// each returns the request metrics, to describe, collect or forget.
func (m *apiMetrics) each() []metricVec {
	return []metricVec{m.requests, m.duration, m.probeRejected, m.refreshes, m.hints, m.hintDelay}
}

// observe counts one request.
func (m *apiMetrics) observe(sdkappid, api, code string, elapsed time.Duration) {
	m.requests.WithLabelValues(sdkappid, api, code).Inc()
	m.duration.WithLabelValues(sdkappid, api).Observe(elapsed.Seconds())
}

// hinted counts a hint's result.
func (m *apiMetrics) hinted(sdkappid, result string) {
	m.hints.WithLabelValues(sdkappid, result).Inc()
}

// refreshed counts n definitive room refreshes brought by api.
func (m *apiMetrics) refreshed(sdkappid, api string, n int) {
	m.refreshes.WithLabelValues(sdkappid, api).Add(float64(n))
}

// forget drops the series of an app no longer configured.
func (m *apiMetrics) forget(sdkappid string) {
	for _, v := range m.each() {
		v.DeletePartialMatch(prometheus.Labels{labelSDKAppID: sdkappid})
	}
}

// collect sends the request metrics.
func (m *apiMetrics) collect(ch chan<- prometheus.Metric) {
	for _, v := range m.each() {
		v.Collect(ch)
	}
}

// formatID is the label form of an SDKAppID.
func formatID(sdkappid uint64) string { return strconv.FormatUint(sdkappid, 10) }
