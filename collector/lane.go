package collector

import (
	"context"
	"errors"
	"math"
	"net/http/httptrace"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/budget"
)

// latencyWeight is the weight of a new duration in a lane's moving average.
const latencyWeight = 0.2

// Ranks of the shares of a lane's budget: hinted rooms go first, within
// their quarter; then the due regular refreshes; probes take only the slots
// those leave, within probe_share, so that a flood of probes never delays a
// watched room.
const (
	rankHint = iota
	rankRefresh
	rankProbe
)

// lane is the refreshing of every room of an app with one command, within
// the command's budget: one loop takes the due rooms in order, waits for a
// slot of the budget and for room under the limit of requests in flight,
// and starts one goroutine per attempt, whose outcome record books.
type lane struct {
	commandState
	kind     int
	cmd      *roomCommand
	refresh  *budget.Share // the regular refreshes: every slot left over
	hint     *budget.Share // refreshes of hinted rooms (hint.go), a quarter
	probe    *budget.Share // /probe's share, of the info lane; SetFraction on apply
	wake     chan struct{} // nudges the loop after a change; capacity 1
	released chan struct{} // tells the loop a request finished; capacity 1

	// Guarded by the app's mutex.
	queue   taskQueue
	hinted  []*task       // rooms to refresh first, in the order of their hints
	busy    int           // requests in flight
	latency time.Duration // moving average of request durations
}

// newLane returns the lane of command kind, with a budget of 1 per second
// until the app's settings give its rate.
func newLane(kind int) *lane {
	cmd := roomCommands[kind]
	b := budget.New(1)
	return &lane{
		commandState: commandState{name: cmd.name, essential: cmd.essential, budget: b},
		kind:         kind,
		cmd:          cmd,
		hint:         b.NewShare(hintShare, rankHint),
		refresh:      b.NewShare(1, rankRefresh),
		probe:        b.NewShare(0, rankProbe),
		wake:         make(chan struct{}, 1),
		released:     make(chan struct{}, 1),
	}
}

// nudge wakes the lane's loop to look at its queue again.
func (l *lane) nudge() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// runLane is a lane's loop; it returns when ctx ends.
func (a *app) runLane(ctx context.Context, l *lane) {
	for {
		shares, wakeAt := a.work(l)
		if len(shares) == 0 {
			if !waitUntil(ctx, l.wake, wakeAt) {
				return
			}
			continue
		}
		if !a.acquire(ctx, l) {
			return
		}
		grant, err := l.budget.Wait(ctx, l.wake, time.Time{}, shares...)
		if err != nil {
			a.release(l)
			if errors.Is(err, budget.ErrWoken) {
				continue // the queue changed: look again
			}
			return
		}
		t, api := a.take(l, grant.Share)
		if t == nil {
			grant.Release()
			a.release(l)
			continue
		}
		a.inflight.Add(1)
		go a.attempt(ctx, api, l, t, grant)
	}
}

// work returns the budget shares the lane has work for now, or none and
// when to look again (zero: when nudged).
func (a *app) work(l *lane) ([]*budget.Share, time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if until := a.pausedUntil(l, now); !until.IsZero() {
		return nil, until
	}
	var shares []*budget.Share
	if len(l.hinted) > 0 {
		shares = append(shares, l.hint)
	}
	t, due := l.queue.next(now)
	switch {
	case due:
		shares = append(shares, l.refresh)
	case len(shares) == 0 && t != nil:
		return nil, t.due
	}
	return shares, time.Time{}
}

// take returns the task a grant of the lane's budget from share is for,
// marked as refreshing, with the API to call: the first hinted room for the
// hint share, else the first due room; nil when there is none any more (the
// room was removed or the app paused meanwhile).
func (a *app) take(l *lane, share *budget.Share) (*task, liveAPI) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if !a.pausedUntil(l, now).IsZero() {
		return nil, nil
	}
	var t *task
	if share == l.hint {
		t = l.popHinted()
	} else if _, due := l.queue.next(now); due {
		t = l.queue.pop()
	}
	if t == nil {
		return nil, nil
	}
	t.begin(now)
	return t, a.settings.api
}

// attempt sends one request of lane l for t's room and records its outcome.
func (a *app) attempt(ctx context.Context, api liveAPI, l *lane, t *task, grant budget.Grant) {
	defer a.inflight.Done()
	defer a.release(l)
	ctx, start := sending(ctx, grant)
	answer, err := l.cmd.fetch(ctx, api, t.room.id)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return // shutting down or the app was removed: nothing to record
	}
	j := judge(err)
	a.metrics.observe(a.id, l.name, j.code, elapsed)
	a.record(l, t, answer, j, start, elapsed)
}

// sending tells the budget that grant's request leaves now, and again when
// the request has been written to the connection, which a busy machine can
// delay: the budget keeps later grants at their distance from the time
// Tencent may count the request. It returns the request's context and its
// start.
func sending(ctx context.Context, grant budget.Grant) (context.Context, time.Time) {
	start := time.Now()
	grant.Sent(start)
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { grant.Sent(time.Now()) }}
	return httptrace.WithClientTrace(ctx, trace), start
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
