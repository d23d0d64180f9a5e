package collector

import (
	"container/heap"
	"sync/atomic"
	"time"
)

// room is one watched room of an app. Its snapshot is read by scrapes
// without locking; every other field is guarded by the app's mutex.
type room struct {
	id   string
	snap atomic.Pointer[roomSnapshot]

	queueAt   int       // index in the app's queue; -1 while not queued
	due       time.Time // when the next attempt may start
	inRefresh bool      // a refresh has started and has not concluded
	started   time.Time // when the current refresh started
	attempt   int       // retries spent by the current refresh
	renewed   bool      // the current refresh already renewed the UserSig
	pass      uint64    // the last pass in which the room concluded a refresh
	failCode  string    // code of the last room-level failure logged
	removed   bool      // no longer watched
}

// newRoom returns a room never refreshed, not yet queued.
func newRoom(id string) *room {
	r := &room{id: id, queueAt: -1}
	r.snap.Store(emptySnapshot)
	return r
}

// roomQueue orders rooms by when they are due; it implements heap.Interface.
type roomQueue []*room

// Len implements heap.Interface.
func (q roomQueue) Len() int { return len(q) }

// Less implements heap.Interface.
func (q roomQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }

// Swap implements heap.Interface.
func (q roomQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].queueAt = i
	q[j].queueAt = j
}

// Push implements heap.Interface.
func (q *roomQueue) Push(x any) {
	r := x.(*room)
	r.queueAt = len(*q)
	*q = append(*q, r)
}

// Pop implements heap.Interface.
func (q *roomQueue) Pop() any {
	old := *q
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	r.queueAt = -1
	return r
}

// schedule puts r in the queue to be due at due, moving it if queued.
func (q *roomQueue) schedule(r *room, due time.Time) {
	r.due = due
	if r.queueAt >= 0 {
		heap.Fix(q, r.queueAt)
		return
	}
	heap.Push(q, r)
}

// remove takes r out of the queue if it is there.
func (q *roomQueue) remove(r *room) {
	if r.queueAt >= 0 {
		heap.Remove(q, r.queueAt)
	}
}

// popDue returns the first room due at now, or nil and the time the first
// room will be due (zero when the queue is empty).
func (q *roomQueue) popDue(now time.Time) (*room, time.Time) {
	if len(*q) == 0 {
		return nil, time.Time{}
	}
	if first := (*q)[0]; first.due.After(now) {
		return nil, first.due
	}
	return heap.Pop(q).(*room), time.Time{}
}
