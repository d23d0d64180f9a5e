package collector

import (
	"container/heap"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Room sources, the values of tencent_live_rooms' source label: the two of
// the configuration, and the rooms discovery finds.
const (
	sourceConfig    = config.SourceConfig
	sourceFile      = config.SourceFile
	sourceDiscovery = "discovery"
)

// room is one watched room of an app. Its snapshots are read by scrapes
// without locking; every other field is guarded by the app's mutex.
type room struct {
	id      string
	info    atomic.Pointer[roomSnapshot]  // get_room_info
	members atomic.Pointer[countSnapshot] // get_member_list; nil until known
	stats   atomic.Pointer[statsSnapshot] // get_room_stats; nil until known
	// memberEvents counts member-state webhooks; nil until the first.
	memberEvents atomic.Pointer[memberEvents]

	slot       int              // index in the app's exposed rooms
	source     string           // sourceConfig, sourceFile or sourceDiscovery
	tasks      [laneCount]*task // per lane, nil while the lane is off
	removed    bool             // no longer watched
	listedPass uint64           // the last discovery pass that listed the room; 0 for none
}

// newRoom returns a room never refreshed.
func newRoom(id, source string) *room {
	r := &room{id: id, source: source}
	r.info.Store(emptySnapshot)
	return r
}

// task is the refreshing of one room by one lane: when it is due and how
// its current refresh goes. The app's mutex guards it.
type task struct {
	room      *room
	queueAt   int       // index in the lane's queue; -1 while not queued
	due       time.Time // when the next attempt may start
	inRefresh bool      // a refresh has started and has not concluded
	started   time.Time // when the current refresh started
	tries     tries     // of the current refresh
	pass      uint64    // the last pass in which the task concluded a refresh
	failCode  string    // code of the last room-level failure logged
	spread    float64   // in [0.5, 1): the share of info_refresh_interval a listed room waits
	hinted    bool      // in the lane's hinted list
	rehint    bool      // hinted while its request was in flight: refresh again
	hintAt    time.Time // when the event behind the oldest hint not yet served happened
}

// tries counts what one refresh (or one listing page) spent on retries.
type tries struct {
	retries int  // retries spent
	renewed bool // the UserSig was already renewed once
}

// newTask returns the task of lane kind for r, not queued.
func newTask(r *room) *task {
	return &task{room: r, queueAt: -1, spread: 0.5 + rand.Float64()/2}
}

// begin marks the start of a refresh at now, unless one is under way.
func (t *task) begin(now time.Time) {
	if !t.inRefresh {
		t.inRefresh, t.started = true, now
	}
}

// end marks t's current refresh as over.
func (t *task) end() {
	t.inRefresh, t.tries = false, tries{}
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

// next returns the first task and whether it is due at now; nil when the
// queue is empty.
func (q taskQueue) next(now time.Time) (*task, bool) {
	if len(q) == 0 {
		return nil, false
	}
	return q[0], !q[0].due.After(now)
}

// pop takes the first task out of the queue.
func (q *taskQueue) pop() *task {
	return heap.Pop(q).(*task)
}
