package collector

import (
	"time"
)

// hintShare is the fraction of get_room_info's budget that hinted refreshes
// may take: a flood or replay of events can neither exceed the rate nor
// starve the watched rooms' regular refreshes.
const hintShare = 0.25

// Results of a hint, the values of tencent_live_hints_total's result label.
const (
	hintQueued    = "queued"    // the room moves to the front of get_room_info's queue
	hintCoalesced = "coalesced" // the room was already hinted and not yet refreshed
	hintUnwatched = "unwatched" // the room is not watched by the app
)

// hint moves the watched room id to the front of the info lane's queue: its
// get_room_info goes before any regular refresh, within the hint share. A
// hint is only a hint: the answer decides what the room shows. eventAt is
// when the event behind it happened, for the detection delay. It returns
// the hint's result; a.mu is held.
func (a *app) hint(id string, eventAt time.Time) string {
	r := a.rooms[id]
	if r == nil {
		return hintUnwatched
	}
	l, t := a.lanes[laneInfo], r.tasks[laneInfo]
	if t.hintAt.IsZero() || eventAt.Before(t.hintAt) {
		t.hintAt = eventAt
	}
	switch {
	case t.hinted || t.rehint:
		return hintCoalesced
	case t.inRefresh && t.queueAt < 0:
		// A request is in flight; it may have left before the event, so
		// the room goes again once it is answered.
		t.rehint = true
	default:
		l.queue.remove(t)
		l.pushHinted(t)
	}
	return hintQueued
}

// hintServed books a concluded refresh of t against its hints: a refresh
// hinted while its request was in flight goes again at once, one that
// served a hint observes the delay from the event to the room's new state;
// a.mu is held.
func (a *app) hintServed(l *lane, t *task, now time.Time) {
	switch {
	case t.rehint:
		t.rehint = false
		l.queue.remove(t)
		l.pushHinted(t)
	case !t.hintAt.IsZero():
		a.metrics.hintDelay.WithLabelValues(a.id).Observe(now.Sub(t.hintAt).Seconds())
		t.hintAt = time.Time{}
	}
}

// pushHinted appends t to the hinted rooms; the app's mutex is held.
func (l *lane) pushHinted(t *task) {
	t.hinted = true
	l.hinted = append(l.hinted, t)
	l.nudge()
}

// popHinted takes the first hinted room still watched, or nil; the app's
// mutex is held.
func (l *lane) popHinted() *task {
	for len(l.hinted) > 0 {
		t := l.hinted[0]
		l.hinted[0] = nil
		l.hinted = l.hinted[1:]
		t.hinted = false
		if !t.room.removed {
			return t
		}
	}
	return nil
}
