package collector

import (
	"context"
	"slices"
	"time"

	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/budget"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// discovery is an app's room discovery: it pages through get_room_list
// every interval, within its own budget, and keeps the rooms listed by the
// last complete pass.
type discovery struct {
	commandState
	share *budget.Share
	wake  chan struct{} // nudges the loop after a change; capacity 1

	// Guarded by the app's mutex. Each pass has a number; rooms carry the
	// number of the last pass that listed them (room.listedPass).
	rooms    []string          // listed by the last complete pass, in listing order, and added since
	added    map[string]uint64 // rooms added by webhooks, with the pass under way then
	attempt  uint64            // of the pass under way, or the last one
	pass     uint64            // of the last complete pass
	prevPass uint64            // of the complete pass before it
	pages    int               // pages of the last complete pass
	listed   int               // watched rooms the last complete pass listed
}

// listedRoom is what a listing page showed of a room, and when.
type listedRoom struct {
	views, activity int64
	at              time.Time
}

// newDiscovery returns a discovery that has found nothing yet.
func newDiscovery() *discovery {
	b := budget.New(1)
	return &discovery{
		commandState: commandState{name: tencent.CommandGetRoomList, budget: b},
		share:        b.NewShare(1, rankRefresh),
		wake:         make(chan struct{}, 1),
	}
}

// add watches a room found otherwise than by a pass (a webhook said it was
// created) until a pass that began after it says whether it is listed; the
// app's mutex is held.
func (d *discovery) add(id string) {
	if slices.Contains(d.rooms, id) {
		return
	}
	d.rooms = append(slices.Clip(d.rooms), id)
	if d.added == nil {
		d.added = map[string]uint64{}
	}
	d.added[id] = d.attempt
}

// drop forgets a discovered room that ended; the app's mutex is held.
func (d *discovery) drop(id string) {
	d.rooms = slices.DeleteFunc(slices.Clone(d.rooms), func(r string) bool { return r == id })
	delete(d.added, id)
}

// passed makes listed, the rooms of a complete pass, the discovered rooms,
// with the rooms webhooks added while the pass was under way, which it may
// have missed; the app's mutex is held.
func (d *discovery) passed(listed []string) {
	for id, attempt := range d.added {
		if attempt == d.attempt && !slices.Contains(listed, id) {
			listed = append(listed, id)
			continue
		}
		delete(d.added, id)
	}
	d.rooms = listed
}

// nudge wakes the discovery loop after a settings change.
func (d *discovery) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// drainWake forgets a pending nudge.
func (d *discovery) drainWake() {
	select {
	case <-d.wake:
	default:
	}
}

// discover is the app's discovery loop: a pass every interval, start to
// start, while discovery is on. A pass that fails keeps the rooms of the
// last one.
func (a *app) discover(ctx context.Context) {
	d := a.discovery
	for {
		a.mu.Lock()
		s := a.settings.discovery
		a.mu.Unlock()
		var next time.Time
		switch {
		case s.enabled:
			d.drainWake() // this pass serves the changes so far
			start := time.Now()
			a.mu.Lock()
			d.attempt++
			a.mu.Unlock()
			if rooms, listing, pages, ok := a.listRooms(ctx); ok {
				a.mu.Lock()
				d.passed(rooms)
				a.rebuild(time.Now())
				a.applyListing(listing, pages, time.Now())
				a.mu.Unlock()
			}
			next = start.Add(s.interval) // from start to start; at once when late
		case a.hasDiscovered():
			a.mu.Lock()
			d.rooms, d.added = nil, nil
			d.attempt++
			d.prevPass, d.pass, d.listed = d.pass, d.attempt, 0 // no room is listed any more
			a.rebuild(time.Now())
			a.mu.Unlock()
		}
		if !waitUntil(ctx, d.wake, next) {
			return
		}
	}
}

// hasDiscovered reports whether discovery has rooms to drop.
func (a *app) hasDiscovered() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.discovery.rooms) > 0
}

