// Package budget paces the requests of one app to one Tencent API command so
// that no 1-second window holds more than the rate in force, adapts that rate
// to rate-limit answers, and shares it between kinds of requests.
//
// # Pacing and the window guard
//
// Grants are spaced evenly at the rate in force rather than sent in bursts,
// and a guard keeps any window of one second plus a margin at or below that
// rate. The margin absorbs the jitter between granting a request and Tencent
// receiving it, so that no 1-second window measured at the server holds more
// than the rate: it is baseMargin (2.5 %, so the budget sustains about 97.5 %
// of the rate) plus twice the recent dispatch delay, the lateness of requests
// behind their slot, which grows when the machine is busy. A caller that fell
// behind the schedule by up to maxCatchUp may catch up, at most twice as fast,
// within the guard; further behind, a new schedule starts: idle time earns no
// burst.
//
// # Slots are taken, never booked
//
// A waiter holds no slot while it waits. The budget grants a slot at the
// moment it is free to the waiter that should have it, so a waiter that
// gives up (its context ends, its deadline cannot be met) costs nothing, and
// a grant that goes unused is handed back with Release.
//
// # Shares
//
// Requests come in shares. A share with a fraction below 1 may take at most
// that fraction of the rate, paced on its own; a share of fraction 1 is not
// capped. When a slot is free, the waiting shares are served by rank, lowest
// first, and within a rank by arrival. The fetcher ranks event hints first
// (capped at a quarter: a flood of them cannot starve the rest), the regular
// refresh of watched rooms next (uncapped), and probes last (capped at
// probe_share, and taking only slots no due refresh wants). A waiter with a
// deadline learns at once, from its place in its share's line, when no slot
// can come in time (ErrNoSlot). The estimate cannot foresee the demand of
// lower ranks, so a waiter of a high rank may still reach its deadline
// without a slot.
//
// # Rate-limit answers
//
// Throttle halves the rate in force at once, at most once per throttleHold
// (later answers of the same overload are echoes of requests in flight).
// After recoveryDelay of calm the rate climbs by recoveryPerSecond of the
// configured rate per second up to kneeShare of the rate that was cut, then
// slowly, by slowPerSecond of that rate per second, up to it, and fast again
// beyond. A rate-limit answer met in the slow climb near the last cut's rate
// takes only a tenth off (nearFactor): the limit is where it was. A budget
// that shares Tencent's limit with other services thus settles just under
// what they leave to it (a cycle of about 30 s between 90 and 100 % of it)
// instead of swinging between half and full.
package budget

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Tuning of pacing and of the reaction to rate-limit answers.
const (
	baseMargin = 25 * time.Millisecond
	maxMargin  = 250 * time.Millisecond
	maxCatchUp = 250 * time.Millisecond
	delayDecay = 0.98 // per grant, of the remembered dispatch delay
	// throttleFactor is what a rate-limit answer multiplies the rate by.
	throttleFactor = 0.5
	// nearFactor replaces it when the answer comes while the rate climbs
	// back near the rate of the last cut.
	nearFactor = 0.9
	// throttleHold is how long after a cut further rate-limit answers are
	// taken as echoes of the same overload.
	throttleHold = time.Second
	// recoveryDelay is the calm needed after a cut before the rate climbs.
	recoveryDelay = 5 * time.Second
	// recoveryPerSecond is the share of the configured rate regained per
	// second below the knee and above the rate that was cut.
	recoveryPerSecond = 0.05
	// kneeShare is where, as a share of the rate that was cut, the fast
	// climb ends.
	kneeShare = 0.9
	// slowPerSecond is the share of the rate that was cut regained per
	// second between the knee and that rate: about 25 s from one to the other.
	slowPerSecond = 0.004
	// minRate keeps a throttled budget alive.
	minRate = 1.0
)

// Errors of Wait besides the context's.
var (
	// ErrNoSlot says no slot can be granted before the waiter's deadline.
	ErrNoSlot = errors.New("no request slot of the rate budget before the deadline")
	// ErrWoken says the waiter's wake channel fired before a slot came.
	ErrWoken = errors.New("woken before a request slot came")
)

// Budget paces one app's requests to one API command. It is safe for
// concurrent use.
type Budget struct {
	mu       sync.Mutex
	max      float64       // configured rate
	cutRate  float64       // rate right after the last cut; 0 when not in a cut
	ceiling  float64       // rate in force when the last cut happened
	cutAt    time.Time     // time of the last cut
	nextSlot time.Time     // the next grant's time on the even schedule
	granted  uint64        // grants made so far
	recent   []time.Time   // send times of the latest grants, in grant order
	delay    time.Duration // recent dispatch delay: a decaying maximum
	waiters  []*waiter     // in arrival order
	timer    *time.Timer   // fires when the next waiter may be served
	timerAt  time.Time     // when timer fires; zero when stopped
}

