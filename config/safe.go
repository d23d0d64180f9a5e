package config

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SafeConfig holds the configuration in force and swaps in a new one only
// when it is valid. Get is lock-free; Reload, ReloadRoomFiles and Set are
// serialised, so a room-file refresh never overwrites a newer reload.
type SafeConfig struct {
	mu  sync.Mutex // serialises the writers
	cur atomic.Pointer[Config]

	// triedRoomFiles is the room files' fingerprint last acted on, so that a
	// broken room file is reported once rather than at every check.
	triedRoomFiles string

	reloadSuccess   prometheus.Gauge
	reloadTimestamp prometheus.Gauge
	now             func() time.Time
}

// NewSafeConfig returns an empty SafeConfig and registers its two reload
// gauges with reg (unless reg is nil): tencent_live_config_last_reload_successful
// and tencent_live_config_last_reload_success_timestamp_seconds. It panics
// if they are registered already, which is a programming error.
func NewSafeConfig(reg prometheus.Registerer) *SafeConfig {
	sc := &SafeConfig{
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tencent_live_config_last_reload_successful",
			Help: "Whether the last attempt to load the configuration (a reload or a room file change) succeeded: 1 or 0.",
		}),
		reloadTimestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tencent_live_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, in Unix seconds.",
		}),
		now: time.Now,
	}
	if reg != nil {
		reg.MustRegister(sc.reloadSuccess, sc.reloadTimestamp)
	}
	return sc
}

// Get returns the configuration in force: nil before the first successful
// Reload or Set, never nil after. The Config is immutable; callers must not
// modify it.
func (sc *SafeConfig) Get() *Config {
	return sc.cur.Load()
}

// Reload loads the configuration file at path. When it is valid it replaces
// the current one at once; when not, the current one stays in force and the
// error (as Load returns it) is returned. Either way the reload gauges say
// what happened.
func (sc *SafeConfig) Reload(path string) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	c, err := Load(path)
	if err != nil {
		sc.reloadSuccess.Set(0)
		return err
	}
	sc.publish(c)
	return nil
}

// Set publishes a configuration built in code (as --demo does) as if it had
// been loaded successfully. c must not be modified afterwards. Prefer Parse to
// build it, which fills in the defaults and validates.
func (sc *SafeConfig) Set(c *Config) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.publish(c)
}

// publish makes c current and records the success; sc.mu is held.
func (sc *SafeConfig) publish(c *Config) {
	sc.cur.Store(c)
	sc.triedRoomFiles = c.roomFilesFingerprint
	sc.reloadSuccess.Set(1)
	sc.reloadTimestamp.Set(float64(sc.now().UnixNano()) / 1e9)
}

// ReloadRoomFiles checks whether the room files of the current configuration
// changed (see Config.RoomFilesFingerprint) and, if so, re-reads them. When
// they are valid it publishes a new Config with the new room lists and
// returns true. When they are not, the current Config stays in force, the
// reload gauge drops to 0 and the error is returned, once: until the files
// change again, later calls return false and nil. Call it every few seconds.
func (sc *SafeConfig) ReloadRoomFiles() (bool, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	c := sc.cur.Load()
	if c == nil {
		return false, nil
	}
	fp, err := c.RoomFilesFingerprint()
	if err != nil {
		// A file cannot be read: the problem itself stands for the state
		// of the files, so that it too is reported once.
		fp = "error: " + err.Error()
	}
	if fp == sc.triedRoomFiles {
		return false, nil
	}
	sc.triedRoomFiles = fp
	if err != nil {
		sc.reloadSuccess.Set(0)
		return false, err
	}
	nc, err := c.ReloadRoomFiles()
	if err != nil {
		sc.reloadSuccess.Set(0)
		return false, err
	}
	sc.publish(nc)
	return true, nil
}