// listRooms pages through get_room_list, each page taken from the discovery
// budget and judged like a room's refresh. It returns the rooms listed, in
// listing order, what the pages showed of each and the number of pages; ok
// is false when the pass could not complete.
func (a *app) listRooms(ctx context.Context) (rooms []string, listing map[string]listedRoom, pages int, ok bool) {
	d := a.discovery
	listing = map[string]listedRoom{} // the order shifts while paging
	next, tr := "", tries{}
	for {
		a.mu.Lock()
		api, pausedUntil := a.settings.api, latest(a.health.until, d.disabled.until)
		a.mu.Unlock()
		if !sleepUntil(ctx, pausedUntil) {
			return nil, nil, 0, false
		}
		grant, err := d.budget.Wait(ctx, nil, time.Time{}, d.share)
		if err != nil {
			return nil, nil, 0, false
		}
		reqCtx, start := sending(ctx, grant)
		page, err := api.GetRoomList(reqCtx, next, tencent.MaxRoomListCount)
		if ctx.Err() != nil {
			return nil, nil, 0, false
		}
		j := judge(err)
		a.metrics.observe(a.id, d.name, j.code, time.Since(start))

		a.mu.Lock()
		step, retryAt := a.settle(j, &d.commandState, &tr, start, time.Now())
		a.mu.Unlock()
		switch {
		case step == stepRetry:
			if !sleepUntil(ctx, retryAt) {
				return nil, nil, 0, false
			}
		case step == stepPaused:
			return nil, nil, 0, false
		case j.Class == tencent.ClassOK:
			pages++
			at := time.Now()
			for _, r := range page.Rooms {
				if _, dup := listing[r.RoomID]; r.RoomID != "" && !dup {
					rooms = append(rooms, r.RoomID)
				}
				if r.RoomID != "" {
					listing[r.RoomID] = listedRoom{views: r.ViewCount, activity: r.ActivityStatus, at: at}
				}
			}
			a.mu.Lock()
			a.publishListed(page.Rooms, listing)
			a.mu.Unlock()
			if page.Next == "" {
				return rooms, listing, pages, true
			}
			next, tr = page.Next, tries{}
		case j.Class == tencent.ClassRoomFailure || j.Class == tencent.ClassRoomMissing:
			// A bug, or a change on Tencent's side.
			level.Warn(a.logger).Log("msg", "Room discovery refused by Tencent; trying again next interval", "code", j.code, "reason", j.Cause, "err", j.err)
			return nil, nil, 0, false
		default:
			level.Warn(a.logger).Log("msg", "Room discovery pass failed; keeping the rooms of the last one", "code", j.code, "err", j.err)
			return nil, nil, 0, false
		}
	}
}

// publishListed publishes what a listing page showed of the watched rooms
// it lists (exists, views and activity, at the page's time), as each page
// comes, and lets their get_room_info, which brings what a listing lacks,
// wait up to info_refresh_interval; a.mu is held.
func (a *app) publishListed(page []tencent.RoomSummary, listing map[string]listedRoom) {
	d := a.discovery
	refreshed := 0
	for _, s := range page {
		if r := a.rooms[s.RoomID]; r != nil && r.listedPass != d.attempt {
			a.listed(r, listing[s.RoomID])
			refreshed++
		}
	}
	a.metrics.refreshed(a.id, d.name, refreshed)
}

// listed publishes one listed room; a.mu is held.
func (a *app) listed(r *room, e listedRoom) {
	r.info.Store(r.info.Load().listed(e.views, e.activity, e.at))
	a.render(r)
	r.listedPass = a.discovery.attempt
	if s := &a.settings; s.discovery.interval > s.refreshInterval {
		return // the listing comes too rarely to stand in for get_room_info
	}
	if t := r.tasks[laneInfo]; !t.inRefresh && !t.started.IsZero() && !t.hinted {
		a.lanes[laneInfo].queue.schedule(t, latest(t.due, t.started.Add(a.listedInterval(t))))
	}
}

// applyListing ends a complete listing pass, once the rooms it found are
// watched: it publishes the rooms it listed that were not watched before, and
// hints each room the previous pass listed and this one does not (dissolved,
// or no longer public), so that its get_room_info goes at once; a.mu is held.
func (a *app) applyListing(listing map[string]listedRoom, pages int, now time.Time) {
	d := a.discovery
	d.prevPass, d.pass, d.pages, d.listed = d.pass, d.attempt, pages, 0
	refreshed := 0
	for id, r := range a.rooms {
		e, listed := listing[id]
		if listed {
			d.listed++
		}
		switch {
		case listed && r.listedPass != d.pass:
			a.listed(r, e)
			refreshed++
		case !listed && r.listedPass != 0 && r.listedPass == d.prevPass:
			a.metrics.hinted(a.id, a.hint(id, now))
		}
	}
	a.metrics.refreshed(a.id, d.name, refreshed)
}

// listedInterval is how long the get_room_info of a listed room waits after
// the last one: between half and all of info_refresh_interval, spread over
// the rooms so that those of one listing do not all come due together, and
// never less than refresh_interval; a.mu is held.
func (a *app) listedInterval(t *task) time.Duration {
	return max(a.settings.refreshInterval, time.Duration(t.spread*float64(a.settings.infoRefresh)))
}

// listedNow reports whether the listing keeps r fresh: the last complete
// pass listed it, and passes come at least every refresh_interval (with
// rarer ones, its values would age past stale_after waiting for them);
// a.mu is held.
func (a *app) listedNow(r *room) bool {
	s := &a.settings
	return r.listedPass != 0 && r.listedPass == a.discovery.pass && s.discovery.interval <= s.refreshInterval
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

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
