package collector

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

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
