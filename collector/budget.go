package collector

import (
	"slices"
	"sync"
	"time"
)

// Budget tuning. Requests are paced evenly rather than sent in bursts, and
// no window of one second plus a margin holds more than rate requests. The
// margin absorbs the jitter between sending a request and Tencent receiving
// it, so that no 1-second window measured at the server holds more than the
// rate. It is baseMargin (2.5 %: the fetcher sustains about 97.5 % of the
// rate) plus twice the recent dispatch delay, the lateness of requests
// behind their booked time, which grows when the machine is busy.
// A caller that fell behind the schedule by up to maxCatchUp may catch up,
// at most twice as fast, within the window guard; further behind, it starts
// a new schedule.
const (
	baseMargin = 25 * time.Millisecond
	maxMargin  = 250 * time.Millisecond
	maxCatchUp = 250 * time.Millisecond
	delayDecay = 0.98 // per request, of the remembered dispatch delay
	// throttleFactor is what a rate-limit answer multiplies the rate by.
	throttleFactor = 0.5
	// throttleHold is how long after a cut further rate-limit answers are
	// taken as echoes of the same overload (requests already in flight).
	throttleHold = time.Second
	// recoveryDelay is the calm needed after a cut before the rate climbs.
	recoveryDelay = 5 * time.Second
	// recoveryPerSecond is the share of the configured qps regained per
	// second once recovery has started: from half to full in 10 s.
	recoveryPerSecond = 0.05
	// minRate keeps a throttled app alive.
	minRate = 1.0
)

// Budget paces one app's requests to one API command so that no 1-second
// window holds more than the rate in force, and adapts that rate: a
// rate-limit answer halves it at once, and it climbs back to the configured
// qps gradually. It is safe for concurrent use.
type Budget struct {
	mu       sync.Mutex
	max      float64       // configured qps
	cutRate  float64       // rate right after the last cut; 0 when never cut
	cutAt    time.Time     // time of the last cut
	nextSlot time.Time     // the next grant's time on the even schedule
	booked   uint64        // bookings made so far
	recent   []time.Time   // send times of the latest bookings, in booking order
	delay    time.Duration // recent dispatch delay: a decaying maximum
	now      func() time.Time
}

// Booking is a request booked on a Budget: it may be sent at At, and the
// caller reports the actual send time with Sent.
type Booking struct {
	// At is when the request may be sent.
	At  time.Time
	seq uint64
}

// NewBudget returns a budget of qps requests per second.
func NewBudget(qps int, now func() time.Time) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{max: float64(qps), now: now}
}

// SetQPS changes the configured rate, keeping any cut in force below it.
func (b *Budget) SetQPS(qps int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.max = float64(qps)
	if b.cutRate > b.max {
		b.cutRate = b.max
	}
}

// Reserve books the next request and returns when it may be sent. The
// caller waits until then; a booking it does not use is simply lost, which
// never lets a window exceed the rate.
func (b *Budget) Reserve() Booking {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	rate := b.rateAt(now)
	window := time.Second + b.margin()
	spacing := time.Duration(float64(window) / rate)
	if b.nextSlot.Before(now.Add(-maxCatchUp)) {
		b.nextSlot = now // idle, or too far behind to catch up
	}
	slot := b.nextSlot
	if n := len(b.recent); n > 0 {
		slot = latest(slot, b.recent[n-1].Add(spacing/2))
	}
	slot = latest(latest(slot, b.guard(int(rate), window)), now)
	b.nextSlot = b.nextSlot.Add(spacing)

	keep := int(b.max) + 1
	if len(b.recent) >= keep {
		n := copy(b.recent, b.recent[len(b.recent)-keep+1:])
		b.recent = b.recent[:n]
	}
	b.recent = append(b.recent, slot)
	b.booked++
	return Booking{At: slot, seq: b.booked}
}

// Sent records when a booked request actually left, which can be later than
// its booking on a busy machine. Later bookings keep their distance from the
// actual time, so a delayed request cannot crowd a window.
func (b *Budget) Sent(bk Booking, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = max(at.Sub(bk.At), time.Duration(delayDecay*float64(b.delay)))
	i := len(b.recent) - 1 - int(b.booked-bk.seq)
	if i >= 0 && at.After(b.recent[i]) {
		b.recent[i] = at
	}
}

// margin is how much longer than a second the guarded window is; b.mu is
// held.
func (b *Budget) margin() time.Duration {
	return min(maxMargin, baseMargin+2*b.delay)
}

// guard returns the earliest time a new request may go so that no window of
// the given length holds more than limit requests; b.mu is held.
func (b *Budget) guard(limit int, window time.Duration) time.Time {
	if limit < 1 || len(b.recent) < limit {
		return time.Time{}
	}
	times := slices.Clone(b.recent)
	slices.SortFunc(times, func(x, y time.Time) int { return y.Compare(x) })
	return times[limit-1].Add(window + time.Nanosecond)
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Throttle reacts to a rate-limit answer by halving the rate in force,
// at most once per throttleHold.
func (b *Budget) Throttle() {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.cutAt.IsZero() && now.Sub(b.cutAt) < throttleHold {
		return
	}
	b.cutRate = max(minRate, b.rateAt(now)*throttleFactor)
	b.cutAt = now
}

// Rate returns the rate in force now, in requests per second.
func (b *Budget) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rateAt(b.now())
}

// rateAt computes the rate in force at now; b.mu is held.
func (b *Budget) rateAt(now time.Time) float64 {
	if b.cutRate == 0 {
		return b.max
	}
	climbing := now.Sub(b.cutAt) - recoveryDelay
	if climbing <= 0 {
		return b.cutRate
	}
	rate := b.cutRate + b.max*recoveryPerSecond*climbing.Seconds()
	if rate >= b.max {
		b.cutRate = 0
		return b.max
	}
	return rate
}
