package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// gauges returns the reload gauges' values.
func gauges(t *testing.T, sc *SafeConfig) (ok, ts float64) {
	t.Helper()
	return testutil.ToFloat64(sc.reloadSuccess), testutil.ToFloat64(sc.reloadTimestamp)
}

func TestSafeConfigReload(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	sc := NewSafeConfig(reg)
	clock := time.Unix(1700000000, 500_000_000)
	sc.now = func() time.Time { return clock }

	if sc.Get() != nil {
		t.Fatal("Get before any reload is not nil")
	}
	if ok, ts := gauges(t, sc); ok != 0 || ts != 0 {
		t.Errorf("initial gauges = %v, %v", ok, ts)
	}

	dir := t.TempDir()
	path := write(t, dir, "tencent_live.yml", baseApp)
	if err := sc.Reload(path); err != nil {
		t.Fatal(err)
	}
	first := sc.Get()
	if first == nil || first.Apps[0].SDKAppID != 1400000001 {
		t.Fatalf("Get after reload = %v", first)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP tencent_live_config_last_reload_success_timestamp_seconds When the configuration was last loaded successfully, in Unix seconds.
# TYPE tencent_live_config_last_reload_success_timestamp_seconds gauge
tencent_live_config_last_reload_success_timestamp_seconds 1.7000000005e+09
# HELP tencent_live_config_last_reload_successful Whether the last attempt to load the configuration (a reload or a room file change) succeeded: 1 or 0.
# TYPE tencent_live_config_last_reload_successful gauge
tencent_live_config_last_reload_successful 1
`)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// An invalid file: the old config stays, the gauge drops, the
	// timestamp keeps the last success.
	clock = clock.Add(time.Minute)
	write(t, dir, "tencent_live.yml", withApp("    qps: 500\n"))
	err := sc.Reload(path)
	if err == nil || err.Error() != "line 6: apps[0].qps: must be 1..200, got 500" {
		t.Errorf("Reload error = %v", err)
	}
	if sc.Get() != first {
		t.Error("a failed reload replaced the config")
	}
	if ok, ts := gauges(t, sc); ok != 0 || ts != 1700000000.5 {
		t.Errorf("gauges after a failed reload = %v, %v", ok, ts)
	}

	// A missing file is a failed reload too.
	if err := sc.Reload(filepath.Join(dir, "nope.yml")); err == nil || sc.Get() != first {
		t.Errorf("missing file: err %v, config replaced %v", err, sc.Get() != first)
	}

	// A valid file again.
	write(t, dir, "tencent_live.yml", withApp("    qps: 100\n"))
	if err := sc.Reload(path); err != nil {
		t.Fatal(err)
	}
	if sc.Get() == first || sc.Get().Apps[0].QPS != 100 {
		t.Error("a valid reload did not take effect")
	}
	if ok, ts := gauges(t, sc); ok != 1 || ts != 1700000060.5 {
		t.Errorf("gauges after a good reload = %v, %v", ok, ts)
	}
}

func TestSafeConfigSet(t *testing.T) {
	sc := NewSafeConfig(nil)
	c, err := Parse([]byte(baseApp), "")
	if err != nil {
		t.Fatal(err)
	}
	sc.Set(c)
	if sc.Get() != c {
		t.Error("Set did not publish")
	}
	if ok, ts := gauges(t, sc); ok != 1 || ts == 0 {
		t.Errorf("gauges after Set = %v, %v", ok, ts)
	}
}

func TestSafeConfigReloadRoomFiles(t *testing.T) {
	sc := NewSafeConfig(prometheus.NewRegistry())
	dir := t.TempDir()
	write(t, dir, "rooms/a.yml", "- a\n")
	path := write(t, dir, "tencent_live.yml", withApp("    rooms: [cfg]\n    room_files: [rooms/*.yml]\n"))

	if changed, err := sc.ReloadRoomFiles(); changed || err != nil {
		t.Errorf("before any config: %v, %v", changed, err)
	}
	if err := sc.Reload(path); err != nil {
		t.Fatal(err)
	}
	first := sc.Get()
	ids := func() string {
		var s []string
		for _, r := range sc.Get().Apps[0].Rooms {
			s = append(s, r.ID)
		}
		return strings.Join(s, ",")
	}

	if changed, err := sc.ReloadRoomFiles(); changed || err != nil || sc.Get() != first {
		t.Errorf("nothing changed: %v, %v", changed, err)
	}

	write(t, dir, "rooms/b.yml", "- b\n")
	if changed, err := sc.ReloadRoomFiles(); !changed || err != nil {
		t.Errorf("file added: %v, %v", changed, err)
	}
	if got := ids(); got != "cfg,a,b" {
		t.Errorf("rooms = %s", got)
	}
	good := sc.Get()

	// A broken file: reported once, the gauge drops, the rooms stay.
	write(t, dir, "rooms/b.yml", "- {id: b, oops: 1}\n")
	changed, err := sc.ReloadRoomFiles()
	want := "line 7: apps[0].room_files[0]: " + filepath.Join(dir, "rooms/b.yml") +
		": line 1: [0].oops: unknown field; expected one of id, labels"
	if changed || err == nil || err.Error() != want {
		t.Errorf("broken file: %v, %v", changed, err)
	}
	if sc.Get() != good {
		t.Error("a broken room file replaced the config")
	}
	if ok, _ := gauges(t, sc); ok != 0 {
		t.Error("reload gauge not 0 after a broken room file")
	}
	if changed, err := sc.ReloadRoomFiles(); changed || err != nil {
		t.Errorf("same broken file again: %v, %v", changed, err)
	}

	// Fixed.
	write(t, dir, "rooms/b.yml", "- b\n- c\n")
	if changed, err := sc.ReloadRoomFiles(); !changed || err != nil {
		t.Errorf("fixed file: %v, %v", changed, err)
	}
	if got := ids(); got != "cfg,a,b,c" {
		t.Errorf("rooms = %s", got)
	}
	if ok, _ := gauges(t, sc); ok != 1 {
		t.Error("reload gauge not 1 after the fix")
	}

	// An unreadable file is reported once as well.
	if os.Geteuid() != 0 {
		p := filepath.Join(dir, "rooms/b.yml")
		if err := os.Chmod(p, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.ReloadRoomFiles(); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("unreadable file: %v", err)
		}
		if _, err := sc.ReloadRoomFiles(); err != nil {
			t.Errorf("unreadable file, second time: %v", err)
		}
	}
}

// TestSafeConfigConcurrency is for the race detector: readers, reloads and
// room-file checks at once.
func TestSafeConfigConcurrency(t *testing.T) {
	sc := NewSafeConfig(prometheus.NewRegistry())
	dir := t.TempDir()
	write(t, dir, "rooms/a.yml", "- a\n")
	good := write(t, dir, "good.yml", withApp("    room_files: [rooms/*.yml]\n"))
	bad := write(t, dir, "bad.yml", withApp("    qps: 0\n"))
	if err := sc.Reload(good); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 50 {
				switch (i + j) % 3 {
				case 0:
					_ = sc.Reload(good)
				case 1:
					_ = sc.Reload(bad)
				case 2:
					_, _ = sc.ReloadRoomFiles()
				}
			}
		})
		wg.Go(func() {
			for range 200 {
				c := sc.Get()
				if c == nil || c.Apps[0].QPS != 50 || len(c.Apps[0].Rooms) != 1 {
					t.Error("reader saw a wrong config")
					return
				}
			}
		})
	}
	wg.Go(func() {
		for j := range 50 {
			write(t, dir, "rooms/a.yml", strings.Repeat("\n", j%3)+"- a\n")
		}
	})
	wg.Wait()
}
