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
	famRefreshSuccess:  {"refresh_success", "1 when the room's last refresh got a definitive answer from Tencent, else 0", dto.MetricType_GAUGE},
	famLastRefresh:     {"last_refresh_timestamp_seconds", "Unix time of the room's last definitive answer from Tencent", dto.MetricType_GAUGE},
	famExists:          {"exists", "1 when Tencent returned the room, 0 when it answered that the room does not exist (never created or dissolved)", dto.MetricType_GAUGE},
	famViews:           {"views_total", "Cumulative room entries (ViewCount)", dto.MetricType_COUNTER},
	famMaxMembers:      {"max_members", "Room capacity (MaxMemberCount)", dto.MetricType_GAUGE},
	famActivity:        {"activity_status", "User-defined activity status of the room (ActivityStatus)", dto.MetricType_GAUGE},
	famMaxSeats:        {"max_seats", "Number of seats (MaxSeatCount)", dto.MetricType_GAUGE},
	famSeatEnabled:     {"seat_enabled", "1 when seats are enabled (IsSeatEnabled)", dto.MetricType_GAUGE},
	famMessageDisabled: {"message_disabled", "1 when messages are disabled in the room (IsMessageDisabled)", dto.MetricType_GAUGE},
	famPublicVisible:   {"public_visible", "1 when the room is publicly visible (IsPublicVisible)", dto.MetricType_GAUGE},
	famCreateTime:      {"create_time_seconds", "Unix time the room was created (CreateTime)", dto.MetricType_GAUGE},
	famInfo:            {"info", "Descriptive details of the room, always 1", dto.MetricType_GAUGE},
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
		def := &roomFamilyDefs[i]
		name, help := namespace+"_room_"+def.name, def.help+roomHelpSuffix
		families[i] = &dto.MetricFamily{Name: &name, Help: &help, Type: def.kind.Enum(), Metric: make([]*dto.Metric, 0, rooms)}
	}
	for _, v := range views {
		for i := range v.rooms {
			rv := &v.rooms[i]
			appendRoom(&families, rv.labels, rv.room.snap.Load(), now, v.staleAfter)
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

// roomSample is the storage of one room sample; a room's samples are
// allocated together.
type roomSample struct {
	metric  dto.Metric
	gauge   dto.Gauge
	counter dto.Counter
	value   float64
}

// appendRoom adds one room's series as spec'd by its freshness: values only
// while fresh, the two refresh series always once known. labels are the
// room's label pairs, sorted by name.
func appendRoom(families *[roomFamilyCount]*dto.MetricFamily, labels []*dto.LabelPair, s *roomSnapshot, now time.Time, staleAfter time.Duration) {
	samples := new([roomFamilyCount]roomSample)
	add := func(fam int, v float64) {
		sm := &samples[fam]
		sm.value = v
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
	if !s.known {
		return
	}
	add(famLastRefresh, float64(s.lastDefinitive.UnixNano())/1e9)
	if !s.fresh(now, staleAfter) {
		return
	}
	add(famExists, boolValue(s.exists))
	if !s.exists {
		return
	}
	info := s.info
	add(famViews, float64(info.ViewCount))
	add(famMaxMembers, float64(info.MaxMemberCount))
	add(famActivity, float64(info.ActivityStatus))
	add(famMaxSeats, float64(info.MaxSeatCount))
	add(famSeatEnabled, boolValue(info.IsSeatEnabled))
	add(famMessageDisabled, boolValue(info.IsMessageDisabled))
	add(famPublicVisible, boolValue(info.IsPublicVisible))
	add(famCreateTime, float64(info.CreateTime))
	labels = mergeLabels(labels, s.infoLabels)
	add(famInfo, 1)
}

// labelPairs returns the pairs of names and values, sorted by name.
func labelPairs(names, values []string) []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, len(names))
	for i := range names {
		pairs[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	slices.SortFunc(pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return pairs
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
