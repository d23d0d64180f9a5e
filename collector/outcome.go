package collector

import (
	"math/rand/v2"
	"time"

	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/budget"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// retryBase is the wait before the first retry of a request; each further
// retry doubles it, with jitter, up to half the refresh interval.
const retryBase = 500 * time.Millisecond

// judgement is the outcome of one request and what it means, by the outcome
// policy of package tencent.
type judgement struct {
	tencent.Meaning
	code string // the code label
	err  error
}

// judge returns the judgement of a request's result.
func judge(err error) judgement {
	m, code := tencent.Judge(err)
	return judgement{Meaning: m, code: code, err: err}
}

// commandState is what an app keeps per command it calls: its name, whether
// the app can do without it, its rate budget and its own pause while Tencent
// says it is disabled. Lanes and discovery each have one.
type commandState struct {
	name      string
	essential bool // a 60017 pauses the whole app, not only the command
	budget    *budget.Budget
	disabled  pause // guarded by the app's mutex
}

// step is what a request's caller does after settle.
type step int

const (
	// stepDone: the outcome is final. Use it when it is OK or says the room
	// is missing; otherwise give up until the next refresh.
	stepDone step = iota
	// stepRetry: try again at the time settle returned.
	stepRetry
	// stepPaused: the app or the command is paused until the time settle
	// returned; stop.
	stepPaused
)

// settle applies what a judgement means beyond the room it concerns, the
// same for a lane's refresh and a listing page: the app's health and pause,
// the command's rate and pause, the UserSig. It returns what the caller does
// next. c is the command called, tr the retries of the request so far, sent
// when the request left; a.mu is held.
func (a *app) settle(j judgement, c *commandState, tr *tries, sent, now time.Time) (step, time.Time) {
	if j.CommandDisabled && !c.essential {
		// An optional command switched off: the app's other commands work.
		a.pauseCommand(c, j, now)
		return stepPaused, c.disabled.until
	}
	unreachable := a.noteAnswer(j, sent)
	if j.Class != tencent.ClassAppFailure && c.disabled.failures > 0 {
		level.Info(a.logger).Log("msg", "Command enabled again for this app", "api", c.name)
		c.disabled = pause{}
	}
	switch j.Class {
	case tencent.ClassRateLimited:
		c.budget.Throttle()
		return a.retryAfter(tr, now)
	case tencent.ClassRetryable:
		if unreachable {
			a.markDown(j, now)
			return stepPaused, a.health.until
		}
		return a.retryAfter(tr, now)
	case tencent.ClassRenewUserSig:
		a.settings.creds.Renew()
		if !tr.renewed {
			tr.renewed = true
			return stepRetry, now
		}
		a.markDown(j, now)
		return stepPaused, a.health.until
	case tencent.ClassAppFailure:
		a.markDown(j, now)
		return stepPaused, a.health.until
	}
	return stepDone, time.Time{}
}

// retryAfter returns when to retry a request after a backoff, or stepDone
// when its retries are spent; a.mu is held.
func (a *app) retryAfter(tr *tries, now time.Time) (step, time.Time) {
	if tr.retries >= a.settings.maxRetries {
		return stepDone, time.Time{}
	}
	tr.retries++
	wait := min(retryBase<<(tr.retries-1), a.settings.refreshInterval/2)
	return stepRetry, now.Add(time.Duration(float64(wait) * (0.5 + rand.Float64())))
}

// pauseCommand pauses a command Tencent says is disabled for the app, with a
// longer pause each time, logged once; a.mu is held.
func (a *app) pauseCommand(c *commandState, j judgement, now time.Time) {
	if c.disabled.active(now) {
		return // an answer to a request sent before the pause began
	}
	if c.disabled.failures == 0 {
		level.Warn(a.logger).Log("msg", "Command disabled for this app; pausing it, the other commands go on", "api", c.name, "code", j.code, "err", j.err)
	}
	c.disabled.start(j.code, j.MinPause, now)
}

// record books the outcome of one attempt of lane l for t's room, sent at
// sent: the room's snapshot, its next attempt, the app's health and the
// lane's rate. It is called by attempt goroutines.
func (a *app) record(l *lane, t *task, answer any, j judgement, sent time.Time, elapsed time.Duration) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	l.latency += time.Duration(latencyWeight * float64(elapsed-l.latency))
	r := t.room
	if r.removed || r.tasks[l.kind] != t {
		return
	}
	next, at := a.settle(j, &l.commandState, &t.tries, sent, now)
	switch {
	case next == stepRetry:
		l.queue.schedule(t, at)
	case next == stepPaused:
		// The task is among the first to go once the pause ends.
		l.cmd.failed(r)
		t.end()
		l.queue.schedule(t, at)
	case j.Class == tencent.ClassOK:
		l.cmd.store(r, answer, now)
		a.metrics.refreshed(a.id, l.name, 1)
		a.conclude(l, t, true, now)
	case j.Class == tencent.ClassRoomMissing && l.kind == laneInfo && r.source == sourceDiscovery:
		// Ending is a discovered room's normal life: it leaves quietly.
		a.dropDiscovered(r, now)
	case j.Class == tencent.ClassRoomMissing:
		l.cmd.missing(r, now)
		a.metrics.refreshed(a.id, l.name, 1)
		a.conclude(l, t, true, now)
	default: // refused, or retries spent: the last values stay until stale
		if j.Class == tencent.ClassRoomFailure && t.failCode != j.code {
			t.failCode = j.code
			level.Warn(a.logger).Log("msg", "Room refresh refused by Tencent; not retried until its next refresh", "room_id", r.id, "api", l.name, "code", j.code, "reason", j.Cause, "err", j.err)
		}
		l.cmd.failed(r)
		a.conclude(l, t, false, now)
	}
	if !r.removed {
		a.render(r)
	}
	l.nudge()
}

// conclude ends t's current refresh and schedules the next one a refresh
// interval after this one started; a.mu is held.
func (a *app) conclude(l *lane, t *task, definitive bool, now time.Time) {
	if definitive {
		t.failCode = ""
	}
	t.end()
	interval := a.settings.refreshInterval
	if l.kind == laneInfo && a.listedNow(t.room) {
		interval = a.listedInterval(t) // the listing keeps exists and views fresh
	}
	l.queue.schedule(t, t.started.Add(interval))
	a.hintServed(l, t, now)
	if l.kind == laneInfo {
		a.passes.concluded(t, len(a.rooms), now)
	}
}
