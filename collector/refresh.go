package collector

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Retry and pause tuning.
const (
	// retryBase is the wait before the first retry of a room; each further
	// retry doubles it, with jitter, up to half the refresh interval.
	retryBase = 500 * time.Millisecond
	// pauseBase is the first pause of an app after an app-wide failure;
	// each further failure doubles it up to pauseMax.
	pauseBase = 20 * time.Second
	pauseMax  = 5 * time.Minute
	// lockedPause is the least pause after 70050 (locked for about 1 min).
	lockedPause = time.Minute
	// noPackagePause is the least pause after 60020 (no package yet), which
	// Tencent says takes minutes to clear.
	noPackagePause = 2 * time.Minute
	// transportDownAfter is how many consecutive network-level failures
	// (connection errors, timeouts, HTTP errors) of an app with no answer
	// from Tencent in between count as an app-wide failure.
	transportDownAfter = 10
	// latencyWeight is the weight of a new duration in the moving average.
	latencyWeight = 0.2
	// codeNetwork is the code of network-level failures, and of the
	// app-wide failure they add up to.
	codeNetwork = tencent.CodeLabelNetwork
	// codeCommandDisabled says a command is disabled for the app (60017).
	codeCommandDisabled = "60017"
)

// record books the outcome of one attempt of lane l for t's room, sent at
// sent: the room's snapshot, its next attempt, the app's health and the
// lane's rate. It is called by attempt goroutines.
func (a *app) record(l *lane, t *task, ans answer, class tencent.Class, code string, err error, sent time.Time, elapsed time.Duration) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	l.latency += time.Duration(latencyWeight * float64(elapsed-l.latency))
	r := t.room
	if r.removed || r.tasks[l.kind] != t {
		return
	}
	if l.kind != laneInfo && code == codeCommandDisabled {
		// An optional command switched off: the app's other commands work.
		a.pauseLane(l, err, now)
		a.suspend(l, t, l.disabled.until)
		return
	}
	a.noteHealth(class, code, sent)
	if class != tencent.ClassAppFailure && l.disabled.failures > 0 {
		level.Info(a.logger).Log("msg", "Command enabled again for this app", "api", l.command)
		l.disabled = pause{}
	}

	switch class {
	case tencent.ClassOK:
		switch l.kind {
		case laneInfo:
			r.info.Store(withRoom(ans.info, now, a.labels))
		case laneMembers:
			r.members.Store(&countSnapshot{value: ans.members, at: now})
		case laneStats:
			r.stats.Store(&statsSnapshot{stats: ans.stats, at: now})
		}
		a.conclude(l, t, true, now)
	case tencent.ClassRoomMissing:
		if l.kind == laneInfo && r.source == sourceDiscovery {
			// Ending is a discovered room's normal life: it leaves quietly.
			a.dropDiscovered(r, now)
			return
		}
		if l.kind == laneInfo {
			r.info.Store(withMissing(now))
		}
		r.forget(l.kind)
		a.conclude(l, t, true, now)
	case tencent.ClassRoomFailure:
		if t.failCode != code {
			t.failCode = code
			level.Warn(a.logger).Log("msg", "Room refresh refused by Tencent; not retried until its next refresh", "room_id", r.id, "api", l.command, "code", code, "err", err)
		}
		a.fail(l, t, now)
	case tencent.ClassRateLimited:
		l.budget.Throttle()
		a.retry(l, t, now)
	case tencent.ClassRetryable:
		if a.health.transportFailures >= transportDownAfter {
			a.markDown(codeNetwork, err, now)
			a.suspend(l, t, a.health.until)
			return
		}
		a.retry(l, t, now)
	case tencent.ClassRenewUserSig:
		a.settings.creds.Renew()
		if !t.renewed {
			t.renewed = true
			l.queue.schedule(t, now)
			l.nudge()
			return
		}
		a.markDown(code, err, now)
		a.suspend(l, t, a.health.until)
	case tencent.ClassAppFailure:
		a.markDown(code, err, now)
		a.suspend(l, t, a.health.until)
	}
}

