package budget

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Every test runs in a synctest bubble: time.Now, timers and sleeps are
// virtual, so the pacing is measured exactly whatever the machine's load.

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

// takeFor takes grants of share for span as a caller that always has work
// would, and returns their times; pause, if not nil, is called after each
// grant and may sleep to play a descheduled caller.
func takeFor(t *testing.T, s *Share, span time.Duration, pause func(i int)) []time.Time {
	t.Helper()
	var grants []time.Time
	end := time.Now().Add(span)
	for i := 0; time.Now().Before(end); i++ {
		if _, err := s.b.Wait(t.Context(), nil, time.Time{}, s); err != nil {
			t.Fatal(err)
		}
		grants = append(grants, time.Now())
		if pause != nil {
			pause(i)
		}
	}
	return grants
}

func TestBudgetNeverExceedsQPSAndSustainsIt(t *testing.T) {
	for _, qps := range []int{1, 7, 50, 100, 200} {
		synctest.Test(t, func(t *testing.T) {
			b := New(qps)
			grants := takeFor(t, b.NewShare(1, 1), 20*time.Second, nil)
			if got := maxInWindow(grants, time.Second); got > qps {
				t.Errorf("qps %d: %d grants in one second", qps, got)
			}
			if rate := float64(len(grants)) / 20; rate < 0.95*float64(qps) {
				t.Errorf("qps %d: sustained only %.1f requests/s", qps, rate)
			}
		})
	}
}

func TestBudgetIdleDoesNotBankBursts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10)
		share := b.NewShare(1, 1)
		takeFor(t, share, time.Second, nil)
		time.Sleep(time.Minute) // a long quiet time earns nothing
		grants := takeFor(t, share, 3*time.Second, nil)
		if got := maxInWindow(grants, time.Second); got > 10 {
			t.Fatalf("%d grants in one second after idling", got)
		}
	})
}

func TestBudgetThrottleHalvesThenRecoversGradually(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100)
		b.Throttle()
		if got := b.Rate(); got != 50 {
			t.Fatalf("rate after a rate-limit answer = %v, want 50", got)
		}
		b.Throttle() // an echo from a request in flight: no second cut
		if got := b.Rate(); got != 50 {
			t.Fatalf("rate after an echo = %v, want 50", got)
		}
		time.Sleep(recoveryDelay)
		if got := b.Rate(); got != 50 {
			t.Fatalf("rate right after the calm = %v, want 50", got)
		}
		time.Sleep(4 * time.Second)
		if got := b.Rate(); got != 70 {
			t.Fatalf("rate 4s into recovery = %v, want 70", got)
		}
		time.Sleep(time.Minute)
		if got := b.Rate(); got != 100 {
			t.Fatalf("rate after recovery = %v, want 100", got)
		}
	})
}

func TestBudgetRecoverySlowsNearTheRateThatWasCut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100)
		b.Throttle() // cut at 100: fast to 90, slowly to 100
		time.Sleep(recoveryDelay + 8*time.Second)
		if got := b.Rate(); got != 90 {
			t.Fatalf("rate at the knee = %v, want 90", got)
		}
		time.Sleep(5 * time.Second)
		if got := b.Rate(); got != 92 {
			t.Fatalf("rate 5s past the knee = %v, want 92 (0.4 per second)", got)
		}
		time.Sleep(20 * time.Second)
		if got := b.Rate(); got != 100 {
			t.Fatalf("rate 25s past the knee = %v, want 100", got)
		}
	})
}

func TestBudgetCutNearTheLastLimitIsSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100)
		b.Throttle() // 50; the limit was met at 100
		time.Sleep(recoveryDelay + 8*time.Second + 5*time.Second)
		if got := b.Rate(); got != 92 {
			t.Fatalf("rate climbing near the last cut = %v, want 92", got)
		}
		b.Throttle() // met the limit again near it: a tenth off
		if got := b.Rate(); math.Abs(got-82.8) > 1e-9 {
			t.Fatalf("rate after a cut near the last one = %v, want 82.8", got)
		}
		time.Sleep(throttleHold)
		b.Throttle() // still over during the calm: the limit fell, halve
		if got := b.Rate(); math.Abs(got-41.4) > 1e-9 {
			t.Fatalf("rate after a second overload = %v, want 41.4", got)
		}
	})
}

