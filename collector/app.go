package collector

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// liveAPI is the fetcher's edge to Tencent: the Live read commands of one
// app. *tencent.Client implements it.
type liveAPI interface {
	GetRoomInfo(ctx context.Context, roomID string) (tencent.RoomInfo, error)
	GetMemberList(ctx context.Context, roomID, next string) (tencent.MemberList, error)
	GetRoomStats(ctx context.Context, roomID string) (tencent.RoomStats, error)
	GetRoomList(ctx context.Context, next string, count int) (tencent.RoomList, error)
}

// Lanes: each refreshes every room with one command, within its own budget.
const (
	laneInfo = iota
	laneMembers
	laneStats
	laneCount
)

// laneCommands are the commands of the lanes.
var laneCommands = [laneCount]string{tencent.CommandGetRoomInfo, tencent.CommandGetMemberList, tencent.CommandGetRoomStats}

// appSettings is what one app's fetcher takes from the configuration.
type appSettings struct {
	api             liveAPI
	creds           *credentials
	qps             [laneCount]int // 0 turns a lane off; the info lane is always on
	maxConcurrency  int            // per lane; 0 = derived from the rate and the observed latency
	refreshInterval time.Duration
	staleAfter      time.Duration
	maxRetries      int
	discovery       discoverySettings
	labelNames      []string // of room series: sdkappid, room_id, the app's, then the rooms'
	appLabelValues  []string // values of the app's labels
	endpoint        string   // base URL of the API
}

// wantedRoom is a room the configuration asks to watch, with the values of
// its labels in the order of the settings' label names.
type wantedRoom struct {
	id          string
	source      string
	labelValues []string
}

// app fetches the rooms of one SDKAppID. Each lane runs one loop that takes
// due rooms in order, books each request on the lane's budget, bounds the
// requests in flight and starts one goroutine per attempt; attempts report
// back through record. Discovery, when on, runs a loop of its own.
type app struct {
	id      string // the SDKAppID in decimal, as in labels
	logger  log.Logger
	metrics *apiMetrics
	lanes   [laneCount]*lane
	finder  *discovery
	view    atomic.Pointer[appView]

	inflight sync.WaitGroup

	mu         sync.Mutex
	settings   appSettings
	configured []wantedRoom
	rooms      map[string]*room
	health     appHealth
	passes     passTracker // of the info lane
	labels     labelInterner
}

// lane is the refreshing of every room of an app with one command.
type lane struct {
	kind     int
	command  string
	budget   *Budget
	wake     chan struct{} // nudges the loop after a change; capacity 1
	released chan struct{} // tells the loop a request finished; capacity 1

	// Guarded by the app's mutex.
	queue    taskQueue
	busy     int           // requests in flight
	latency  time.Duration // moving average of request durations
	disabled pause         // while Tencent says the command is disabled
}

// newApp returns the fetcher of one app; call apply, then run.
func newApp(sdkappid uint64, logger log.Logger, metrics *apiMetrics) *app {
	id := formatID(sdkappid)
	a := &app{
		id:      id,
		logger:  log.With(logger, "sdkappid", id),
		metrics: metrics,
		rooms:   map[string]*room{},
		health:  appHealth{up: true},
		labels:  labelInterner{},
		finder:  newDiscovery(),
	}
	for kind := range a.lanes {
		a.lanes[kind] = &lane{
			kind:     kind,
			command:  laneCommands[kind],
			budget:   NewBudget(1, nil),
			wake:     make(chan struct{}, 1),
			released: make(chan struct{}, 1),
		}
	}
	a.passes.reset(time.Now())
	return a
}

// apply installs new settings and the configured rooms: rooms that stay
// keep their state, removed rooms leave at once, new rooms are due now.
func (a *app) apply(s appSettings, configured []wantedRoom) {
	a.mu.Lock()
	defer a.mu.Unlock()
	discoveryChanged := a.settings.discovery != s.discovery
	if a.settings.creds != s.creds || a.settings.endpoint != s.endpoint {
		a.resume()
	}
	a.settings = s
	a.configured = configured
	for kind, l := range a.lanes {
		if s.qps[kind] > 0 {
			l.budget.SetQPS(s.qps[kind])
		}
	}
	a.rebuild(time.Now())
	if discoveryChanged {
		a.finder.nudge()
	}
}

