package collector

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// existsIs reports whether room shows exists want.
func (tf *testFetcher) existsIs(t testing.TB, room string, want float64) bool {
	v, ok := tf.series(t, "tencent_live_room_exists")[room]
	return ok && v == want
}

func TestEventsShowARoomsChangeWithinSeconds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 100 rooms at qps 20 and refresh_interval 60s: without the event a
		// dissolution shows 30 s later on average.
		sim := startSim(t, livesim.Options{Latency: 80 * time.Millisecond})
		ids := roomIDs("room", 100)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 60s", "qps: 20", ids...))
		waitFor(t, "the first pass ends", tf.Ready)

		var delays []time.Duration
		for i := range 20 {
			time.Sleep(1500 * time.Millisecond) // events come at their own pace
			id := ids[i*5]
			sim.DissolveRoom(testAppID, id)
			tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterDestroyRoom, RoomID: id, Time: time.Now()})
			delays = append(delays, waitFor(t, id+" shows exists 0", func() bool { return tf.existsIs(t, id, 0) }))

			sim.PutRoom(testAppID, liveRoom(id))
			tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterCreateRoom, RoomID: id, Time: time.Now()})
			delays = append(delays, waitFor(t, id+" shows exists 1", func() bool { return tf.existsIs(t, id, 1) }))
		}
		slices.Sort(delays)
		p50, p99 := delays[len(delays)/2], delays[len(delays)*99/100]
		t.Logf("%d events: exists changed after p50 %s, p99 %s, max %s", len(delays), p50, p99, delays[len(delays)-1])
		if p99 > 2*time.Second {
			t.Errorf("p99 of the detection delay %s, want within 2s", p99)
		}
		if n := tf.series(t, "tencent_live_hints_total")[fmt.Sprintf("result=queued,sdkappid=%d", testAppID)]; n != 40 {
			t.Errorf("%v hints queued, want 40", n)
		}
	})
}

func TestALostEventIsMadeUpByPolling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		ids := roomIDs("room", 100)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 60s", "qps: 20", ids...))
		waitFor(t, "the first pass ends", tf.Ready)
		sim.DissolveRoom(testAppID, ids[42]) // and its event is lost
		took := waitEvery(t, 250*time.Millisecond, "the room shows exists 0", func() bool { return tf.existsIs(t, ids[42], 0) })
		if took > 61*time.Second {
			t.Errorf("exists 0 after %s without the event, want within a refresh_interval", took)
		}
	})
}

func TestAnEventFloodStaysWithinItsShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const qps = 20
		sim := startSim(t, livesim.Options{Latency: 50 * time.Millisecond})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, qps)
		ids := roomIDs("room", 100)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 60s", fmt.Sprintf("qps: %d", qps), ids...))
		waitFor(t, "the first pass ends", tf.Ready)
		before := sim.Stats(testAppID).Requests[tencent.CommandGetRoomInfo]

		// 400 valid events in 4 s, replayed over a few rooms: a flood.
		for i := range 400 {
			tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterUpdateRoomInfo, RoomID: ids[i%7], Time: time.Now()})
			time.Sleep(10 * time.Millisecond)
			for id, v := range tf.series(t, "tencent_live_room_exists") {
				if v != 1 {
					t.Fatalf("room %s shows exists %v during the flood", id, v)
				}
			}
		}
		time.Sleep(2 * time.Second)
		stats := sim.Stats(testAppID)
		hinted := stats.Requests[tencent.CommandGetRoomInfo] - before
		t.Logf("400 events over 7 rooms in 4s: %d get_room_info, most in one second %d", hinted, stats.MaxPerSecond[tencent.CommandGetRoomInfo])
		if got := stats.MaxPerSecond[tencent.CommandGetRoomInfo]; got > qps {
			t.Errorf("%d get_room_info within one second, budget %d", got, qps)
		}
		// Coalesced per room, within a quarter of 20/s: at most about 5/s.
		if hinted > 6*6 {
			t.Errorf("%d get_room_info for 400 events in 6s, want at most a quarter of the budget", hinted)
		}
		if got := tf.series(t, "tencent_live_hints_total")[fmt.Sprintf("result=coalesced,sdkappid=%d", testAppID)]; got < 300 {
			t.Errorf("%v events coalesced, want most of 400", got)
		}
		if got := len(tf.series(t, "tencent_live_room_exists")); got != 100 {
			t.Errorf("%d rooms show exists, want 100", got)
		}
	})
}

func TestAnEventDuringARequestInFlightRefreshesAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		slow := liveRoom("slow")
		slow.Behaviour.Delay = time.Second
		sim.PutRoom(testAppID, slow)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "slow"))
		waitFor(t, "a request is in flight", func() bool { return sim.Stats(testAppID).Rooms["slow"][tencent.CommandGetRoomInfo] == 1 })
		// The room is dissolved while the answer to the request already
		// sent is on its way: that answer still says it exists.
		sim.DissolveRoom(testAppID, "slow")
		tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterDestroyRoom, RoomID: "slow", Time: time.Now()})
		waitFor(t, "the room shows exists 0", func() bool { return tf.existsIs(t, "slow", 0) })
		if got := sim.Stats(testAppID).Rooms["slow"][tencent.CommandGetRoomInfo]; got != 2 {
			t.Errorf("%d requests, want the one in flight and one after the event", got)
		}
	})
}

func TestCreatedPublicRoomIsWatchedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		publicRooms(sim, "listed", 3)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 10\ndiscovery: {enabled: true, interval: 1h, qps: 2}", "configured"))
		waitFor(t, "the listed rooms are known", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 4 })

		sim.PutRoom(testAppID, liveRoom("new-show"))
		tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterCreateRoom, RoomID: "new-show", Public: true, Time: time.Now()})
		took := waitFor(t, "the new room is watched", func() bool { return tf.existsIs(t, "new-show", 1) })
		if took > 2*time.Second {
			t.Errorf("the created room showed after %s, want within 2s", took)
		}
		if got := tf.roomsBySource(t, sourceDiscovery); got != 4 {
			t.Errorf("%v discovered rooms, want 4", got)
		}
		// A private room is not watched: get_room_list would never list it.
		tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterCreateRoom, RoomID: "private-show", Public: false})
		if got := tf.roomsBySource(t, sourceDiscovery); got != 4 {
			t.Errorf("%v discovered rooms after a private room's creation, want 4", got)
		}
	})
}

func TestMemberEventsAndQuotaAreExposed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		putRooms(sim, []string{"room"})
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10\nlabels: {env: prod}", "room"))
		waitFor(t, "the room is known", func() bool { return tf.existsIs(t, "room", 1) })
		for _, ev := range []tencent.Event{
			{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "room", Cause: tencent.CauseEnter, Members: 3},
			{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "room", Cause: tencent.CauseEnter, Members: 2},
			{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "room", Cause: tencent.CauseKicked, Members: 1},
			{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "room", Cause: "Teleported", Members: 1},
			{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "unwatched", Cause: tencent.CauseEnter, Members: 9},
			{Command: tencent.CallbackAfterCreateRoomReachingThreshold, RoomCount: 700, MaxRoomCount: 1000},
		} {
			tf.Event(testAppID, ev)
		}
		got := map[string]float64{}
		families, err := tf.gatherer.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range families {
			if mf.GetName() != "tencent_live_room_member_events_total" {
				continue
			}
			for _, m := range mf.GetMetric() {
				labels := map[string]string{}
				for _, lp := range m.GetLabel() {
					labels[lp.GetName()] = lp.GetValue()
				}
				if labels["room_id"] != "room" || labels["env"] != "prod" {
					t.Errorf("member events series with labels %v", labels)
				}
				got[labels["cause"]] = metricValue(m)
			}
		}
		if want := map[string]float64{"Enter": 5, "Kicked": 1, "other": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("member events %v, want %v", got, want)
		}
		app := fmt.Sprintf("sdkappid=%d", testAppID)
		if c, m := tf.series(t, "tencent_live_app_rooms_created")[app], tf.series(t, "tencent_live_app_rooms_max")[app]; c != 700 || m != 1000 {
			t.Errorf("room quota %v of %v, want 700 of 1000", c, m)
		}
	})
}

func TestRoomCreatedDuringAListingPassStaysWatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		publicRooms(sim, "listed", 100) // 5 pages at 1 a second: a 5 s pass
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 10\ndiscovery: {enabled: true, interval: 1h, qps: 1}", "configured"))
		waitFor(t, "the first pass", func() bool { return tf.roomsBySource(t, sourceDiscovery) == 100 })
		// Make the next pass start now, and create a room once the pass is
		// past the pages it would have been listed on.
		if err := tf.Apply(parseConfig(t, appConfig(sim.URL(), "refresh_interval: 10m",
			"qps: 10\ndiscovery: {enabled: true, interval: 30m, qps: 1}", "configured"))); err != nil {
			t.Fatal(err)
		}
		pages := sim.Stats(testAppID).Requests[tencent.CommandGetRoomList]
		waitFor(t, "the second pass is under way", func() bool {
			return sim.Stats(testAppID).Requests[tencent.CommandGetRoomList] >= pages+2
		})
		late := liveRoom("late-show")
		late.Info.ViewCount = 1 << 40 // listed first, on a page already read
		sim.PutRoom(testAppID, late)
		tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterCreateRoom, RoomID: "late-show", Public: true, Time: time.Now()})
		waitFor(t, "the created room is watched", func() bool { return tf.existsIs(t, "late-show", 1) })
		waitFor(t, "the second pass ends", func() bool {
			return sim.Stats(testAppID).Requests[tencent.CommandGetRoomList] >= pages+6
		})
		time.Sleep(time.Second)
		if !tf.existsIs(t, "late-show", 1) || tf.roomsBySource(t, sourceDiscovery) != 101 {
			t.Errorf("after the pass: late-show exists %v, %v discovered rooms, want it kept among 101",
				tf.series(t, "tencent_live_room_exists")["late-show"], tf.roomsBySource(t, sourceDiscovery))
		}
	})
}
