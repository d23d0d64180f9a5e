package collector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// lastRefresh returns each room's last definitive answer time.
func (tf *testFetcher) lastRefresh(t testing.TB) map[string]float64 {
	return tf.series(t, "tencent_live_room_last_refresh_timestamp_seconds")
}

func TestProbeFloodCannotStarveWatchedRooms(t *testing.T) {
	measurement(t)
	synctest.Test(t, func(t *testing.T) {
		const qps, rooms, interval = 40, 200, 10 * time.Second
		sim := startSim(t, livesim.Options{Latency: 30 * time.Millisecond})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, qps)
		ids := roomIDs("watched", rooms)
		putRooms(sim, ids)
		putRooms(sim, roomIDs("probed", 50))
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s", fmt.Sprintf("qps: %d", qps), ids...))
		waitFor(t, "the first pass ends", tf.Ready)
		time.Sleep(interval)

		refreshes := func() int {
			n := 0
			for _, id := range ids {
				n += sim.Stats(testAppID).Rooms[id][tencent.CommandGetRoomInfo]
			}
			return n
		}
		before := refreshes()
		time.Sleep(2 * interval)
		rateBefore := float64(refreshes()-before) / (2 * interval).Seconds()

		// 200 clients probe unwatched rooms for 20 s, each with a 2 s
		// scrape timeout, one after the other.
		ctx, stop := context.WithCancel(t.Context())
		var mu sync.Mutex
		var served, rejected, rejectedLate, failed int
		var slowestRejection time.Duration
		var clients sync.WaitGroup
		for c := range 200 {
			clients.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					start := time.Now()
					families, err := tf.Probe(pctx, testAppID, fmt.Sprintf("probed-%04d", (c+i)%50))
					cancel()
					mu.Lock()
					switch {
					case errors.Is(err, ErrProbeRejected):
						rejected++
						if waited := time.Since(start); waited > 0 {
							rejectedLate++
							slowestRejection = max(slowestRejection, waited)
						}
					case err != nil:
						t.Error(err)
					case familyValue(families, "tencent_live_probe_success") == 1:
						served++
					default: // admitted, but the refreshes needed every slot
						failed++
					}
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
				}
			})
		}
		floodStart, during := time.Now(), refreshes()
		maxAge := 0.0
		for time.Since(floodStart) < 20*time.Second {
			now := float64(time.Now().UnixNano()) / 1e9
			for id, at := range tf.lastRefresh(t) {
				maxAge = max(maxAge, now-at)
				if now-at > interval.Seconds()+1 {
					t.Errorf("room %s went %.1fs without a refresh during the probe flood", id, now-at)
				}
			}
			time.Sleep(500 * time.Millisecond)
		}
		rateDuring := float64(refreshes()-during) / time.Since(floodStart).Seconds()
		stop()
		clients.Wait()

		stats := sim.Stats(testAppID)
		t.Logf("watched rooms' refreshes %.1f/s before, %.1f/s during the flood; oldest room %.1fs; probes served %d, rejected %d (%d of them after waiting, the longest %s), failed after waiting %d; most get_room_info in one second %d",
			rateBefore, rateDuring, maxAge, served, rejected, rejectedLate, slowestRejection, failed, stats.MaxPerSecond[tencent.CommandGetRoomInfo])
		if rateDuring < 0.75*rateBefore {
			t.Errorf("refreshes fell to %.1f/s from %.1f/s", rateDuring, rateBefore)
		}
		if got := stats.MaxPerSecond[tencent.CommandGetRoomInfo]; got > qps {
			t.Errorf("%d get_room_info requests within one second, budget %d", got, qps)
		}
		if got := len(tf.series(t, "tencent_live_room_exists")); got != rooms {
			t.Errorf("%d watched rooms show exists, want %d: some went stale", got, rooms)
		}
		if served == 0 || rejected == 0 {
			t.Errorf("probes served %d and rejected %d: the flood should see both", served, rejected)
		}
		// Probes take only the slots the watched rooms leave, so a probe
		// let in line may meet a burst of due refreshes; it is refused as
		// soon as its deadline cannot be met. Nearly all are refused at once.
		if rejectedLate > rejected/100 {
			t.Errorf("%d of %d rejections came after waiting; want nearly all at once", rejectedLate, rejected)
		}
		if failed > served {
			t.Errorf("%d probes let in line failed for want of a slot, %d were served: the line admits too many", failed, served)
		}
		if got := tf.series(t, "tencent_live_probe_rejected_total")[fmt.Sprintf("sdkappid=%d", testAppID)]; int(got) != rejected {
			t.Errorf("tencent_live_probe_rejected_total = %v, want %d", got, rejected)
		}
	})
}

