package collector

import (
	"testing"
	"time"
)

// fakeClock is a manual clock for budget tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// maxInWindow returns the most grants within any window of length w
// (closed at both ends, the strictest reading).
func maxInWindow(grants []time.Time, w time.Duration) int {
	best, first := 0, 0
	for last := range grants {
		for grants[last].Sub(grants[first]) > w {
			first++
		}
		best = max(best, last-first+1)
	}
	return best
}

// reserveFor books grants for span as a caller that always has work would:
// it waits until each granted slot, then asks for the next.
func reserveFor(b *Budget, clock *fakeClock, span time.Duration) []time.Time {
	var grants []time.Time
	end := clock.t.Add(span)
	for clock.t.Before(end) {
		slot := b.Reserve().At
		if slot.After(clock.t) {
			clock.t = slot
		}
		grants = append(grants, slot)
	}
	return grants
}

func TestBudgetNeverExceedsQPSAndSustainsIt(t *testing.T) {
	for _, qps := range []int{1, 7, 50, 100, 200} {
		clock := &fakeClock{t: time.Unix(1700000000, 0)}
		b := NewBudget(qps, clock.now)
		grants := reserveFor(b, clock, 20*time.Second)
		if got := maxInWindow(grants, time.Second); got > qps {
			t.Errorf("qps %d: %d grants in one second", qps, got)
		}
		rate := float64(len(grants)) / 20
		if rate < 0.95*float64(qps) {
			t.Errorf("qps %d: sustained only %.1f requests/s", qps, rate)
		}
	}
}

func TestBudgetIdleDoesNotBankBursts(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(10, clock.now)
	clock.advance(time.Minute) // a long quiet time earns nothing
	grants := reserveFor(b, clock, 3*time.Second)
	if got := maxInWindow(grants, time.Second); got > 10 {
		t.Fatalf("%d grants in one second after idling", got)
	}
}

func TestBudgetThrottleHalvesThenRecoversGradually(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(100, clock.now)
	b.Throttle()
	if got := b.Rate(); got != 50 {
		t.Fatalf("rate after a rate-limit answer = %v, want 50", got)
	}
	b.Throttle() // an echo from a request in flight: no second cut
	if got := b.Rate(); got != 50 {
		t.Fatalf("rate after an echo = %v, want 50", got)
	}
	clock.advance(recoveryDelay)
	if got := b.Rate(); got != 50 {
		t.Fatalf("rate right after the calm = %v, want 50", got)
	}
	clock.advance(4 * time.Second)
	if got := b.Rate(); got != 70 {
		t.Fatalf("rate 4s into recovery = %v, want 70", got)
	}
	clock.advance(time.Minute)
	if got := b.Rate(); got != 100 {
		t.Fatalf("rate after recovery = %v, want 100", got)
	}
}

func TestBudgetThrottledRateIsEnforced(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(100, clock.now)
	b.Throttle()
	b.Throttle() // echo
	clock.advance(throttleHold)
	b.Throttle() // a second overload after the hold: 25
	grants := reserveFor(b, clock, 2*time.Second)
	if got := maxInWindow(grants, time.Second); got > 25 {
		t.Fatalf("%d grants in one second at a throttled rate of 25", got)
	}
}

func TestBudgetNeverThrottlesBelowMinimum(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(2, clock.now)
	for range 10 {
		b.Throttle()
		clock.advance(throttleHold)
	}
	if got := b.Rate(); got != minRate {
		t.Fatalf("rate = %v, want the floor %v", got, minRate)
	}
}

func TestBudgetSetQPSLowersACutAboveIt(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(200, clock.now)
	b.Throttle() // 100
	b.SetQPS(40)
	if got := b.Rate(); got != 40 {
		t.Fatalf("rate = %v, want 40", got)
	}
	b.SetQPS(150)
	clock.advance(time.Hour)
	if got := b.Rate(); got != 150 {
		t.Fatalf("rate = %v, want 150", got)
	}
}

func TestBudgetCatchesUpOnALateCallerWithinTheGuard(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	b := NewBudget(100, clock.now)
	var grants []time.Time
	end := clock.t.Add(20 * time.Second)
	for i := 0; clock.t.Before(end); i++ {
		slot := b.Reserve().At
		if slot.After(clock.t) {
			clock.t = slot
		}
		grants = append(grants, slot)
		if i%10 == 9 {
			clock.advance(30 * time.Millisecond) // the caller was descheduled
		}
	}
	if got := maxInWindow(grants, time.Second+baseMargin); got > 100 {
		t.Errorf("%d grants within %s", got, time.Second+baseMargin)
	}
	if rate := float64(len(grants)) / 20; rate < 95 {
		t.Errorf("a late caller sustained only %.1f requests/s", rate)
	}
}
