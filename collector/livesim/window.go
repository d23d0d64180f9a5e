package livesim

import "time"

// window holds the arrival times of the last second, oldest first. Two
// arrivals share a 1-second window when they are less than a second apart,
// so a window is the half-open interval (t-1s, t] ending at the newest one.
// The rate limiter keeps one of accepted requests, the counters one of every
// request received; both are guarded by the Server's mutex.
type window struct {
	times []time.Time
}

// advance forgets the arrivals that are a second or more older than now and
// returns how many remain.
func (w *window) advance(now time.Time) int {
	cut := now.Add(-time.Second)
	i := 0
	for i < len(w.times) && !w.times[i].After(cut) {
		i++
	}
	w.times = w.times[i:]
	return len(w.times)
}

// add records an arrival at now, which must not be earlier than the last one,
// and returns how many arrivals the window holds. Call advance(now) first.
func (w *window) add(now time.Time) int {
	w.times = append(w.times, now)
	return len(w.times)
}
