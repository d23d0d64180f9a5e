package collector

import (
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// roomSnapshot is what the exporter knows of one room after its latest
// refresh. Snapshots are immutable: a refresh publishes a new one, and a
// scrape reads whichever is current without locking.
type roomSnapshot struct {
	// known is true once the room has had a definitive answer.
	known bool
	// exists is true when that answer returned the room, false when it said
	// the room does not exist (100004).
	exists bool
	// info holds the room's values when exists is true.
	info *tencent.RoomInfo
	// lastDefinitive is when the latest definitive answer arrived.
	lastDefinitive time.Time
	// refreshOK is true when the latest refresh got a definitive answer.
	refreshOK bool
	// infoLabels are the labels of tencent_live_room_info that come from
	// the answer, sorted by name.
	infoLabels []*dto.LabelPair
}

// emptySnapshot is the state of a room never refreshed.
var emptySnapshot = &roomSnapshot{}

// withRoom returns the snapshot after an answer that returned the room; in
// shares the info label pairs that many rooms repeat.
func withRoom(info tencent.RoomInfo, at time.Time, in labelInterner) *roomSnapshot {
	values := []string{info.RoomName, info.RoomType, info.OwnerAccount, info.TakeSeatMode, strings.Join(info.Category, ",")}
	return &roomSnapshot{
		known: true, exists: true, info: &info, lastDefinitive: at, refreshOK: true,
		infoLabels: labelPairs(infoLabels, values, in),
	}
}

// withMissing returns the snapshot after an answer saying the room does not
// exist: its other values are dropped.
func withMissing(at time.Time) *roomSnapshot {
	return &roomSnapshot{known: true, exists: false, lastDefinitive: at, refreshOK: true}
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

// fresh reports whether the snapshot's values may still be shown at now.
func (s *roomSnapshot) fresh(now time.Time, staleAfter time.Duration) bool {
	return s.known && now.Sub(s.lastDefinitive) <= staleAfter
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