// putPublicRooms puts n public rooms whose view counts are 1000+i.
func putPublicRooms(sim *livesim.Server, prefix string, n int) []string {
	ids := roomIDs(prefix, n)
	for i, id := range ids {
		r := liveRoom(id)
		r.Info.ViewCount = int64(1000 + i)
		sim.PutRoom(testAppID, r)
	}
	return ids
}

func TestListingKeepsRoomsFreshPastTheInfoBudget(t *testing.T) {
	measurement(t)
	synctest.Test(t, func(t *testing.T) {
		// get_room_info alone needs 150 s for 3,000 rooms at qps 20; the
		// listing brings 20 rooms a page at 10 pages a second.
		const rooms = 3000
		sim := startSim(t, livesim.Options{Latency: 50 * time.Millisecond})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, 20)
		ids := putPublicRooms(sim, "public", rooms)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 30s",
			"qps: 20\ndiscovery: {enabled: true, interval: 30s, qps: 10}", ids...))
		took := waitEvery(t, time.Second, "99 % of the rooms show exists 1 and their views", func() bool {
			exists, views := tf.series(t, "tencent_live_room_exists"), tf.series(t, "tencent_live_room_views_total")
			good := 0
			for i, id := range ids {
				if exists[id] == 1 && views[id] == float64(1000+i) {
					good++
				}
			}
			return good >= rooms*99/100
		})
		stats := sim.Stats(testAppID)
		t.Logf("3,000 rooms at qps 20 + listing at qps 10: 99 %% known after %s, %d get_room_info, %d get_room_list, most get_room_info in one second %d",
			took, stats.Requests[tencent.CommandGetRoomInfo], stats.Requests[tencent.CommandGetRoomList], stats.MaxPerSecond[tencent.CommandGetRoomInfo])
		if took > 75*time.Second {
			t.Errorf("99 %% of rooms known after %s, want within 75s", took)
		}
		if got := stats.MaxPerSecond[tencent.CommandGetRoomInfo]; got > 20 {
			t.Errorf("%d get_room_info within one second, budget 20", got)
		}
		if got := tf.series(t, "tencent_live_rooms_refreshed_total")[fmt.Sprintf("api=get_room_list,sdkappid=%d", testAppID)]; got < rooms {
			t.Errorf("rooms refreshed by listing = %v, want at least %d", got, rooms)
		}
	})
}

func TestListedRoomsWaitForTheirInfoRefreshInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		listed := putPublicRooms(sim, "public", 10)
		private := liveRoom("private")
		private.Info.IsPublicVisible = false
		sim.PutRoom(testAppID, private)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s",
			"qps: 20\ninfo_refresh_interval: 50s\ndiscovery: {enabled: true, interval: 10s, qps: 5}", append(listed, "private")...))
		waitFor(t, "every room is known", func() bool { return len(tf.series(t, "tencent_live_room_max_members")) == 11 })
		start := sim.Stats(testAppID).Rooms
		time.Sleep(100 * time.Second)
		end := sim.Stats(testAppID).Rooms
		infos := func(id string) int {
			return end[id][tencent.CommandGetRoomInfo] - start[id][tencent.CommandGetRoomInfo]
		}
		if got := infos("private"); got < 9 || got > 11 {
			t.Errorf("the unlisted room had %d get_room_info in 100s at refresh_interval 10s, want 10", got)
		}
		for _, id := range listed {
			if got := infos(id); got < 2 || got > 4 {
				t.Errorf("listed room %s had %d get_room_info in 100s at info_refresh_interval 50s, want one each 25-50s", id, got)
			}
		}
		st := tf.series(t, "tencent_live_api_required_qps")
		// 1 unlisted room every 10 s, 10 listed every 37.5 s on average.
		if got, want := st[fmt.Sprintf("api=get_room_info,sdkappid=%d", testAppID)], 1.0/10+10.0/37.5; math.Abs(got-want) > 1e-9 {
			t.Errorf("required get_room_info rate %v, want %v", got, want)
		}
		if got := st[fmt.Sprintf("api=get_room_list,sdkappid=%d", testAppID)]; got != 0.1 {
			t.Errorf("required get_room_list rate %v, want one page each 10s", got)
		}
	})
}

