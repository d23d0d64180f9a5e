package collector

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Room sources, the values of tencent_live_rooms' source label.
const (
	sourceConfig    = "config"
	sourceFile      = "file"
	sourceDiscovery = "discovery"
)

// discoverySettings configure room discovery through get_room_list.
type discoverySettings struct {
	enabled  bool
	interval time.Duration
	qps      int
}

// discovery is an app's room discovery: it pages through get_room_list
// every interval, within its own budget, and keeps the rooms listed by the
// last complete pass.
type discovery struct {
	budget *Budget
	wake   chan struct{} // nudges the loop after a change; capacity 1

	mu    sync.Mutex
	rooms []string // listed by the last complete pass, in listing order

	disabledLogged bool // 60017 logged; guarded by the app's mutex
}

// newDiscovery returns a discovery that has found nothing yet.
func newDiscovery() *discovery {
	return &discovery{budget: NewBudget(1, nil), wake: make(chan struct{}, 1)}
}

// found returns the rooms listed by the last complete pass.
func (d *discovery) found() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rooms
}

// drop forgets a discovered room that ended.
func (d *discovery) drop(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := make([]string, 0, len(d.rooms))
	for _, r := range d.rooms {
		if r != id {
			kept = append(kept, r)
		}
	}
	d.rooms = kept
}

// set replaces the discovered rooms.
func (d *discovery) set(rooms []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rooms = rooms
}

// drainWake forgets a pending nudge.
func (d *discovery) drainWake() {
	select {
	case <-d.wake:
	default:
	}
}

// nudge wakes the discovery loop after a settings change.
func (d *discovery) nudge() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// discover is the app's discovery loop: a pass every interval while
// discovery is on. A pass that fails keeps the rooms of the last one.
func (a *app) discover(ctx context.Context) {
	for {
		a.mu.Lock()
		s := a.settings.discovery
		a.mu.Unlock()
		var next time.Time
		if s.enabled {
			a.finder.drainWake() // this pass serves the changes so far
			a.finder.budget.SetQPS(s.qps)
			if rooms, ok := a.listRooms(ctx); ok {
				a.finder.set(rooms)
				a.mu.Lock()
				a.rebuild(time.Now())
				a.mu.Unlock()
			}
			next = time.Now().Add(s.interval)
		} else if len(a.finder.found()) > 0 {
			a.finder.set(nil)
			a.mu.Lock()
			a.rebuild(time.Now())
			a.mu.Unlock()
		}
		if !waitUntil(ctx, a.finder.wake, next) {
			return
		}
	}
}

// listRooms pages through get_room_list, each page booked on the
// discovery budget and retried like a room's refresh. It reports false when
// the pass could not complete.
func (a *app) listRooms(ctx context.Context) ([]string, bool) {
	var rooms []string
	seen := map[string]bool{} // the order shifts while paging
	next, attempt, renewed := "", 0, false
	for {
		a.mu.Lock()
		api, maxRetries, pausedUntil := a.settings.api, a.settings.maxRetries, a.health.until
		a.mu.Unlock()
		if !sleepUntil(ctx, pausedUntil) {
			return nil, false
		}
		booking := a.finder.budget.Reserve()
		if !sleepUntil(ctx, booking.At) {
			return nil, false
		}
		start := time.Now()
		a.finder.budget.Sent(booking, start)
		page, err := api.GetRoomList(ctx, next, maxRoomListCount)
		if ctx.Err() != nil {
			return nil, false
		}
		class, code := tencent.Outcome(err)
		a.metrics.observe(a.id, tencent.CommandGetRoomList, code, time.Since(start))

		a.mu.Lock()
		if code == codeCommandDisabled {
			// Discovery is switched off at Tencent; the rest of the app works.
			if !a.finder.disabledLogged {
				a.finder.disabledLogged = true
				level.Warn(a.logger).Log("msg", "Command disabled for this app; discovery tries again next interval", "api", tencent.CommandGetRoomList, "code", code, "err", err)
			}
			a.mu.Unlock()
			return nil, false
		}
		a.finder.disabledLogged = false
		a.noteHealth(class, code, start)
		switch class {
		case tencent.ClassAppFailure:
			a.markDown(code, err, time.Now())
		case tencent.ClassRenewUserSig:
			a.settings.creds.Renew()
			if renewed {
				a.markDown(code, err, time.Now())
			}
		}
		a.mu.Unlock()

		retry := false
		switch class {
		case tencent.ClassOK:
			for _, r := range page.Rooms {
				if r.RoomID != "" && !seen[r.RoomID] {
					seen[r.RoomID] = true
					rooms = append(rooms, r.RoomID)
				}
			}
			if page.Next == "" {
				return rooms, true
			}
			next, attempt = page.Next, 0
		case tencent.ClassRateLimited:
			a.finder.budget.Throttle()
			retry = true
		case tencent.ClassRetryable:
			retry = true
		case tencent.ClassRenewUserSig:
			if renewed {
				return nil, false
			}
			renewed = true
		case tencent.ClassAppFailure:
			return nil, false
		default: // room-level refusals: a bug or a change on Tencent's side
			level.Warn(a.logger).Log("msg", "Room discovery refused by Tencent; trying again next interval", "code", code, "err", err)
			return nil, false
		}
		if retry {
			if attempt >= maxRetries {
				level.Warn(a.logger).Log("msg", "Room discovery pass failed; keeping the rooms of the last one", "code", code, "err", err)
				return nil, false
			}
			attempt++
			wait := time.Duration(float64(retryBase<<(attempt-1)) * (0.5 + rand.Float64()))
			if !sleepUntil(ctx, time.Now().Add(wait)) {
				return nil, false
			}
		}
	}
}

// maxRoomListCount is the largest page get_room_list serves.
const maxRoomListCount = 20