// noteHealth books what an answer to a request sent at sent says of the
// app's API; a.mu is held.
func (a *app) noteHealth(class tencent.Class, code string, sent time.Time) {
	switch {
	case class == tencent.ClassRetryable && isTransport(code):
		a.health.transportFailures++
	case class == tencent.ClassAppFailure || class == tencent.ClassRenewUserSig:
	default: // Tencent answered
		a.health.transportFailures = 0
		a.markUp(sent)
	}
}

// dropDiscovered stops watching a discovered room that ended; a.mu is held.
func (a *app) dropDiscovered(r *room, now time.Time) {
	a.finder.drop(r.id)
	delete(a.rooms, r.id)
	a.unwatch(r)
	old := a.view.Load()
	view := *old
	view.rooms = make([]roomView, 0, len(old.rooms))
	for _, rv := range old.rooms {
		if rv.room != r {
			view.rooms = append(view.rooms, rv)
		}
	}
	a.view.Store(&view)
	a.passes.recount(a.rooms, now)
}

// isTransport reports whether code says Tencent's API was not reached or did
// not answer.
func isTransport(code string) bool {
	return code == codeNetwork || code == tencent.CodeLabelTimeout || strings.HasPrefix(code, "http_")
}

// retry schedules another attempt after a backoff, or fails the refresh
// when its retries are spent; a.mu is held.
func (a *app) retry(l *lane, t *task, now time.Time) {
	if t.attempt >= a.settings.maxRetries {
		a.fail(l, t, now)
		return
	}
	t.attempt++
	wait := min(retryBase<<(t.attempt-1), a.settings.refreshInterval/2)
	jittered := time.Duration(float64(wait) * (0.5 + rand.Float64()))
	l.queue.schedule(t, now.Add(jittered))
	l.nudge()
}

// fail concludes a refresh that got no definitive answer: the last values
// stay until stale; a.mu is held.
func (a *app) fail(l *lane, t *task, now time.Time) {
	if l.kind == laneInfo {
		t.room.info.Store(t.room.info.Load().failed())
	}
	a.conclude(l, t, false, now)
}

// conclude ends t's current refresh and schedules the next one a refresh
// interval after this one started; a.mu is held.
func (a *app) conclude(l *lane, t *task, definitive bool, now time.Time) {
	if definitive {
		t.failCode = ""
	}
	t.endRefresh()
	l.queue.schedule(t, t.started.Add(a.settings.refreshInterval))
	if l.kind == laneInfo {
		a.passes.concluded(t, len(a.rooms), now)
	}
	l.nudge()
}

// suspend ends t's refresh because the app or the lane is paused until
// until: an info refresh is marked as failed, and the task is among the
// first to go once the pause ends; a.mu is held.
func (a *app) suspend(l *lane, t *task, until time.Time) {
	if l.kind == laneInfo {
		t.room.info.Store(t.room.info.Load().failed())
	}
	t.endRefresh()
	l.queue.schedule(t, until)
	l.nudge()
}

// pauseLane pauses a lane whose command Tencent says is disabled for the
// app, with a longer pause each time, logged once; a.mu is held.
func (a *app) pauseLane(l *lane, err error, now time.Time) {
	if l.disabled.active(now) {
		return // an answer to a request sent before the pause began
	}
	if l.disabled.failures == 0 {
		level.Warn(a.logger).Log("msg", "Command disabled for this app; pausing it, the other commands go on", "api", l.command, "code", codeCommandDisabled, "err", err)
	}
	l.disabled.start(codeCommandDisabled, now)
}

// markDown records an app-wide failure: the app pauses, with a longer pause
// after each failure, and the change is logged once; a.mu is held.
func (a *app) markDown(code string, err error, now time.Time) {
	h := &a.health
	if h.active(now) {
		return // an answer to a request sent before the pause began
	}
	if h.up || h.code != code {
		level.Error(a.logger).Log("msg", "Tencent API unusable for this app; pausing its refreshes", "code", code, "reason", reason(code), "err", err)
	}
	h.up = false
	h.start(code, now)
	h.transportFailures = 0
}

