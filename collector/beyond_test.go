package collector

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

func TestMembersAndStatsEqualTheSimulatedValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		room := liveRoom("room")
		room.Members = 42
		room.Totals = livesim.RoomTotals{
			TotalViewers: 1001, TotalGiftsSent: 52, TotalGiftCoins: 9900,
			TotalUniqueGiftSenders: 17, TotalLikesReceived: 31337, TotalMsgCount: 4242,
		}
		sim.PutRoom(testAppID, room)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 10\nmembers: {enabled: true, qps: 5}\nstats: {enabled: true, qps: 5}", "room"))
		waitFor(t, "members and statistics are known", func() bool {
			_, members := tf.series(t, "tencent_live_room_members")["room"]
			_, stats := tf.series(t, "tencent_live_room_messages_total")["room"]
			return members && stats
		})
		for name, want := range map[string]float64{
			"tencent_live_room_members":                   42,
			"tencent_live_room_viewers_total":             1001,
			"tencent_live_room_gifts_sent_total":          52,
			"tencent_live_room_gift_coins_total":          9900,
			"tencent_live_room_unique_gift_senders_total": 17,
			"tencent_live_room_likes_total":               31337,
			"tencent_live_room_messages_total":            4242,
		} {
			if got := tf.series(t, name)["room"]; got != want {
				t.Errorf("%s = %v, want %v", name, got, want)
			}
		}
		for _, api := range []string{tencent.CommandGetMemberList, tencent.CommandGetRoomStats} {
			key := fmt.Sprintf("api=%s,sdkappid=%d", api, testAppID)
			if got := tf.series(t, "tencent_live_api_rate_limit_qps")[key]; got != 5 {
				t.Errorf("rate in force for %s = %v, want 5", api, got)
			}
		}
	})
}

func TestEachCommandKeepsItsOwnBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		budgets := map[string]int{tencent.CommandGetRoomInfo: 40, tencent.CommandGetMemberList: 20, tencent.CommandGetRoomStats: 10}
		sim := startSim(t, livesim.Options{Latency: 20 * time.Millisecond})
		for api, qps := range budgets {
			sim.SetLimit(testAppID, api, qps)
		}
		ids := roomIDs("budget", 60)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 40\nmembers: {enabled: true, qps: 20}\nstats: {enabled: true, qps: 10}", ids...))
		waitFor(t, "every room has statistics", func() bool { return len(tf.series(t, "tencent_live_room_likes_total")) == len(ids) })

		stats := sim.Stats(testAppID)
		for api, qps := range budgets {
			if got := stats.MaxPerSecond[api]; got > qps {
				t.Errorf("%s: %d requests within one second, budget %d", api, got, qps)
			}
			if got := stats.RateLimited[api]; got != 0 {
				t.Errorf("%s: %d requests answered 60011", api, got)
			}
			if got := stats.Requests[api]; got != len(ids) {
				t.Errorf("%s: %d requests for %d rooms", api, got, len(ids))
			}
			t.Logf("%s at qps %d: most in one second %d", api, qps, stats.MaxPerSecond[api])
		}
	})
}

// publicRooms puts n publicly visible rooms with decreasing view counts.
func publicRooms(sim *livesim.Server, prefix string, n int) []string {
	ids := roomIDs(prefix, n)
	for i, id := range ids {
		r := liveRoom(id)
		r.Info.ViewCount = int64(1000 - i)
		sim.PutRoom(testAppID, r)
	}
	return ids
}

// roomsBySource returns tencent_live_rooms of the test app for source.
func (tf *testFetcher) roomsBySource(t testing.TB, source string) float64 {
	return tf.series(t, "tencent_live_rooms")[fmt.Sprintf("sdkappid=%d,source=%s", testAppID, source)]
}

// assertNoExistsZero fails the test if any room but allowed shows exists 0.
func (tf *testFetcher) assertNoExistsZero(t testing.TB, allowed string) {
	for id, v := range tf.series(t, "tencent_live_room_exists") {
		if v == 0 && id != allowed {
			t.Fatalf("room %s shows exists 0; only configured rooms may", id)
		}
	}
}

