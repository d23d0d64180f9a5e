package collector

import (
	"sync/atomic"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// maxEventAge bounds how far in the past an event's own time is believed:
// a signed request may be replayed within a minute, and Tencent's clock may
// differ from ours. Older or future event times count from their arrival.
const maxEventAge = time.Minute

// memberCauses are the EventCause values of member-state events that keep a
// series of their own; any other cause counts as causeOther.
var memberCauses = [...]string{
	tencent.CauseEnter, tencent.CauseLeave, tencent.CauseHeartbeatInterrupt,
	tencent.CauseHeartbeatRecover, tencent.CauseKicked, causeOther,
}

// causeOther is the cause label of member events with an undocumented cause.
const causeOther = "other"

// memberEvents counts a room's member-state changes by cause, in the order
// of memberCauses. Webhooks add to it; scrapes read it without locking.
type memberEvents [len(memberCauses)]atomic.Int64

// roomQuota is what the quota webhook said of an app's rooms.
type roomQuota struct {
	created, max int64
}

// Event implements webhook.Sink: Tencent's webhook events for an app this
// fetcher watches. Room events are hints: the room's get_room_info goes
// first, and its answer decides what /metrics shows; with discovery on, a
// public room just created is watched at once. Member-state events count
// per watched room, and the quota event sets the app's room quota. Event
// never blocks on Tencent: it only reorders the app's queue.
func (f *Fetcher) Event(sdkappid uint64, ev tencent.Event) {
	f.mu.Lock()
	running := f.apps[sdkappid]
	f.mu.Unlock()
	if running != nil {
		running.app.event(ev, time.Now())
	}
}

// event acts on one webhook event received at now.
func (a *app) event(ev tencent.Event, now time.Time) {
	switch ev.Command {
	case tencent.CallbackAfterCreateRoom, tencent.CallbackAfterDestroyRoom, tencent.CallbackAfterUpdateRoomInfo:
		at := now
		if age := now.Sub(ev.Time); !ev.Time.IsZero() && age >= 0 && age <= maxEventAge {
			at = ev.Time
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if ev.Command == tencent.CallbackAfterCreateRoom && ev.Public && a.settings.discovery.enabled && a.rooms[ev.RoomID] == nil {
			a.discovery.add(ev.RoomID)
			a.rebuild(now)
		}
		a.metrics.hinted(a.id, a.hint(ev.RoomID, at))
	case tencent.CallbackAfterMemberStateChanged:
		a.mu.Lock()
		defer a.mu.Unlock()
		r := a.rooms[ev.RoomID]
		if r == nil {
			return
		}
		counts := r.memberEvents.Load()
		if counts == nil {
			counts = &memberEvents{}
			r.memberEvents.Store(counts)
		}
		defer a.render(r)
		i := len(memberCauses) - 1
		for j, cause := range memberCauses {
			if cause == ev.Cause {
				i = j
			}
		}
		counts[i].Add(int64(max(ev.Members, 1)))
	case tencent.CallbackAfterCreateRoomReachingThreshold:
		a.quota.Store(&roomQuota{created: ev.RoomCount, max: ev.MaxRoomCount})
	}
}
