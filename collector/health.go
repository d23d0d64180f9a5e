package collector

import (
	"time"

	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Pause tuning.
const (
	// pauseBase is the first pause of an app (or a lane) after an app-wide
	// failure; each further failure doubles it up to pauseMax.
	pauseBase = 20 * time.Second
	pauseMax  = 5 * time.Minute
	// unreachedDownAfter is how many consecutive failures to reach Tencent
	// (network errors, timeouts, HTTP errors) with no answer in between
	// count as an app-wide failure.
	unreachedDownAfter = 10
	// codeNetwork is the code of the app-wide failure they add up to.
	codeNetwork = tencent.CodeLabelNetwork
)

// pause is a backoff after repeated failures of one kind.
type pause struct {
	code     string    // of the failure that started it
	since    time.Time // when the latest failure started it
	until    time.Time // no requests before then
	failures int       // consecutive failures
}

// start begins the pause after one more failure at now: pauseBase doubling
// up to pauseMax, and never shorter than least.
func (p *pause) start(code string, least time.Duration, now time.Time) {
	p.code, p.since = code, now
	p.failures++
	d := pauseMax
	if p.failures <= 5 {
		d = min(pauseMax, pauseBase<<(p.failures-1))
	}
	p.until = now.Add(max(d, least))
}

// active reports whether the pause forbids requests at now.
func (p *pause) active(now time.Time) bool { return now.Before(p.until) }

// appHealth is whether an app's API is usable; guarded by the app's mutex.
type appHealth struct {
	pause               // of the app after app-wide failures
	up             bool // false from an app-wide failure to the next answer
	unreachedInRow int  // consecutive failures to reach Tencent
}

// noteAnswer books what the outcome of a request sent at sent says of the
// app's API, and reports whether it now counts as down because Tencent
// could not be reached too many times in a row; a.mu is held.
func (a *app) noteAnswer(j judgement, sent time.Time) (unreachable bool) {
	switch {
	case j.Unreached:
		a.health.unreachedInRow++
		return a.health.unreachedInRow >= unreachedDownAfter
	case j.Class == tencent.ClassAppFailure || j.Class == tencent.ClassRenewUserSig:
	default: // Tencent answered
		a.health.unreachedInRow = 0
		a.markUp(sent)
	}
	return false
}

// markDown records an app-wide failure: the app pauses, with a longer pause
// after each failure, and the change is logged once; a.mu is held.
func (a *app) markDown(j judgement, now time.Time) {
	h := &a.health
	if h.active(now) {
		return // an answer to a request sent before the pause began
	}
	code, cause := j.code, j.Cause
	if j.Unreached {
		code, cause = codeNetwork, tencent.MeaningOfLabel(codeNetwork).Cause
	}
	if h.up || h.code != code {
		level.Error(a.logger).Log("msg", "Tencent API unusable for this app; pausing its refreshes", "code", code, "reason", cause, "err", j.err)
	}
	h.up = false
	h.start(code, j.MinPause, now)
	h.unreachedInRow = 0
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

// appStatus is what the exporter's own metrics and readiness show of an
// app's health, copied out of the app's state.
type appStatus struct {
	up           bool
	firstPass    bool          // the first pass over the rooms is done
	lastPass     time.Duration // duration of the last full pass
	qps          [laneCount]int
	required     [laneCount]float64 // requests per second the rooms need, per lane
	discovering  bool
	listRequired float64 // get_room_list requests per second a pass per interval needs
}

// status returns the app's current status.
func (a *app) status() appStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := &a.settings
	st := appStatus{
		up:          a.health.up,
		firstPass:   a.passes.firstDone,
		lastPass:    a.passes.last,
		qps:         s.qps,
		discovering: s.discovery.enabled,
	}
	listed := min(a.discovery.listed, len(a.rooms))
	if s.discovery.interval > s.refreshInterval {
		listed = 0 // see listedNow
	}
	perRefresh := float64(len(a.rooms)) / s.refreshInterval.Seconds()
	for kind := range st.required {
		st.required[kind] = perRefresh
	}
	// A listed room waits three quarters of info_refresh_interval on average.
	st.required[laneInfo] = float64(len(a.rooms)-listed)/s.refreshInterval.Seconds() + float64(listed)/(0.75*s.infoRefresh.Seconds())
	if st.discovering {
		st.listRequired = float64(max(1, a.discovery.pages)) / s.discovery.interval.Seconds()
	}
	return st
}