// Share is a part of a budget's rate taken by one kind of request.
type Share struct {
	b        *Budget
	rank     int       // served before the shares of higher ranks
	fraction float64   // of the rate; 1 = uncapped; b.mu
	next     time.Time // the share's next slot on its own even schedule; b.mu
	// Of a capped share, for estimates; b.mu.
	served       []time.Time // times of its latest grants, at most servedWindow old
	waitingSince time.Time   // since when it has had waiters without a break; zero when none
}

// Grant is a slot a waiter was given: its request may go now.
type Grant struct {
	// Share is the share the slot was taken from.
	Share *Share
	b     *Budget
	slot  time.Time // when the slot was free
	at    time.Time // when it was granted
	seq   uint64
	prev  [2]time.Time // nextSlot and the share's next before the grant
}

// waiter is one call of Wait.
type waiter struct {
	shares   []*Share
	deadline time.Time     // zero for none
	granted  chan Grant    // capacity 1
	refused  chan struct{} // closed when the deadline can no longer be met
}

// New returns a budget of qps requests per second.
func New(qps int) *Budget {
	return &Budget{max: max(minRate, float64(qps))}
}

// NewShare returns a share of the budget that may take at most fraction of
// its rate (1 or more: no cap), served before the shares of higher ranks.
func (b *Budget) NewShare(fraction float64, rank int) *Share {
	s := &Share{b: b, rank: rank}
	s.SetFraction(fraction)
	return s
}

// SetFraction changes the share's fraction of the rate.
func (s *Share) SetFraction(fraction float64) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.fraction = min(max(fraction, 0), 1)
	s.b.dispatch(time.Now())
}

// capped reports whether the share takes only part of the rate.
func (s *Share) capped() bool { return s.fraction < 1 }

// SetQPS changes the configured rate, keeping any cut in force below it.
func (b *Budget) SetQPS(qps int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.max = max(minRate, float64(qps))
	b.cutRate = min(b.cutRate, b.max)
	b.dispatch(time.Now())
}

// Rate returns the rate in force now, in requests per second.
func (b *Budget) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rateAt(time.Now())
}

// Throttle reacts to a rate-limit answer by halving the rate in force, or
// by taking a tenth off when the rate was climbing back past the knee of the
// last cut, at most once per throttleHold.
func (b *Budget) Throttle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if !b.cutAt.IsZero() && now.Sub(b.cutAt) < throttleHold {
		return
	}
	rate, factor := b.rateAt(now), throttleFactor
	if b.cutRate != 0 && now.Sub(b.cutAt) >= recoveryDelay && rate >= kneeShare*b.ceiling {
		// Climbing back, the rate met the limit near where it met it last:
		// the limit is known, a small step back is enough.
		factor = nearFactor
	}
	b.ceiling = rate
	b.cutRate = max(minRate, rate*factor)
	b.cutAt = now
	b.dispatch(now)
}

// rateAt computes the rate in force at now; b.mu is held.
func (b *Budget) rateAt(now time.Time) float64 {
	if b.cutRate == 0 {
		return b.max
	}
	climbing := (now.Sub(b.cutAt) - recoveryDelay).Seconds()
	if climbing <= 0 {
		return b.cutRate
	}
	fast, slow := b.max*recoveryPerSecond, b.ceiling*slowPerSecond
	rate := b.cutRate
	for _, phase := range []struct{ until, perSecond float64 }{
		{kneeShare * b.ceiling, fast},
		{b.ceiling, slow},
		{b.max, fast},
	} {
		until := min(phase.until, b.max)
		if rate >= until {
			continue
		}
		need := (until - rate) / phase.perSecond
		if climbing < need {
			return rate + climbing*phase.perSecond
		}
		rate, climbing = until, climbing-need
	}
	b.cutRate = 0
	return b.max
}

// Wait waits for a slot for a request of any of shares and returns it. It
// returns early with ctx's error, with ErrWoken when wake receives, or, when
// deadline is not zero, at once with ErrNoSlot if the waiter's place in line
// shows no slot can come before deadline. A waiter that returns without a
// grant held no slot. shares must belong to b.
func (b *Budget) Wait(ctx context.Context, wake <-chan struct{}, deadline time.Time, shares ...*Share) (Grant, error) {
	w := &waiter{shares: shares, deadline: deadline, granted: make(chan Grant, 1), refused: make(chan struct{})}
	b.mu.Lock()
	now := time.Now()
	if !deadline.IsZero() && b.estimate(w, b.ahead(w), now).After(deadline) {
		b.mu.Unlock()
		return Grant{}, ErrNoSlot
	}
	b.waiters = append(b.waiters, w)
	b.noteWaiting(w, now)
	b.dispatch(now)
	b.mu.Unlock()

	var err error
	select {
	case g := <-w.granted:
		return g, nil
	case <-w.refused: // no longer in line
		return Grant{}, ErrNoSlot
	case <-ctx.Done():
		err = ctx.Err()
	case <-wake:
		err = ErrWoken
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case g := <-w.granted: // granted meanwhile: hand the slot back
		b.release(g)
	case <-w.refused:
	default:
		b.waiters = slices.DeleteFunc(b.waiters, func(x *waiter) bool { return x == w })
		b.noteWaiting(w, time.Now())
	}
	b.dispatch(time.Now())
	return Grant{}, err
}

