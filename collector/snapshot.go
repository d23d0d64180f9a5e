package collector

import (
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// roomSnapshot is what the exporter knows of one room after its latest
// refresh, by get_room_info or by a get_room_list pass that listed it.
// Snapshots are immutable: a refresh publishes a new one, and a scrape reads
// whichever is current without locking.
//
// Each value has its own age, which stale_after measures: exists that of
// the latest definitive answer of either kind; views and activity that of
// whichever answer brought them last; the other fields that of the latest
// get_room_info that returned the room.
type roomSnapshot struct {
	// known is true once the room has had a definitive answer.
	known bool
	// exists is what the latest definitive answer said: true when it
	// returned or listed the room, false when get_room_info said the room
	// does not exist (100004).
	exists bool
	// lastDefinitive is when the latest definitive answer arrived.
	lastDefinitive time.Time
	// refreshOK is true when the latest refresh got a definitive answer.
	refreshOK bool
	// info holds the values of the latest get_room_info that returned the
	// room, received at infoAt; nil after an answer that the room does not
	// exist.
	info   *tencent.RoomInfo
	infoAt time.Time
	// views and activity are the room's ViewCount and ActivityStatus from
	// the latest answer that carried them, received at valuesAt.
	views, activity int64
	valuesAt        time.Time
}

// emptySnapshot is the state of a room never refreshed.
var emptySnapshot = &roomSnapshot{}

// withRoom returns the snapshot after a get_room_info answer that returned
// the room. Fields no series shows (CoverURL, Notice) are not kept.
func withRoom(info tencent.RoomInfo, at time.Time) *roomSnapshot {
	info.CoverURL, info.Notice = "", ""
	return &roomSnapshot{
		known: true, exists: true, lastDefinitive: at, refreshOK: true,
		info: &info, infoAt: at,
		views: info.ViewCount, activity: info.ActivityStatus, valuesAt: at,
	}
}

// withMissing returns the snapshot after an answer saying the room does not
// exist: its other values are dropped.
func withMissing(at time.Time) *roomSnapshot {
	return &roomSnapshot{known: true, exists: false, lastDefinitive: at, refreshOK: true, infoAt: at}
}

// listed returns the snapshot after a listing page, received at at, showed
// the room with its view count and activity status. A page older than the
// snapshot's latest definitive answer changes nothing.
func (s *roomSnapshot) listed(views, activity int64, at time.Time) *roomSnapshot {
	if at.Before(s.lastDefinitive) {
		return s
	}
	next := *s
	next.known, next.exists, next.lastDefinitive, next.refreshOK = true, true, at, true
	next.views, next.activity, next.valuesAt = views, activity, at
	return &next
}

// failed returns the snapshot after a refresh without a definitive answer:
// the last known values stay until they turn stale.
func (s *roomSnapshot) failed() *roomSnapshot {
	if !s.refreshOK {
		return s
	}
	next := *s
	next.refreshOK = false
	return &next
}

// countSnapshot is a room's get_member_list answer: people in the room.
type countSnapshot struct {
	value int64
	at    time.Time // when it arrived
}

// statsSnapshot is a room's get_room_stats answer.
type statsSnapshot struct {
	stats tencent.RoomStats
	at    time.Time // when it arrived
}