func TestDissolvedListedRoomShowsMissingAfterOneListingAndOneInfo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		ids := putPublicRooms(sim, "public", 40)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 30s",
			"qps: 10\ninfo_refresh_interval: 10m\ndiscovery: {enabled: true, interval: 30s, qps: 2}", ids...))
		waitFor(t, "every room is known", func() bool { return len(tf.series(t, "tencent_live_room_max_members")) == 40 })
		passes := sim.Stats(testAppID).Requests[tencent.CommandGetRoomList]
		waitFor(t, "a listing pass", func() bool { return sim.Stats(testAppID).Requests[tencent.CommandGetRoomList] > passes })

		sim.DissolveRoom(testAppID, ids[7])
		dissolved := time.Now()
		took := waitFor(t, "the dissolved room shows exists 0", func() bool {
			v, ok := tf.series(t, "tencent_live_room_exists")[ids[7]]
			return ok && v == 0
		})
		// The next pass no longer lists it (at most 30 s away, 2 pages at
		// qps 2), then one get_room_info says so.
		t.Logf("dissolved listed room: exists 0 after %s", took)
		if took > 30*time.Second+2*time.Second {
			t.Errorf("exists 0 after %s, want within one listing interval and one get_room_info", took)
		}
		if got := tf.series(t, "tencent_live_hints_total")[fmt.Sprintf("result=queued,sdkappid=%d", testAppID)]; got < 1 {
			t.Errorf("the room leaving the listing was not hinted: %v", got)
		}
		_ = dissolved
	})
}

// TestRoomsOneAppKeepsFresh measures, in virtual time, how many rooms one
// app keeps fresh at Tencent's documented limits (get_room_info 200/s,
// get_room_list 10/s) with a refresh_interval of 30 s: public rooms by the
// listing, with a get_room_info every info_refresh_interval (150 s), and
// private rooms by get_room_info alone. Without the listing the answer is
// 0.975 x 200 x 30 = 5,850. It runs without the race detector (.ci/run runs
// it so), which would make it slow.
func TestRoomsOneAppKeepsFresh(t *testing.T) {
	measurement(t)
	synctest.Test(t, func(t *testing.T) {
		const public, private = 5500, 4000
		const interval = 30 * time.Second
		sim := startSim(t, livesim.Options{Latency: 50 * time.Millisecond})
		ids := putPublicRooms(sim, "public", public)
		for _, id := range roomIDs("private", private) {
			r := liveRoom(id)
			r.Info.IsPublicVisible = false
			sim.PutRoom(testAppID, r)
			ids = append(ids, id)
		}
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 30s\nstale_after: 90s",
			"qps: 200\ndiscovery: {enabled: true, interval: 30s, qps: 10}", ids...))
		time.Sleep(3 * time.Minute) // the first passes

		oldest, stale := 0.0, 0
		for range 12 {
			time.Sleep(5 * time.Second)
			now := float64(time.Now().UnixNano()) / 1e9
			last := tf.lastRefresh(t)
			if len(last) != len(ids) {
				t.Fatalf("%d rooms refreshed, want %d", len(last), len(ids))
			}
			for _, at := range last {
				oldest = max(oldest, now-at)
				if now-at > interval.Seconds()+2 {
					stale++
				}
			}
		}
		stats := sim.Stats(testAppID)
		t.Logf("one app at get_room_info 200/s + get_room_list 10/s, refresh_interval 30s: %d rooms (%d public, %d private), oldest refresh %.1fs, %d samples older than 32s; most in one second: get_room_info %d, get_room_list %d",
			len(ids), public, private, oldest, stale, stats.MaxPerSecond[tencent.CommandGetRoomInfo], stats.MaxPerSecond[tencent.CommandGetRoomList])
		if stale > 0 {
			t.Errorf("%d room samples older than refresh_interval: %d rooms are more than one app keeps fresh", stale, len(ids))
		}
	})
}
