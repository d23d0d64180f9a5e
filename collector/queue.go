package collector

import (
	"container/heap"
	"sync/atomic"
	"time"
)

// room is one watched room of an app. Its snapshots are read by scrapes
// without locking; every other field is guarded by the app's mutex.
type room struct {
	id      string
	info    atomic.Pointer[roomSnapshot]  // get_room_info
	members atomic.Pointer[countSnapshot] // get_member_list; nil until known
	stats   atomic.Pointer[statsSnapshot] // get_room_stats; nil until known

	source  string           // "config", "file" or "discovery"
	tasks   [laneCount]*task // per lane, nil while the lane is off
	removed bool             // no longer watched
}

// newRoom returns a room never refreshed.
func newRoom(id, source string) *room {
	r := &room{id: id, source: source}
	r.info.Store(emptySnapshot)
	return r
}

// forget drops what lane kind knew of the room.
func (r *room) forget(kind int) {
	switch kind {
	case laneMembers:
		r.members.Store(nil)
	case laneStats:
		r.stats.Store(nil)
	}
}

// task is the refreshing of one room by one lane: when it is due and how
// its current refresh goes. The app's mutex guards it.
type task struct {
	room      *room
	queueAt   int       // index in the lane's queue; -1 while not queued
	due       time.Time // when the next attempt may start
	inRefresh bool      // a refresh has started and has not concluded
	started   time.Time // when the current refresh started
	attempt   int       // retries spent by the current refresh
	renewed   bool      // the current refresh already renewed the UserSig
	pass      uint64    // the last pass in which the task concluded a refresh
	failCode  string    // code of the last room-level failure logged
}

// endRefresh marks t's current refresh as over.
func (t *task) endRefresh() {
	t.inRefresh, t.attempt, t.renewed = false, 0, false
}

// taskQueue orders tasks by when they are due; it implements heap.Interface.
type taskQueue []*task

// Len implements heap.Interface.
func (q taskQueue) Len() int { return len(q) }

// Less implements heap.Interface.
func (q taskQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }

// Swap implements heap.Interface.
func (q taskQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].queueAt = i
	q[j].queueAt = j
}

// Push implements heap.Interface.
func (q *taskQueue) Push(x any) {
	t := x.(*task)
	t.queueAt = len(*q)
	*q = append(*q, t)
}

// Pop implements heap.Interface.
func (q *taskQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.queueAt = -1
	return t
}

// schedule puts t in the queue to be due at due, moving it if queued.
func (q *taskQueue) schedule(t *task, due time.Time) {
	t.due = due
	if t.queueAt >= 0 {
		heap.Fix(q, t.queueAt)
		return
	}
	heap.Push(q, t)
}

// remove takes t out of the queue if it is there.
func (q *taskQueue) remove(t *task) {
	if t.queueAt >= 0 {
		heap.Remove(q, t.queueAt)
	}
}

// popDue returns the first task due at now, or nil and the time the first
// task will be due (zero when the queue is empty).
func (q *taskQueue) popDue(now time.Time) (*task, time.Time) {
	if len(*q) == 0 {
		return nil, time.Time{}
	}
	if first := (*q)[0]; first.due.After(now) {
		return nil, first.due
	}
	return heap.Pop(q).(*task), time.Time{}
}