// resume ends the app's pause after new credentials or a new endpoint,
// which may have fixed its cause: the rooms it held back are due now;
// a.mu is held.
func (a *app) resume() {
	until := a.health.until
	a.health.pause = pause{}
	if until.IsZero() {
		return
	}
	now := time.Now()
	for _, l := range a.lanes {
		for _, t := range slices.Clone(l.queue) {
			if t.due.Equal(until) {
				l.queue.schedule(t, now)
			}
		}
	}
}

// rebuild makes the watched rooms the configured ones plus the discovered
// ones not configured, schedules what changed and publishes a new view;
// a.mu is held.
func (a *app) rebuild(now time.Time) {
	s := &a.settings
	wanted := a.configured
	if discovered := a.finder.found(); len(discovered) > 0 {
		configured := make(map[string]bool, len(wanted))
		for _, w := range wanted {
			configured[w.id] = true
		}
		wanted = append(make([]wantedRoom, 0, len(wanted)+len(discovered)), wanted...)
		for _, id := range discovered {
			if !configured[id] {
				wanted = append(wanted, discoveredRoom(s, a.id, id))
			}
		}
	}

	// Label pairs of rooms whose labels did not change are kept, so that a
	// discovered room coming or going costs no allocation per room.
	previous := map[*room]*roomView{}
	if old := a.view.Load(); old != nil && slices.Equal(old.labelNames, s.labelNames) {
		for i := range old.rooms {
			previous[old.rooms[i].room] = &old.rooms[i]
		}
	}
	view := &appView{labelNames: s.labelNames, appLabelValues: s.appLabelValues, creds: s.creds, staleAfter: s.staleAfter, rooms: make([]roomView, 0, len(wanted))}
	keep := make(map[string]*room, len(wanted))
	for _, w := range wanted {
		r := a.rooms[w.id]
		if r == nil {
			r = newRoom(w.id, w.source)
		}
		if w.source == sourceDiscovery && r.source != sourceDiscovery && !r.info.Load().exists {
			// Only configured rooms report a missing room.
			r.info.Store(emptySnapshot)
		}
		r.source = w.source
		keep[w.id] = r
		rv := roomView{room: r, source: w.source, labelValues: w.labelValues}
		if old := previous[r]; old != nil && slices.Equal(old.labelValues, w.labelValues) {
			rv.labels = old.labels
		} else {
			rv.labels = labelPairs(s.labelNames, w.labelValues, a.labels)
		}
		view.rooms = append(view.rooms, rv)
	}
	for id, r := range a.rooms {
		if keep[id] == nil {
			a.unwatch(r)
		}
	}
	a.rooms = keep
	for kind, l := range a.lanes {
		on := s.qps[kind] > 0
		for _, r := range a.rooms {
			switch t := r.tasks[kind]; {
			case on && t == nil:
				r.tasks[kind] = &task{room: r, queueAt: -1}
				l.queue.schedule(r.tasks[kind], now)
			case !on && t != nil:
				l.queue.remove(t)
				r.tasks[kind] = nil
				r.forget(kind)
			}
		}
		l.nudge()
	}
	a.passes.recount(a.rooms, now)
	a.view.Store(view)
}

// unwatch takes a room out of every lane's queue; a.mu is held.
func (a *app) unwatch(r *room) {
	r.removed = true
	for kind, l := range a.lanes {
		if t := r.tasks[kind]; t != nil {
			l.queue.remove(t)
		}
	}
}

// discoveredRoom is a discovered room with the app's labels.
func discoveredRoom(s *appSettings, sdkappid, id string) wantedRoom {
	return wantedRoom{id: id, source: sourceDiscovery, labelValues: unconfiguredValues(s.labelNames, s.appLabelValues, sdkappid, id)}
}

// unconfiguredValues returns the label values of a room the configuration
// does not list: its IDs, the app's labels and empty room labels.
func unconfiguredValues(names, appValues []string, sdkappid, id string) []string {
	values := make([]string, len(names))
	values[0], values[1] = sdkappid, id
	copy(values[2:], appValues)
	return values
}

// nudge wakes the lane's loop to look at its queue again.
func (l *lane) nudge() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run runs the app's lanes and discovery until ctx ends, and returns after
// every attempt they started has returned.
func (a *app) run(ctx context.Context) {
	var loops sync.WaitGroup
	for _, l := range a.lanes {
		loops.Go(func() { a.runLane(ctx, l) })
	}
	loops.Go(func() { a.discover(ctx) })
	loops.Wait()
	a.inflight.Wait()
}

