package collector

import (
	"sync"
	"time"
)

// Budget tuning. Requests are paced evenly rather than sent in bursts: the
// spacing between two grants is windowStretch/rate seconds, so any 1-second
// window holds at most rate/windowStretch grants. The 2.5 % left unused
// absorbs the jitter between granting a request and Tencent receiving it, so
// that no window measured at the server holds more than the configured qps,
// while the fetcher still sustains about 97.5 % of it.
const (
	windowStretch = 1.025
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
	max      float64   // configured qps
	cutRate  float64   // rate right after the last cut; 0 when never cut
	cutAt    time.Time // time of the last cut
	nextSlot time.Time // earliest time of the next grant
	now      func() time.Time
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
func (b *Budget) Reserve() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	slot := b.nextSlot
	if slot.Before(now) {
		slot = now
	}
	spacing := time.Duration(windowStretch / b.rateAt(now) * float64(time.Second))
	b.nextSlot = slot.Add(spacing)
	return slot
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
