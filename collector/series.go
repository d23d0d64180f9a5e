package collector

import (
	"slices"
	"strings"
	"time"
)

// Value groups: which answer a room series' value comes from, and so which
// age stale_after measures for it.
const (
	groupAlways  = iota // refresh_success, last_refresh_timestamp_seconds, member events
	groupExists         // exists: the latest definitive answer
	groupValues         // views_total, activity_status: get_room_info or a listing
	groupInfo           // the other get_room_info values and info
	groupMembers        // get_member_list
	groupStats          // get_room_stats
	groupCount
)

// familyGroups gives each room metric family its value group.
var familyGroups = [roomFamilyCount]int{
	famRefreshSuccess: groupAlways, famLastRefresh: groupAlways, famMemberEvents: groupAlways,
	famExists: groupExists,
	famViews:  groupValues, famActivity: groupValues,
	famMaxMembers: groupInfo, famMaxSeats: groupInfo, famSeatEnabled: groupInfo, famMessageDisabled: groupInfo,
	famPublicVisible: groupInfo, famCreateTime: groupInfo, famInfo: groupInfo,
	famMembers: groupMembers,
	famViewers: groupStats, famGiftsSent: groupStats, famGiftCoins: groupStats, famUniqueGiftSenders: groupStats,
	famLikes: groupStats, famMessages: groupStats,
}

// labelPair is one label of a series.
type labelPair struct{ name, value string }

// sortedLabels returns the pairs of names and values sorted by name.
func sortedLabels(names, values []string) []labelPair {
	pairs := make([]labelPair, len(names))
	for i := range names {
		pairs[i] = labelPair{names[i], values[i]}
	}
	slices.SortFunc(pairs, func(a, b labelPair) int { return strings.Compare(a.name, b.name) })
	return pairs
}

// roomState is what is known of a room at one moment: its snapshots, read
// once, and when each value group's values arrived.
type roomState struct {
	info    *roomSnapshot
	members *countSnapshot    // nil when unknown or the room does not exist
	stats   *statsSnapshot    // likewise
	events  *memberEvents     // nil before the first member-state webhook
	at      [groupCount]int64 // when each value group's values arrived, Unix ns; 0 for none
}

// loadRoom reads r's snapshots.
func loadRoom(r *room) roomState {
	s := r.info.Load()
	st := roomState{info: s, members: r.members.Load(), stats: r.stats.Load(), events: r.memberEvents.Load()}
	if s.known && !s.exists { // a missing room has no values
		st.members, st.stats = nil, nil
	}
	st.at[groupExists], st.at[groupValues], st.at[groupInfo] = unixNano(s.lastDefinitive), unixNano(s.valuesAt), unixNano(s.infoAt)
	if st.members != nil {
		st.at[groupMembers] = unixNano(st.members.at)
	}
	if st.stats != nil {
		st.at[groupStats] = unixNano(st.stats.at)
	}
	return st
}

// unixNano is t in Unix ns, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// eachSample calls fn for every series the room's state gives, in family
// order, with the labels it adds to the room's (sorted by name) and its
// value: the refresh series always, exists once known, the room's values
// while it exists. Whether a series is still fresh is for visible to say.
func (st *roomState) eachSample(fn func(fam int, extra []labelPair, value float64)) {
	s := st.info
	fn(famRefreshSuccess, nil, boolValue(s.refreshOK))
	if s.known {
		fn(famLastRefresh, nil, float64(s.lastDefinitive.UnixNano())/1e9)
		fn(famExists, nil, boolValue(s.exists))
	}
	exists := s.known && s.exists
	values := exists && !s.valuesAt.IsZero()
	info := exists && s.info != nil
	if values {
		fn(famViews, nil, float64(s.views))
	}
	if info {
		fn(famMaxMembers, nil, float64(s.info.MaxMemberCount))
	}
	if values {
		fn(famActivity, nil, float64(s.activity))
	}
	if info {
		in := s.info
		fn(famMaxSeats, nil, float64(in.MaxSeatCount))
		fn(famSeatEnabled, nil, boolValue(in.IsSeatEnabled))
		fn(famMessageDisabled, nil, boolValue(in.IsMessageDisabled))
		fn(famPublicVisible, nil, boolValue(in.IsPublicVisible))
		fn(famCreateTime, nil, float64(in.CreateTime))
		fn(famInfo, []labelPair{
			{"category", strings.Join(in.Category, ",")},
			{"owner_account", in.OwnerAccount},
			{"room_name", in.RoomName},
			{"room_type", in.RoomType},
			{"take_seat_mode", in.TakeSeatMode},
		}, 1)
	}
	if st.members != nil {
		fn(famMembers, nil, float64(st.members.value))
	}
	if st.stats != nil {
		t := &st.stats.stats
		fn(famViewers, nil, float64(t.TotalViewers))
		fn(famGiftsSent, nil, float64(t.TotalGiftsSent))
		fn(famGiftCoins, nil, float64(t.TotalGiftCoins))
		fn(famUniqueGiftSenders, nil, float64(t.TotalUniqueGiftSenders))
		fn(famLikes, nil, float64(t.TotalLikesReceived))
		fn(famMessages, nil, float64(t.TotalMsgCount))
	}
	if st.events != nil {
		for i, cause := range memberCauses {
			if n := st.events[i].Load(); n > 0 {
				fn(famMemberEvents, []labelPair{{labelCause, cause}}, float64(n))
			}
		}
	}
}

// visible reports whether the series of family fam, with the value group
// times at (Unix ns, 0 for none), may be shown at now (Unix ns): each value
// while younger than staleAfter (ns), and a room's values only while its
// exists series is shown. A group without a time has no series.
func visible(fam int, at *[groupCount]int64, now, staleAfter int64) bool {
	fresh := func(g int) bool { return at[g] == 0 || now-at[g] <= staleAfter }
	switch g := familyGroups[fam]; g {
	case groupAlways:
		return true
	case groupValues, groupInfo:
		return fresh(groupExists) && fresh(g)
	default:
		return fresh(g)
	}
}

// mergeLabels merges two label lists sorted by name into a new one.
func mergeLabels(a, b []labelPair) []labelPair {
	out := make([]labelPair, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].name < b[0].name {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}
