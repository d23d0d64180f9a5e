package collector

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
)

func TestProbe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.PutRoom(testAppID, liveRoom("room"))
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10\nlabels: {env: prod}", "configured"))
		ctx, cancel := context.WithTimeout(context.Background(), pollDeadline)
		defer cancel()

		families, err := tf.Probe(ctx, testAppID, "room")
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]float64{
			"tencent_live_probe_success":        1,
			"tencent_live_room_exists":          1,
			"tencent_live_room_views_total":     10,
			"tencent_live_room_refresh_success": 1,
		} {
			if got := familyValue(families, name); got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		if got := familyLabel(families, "tencent_live_room_exists", "env"); got != "prod" {
			t.Errorf("probed room's env label %q, want the app's", got)
		}

		families, err = tf.Probe(ctx, testAppID, "never-created")
		if err != nil {
			t.Fatal(err)
		}
		if familyValue(families, "tencent_live_probe_success") != 1 || familyValue(families, "tencent_live_room_exists") != 0 {
			t.Errorf("missing room: want probe_success 1 and exists 0")
		}

		sim.PutRoom(testAppID, livesim.Room{ID: "broken", Behaviour: livesim.Behaviour{Gateway: true}})
		families, err = tf.Probe(ctx, testAppID, "broken")
		if err != nil {
			t.Fatal(err)
		}
		if familyValue(families, "tencent_live_probe_success") != 0 || familyValue(families, "tencent_live_room_exists") != -1 {
			t.Errorf("failed probe: want probe_success 0 and no exists series")
		}

		if _, err := tf.Probe(ctx, 42, "room"); !errors.Is(err, ErrUnknownApp) {
			t.Errorf("unknown app: err %v, want ErrUnknownApp", err)
		}
	})
}

// familyValue returns the value of the first sample of the named family, or
// -1 when there is none.
func familyValue(families []*dto.MetricFamily, name string) float64 {
	for _, mf := range families {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return metricValue(mf.GetMetric()[0])
		}
	}
	return -1
}

// familyLabel returns a label of the first sample of the named family.
func familyLabel(families []*dto.MetricFamily, name, label string) string {
	for _, mf := range families {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		for _, lp := range mf.GetMetric()[0].GetLabel() {
			if lp.GetName() == label {
				return lp.GetValue()
			}
		}
	}
	return ""
}