// markUp records an answer showing the app's API usable again, unless its
// request was sent before the app went down; a.mu is held.
func (a *app) markUp(sent time.Time) {
	h := &a.health
	if sent.Before(h.since) {
		return
	}
	if !h.up {
		level.Info(a.logger).Log("msg", "Tencent API usable again for this app", "after_code", h.code)
	}
	h.up = true
	h.pause = pause{}
}

// pauseFor returns the pause after the n-th consecutive app-wide failure.
func pauseFor(code string, n int) time.Duration {
	pause := pauseMax
	if n <= 5 {
		pause = min(pauseMax, pauseBase<<(n-1))
	}
	switch code {
	case "70050":
		pause = max(pause, lockedPause)
	case "60020":
		pause = max(pause, noPackagePause)
	}
	return pause
}

// reason names the usual cause behind an app-wide failure code, for logs.
func reason(code string) string {
	switch code {
	case "60004", "60005", "70003", "70005", "70009", "70014", "70001", "70052":
		return "UserSig rejected: check the secret key, identifier and SDKAppID"
	case "60006", "70020":
		return "SDKAppID invalid or unknown"
	case "60010", "70403":
		return "identifier is not an App Administrator"
	case "60016", "60017":
		return "SDKAppID or command disabled"
	case "60020":
		return "no package, package expired, or still being set up"
	case "60021":
		return "this host's IP is not in the app's allow-list"
	case "70013":
		return "identifier differs from the one inside the UserSig"
	case "70050":
		return "locked after repeated failures"
	case codeNetwork:
		return "Tencent's API cannot be reached"
	}
	return "see Tencent's error code list"
}

// pause is a backoff after repeated failures of one kind.
type pause struct {
	code     string    // of the failure that started it
	since    time.Time // when the latest failure started it
	until    time.Time // no requests before then
	failures int       // consecutive failures
}

// start begins the pause after one more failure with code at now.
func (p *pause) start(code string, now time.Time) {
	p.code, p.since = code, now
	p.failures++
	p.until = now.Add(pauseFor(code, p.failures))
}

// active reports whether the pause forbids requests at now.
func (p *pause) active(now time.Time) bool { return now.Before(p.until) }

// appHealth is whether an app's API is usable; guarded by the app's mutex.
type appHealth struct {
	pause                  // of the app after app-wide failures
	up                bool // false from an app-wide failure to the next answer
	transportFailures int  // consecutive network-level failures
}

// passTracker measures passes over an app's rooms: a pass ends when every
// room has concluded a refresh since the previous pass ended.
type passTracker struct {
	number    uint64
	started   time.Time
	done      int           // rooms that concluded a refresh in this pass
	last      time.Duration // duration of the last full pass
	firstDone bool
}

// reset starts the first pass.
func (p *passTracker) reset(now time.Time) {
	p.number, p.started = 1, now
}

// concluded counts t's concluded refresh toward the current pass.
func (p *passTracker) concluded(t *task, rooms int, now time.Time) {
	if t.pass != p.number {
		t.pass = p.number
		p.done++
	}
	if p.done >= rooms {
		p.finish(now)
	}
}

// recount adjusts the current pass to a changed room set; the pass ends
// when the rooms still pending were all removed.
func (p *passTracker) recount(rooms map[string]*room, now time.Time) {
	p.done = 0
	for _, r := range rooms {
		if r.tasks[laneInfo].pass == p.number {
			p.done++
		}
	}
	switch {
	case len(rooms) == 0:
		p.firstDone = true
	case p.done >= len(rooms):
		p.finish(now)
	}
}

// finish ends the current pass and starts the next.
func (p *passTracker) finish(now time.Time) {
	p.last = now.Sub(p.started)
	p.firstDone = true
	p.number++
	p.started = now
	p.done = 0
}
