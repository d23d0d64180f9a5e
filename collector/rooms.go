package collector

import (
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// roomHelpSuffix tells readers where room values come from.
const roomHelpSuffix = " (value from the exporter's last refresh of the room, not from the scrape)"

// infoLabels are the extra labels of tencent_live_room_info.
var infoLabels = []string{"room_name", "room_type", "owner_account", "take_seat_mode", "category"}

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
}

// roomFamilies builds the room series of every app from the rooms' latest
// snapshots; families without series are left out.
func (f *Fetcher) roomFamilies(now time.Time) []*dto.MetricFamily {
	var views []*appView
	rooms := 0
	for _, a := range f.appList() {
		if v := a.view.Load(); v != nil {
			views = append(views, v)
			rooms += len(v.rooms)
		}
	}
	var families [roomFamilyCount]*dto.MetricFamily
	for i := range roomFamilyDefs {
		families[i] = roomFamily(i, rooms)
	}
	for _, v := range views {
		for i := range v.rooms {
			rv := &v.rooms[i]
			appendRoom(&families, rv.labels, rv.room, now, v.staleAfter)
		}
	}
	out := make([]*dto.MetricFamily, 0, roomFamilyCount)
	for _, mf := range families {
		if len(mf.Metric) > 0 {
			out = append(out, mf)
		}
	}
	return out
}

// roomFamily returns an empty family of room metric fam with room for n
// series.
func roomFamily(fam, n int) *dto.MetricFamily {
	def := &roomFamilyDefs[fam]
	name, help := namespace+"_room_"+def.name, def.help+roomHelpSuffix
	return &dto.MetricFamily{Name: &name, Help: &help, Type: def.kind.Enum(), Metric: make([]*dto.Metric, 0, n)}
}

// roomSample is the storage of one room sample; a room's samples are
// allocated together and must not move once appended.
type roomSample struct {
	metric  dto.Metric
	gauge   dto.Gauge
	counter dto.Counter
	value   float64
}

// appendRoom adds one room's series as spec'd by their freshness: values
// only while fresh, the two refresh series always once known. labels are
// the room's label pairs, sorted by name.
func appendRoom(families *[roomFamilyCount]*dto.MetricFamily, labels []*dto.LabelPair, r *room, now time.Time, staleAfter time.Duration) {
	s := r.info.Load()
	showInfo := s.fresh(now, staleAfter) && s.exists
	members := r.members.Load()
	if members != nil && (now.Sub(members.at) > staleAfter || s.known && !s.exists) {
		members = nil
	}
	stats := r.stats.Load()
	if stats != nil && (now.Sub(stats.at) > staleAfter || s.known && !s.exists) {
		stats = nil
	}

	// One allocation holds every sample of the room.
	n := 1
	if s.known {
		n += 2
	}
	if showInfo {
		n += famInfo - famExists
	}
	if members != nil {
		n++
	}
	if stats != nil {
		n += famMessages - famMembers
	}
	samples := make([]roomSample, 0, n)
	add := func(fam int, v float64) {
		samples = append(samples, roomSample{value: v})
		sm := &samples[len(samples)-1]
		sm.metric.Label = labels
		if roomFamilyDefs[fam].kind == dto.MetricType_COUNTER {
			sm.counter.Value = &sm.value
			sm.metric.Counter = &sm.counter
		} else {
			sm.gauge.Value = &sm.value
			sm.metric.Gauge = &sm.gauge
		}
		families[fam].Metric = append(families[fam].Metric, &sm.metric)
	}

	add(famRefreshSuccess, boolValue(s.refreshOK))
	if s.known {
		add(famLastRefresh, float64(s.lastDefinitive.UnixNano())/1e9)
		if s.fresh(now, staleAfter) {
			add(famExists, boolValue(s.exists))
		}
	}
	if showInfo {
		info := s.info
		add(famViews, float64(info.ViewCount))
		add(famMaxMembers, float64(info.MaxMemberCount))
		add(famActivity, float64(info.ActivityStatus))
		add(famMaxSeats, float64(info.MaxSeatCount))
		add(famSeatEnabled, boolValue(info.IsSeatEnabled))
		add(famMessageDisabled, boolValue(info.IsMessageDisabled))
		add(famPublicVisible, boolValue(info.IsPublicVisible))
		add(famCreateTime, float64(info.CreateTime))
	}
	if members != nil {
		add(famMembers, float64(members.value))
	}
	if stats != nil {
		st := &stats.stats
		add(famViewers, float64(st.TotalViewers))
		add(famGiftsSent, float64(st.TotalGiftsSent))
		add(famGiftCoins, float64(st.TotalGiftCoins))
		add(famUniqueGiftSenders, float64(st.TotalUniqueGiftSenders))
		add(famLikes, float64(st.TotalLikesReceived))
		add(famMessages, float64(st.TotalMsgCount))
	}
	if showInfo {
		labels = mergeLabels(labels, s.infoLabels)
		add(famInfo, 1)
	}
}

// labelPairs returns the pairs of names and values, sorted by name; pairs
// that many series repeat come from in.
func labelPairs(names, values []string, in labelInterner) []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, len(names))
	for i := range names {
		pairs[i] = in.pair(names[i], values[i])
	}
	slices.SortFunc(pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return pairs
}

// uniqueLabels are the labels whose values differ from room to room, never
// shared.
var uniqueLabels = map[string]bool{labelRoomID: true, "room_name": true, "owner_account": true}

// labelInterner hands out one shared pair for each label value that many
// rooms repeat (the app's labels, room labels, room types), so that a room
// holds only the pairs unique to it. A nil interner shares nothing. The
// app's mutex guards it.
type labelInterner map[[2]string]*dto.LabelPair

// pair returns the pair name=value.
func (in labelInterner) pair(name, value string) *dto.LabelPair {
	if in == nil || uniqueLabels[name] {
		return &dto.LabelPair{Name: &name, Value: &value}
	}
	key := [2]string{name, value}
	if p := in[key]; p != nil {
		return p
	}
	p := &dto.LabelPair{Name: &name, Value: &value}
	in[key] = p
	return p
}

// mergeLabels merges two label pair lists sorted by name into a new one.
func mergeLabels(a, b []*dto.LabelPair) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].GetName() < b[0].GetName() {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}
