//go:build !race

package collector

// raceEnabled tells whether the race detector is on.
const raceEnabled = false
