package collector

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

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