func TestBudgetThrottledRateIsEnforced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100)
		b.Throttle()
		b.Throttle() // echo
		time.Sleep(throttleHold)
		b.Throttle() // a second overload after the hold: 25
		grants := takeFor(t, b.NewShare(1, 1), 2*time.Second, nil)
		if got := maxInWindow(grants, time.Second); got > 25 {
			t.Fatalf("%d grants in one second at a throttled rate of 25", got)
		}
	})
}

func TestBudgetNeverThrottlesBelowMinimum(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(2)
		for range 10 {
			b.Throttle()
			time.Sleep(throttleHold)
		}
		if got := b.Rate(); got != minRate {
			t.Fatalf("rate = %v, want the floor %v", got, minRate)
		}
	})
}

func TestBudgetSetQPSLowersACutAboveIt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(200)
		b.Throttle() // 100
		b.SetQPS(40)
		if got := b.Rate(); got != 40 {
			t.Fatalf("rate = %v, want 40", got)
		}
		b.SetQPS(150)
		time.Sleep(time.Hour)
		if got := b.Rate(); got != 150 {
			t.Fatalf("rate = %v, want 150", got)
		}
	})
}

func TestBudgetCatchesUpOnALateCallerWithinTheGuard(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(100)
		grants := takeFor(t, b.NewShare(1, 1), 20*time.Second, func(i int) {
			if i%10 == 9 {
				time.Sleep(30 * time.Millisecond) // the caller was descheduled
			}
		})
		if got := maxInWindow(grants, time.Second+baseMargin); got > 100 {
			t.Errorf("%d grants within %s", got, time.Second+baseMargin)
		}
		if rate := float64(len(grants)) / 20; rate < 95 {
			t.Errorf("a late caller sustained only %.1f requests/s", rate)
		}
	})
}

func TestBudgetSentLaterKeepsTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Requests leave 40 ms after their grant, every other one: the
		// actual send times, not the grants, must respect the window.
		b := New(50)
		share := b.NewShare(1, 1)
		var sent []time.Time
		end := time.Now().Add(10 * time.Second)
		for i := 0; time.Now().Before(end); i++ {
			g, err := b.Wait(t.Context(), nil, time.Time{}, share)
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				time.Sleep(40 * time.Millisecond)
			}
			g.Sent(time.Now())
			sent = append(sent, time.Now())
		}
		if got := maxInWindow(sent, time.Second); got > 50 {
			t.Errorf("%d requests sent within one second, budget 50", got)
		}
	})
}

// demand keeps n goroutines asking s for slots until ctx ends, appending
// the time of each grant to times.
func demand(ctx context.Context, s *Share, n int, times *[]time.Time, mu *sync.Mutex) {
	for range n {
		go func() {
			for {
				if _, err := s.b.Wait(ctx, nil, time.Time{}, s); err != nil {
					return
				}
				mu.Lock()
				*times = append(*times, time.Now())
				mu.Unlock()
			}
		}()
	}
}

func TestCappedShareTakesAtMostItsFractionAndTheRestGoesToTheOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(40)
		refresh, probe := b.NewShare(1, 1), b.NewShare(0.25, 0)
		ctx, cancel := context.WithCancel(t.Context())
		var mu sync.Mutex
		var refreshes, probes []time.Time
		demand(ctx, refresh, 1, &refreshes, &mu)
		demand(ctx, probe, 200, &probes, &mu) // a flood of probes
		time.Sleep(20 * time.Second)
		cancel()
		synctest.Wait()

		all := append(append([]time.Time{}, refreshes...), probes...)
		sortTimes(all)
		if got := maxInWindow(all, time.Second); got > 40 {
			t.Errorf("%d grants in one second, budget 40", got)
		}
		probeRate, refreshRate := float64(len(probes))/20, float64(len(refreshes))/20
		t.Logf("probes %.1f/s, refreshes %.1f/s", probeRate, refreshRate)
		if probeRate > 10 || probeRate < 9 {
			t.Errorf("probes took %.1f/s, want just under a quarter of 40", probeRate)
		}
		if refreshRate < 0.95*30 {
			t.Errorf("refreshes got %.1f/s, want the other three quarters (30/s)", refreshRate)
		}
	})
}

