package collector

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
)

// app fetches the rooms of one SDKAppID: one lane per command (lane.go),
// and discovery when it is on (discovery.go). Its mutex guards the watched
// rooms, their tasks and the app's health; scrapes read only the published
// exposed view and the rooms' snapshots, without it.
type app struct {
	id        string // the SDKAppID in decimal, as in labels
	logger    log.Logger
	metrics   *apiMetrics
	lanes     [laneCount]*lane
	discovery *discovery
	exposed   atomic.Pointer[exposed]
	quota     atomic.Pointer[roomQuota] // from the quota webhook; nil until one

	inflight sync.WaitGroup

	mu         sync.Mutex
	settings   appSettings
	configured []wantedRoom
	rooms      map[string]*room
	health     appHealth
	passes     passTracker // of the info lane
	rendering  renderSchedule
}

// newApp returns the fetcher of one app; call apply, then run.
func newApp(sdkappid uint64, logger log.Logger, metrics *apiMetrics) *app {
	id := formatID(sdkappid)
	a := &app{
		id:        id,
		logger:    log.With(logger, "sdkappid", id),
		metrics:   metrics,
		rooms:     map[string]*room{},
		health:    appHealth{up: true},
		discovery: newDiscovery(),
	}
	for kind := range a.lanes {
		a.lanes[kind] = newLane(kind)
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
	a.lanes[laneInfo].probe.SetFraction(s.probeShare)
	a.discovery.budget.SetQPS(s.discovery.qps)
	a.rebuild(time.Now())
	if discoveryChanged {
		a.discovery.nudge()
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
// ones not configured, schedules what changed and publishes a new exposed
// view; a.mu is held.
func (a *app) rebuild(now time.Time) {
	s := &a.settings
	wanted := a.configured
	if discovered := a.discovery.rooms; len(discovered) > 0 {
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

	view := &exposed{labelNames: s.labelNames, appLabelValues: s.appLabelValues, creds: s.creds, staleAfter: s.staleAfter, rooms: make([]exposedRoom, 0, len(wanted))}
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
		r.source, r.slot = w.source, len(view.rooms)
		keep[w.id] = r
		view.rooms = append(view.rooms, exposedRoom{room: r, source: w.source, labels: sortedLabels(s.labelNames, w.labelValues)})
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
				r.tasks[kind] = newTask(r)
				l.queue.schedule(r.tasks[kind], now)
			case !on && t != nil:
				l.queue.remove(t)
				r.tasks[kind] = nil
				l.cmd.forget(r)
			}
		}
		l.nudge()
	}
	a.passes.recount(a.rooms, now)
	a.publish(view)
}

// publish renders every room of a new exposed view and makes it the one
// scrapes read; a.mu is held.
func (a *app) publish(view *exposed) {
	view.sources = map[string]int{}
	for i := range view.rooms {
		view.sources[view.rooms[i].source]++
	}
	view.blocks = make([]atomic.Pointer[blockText], (len(view.rooms)+blockRooms-1)/blockRooms)
	view.changed = make([]roomSet, len(view.blocks))
	for i := range view.blocks {
		b := renderBlock(view, i, nil, nil)
		view.blocks[i].Store(b)
		view.textBytes += len(b.buf)
	}
	a.exposed.Store(view)
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

// dropDiscovered stops watching a discovered room that ended; a.mu is held.
func (a *app) dropDiscovered(r *room, now time.Time) {
	a.discovery.drop(r.id)
	delete(a.rooms, r.id)
	a.unwatch(r)
	old := a.exposed.Load()
	view := &exposed{labelNames: old.labelNames, appLabelValues: old.appLabelValues, creds: old.creds, staleAfter: old.staleAfter,
		rooms: make([]exposedRoom, 0, len(old.rooms))}
	for _, er := range old.rooms {
		if er.room != r {
			er.room.slot = len(view.rooms)
			view.rooms = append(view.rooms, er)
		}
	}
	a.publish(view)
	a.passes.recount(a.rooms, now)
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