func TestDiscoveryAddsListedRoomsAndDropsEndedOnesQuietly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		listed := publicRooms(sim, "listed", 45)
		private := liveRoom("private")
		private.Info.IsPublicVisible = false
		sim.PutRoom(testAppID, private)
		// One configured room is also listed: it is watched once, as configured.
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 50\ndiscovery: {enabled: true, interval: 1s, qps: 5}", "private", listed[7]))
		waitFor(t, "discovery watches the listed rooms", func() bool { return tf.roomsBySource(t, sourceDiscovery) == 44 })
		if got := tf.roomsBySource(t, sourceConfig); got != 2 {
			t.Errorf("%v configured rooms, want 2", got)
		}
		waitFor(t, "every room is known", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 46 })
		stats := sim.Stats(testAppID)
		if got := stats.MaxPerSecond[tencent.CommandGetRoomList]; got > 5 {
			t.Errorf("%d get_room_list requests within one second, budget 5", got)
		}
		if got := stats.Requests[tencent.CommandGetRoomList]; got < 3 {
			t.Errorf("%d get_room_list requests, want at least the 3 pages of a pass", got)
		}

		// A discovered room ends and leaves the listing; a configured one ends.
		sim.DissolveRoom(testAppID, listed[20])
		sim.DissolveRoom(testAppID, "private")
		waitFor(t, "the ended discovered room is dropped", func() bool {
			tf.assertNoExistsZero(t, "private")
			_, watched := tf.series(t, "tencent_live_room_refresh_success")[listed[20]]
			return !watched && tf.roomsBySource(t, sourceDiscovery) == 43
		})
		// The configured room reports it: its refresh is due long after, so
		// probe it to see what the fetcher would.
		families, err := tf.Probe(context.Background(), testAppID, "private")
		if err != nil {
			t.Fatal(err)
		}
		if got := familyValue(families, "tencent_live_room_exists"); got != 0 {
			t.Errorf("probe of the dissolved configured room: exists %v, want 0", got)
		}
	})
}

func TestDiscoveredRoomAnsweringMissingIsDroppedQuietly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		listed := publicRooms(sim, "listed", 5)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 1s\nrequest_timeout: 500ms",
			"qps: 20\ndiscovery: {enabled: true, interval: 10m, qps: 2}", "configured"))
		waitFor(t, "the discovered rooms are known", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 6 })
		// The listing is not read again for 10 minutes: the room's own refresh
		// meets the 100004.
		sim.DissolveRoom(testAppID, listed[2])
		waitFor(t, "the ended discovered room is dropped", func() bool {
			tf.assertNoExistsZero(t, "configured")
			_, watched := tf.series(t, "tencent_live_room_refresh_success")[listed[2]]
			return !watched
		})
		if got := tf.roomsBySource(t, sourceDiscovery); got != 4 {
			t.Errorf("%v discovered rooms, want 4", got)
		}
		if got := tf.series(t, "tencent_live_room_exists")["configured"]; got != 0 {
			t.Errorf("configured missing room: exists %v, want 0", got)
		}
	})
}

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

func TestDiscoveryMakesOnePassPerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		publicRooms(sim, "listed", 5)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 20\ndiscovery: {enabled: true, interval: 1h, qps: 5}", "configured"))
		waitFor(t, "the discovered rooms are refreshed", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 6 })
		waitFor(t, "the first pass ends", tf.Ready)
		if got := sim.Stats(testAppID).Requests[tencent.CommandGetRoomList]; got != 1 {
			t.Errorf("%d get_room_list requests for one page in one interval, want 1", got)
		}
	})
}

func TestDiscoveryPassesComeEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		publicRooms(sim, "listed", 5)
		startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 20\ndiscovery: {enabled: true, interval: 1m, qps: 5}", "configured"))
		passes := func() int { return sim.Stats(testAppID).Requests[tencent.CommandGetRoomList] }
		waitFor(t, "the first pass", func() bool { return passes() == 1 })
		first := time.Now()
		waitFor(t, "the second pass", func() bool { return passes() == 2 })
		if gap := time.Since(first); gap < time.Minute-pollInterval || gap > time.Minute+time.Second {
			t.Errorf("the second discovery pass came %s after the first, want the interval of 1m", gap)
		}
		waitFor(t, "the third pass", func() bool { return passes() == 3 })
		if gap := time.Since(first); gap < 2*time.Minute-pollInterval || gap > 2*time.Minute+time.Second {
			t.Errorf("the third discovery pass came %s after the first, want 2m", gap)
		}
	})
}