func TestLowRankedShareTakesOnlyWhatTheOthersLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(40)
		refresh, probe := b.NewShare(1, 1), b.NewShare(0.25, 2)
		ctx, cancel := context.WithCancel(t.Context())
		var mu sync.Mutex
		var refreshes, probes []time.Time
		demand(ctx, probe, 200, &probes, &mu)
		// Refreshes want 20 a second, in bursts: 40/s for half a second,
		// then nothing for half a second.
		var burster sync.WaitGroup
		burster.Go(func() {
			for ctx.Err() == nil {
				burst := time.Now().Add(500 * time.Millisecond)
				for time.Now().Before(burst) {
					if _, err := b.Wait(ctx, nil, time.Time{}, refresh); err != nil {
						return
					}
					mu.Lock()
					refreshes = append(refreshes, time.Now())
					mu.Unlock()
				}
				time.Sleep(500 * time.Millisecond)
			}
		})
		time.Sleep(20 * time.Second)
		cancel()
		burster.Wait()
		synctest.Wait()
		probeRate, refreshRate := float64(len(probes))/20, float64(len(refreshes))/20
		t.Logf("probes %.1f/s, refreshes %.1f/s", probeRate, refreshRate)
		if refreshRate < 0.95*20 {
			t.Errorf("refreshes got %.1f/s, want all the 20/s they asked for", refreshRate)
		}
		// Their pace of 10/s, but only in the gaps: half the time.
		if probeRate < 4 || probeRate > 6 {
			t.Errorf("probes got %.1f/s, want about 5: a quarter of 40, in the refreshes' gaps only", probeRate)
		}
	})
}

func TestUncappedShareTakesEverySlotTheCappedLeave(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(40)
		refresh := b.NewShare(1, 1)
		b.NewShare(0.25, 0) // a probe share nobody uses
		grants := takeFor(t, refresh, 10*time.Second, nil)
		if rate := float64(len(grants)) / 10; rate < 0.95*40 {
			t.Errorf("refreshes got %.1f/s of 40 with no probe waiting", rate)
		}
	})
}

func TestCappedShareIsServedDespiteARefreshBacklog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(10)
		refresh, hint := b.NewShare(1, 1), b.NewShare(0.25, 0)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var mu sync.Mutex
		var refreshes []time.Time
		demand(ctx, refresh, 3, &refreshes, &mu)
		time.Sleep(3 * time.Second)
		start := time.Now()
		if _, err := b.Wait(t.Context(), nil, time.Time{}, hint); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited > 200*time.Millisecond {
			t.Errorf("a hint waited %s behind the refresh backlog", waited)
		}
	})
}

func TestWaiterWhoCannotBeServedBeforeItsDeadlineIsToldAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(40)
		probe := b.NewShare(0.25, 0) // 10 per second
		deadline := time.Now().Add(time.Second)
		var mu sync.Mutex
		var served, refused int
		var refusedAfter time.Duration
		var wg sync.WaitGroup
		start := time.Now()
		for range 30 {
			wg.Go(func() {
				_, err := b.Wait(t.Context(), nil, deadline, probe)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					served++
				case errors.Is(err, ErrNoSlot):
					refused++
					refusedAfter = max(refusedAfter, time.Since(start))
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		t.Logf("served %d, refused %d", served, refused)
		if served < 9 || served > 11 {
			t.Errorf("%d probes served within a second at 10/s", served)
		}
		if served+refused != 30 {
			t.Errorf("%d served and %d refused of 30", served, refused)
		}
		if refusedAfter != 0 {
			t.Errorf("a refused probe waited %s; refusals must be immediate", refusedAfter)
		}
	})
}

func TestAbandonedWaitsHoldNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(40)
		refresh, probe := b.NewShare(1, 1), b.NewShare(0.25, 0)
		ctx, cancel := context.WithCancel(t.Context())
		var mu sync.Mutex
		var refreshes []time.Time
		demand(ctx, refresh, 1, &refreshes, &mu)
		// A probe every 10 ms that gives up after 5 ms: most give up.
		served, abandoned := 0, 0
		for range 1000 {
			pctx, pcancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
			_, err := b.Wait(pctx, nil, time.Time{}, probe)
			pcancel()
			switch {
			case err == nil:
				served++
			case errors.Is(err, context.DeadlineExceeded):
				abandoned++
			default:
				t.Fatal(err)
			}
			time.Sleep(10*time.Millisecond - time.Duration(time.Now().UnixNano()%int64(10*time.Millisecond)))
		}
		cancel()
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		total := float64(len(refreshes)+served) / 10
		t.Logf("%d probes served, %d abandoned, %d refreshes: %.1f grants/s", served, abandoned, len(refreshes), total)
		if abandoned < 500 {
			t.Fatalf("only %d of 1000 probes gave up: the test does not test anything", abandoned)
		}
		if total < 0.95*40 {
			t.Errorf("%.1f grants/s with abandoned probes, want the whole budget of 40 used", total)
		}
	})
}

func TestReleasedGrantGoesToTheNextWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(1)
		share := b.NewShare(1, 1)
		g, err := b.Wait(t.Context(), nil, time.Time{}, share)
		if err != nil {
			t.Fatal(err)
		}
		g.Release()
		start := time.Now()
		if _, err := b.Wait(t.Context(), nil, time.Time{}, share); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("the slot handed back was not reused: waited %s", waited)
		}
	})
}

func TestWakeEndsAWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(1)
		share := b.NewShare(1, 1)
		if _, err := b.Wait(t.Context(), nil, time.Time{}, share); err != nil {
			t.Fatal(err)
		}
		wake := make(chan struct{}, 1)
		go func() {
			time.Sleep(100 * time.Millisecond)
			wake <- struct{}{}
		}()
		if _, err := b.Wait(t.Context(), wake, time.Time{}, share); !errors.Is(err, ErrWoken) {
			t.Fatalf("err %v, want ErrWoken", err)
		}
	})
}

// limitedServer accepts at most limit requests in any 1-second window, as
// Tencent's limiter and the simulator's do; rejected requests do not count.
type limitedServer struct {
	limit    int
	accepted []time.Time
}

// request reports whether a request arriving now is accepted.
func (s *limitedServer) request(now time.Time) bool {
	n := 0
	for i := len(s.accepted) - 1; i >= 0 && now.Sub(s.accepted[i]) < time.Second; i-- {
		n++
	}
	if n >= s.limit {
		return false
	}
	s.accepted = append(s.accepted, now)
	return true
}

func TestRateSettlesJustUnderALowerServerLimit(t *testing.T) {
	for _, tc := range []struct{ qps, limit int }{{100, 60}, {200, 20}, {50, 45}} {
		synctest.Test(t, func(t *testing.T) {
			b := New(tc.qps)
			share := b.NewShare(1, 1)
			server := &limitedServer{limit: tc.limit}
			const warmUp, measured = 30 * time.Second, 240 * time.Second
			var rejected int
			end := time.Now().Add(warmUp + measured)
			for time.Now().Before(end) {
				if _, err := b.Wait(t.Context(), nil, time.Time{}, share); err != nil {
					t.Fatal(err)
				}
				if !server.request(time.Now()) {
					rejected++
					b.Throttle()
				}
			}
			from := end.Add(-measured)
			n := 0
			for _, at := range server.accepted {
				if !at.Before(from) {
					n++
				}
			}
			got := float64(n) / measured.Seconds() / float64(tc.limit)
			t.Logf("qps %d, server limit %d: %.1f %% of the limit accepted, %d rejected", tc.qps, tc.limit, 100*got, rejected)
			if got < 0.8 || got > 1 {
				t.Errorf("qps %d against a limit of %d settled at %.1f %% of it, want 80-100 %%", tc.qps, tc.limit, 100*got)
			}
		})
	}
}

// sortTimes sorts times in place.
func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}