// Sent records when a granted request actually left, which can be later than
// its grant on a busy machine. Later grants keep their distance from the
// actual time, so a delayed request cannot crowd a window.
func (g Grant) Sent(at time.Time) {
	b := g.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = max(at.Sub(g.slot), time.Duration(delayDecay*float64(b.delay)))
	if i := len(b.recent) - 1 - int(b.granted-g.seq); i >= 0 && at.After(b.recent[i]) {
		b.recent[i] = at
	}
}

// Release hands back a slot that will not be used, for another waiter.
func (g Grant) Release() {
	g.b.mu.Lock()
	defer g.b.mu.Unlock()
	g.b.release(g)
	g.b.dispatch(time.Now())
}

// release undoes grant g as far as later grants allow; b.mu is held.
func (b *Budget) release(g Grant) {
	if i := len(b.recent) - 1 - int(b.granted-g.seq); i >= 0 {
		b.recent = slices.Delete(b.recent, i, i+1)
	}
	if b.granted == g.seq { // no grant since: the schedules step back
		b.nextSlot, g.Share.next = g.prev[0], g.prev[1]
	}
}

// estimate returns when w would be served if the shares' schedules held
// and the waiters ahead of it in each of its shares' lines took their
// turns; b.mu is held.
func (b *Budget) estimate(w *waiter, ahead map[*Share]int, now time.Time) time.Time {
	best := never
	for _, s := range w.shares {
		if s.fraction == 0 {
			continue
		}
		spacing := b.spacing(now)
		if s.capped() {
			spacing = max(s.spacing(now), s.servedSpacing(now))
		}
		if at := latest(b.slotAt(now), s.slotAt(now)).Add(time.Duration(ahead[s]) * spacing); at.Before(best) {
			best = at
		}
	}
	return best
}

// ahead counts, per share of w, the waiters in line before w (all of them
// when w is not in line); b.mu is held.
func (b *Budget) ahead(w *waiter) map[*Share]int {
	n := make(map[*Share]int, len(w.shares))
	for _, x := range b.waiters {
		if x == w {
			break
		}
		for _, s := range w.shares {
			if slices.Contains(x.shares, s) {
				n[s]++
			}
		}
	}
	return n
}

// refuseLate takes out of line, and refuses, the waiters whose deadline can
// no longer be met; b.mu is held.
func (b *Budget) refuseLate(now time.Time) {
	counts := map[*Share]int{}
	var refused []*waiter
	b.waiters = slices.DeleteFunc(b.waiters, func(w *waiter) bool {
		if !w.deadline.IsZero() && b.estimate(w, counts, now).After(w.deadline) {
			refused = append(refused, w)
			return true
		}
		for _, s := range w.shares {
			counts[s]++
		}
		return false
	})
	for _, w := range refused {
		close(w.refused)
		b.noteWaiting(w, now)
	}
}

// never is a time no deadline reaches.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// dispatch refuses the waiters that can no longer be served in time, grants
// every slot that is free at now to the waiter that should have it, and arms
// the timer for the next; b.mu is held.
func (b *Budget) dispatch(now time.Time) {
	b.refuseLate(now)
	for len(b.waiters) > 0 {
		slot := b.slotAt(now)
		if slot.After(now) {
			b.arm(slot)
			return
		}
		w, s, next := b.pick(now)
		if w == nil {
			b.arm(next)
			return
		}
		b.grant(w, s, slot, now)
	}
	b.arm(time.Time{})
}

// pick returns the waiter to serve now and its share: of the waiting shares
// that may take a slot now (capped ones within their fraction), the one of
// the lowest rank, and its first waiter. With none, it returns when a
// capped share's next slot comes; b.mu is held.
func (b *Budget) pick(now time.Time) (*waiter, *Share, time.Time) {
	var next time.Time
	var best *waiter
	var bestShare *Share
	for _, w := range b.waiters {
		for _, s := range w.shares {
			if s.fraction == 0 || bestShare != nil && s.rank >= bestShare.rank {
				continue
			}
			if at := s.slotAt(now); at.After(now) {
				if next.IsZero() || at.Before(next) {
					next = at
				}
				continue
			}
			best, bestShare = w, s
		}
	}
	if best == nil {
		return nil, nil, next
	}
	return best, bestShare, time.Time{}
}