// runLane is a lane's loop.
func (a *app) runLane(ctx context.Context, l *lane) {
	for {
		t, ok := a.nextDue(ctx, l)
		if !ok {
			return
		}
		if !a.acquire(ctx, l) {
			return
		}
		booking := l.budget.Reserve()
		if !sleepUntil(ctx, booking.At) {
			return
		}
		a.mu.Lock()
		until := a.pausedUntil(l, time.Now())
		if t.room.removed || t.room.tasks[l.kind] != t || !until.IsZero() {
			if !t.room.removed && t.room.tasks[l.kind] == t {
				t.endRefresh()
				l.queue.schedule(t, until)
			}
			l.busy--
			a.mu.Unlock()
			continue
		}
		api := a.settings.api
		a.mu.Unlock()
		a.inflight.Add(1)
		go a.attempt(ctx, api, l, t, booking)
	}
}

// nextDue waits until a task of the lane is due and the app is not paused,
// and takes it from the queue.
func (a *app) nextDue(ctx context.Context, l *lane) (*task, bool) {
	for {
		a.mu.Lock()
		now := time.Now()
		wakeAt := a.pausedUntil(l, now)
		if wakeAt.IsZero() {
			var t *task
			if t, wakeAt = l.queue.popDue(now); t != nil {
				if !t.inRefresh {
					t.inRefresh, t.started = true, now
				}
				a.mu.Unlock()
				return t, true
			}
		}
		a.mu.Unlock()

		if !waitUntil(ctx, l.wake, wakeAt) {
			return nil, false
		}
	}
}

// pausedUntil returns when the app's and the lane's pauses end, or zero
// when neither forbids requests at now; a.mu is held.
func (a *app) pausedUntil(l *lane, now time.Time) time.Time {
	var until time.Time
	for _, p := range []*pause{&a.health.pause, &l.disabled} {
		if p.active(now) && p.until.After(until) {
			until = p.until
		}
	}
	return until
}

// waitUntil waits until t (forever when t is zero), a nudge on wake, or the
// end of ctx, reporting whether ctx is still going.
func waitUntil(ctx context.Context, wake <-chan struct{}, t time.Time) bool {
	var timeout <-chan time.Time
	if !t.IsZero() {
		timer := time.NewTimer(time.Until(t))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-timeout:
	}
	return true
}

// acquire waits for room under the lane's limit of requests in flight and
// takes it.
func (a *app) acquire(ctx context.Context, l *lane) bool {
	for {
		a.mu.Lock()
		if l.busy < a.concurrencyLimit(l) {
			l.busy++
			a.mu.Unlock()
			return true
		}
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-l.released:
		}
	}
}

// release gives back a place taken by acquire.
func (a *app) release(l *lane) {
	a.mu.Lock()
	l.busy--
	a.mu.Unlock()
	select {
	case l.released <- struct{}{}:
	default:
	}
}

// concurrencyLimit is max_concurrency, or when it is 0 twice the requests
// in flight that the lane's rate and observed latency call for (Little's
// law), plus headroom; a.mu is held.
func (a *app) concurrencyLimit(l *lane) int {
	if a.settings.maxConcurrency > 0 {
		return a.settings.maxConcurrency
	}
	needed := l.budget.Rate() * (2*l.latency + 500*time.Millisecond).Seconds()
	return int(math.Ceil(needed)) + 1
}

// answer is what a successful attempt brought back.
type answer struct {
	info    tencent.RoomInfo
	members int64
	stats   tencent.RoomStats
}

// attempt sends one request of lane l for t's room and records its outcome.
func (a *app) attempt(ctx context.Context, api liveAPI, l *lane, t *task, booking Booking) {
	defer a.inflight.Done()
	defer a.release(l)
	start := time.Now()
	l.budget.Sent(booking, start)
	var ans answer
	var err error
	switch l.kind {
	case laneInfo:
		ans.info, err = api.GetRoomInfo(ctx, t.room.id)
	case laneMembers:
		var list tencent.MemberList
		list, err = api.GetMemberList(ctx, t.room.id, "")
		ans.members = list.MemberCount
	case laneStats:
		ans.stats, err = api.GetRoomStats(ctx, t.room.id)
	}
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return // shutting down or the app was removed: nothing to record
	}
	class, code := tencent.Outcome(err)
	a.metrics.observe(a.id, l.command, code, elapsed)
	a.record(l, t, ans, class, code, err, start, elapsed)
}

// sleepUntil waits until t or until ctx ends, reporting whether t came.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
