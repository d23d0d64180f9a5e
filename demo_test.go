package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
)

// TestDemoConfig parses the demo configuration as --demo does and checks
// what the README promises of it: the demo app on the simulator with
// members, statistics and discovery on, every demo room configured with a
// team label except the publicly visible ones left for discovery, 24
// configured and 9 to discover.
func TestDemoConfig(t *testing.T) {
	sim, cfg, err := startDemo()
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if len(cfg.Apps) != 1 {
		t.Fatalf("%d apps, want 1", len(cfg.Apps))
	}
	app, demo := cfg.Apps[0], livesim.DemoApp()
	if app.SDKAppID != demo.SDKAppID || app.Endpoint != sim.URL() || app.Identifier != demo.Identifier || string(app.SecretKey) != demo.SecretKey {
		t.Errorf("app %d at %s as %s, want the simulator's demo app %+v at %s", app.SDKAppID, app.Endpoint, app.Identifier, demo, sim.URL())
	}
	if !app.Members.Enabled || !app.Stats.Enabled || !app.Discovery.Enabled || time.Duration(cfg.Global.RefreshInterval) != 15*time.Second {
		t.Errorf("members %v, stats %v, discovery %v, refresh_interval %v; want all on, 15s",
			app.Members.Enabled, app.Stats.Enabled, app.Discovery.Enabled, cfg.Global.RefreshInterval)
	}

	configured := map[string]bool{}
	for _, r := range app.Rooms {
		configured[r.ID] = true
		if r.Labels["team"] == "" {
			t.Errorf("room %s has no team label", r.ID)
		}
	}
	if !configured[livesim.DemoDissolvedRoom] {
		t.Errorf("%s is not configured", livesim.DemoDissolvedRoom)
	}
	discovered := 0
	for _, r := range livesim.DemoRooms() {
		if configured[r.ID] {
			continue
		}
		discovered++
		if !r.Info.IsPublicVisible || !strings.HasPrefix(r.ID, "demo-live-") {
			t.Errorf("room %s is left for discovery but is not a public demo-live room", r.ID)
		}
	}
	if len(app.Rooms) != 24 || discovered != 9 {
		t.Errorf("%d rooms configured and %d left for discovery, want 24 and 9", len(app.Rooms), discovered)
	}
}