// grant gives w the slot free since slot from share s; b.mu is held.
func (b *Budget) grant(w *waiter, s *Share, slot, now time.Time) {
	g := Grant{Share: s, b: b, slot: slot, at: now, prev: [2]time.Time{b.nextSlot, s.next}}
	b.nextSlot = catchUp(b.nextSlot, now).Add(b.spacing(now))
	if s.capped() {
		s.next = catchUp(s.next, now).Add(s.spacing(now))
	}
	keep := int(b.max) + 1
	if len(b.recent) >= keep {
		n := copy(b.recent, b.recent[len(b.recent)-keep+1:])
		b.recent = b.recent[:n]
	}
	b.recent = append(b.recent, now)
	if s.capped() {
		s.served = append(slices.DeleteFunc(s.served, func(at time.Time) bool { return now.Sub(at) > servedWindow }), now)
	}
	b.granted++
	g.seq = b.granted
	b.waiters = slices.DeleteFunc(b.waiters, func(x *waiter) bool { return x == w })
	b.noteWaiting(w, now)
	w.granted <- g
}

// arm sets the timer to dispatch at t, or stops it when t is zero; b.mu is
// held.
func (b *Budget) arm(t time.Time) {
	if t.Equal(b.timerAt) {
		return
	}
	b.timerAt = t
	if t.IsZero() {
		if b.timer != nil {
			b.timer.Stop()
		}
		return
	}
	d := time.Until(t)
	if b.timer == nil {
		b.timer = time.AfterFunc(d, b.fire)
		return
	}
	b.timer.Reset(d)
}

// fire dispatches when the timer goes off.
func (b *Budget) fire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timerAt = time.Time{}
	b.dispatch(time.Now())
}

// window is the guarded window's length at the current dispatch delay; b.mu
// is held.
func (b *Budget) window() time.Duration {
	return time.Second + min(maxMargin, baseMargin+2*b.delay)
}

// spacing is the even schedule's interval at now; b.mu is held.
func (b *Budget) spacing(now time.Time) time.Duration {
	return time.Duration(float64(b.window()) / b.rateAt(now))
}

// slotAt returns the earliest time the next grant may go: on the even
// schedule, at most twice as fast as it when catching up, and never so that
// a guarded window holds more than the rate; b.mu is held.
func (b *Budget) slotAt(now time.Time) time.Time {
	rate := b.rateAt(now)
	slot := catchUp(b.nextSlot, now)
	if n := len(b.recent); n > 0 {
		slot = latest(slot, b.recent[n-1].Add(b.spacing(now)/2))
	}
	limit := int(rate)
	if limit < 1 || len(b.recent) < limit {
		return slot
	}
	times := slices.Clone(b.recent)
	slices.SortFunc(times, func(x, y time.Time) int { return y.Compare(x) })
	return latest(slot, times[limit-1].Add(b.window()+time.Nanosecond))
}

// noteWaiting updates since when the capped shares of w have had waiters,
// after w joined or left the line; b.mu is held.
func (b *Budget) noteWaiting(w *waiter, now time.Time) {
	for _, s := range w.shares {
		waiting := slices.ContainsFunc(b.waiters, func(x *waiter) bool { return slices.Contains(x.shares, s) })
		switch {
		case !waiting:
			s.waitingSince = time.Time{}
		case s.waitingSince.IsZero():
			s.waitingSince = now
		}
	}
}

// servedWindow is how far back a capped share's grants are counted to see
// how fast it is actually served.
const servedWindow = 2 * time.Second

// servedSpacing is the interval at which a capped share that has had waiters
// for the whole of servedWindow was actually served: slower than its own
// pace when shares of lower ranks took the slots. Zero when it cannot tell;
// b.mu is held.
func (s *Share) servedSpacing(now time.Time) time.Duration {
	if s.waitingSince.IsZero() || now.Sub(s.waitingSince) < servedWindow {
		return 0
	}
	n := 0
	for _, at := range s.served {
		if now.Sub(at) <= servedWindow {
			n++
		}
	}
	return servedWindow / time.Duration(max(n, 1))
}

// spacing is the share's own interval at now; b.mu is held.
func (s *Share) spacing(now time.Time) time.Duration {
	return time.Duration(float64(s.b.spacing(now)) / s.fraction)
}

// slotAt is when the share's next slot comes; b.mu is held.
func (s *Share) slotAt(now time.Time) time.Time {
	if !s.capped() {
		return time.Time{}
	}
	return catchUp(s.next, now)
}

// catchUp returns t, or now when t is more than maxCatchUp behind it: a
// schedule that fell that far behind starts anew.
func catchUp(t, now time.Time) time.Time {
	if t.Before(now.Add(-maxCatchUp)) {
		return now
	}
	return t
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
