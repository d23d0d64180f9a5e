package collector

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// roomInfoAPI is the fetcher's edge to Tencent: one room's details.
// *tencent.Client implements it.
type roomInfoAPI interface {
	GetRoomInfo(ctx context.Context, roomID string) (tencent.RoomInfo, error)
}

// appSettings is what one app's fetcher takes from the configuration.
type appSettings struct {
	api             roomInfoAPI
	creds           *credentials
	qps             int
	maxConcurrency  int // 0 = derived from the rate and the observed latency
	refreshInterval time.Duration
	staleAfter      time.Duration
	maxRetries      int
}

// wantedRoom is a room the configuration asks to watch, with the values of
// its labels in the order of the app view's label names.
type wantedRoom struct {
	id          string
	source      string
	labelValues []string
}

// app fetches the rooms of one SDKAppID: a single loop takes due rooms in
// order, books each request on the budget, bounds the requests in flight and
// starts one goroutine per attempt; attempts report back through record.
type app struct {
	id      string // the SDKAppID in decimal, as in labels
	logger  log.Logger
	metrics *apiMetrics
	budget  *Budget
	view    atomic.Pointer[appView]

	wake     chan struct{} // nudges the loop after a change; capacity 1
	released chan struct{} // tells the loop a request finished; capacity 1
	inflight sync.WaitGroup

	mu       sync.Mutex
	settings appSettings
	rooms    map[string]*room
	queue    roomQueue
	busy     int           // requests in flight
	latency  time.Duration // moving average of request durations
	health   appHealth
	passes   passTracker
}

// newApp returns the fetcher of one app; call apply, then run.
func newApp(sdkappid uint64, logger log.Logger, metrics *apiMetrics) *app {
	id := formatID(sdkappid)
	a := &app{
		id:       id,
		logger:   log.With(logger, "sdkappid", id),
		metrics:  metrics,
		budget:   NewBudget(1, nil),
		wake:     make(chan struct{}, 1),
		released: make(chan struct{}, 1),
		rooms:    map[string]*room{},
		health:   appHealth{up: true},
	}
	a.passes.reset(time.Now())
	return a
}

// apply installs new settings and a new room list: rooms that stay keep
// their state, removed rooms leave at once, new rooms are due now.
func (a *app) apply(s appSettings, view *appView, wanted []wantedRoom) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	a.settings = s
	a.budget.SetQPS(s.qps)

	keep := make(map[string]*room, len(wanted))
	view.rooms = make([]roomView, 0, len(wanted))
	for _, w := range wanted {
		r := a.rooms[w.id]
		if r == nil {
			r = newRoom(w.id)
			a.queue.schedule(r, now)
		}
		keep[w.id] = r
		view.rooms = append(view.rooms, roomView{room: r, source: w.source, labels: labelPairs(view.labelNames, w.labelValues)})
	}
	for id, r := range a.rooms {
		if keep[id] == nil {
			r.removed = true
			a.queue.remove(r)
		}
	}
	a.rooms = keep
	a.passes.recount(a.rooms, now)
	a.view.Store(view)
	a.nudge()
}

// nudge wakes the loop to look at the queue again.
func (a *app) nudge() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// run is the app's loop; it returns when ctx ends, after every attempt it
// started has returned.
func (a *app) run(ctx context.Context) {
	defer a.inflight.Wait()
	for {
		r, ok := a.nextDue(ctx)
		if !ok {
			return
		}
		if !a.acquire(ctx) {
			return
		}
		booking := a.budget.Reserve()
		if !sleepUntil(ctx, booking.At) {
			return
		}
		a.mu.Lock()
		if r.removed || a.health.paused(time.Now()) {
			if !r.removed {
				a.queue.schedule(r, a.health.pausedUntil)
			}
			a.busy--
			a.mu.Unlock()
			continue
		}
		api := a.settings.api
		a.mu.Unlock()
		a.inflight.Add(1)
		go a.attempt(ctx, api, r, booking)
	}
}

// nextDue waits until a room is due and the app is not paused, and takes
// it from the queue.
func (a *app) nextDue(ctx context.Context) (*room, bool) {
	for {
		a.mu.Lock()
		now := time.Now()
		var wakeAt time.Time
		if a.health.paused(now) {
			wakeAt = a.health.pausedUntil
		} else if r, next := a.queue.popDue(now); r != nil {
			if !r.inRefresh {
				r.inRefresh, r.started = true, now
			}
			a.mu.Unlock()
			return r, true
		} else {
			wakeAt = next
		}
		a.mu.Unlock()

		if !a.waitUntil(ctx, wakeAt) {
			return nil, false
		}
	}
}

// waitUntil waits until t (forever when t is zero), a nudge, or the end of
// ctx, reporting whether ctx is still going.
func (a *app) waitUntil(ctx context.Context, t time.Time) bool {
	var timeout <-chan time.Time
	if !t.IsZero() {
		timer := time.NewTimer(time.Until(t))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-a.wake:
	case <-timeout:
	}
	return true
}

// acquire waits for room under the app's limit of requests in flight and
// takes it.
func (a *app) acquire(ctx context.Context) bool {
	for {
		a.mu.Lock()
		if a.busy < a.concurrencyLimit() {
			a.busy++
			a.mu.Unlock()
			return true
		}
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return false
		case <-a.released:
		}
	}
}

// release gives back a place taken by acquire.
func (a *app) release() {
	a.mu.Lock()
	a.busy--
	a.mu.Unlock()
	select {
	case a.released <- struct{}{}:
	default:
	}
}

// concurrencyLimit is max_concurrency, or when it is 0 twice the requests
// in flight that the rate and the observed latency call for (Little's law),
// plus headroom; a.mu is held.
func (a *app) concurrencyLimit() int {
	if a.settings.maxConcurrency > 0 {
		return a.settings.maxConcurrency
	}
	needed := a.budget.Rate() * (2*a.latency + 500*time.Millisecond).Seconds()
	return int(math.Ceil(needed)) + 1
}

// attempt sends one request for r and records its outcome.
func (a *app) attempt(ctx context.Context, api roomInfoAPI, r *room, booking Booking) {
	defer a.inflight.Done()
	defer a.release()
	start := time.Now()
	a.budget.Sent(booking, start)
	info, err := api.GetRoomInfo(ctx, r.id)
	elapsed := time.Now().Sub(start)
	if ctx.Err() != nil {
		return // shutting down or the app was removed: nothing to record
	}
	class, code := tencent.Outcome(err)
	a.metrics.observe(a.id, tencent.CommandGetRoomInfo, code, elapsed)
	a.record(r, info, class, code, err, elapsed)
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
