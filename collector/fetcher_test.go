package collector

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// liveRoom returns a simulator room that answers normally.
func liveRoom(id string) livesim.Room {
	return livesim.Room{ID: id, Info: livesim.RoomInfo{
		RoomName: "Room " + id, OwnerAccount: "owner-" + id, CreateTime: 1793577600,
		IsSeatEnabled: true, TakeSeatMode: "ApplyToTake", MaxSeatCount: 8, MaxMemberCount: 300,
		Category: []int{1, 2}, ActivityStatus: 1, ViewCount: 10, IsPublicVisible: true,
	}}
}

// putRooms puts a normal room for each ID.
func putRooms(sim *livesim.Server, ids []string) {
	for _, id := range ids {
		sim.PutRoom(testAppID, liveRoom(id))
	}
}

func TestRateBudgetHeldOverAPassOf500Rooms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const qps, rooms = 100, 500
		sim := startSim(t, livesim.Options{Latency: 100 * time.Millisecond})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, qps)
		ids := roomIDs("rate", rooms)
		putRooms(sim, ids)

		start := time.Now()
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", fmt.Sprintf("qps: %d", qps), ids...))
		waitFor(t, "the first pass ends", tf.Ready)
		elapsed := time.Since(start)

		stats := sim.Stats(testAppID)
		if got := stats.MaxPerSecond[tencent.CommandGetRoomInfo]; got > qps {
			t.Errorf("the simulator saw %d requests within one second, budget %d", got, qps)
		}
		if got := stats.RateLimited[tencent.CommandGetRoomInfo]; got != 0 {
			t.Errorf("%d requests were answered 60011", got)
		}
		if got := stats.Requests[tencent.CommandGetRoomInfo]; got != rooms {
			t.Errorf("%d requests for %d rooms", got, rooms)
		}
		// The paced budget sustains about 97.5 % of qps; the assertion is looser
		// so that a loaded machine does not make the test flaky.
		throughput := float64(rooms) / elapsed.Seconds()
		t.Logf("pass over %d rooms at qps %d with 100 ms latency: %.2fs, %.1f requests/s, most in one second %d",
			rooms, qps, elapsed.Seconds(), throughput, stats.MaxPerSecond[tencent.CommandGetRoomInfo])
		if throughput < 0.7*qps {
			t.Errorf("throughput %.1f requests/s, want at least %d", throughput, int(0.7*qps))
		}
	})
}

// TestRateBudgetOverLoopbackHTTP is the wall-clock smoke test of the rate
// budget: real HTTP on loopback, real time, whatever else the machine does.
// Its bounds are loose on purpose; the exact ones are checked in virtual
// time above and in package budget.
func TestRateBudgetOverLoopbackHTTP(t *testing.T) {
	const qps, rooms = 50, 150
	sim := startLoopbackSim(t, livesim.Options{Latency: 20 * time.Millisecond})
	sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, qps)
	ids := roomIDs("loopback", rooms)
	putRooms(sim, ids)
	start := time.Now()
	tf := startFetcherWith(t, nil, appConfig(sim.URL(), "refresh_interval: 10m", fmt.Sprintf("qps: %d", qps), ids...))
	waitFor(t, "the first pass ends", tf.Ready)
	elapsed := time.Since(start)
	stats := sim.Stats(testAppID)
	t.Logf("pass over %d rooms at qps %d on loopback: %.2fs, most in one second %d, %d answered 60011",
		rooms, qps, elapsed.Seconds(), stats.MaxPerSecond[tencent.CommandGetRoomInfo], stats.RateLimited[tencent.CommandGetRoomInfo])
	if got := stats.MaxPerSecond[tencent.CommandGetRoomInfo]; got > qps+qps/10 {
		t.Errorf("the simulator saw %d requests within one second, budget %d", got, qps)
	}
	if got := len(tf.series(t, "tencent_live_room_exists")); got != rooms {
		t.Errorf("%d rooms known after the first pass, want %d", got, rooms)
	}
}

func TestConcurrentScrapesCostNoRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		ids := roomIDs("scrape", 20)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 50", ids...))
		waitFor(t, "the first pass ends", tf.Ready)
		before := sim.Stats(testAppID).Requests[tencent.CommandGetRoomInfo]

		handler := promhttp.HandlerFor(tf.gatherer, promhttp.HandlerOpts{})
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for range 100 {
			wg.Go(func() {
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "tencent_live_room_exists") {
					errs <- fmt.Errorf("status %d, body of %d bytes", w.Code, w.Body.Len())
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if after := sim.Stats(testAppID).Requests[tencent.CommandGetRoomInfo]; after != before {
			t.Fatalf("100 scrapes caused %d API requests", after-before)
		}
	})
}

func TestOutcomeClassesGiveTheSpecifiedSeries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		rooms := map[string]livesim.Behaviour{
			"ok":           {},
			"flaky-short":  {Flaky: 1},
			"flaky-long":   {Flaky: 100},
			"gateway":      {Gateway: true},
			"malformed":    {Malformed: true},
			"oversized":    {Oversized: true},
			"bad-param":    {ErrorCode: tencent.CodeInvalidParam},
			"not-live":     {ErrorCode: tencent.CodeNotLiveRoom},
			"slow":         {Delay: 2 * time.Second},
			"variants-ok":  {Variants: true},
			"missing-room": {}, // never put: the API answers 100004
		}
		var ids []string
		for id, b := range rooms {
			ids = append(ids, id)
			if id == "missing-room" {
				continue
			}
			r := liveRoom(id)
			r.Behaviour = b
			if b.Variants {
				r.Info.OwnerAccount = "144115233775727695"
			}
			sim.PutRoom(testAppID, r)
		}
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m\nrequest_timeout: 300ms\nmax_retries: 2", "qps: 100", ids...))
		waitFor(t, "the first pass ends", tf.Ready)

		exists := tf.series(t, "tencent_live_room_exists")
		success := tf.series(t, "tencent_live_room_refresh_success")
		views := tf.series(t, "tencent_live_room_views_total")
		for id := range rooms {
			wantSuccess, wantExists, wantValues := 0.0, -1.0, false
			switch id {
			case "ok", "flaky-short", "variants-ok":
				wantSuccess, wantExists, wantValues = 1, 1, true
			case "missing-room":
				wantSuccess, wantExists = 1, 0
			}
			if success[id] != wantSuccess {
				t.Errorf("%s: refresh_success %v, want %v", id, success[id], wantSuccess)
			}
			got, ok := exists[id]
			switch {
			case wantExists < 0 && ok:
				t.Errorf("%s: exists %v, want no series before a definitive answer", id, got)
			case wantExists >= 0 && got != wantExists:
				t.Errorf("%s: exists %v (present %v), want %v", id, got, ok, wantExists)
			}
			if _, ok := views[id]; ok != wantValues {
				t.Errorf("%s: views series present %v, want %v", id, ok, wantValues)
			}
		}

		codes := tf.series(t, "tencent_live_api_requests_total")
		for _, code := range []string{"0", "100001", "100002", "100004", "100006", "http_502", "decode", "timeout"} {
			key := fmt.Sprintf("api=get_room_info,code=%s,sdkappid=%d", code, testAppID)
			if codes[key] == 0 {
				t.Errorf("no request counted with code %s; have %v", code, codes)
			}
		}
		// Room-level refusals are not retried; retryable failures are, twice.
		stats := sim.Stats(testAppID)
		for id, want := range map[string]int{"bad-param": 1, "not-live": 1, "flaky-long": 3, "gateway": 3, "flaky-short": 2} {
			if got := stats.Rooms[id][tencent.CommandGetRoomInfo]; got != want {
				t.Errorf("%s: %d requests, want %d", id, got, want)
			}
		}

		wantInfo := map[string]string{
			"sdkappid": "1400000009", "room_id": "variants-ok", "room_name": "Room variants-ok", "room_type": "Live",
			"owner_account": "144115233775727695", "take_seat_mode": "ApplyToTake", "category": "1,2",
		}
		if got := tf.labels(t, "tencent_live_room_info", "variants-ok"); !maps.Equal(got, wantInfo) {
			t.Errorf("info labels of variants-ok:\n got %v\nwant %v", got, wantInfo)
		}
		if problems, err := testutil.GatherAndLint(tf.gatherer); err != nil || len(problems) > 0 {
			t.Errorf("lint: %v %v", err, problems)
		}
	})
}

func TestTransientFailuresNeverTurnExistsToZero(t *testing.T) {
	for name, failure := range map[string]livesim.Behaviour{
		"internal error": {Flaky: 1 << 30},
		"gateway":        {Gateway: true},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sim := startSim(t, livesim.Options{})
				sim.PutRoom(testAppID, liveRoom("room"))
				tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 1s\nstale_after: 3s\nrequest_timeout: 500ms\nmax_retries: 0", "qps: 10", "room"))
				waitFor(t, "the room is known", func() bool { return tf.series(t, "tencent_live_room_exists")["room"] == 1 })

				broken := liveRoom("room")
				broken.Behaviour = failure
				sim.PutRoom(testAppID, broken)
				waitFor(t, "a refresh fails", func() bool { return tf.series(t, "tencent_live_room_refresh_success")["room"] == 0 })
				if got := tf.series(t, "tencent_live_room_views_total"); got["room"] != 10 {
					t.Errorf("values dropped on a transient failure: views %v", got)
				}
				waitFor(t, "the values turn stale", func() bool {
					exists, ok := tf.series(t, "tencent_live_room_exists")["room"]
					if ok && exists != 1 {
						t.Fatalf("exists turned %v on a transient failure", exists)
					}
					return !ok
				})
				for _, name := range []string{"tencent_live_room_views_total", "tencent_live_room_info"} {
					if _, ok := tf.series(t, name)["room"]; ok {
						t.Errorf("%s still shown after stale_after", name)
					}
				}
				if _, ok := tf.series(t, "tencent_live_room_last_refresh_timestamp_seconds")["room"]; !ok {
					t.Error("last_refresh_timestamp_seconds gone after stale_after")
				}
				if got := tf.series(t, "tencent_live_room_refresh_success")["room"]; got != 0 {
					t.Errorf("refresh_success %v, want 0", got)
				}
			})
		})
	}
}

func TestDissolvedRoomTurnsExistsToZeroAndDropsValues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.PutRoom(testAppID, liveRoom("room"))
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 1s\nrequest_timeout: 500ms", "qps: 10", "room"))
		waitFor(t, "the room is known", func() bool { return tf.series(t, "tencent_live_room_exists")["room"] == 1 })
		sim.DissolveRoom(testAppID, "room")
		waitFor(t, "exists turns 0", func() bool {
			v, ok := tf.series(t, "tencent_live_room_exists")["room"]
			return ok && v == 0
		})
		if _, ok := tf.series(t, "tencent_live_room_max_members")["room"]; ok {
			t.Error("values of a dissolved room still shown")
		}
	})
}

func TestWrongSecretKeyPausesTheAppAndLogsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		ids := roomIDs("auth", 200)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s", "secret_key: not-the-key\nqps: 50", ids...))
		waitFor(t, "the app is down", func() bool {
			return tf.series(t, "tencent_live_api_up")[fmt.Sprintf("sdkappid=%d", testAppID)] == 0
		})
		if !tf.Ready() {
			t.Error("an app paused by an app-wide failure should not hold readiness back")
		}
		// Observe the paused app for a while: the requests already sent are all
		// it may make.
		window := time.NewTimer(3 * time.Second)
		<-window.C
		requests := sim.Stats(testAppID).Requests[tencent.CommandGetRoomInfo]
		t.Logf("requests in the first 3 s with a wrong key, 200 rooms at qps 50: %d", requests)
		if requests > 5 {
			t.Errorf("%d requests with a wrong key; the app should pause after the first answers", requests)
		}
		if n := strings.Count(tf.logs.String(), "Tencent API unusable"); n != 1 {
			t.Errorf("logged %d times, want once:\n%s", n, tf.logs.String())
		}
		if codes := tf.series(t, "tencent_live_api_requests_total"); codes[fmt.Sprintf("api=get_room_info,code=70005,sdkappid=%d", testAppID)] == 0 {
			t.Errorf("no 70005 counted: %v", codes)
		}
		if got := tf.series(t, "tencent_live_room_exists"); len(got) != 0 {
			t.Errorf("exists series without a definitive answer: %v", got)
		}
	})
}

func TestExpiredUserSigIsRenewedOnceThenTheAppPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The simulator's clock runs two days ahead: every UserSig the exporter
		// makes with a 24h lifetime is expired there, renewal included.
		sim := startSim(t, livesim.Options{Now: func() time.Time { return time.Now().Add(48 * time.Hour) }})
		sim.PutRoom(testAppID, liveRoom("room"))
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s", "qps: 10", "room"))
		waitFor(t, "the app is down", func() bool {
			return tf.series(t, "tencent_live_api_up")[fmt.Sprintf("sdkappid=%d", testAppID)] == 0
		})
		if got := sim.Stats(testAppID).Codes[tencent.CodeUserSigExpired]; got != 2 {
			t.Errorf("%d answers 70001, want 2: the request and its one retry after renewal", got)
		}
	})
}

func TestUserSigFileIsUsedAndItsExpiryExposed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.PutRoom(testAppID, liveRoom("room"))
		issued := time.Now().Truncate(time.Second)
		sig, err := usersig.GenUserSigAt(testAppID, testSecretKey, testIdentifier, 3600, nil, issued)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "usersig")
		if err := os.WriteFile(file, []byte(sig+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s", "usersig_file: "+file+"\nqps: 10", "room"))
		waitFor(t, "the room is known", func() bool { return tf.series(t, "tencent_live_room_exists")["room"] == 1 })
		expiry := tf.series(t, "tencent_live_usersig_expiry_timestamp_seconds")[fmt.Sprintf("sdkappid=%d", testAppID)]
		if want := float64(issued.Unix() + 3600); expiry != want {
			t.Fatalf("expiry %v, want %v", expiry, want)
		}
	})
}

func TestRateLimitAnswersLowerTheRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, 20) // the user's other services use the rest
		ids := roomIDs("limited", 300)
		putRooms(sim, ids)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 60", ids...))
		rateKey := fmt.Sprintf("api=get_room_info,sdkappid=%d", testAppID)
		waitFor(t, "the rate in force drops", func() bool { return tf.series(t, "tencent_live_api_rate_limit_qps")[rateKey] < 60 })
		waitFor(t, "60011 answers are counted", func() bool {
			return tf.series(t, "tencent_live_api_requests_total")[fmt.Sprintf("api=get_room_info,code=60011,sdkappid=%d", testAppID)] > 0
		})
	})
}

func TestRateSettlesJustUnderTheServersLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The user's other services leave 12 of the configured 20 per
		// second: after the first rate-limit answers the exporter must use
		// most of what is left, not swing between half and full.
		const qps, limit = 20, 12
		const warmUp, measured = 40 * time.Second, 150 * time.Second
		sim := startSim(t, livesim.Options{Latency: 50 * time.Millisecond})
		sim.SetLimit(testAppID, tencent.CommandGetRoomInfo, limit)
		ids := roomIDs("settle", 300) // due at 30 per second: always busy
		putRooms(sim, ids)
		startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s", fmt.Sprintf("qps: %d", qps), ids...))

		time.Sleep(warmUp)
		before := sim.Stats(testAppID)
		time.Sleep(measured)
		after := sim.Stats(testAppID)
		accepted := (after.Requests[tencent.CommandGetRoomInfo] - after.RateLimited[tencent.CommandGetRoomInfo]) -
			(before.Requests[tencent.CommandGetRoomInfo] - before.RateLimited[tencent.CommandGetRoomInfo])
		rejected := after.RateLimited[tencent.CommandGetRoomInfo] - before.RateLimited[tencent.CommandGetRoomInfo]
		share := float64(accepted) / measured.Seconds() / limit
		t.Logf("qps %d against a limit of %d: %.1f %% of the limit used over %s, %d requests answered 60011",
			qps, limit, 100*share, measured, rejected)
		if share < 0.8 || share > 1 {
			t.Errorf("the rate settled at %.1f %% of the server's limit, want 80-100 %%", 100*share)
		}
		if float64(rejected) > 0.02*float64(accepted) {
			t.Errorf("%d requests rate-limited for %d accepted: the exporter keeps hitting the limit", rejected, accepted)
		}
	})
}

func TestApplyChangesRoomsAndRateAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		putRooms(sim, []string{"a", "b", "c"})
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "a", "b"))
		waitFor(t, "a and b are known", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 2 })

		if err := tf.Apply(parseConfig(t, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 25", "a", "c"))); err != nil {
			t.Fatal(err)
		}
		if _, ok := tf.series(t, "tencent_live_room_refresh_success")["b"]; ok {
			t.Error("removed room b still exposed after Apply")
		}
		if got := tf.series(t, "tencent_live_api_rate_limit_qps")[fmt.Sprintf("api=get_room_info,sdkappid=%d", testAppID)]; got != 25 {
			t.Errorf("rate %v after Apply, want 25", got)
		}
		waitFor(t, "c is known", func() bool { return tf.series(t, "tencent_live_room_exists")["c"] == 1 })
		if got := sim.Stats(testAppID).Rooms["a"][tencent.CommandGetRoomInfo]; got != 1 {
			t.Errorf("room a fetched %d times; a reload must not refetch fresh rooms", got)
		}
	})
}

func TestShutdownCancelsRequestsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{Latency: time.Hour})
		putRooms(sim, []string{"a", "b"})
		cfg := parseConfig(t, appConfig(sim.URL(), "refresh_interval: 10m\nrequest_timeout: 5s", "qps: 10", "a", "b"))
		ctx, cancel := context.WithCancel(context.Background())
		f := NewFetcher(ctx, nopLogger{}, sim.Client())
		if err := f.Apply(cfg); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "requests are in flight", func() bool { return sim.Stats(testAppID).Requests[tencent.CommandGetRoomInfo] == 2 })
		cancel()
		stopped := make(chan struct{})
		go func() { f.Wait(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(pollDeadline):
			t.Fatal("the fetcher did not stop after its context ended")
		}
	})
}

func TestApplyRelabelsRoomsWhoseLabelsChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		putRooms(sim, []string{"a", "b"})
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "{id: a, labels: {team: red}}", "b"))
		waitFor(t, "a and b are known", func() bool { return len(tf.series(t, "tencent_live_room_exists")) == 2 })

		if err := tf.Apply(parseConfig(t, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "{id: a, labels: {team: blue}}", "b"))); err != nil {
			t.Fatal(err)
		}
		if got := tf.labels(t, "tencent_live_room_exists", "a")["team"]; got != "blue" {
			t.Errorf("room a's team after Apply: %q, want blue", got)
		}
		if got := tf.labels(t, "tencent_live_room_exists", "b")["team"]; got != "" {
			t.Errorf("room b's team: %q, want none", got)
		}
	})
}

func TestAppResumesByItselfAfterItsPause(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.PutRoom(testAppID, liveRoom("room"))
		sim.SetAppError(testAppID, 60021) // the exporter's IP is not allowed yet
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "room"))
		upKey := fmt.Sprintf("sdkappid=%d", testAppID)
		waitFor(t, "the app is down", func() bool { return tf.series(t, "tencent_live_api_up")[upKey] == 0 })
		down := time.Now()
		sim.SetAppError(testAppID, 0) // the allow-list is fixed
		// The first pause lasts pauseBase; nothing but the pause's end may
		// wake the lane, whose only room was in flight when the app went down.
		waitFor(t, "the app is up again", func() bool { return tf.series(t, "tencent_live_api_up")[upKey] == 1 })
		if paused := time.Since(down); paused < pauseBase-pollInterval || paused > pauseBase+time.Second {
			t.Errorf("the app resumed %s after it went down, want its first pause of %s", paused, pauseBase)
		}
		waitFor(t, "the room is known", func() bool { return tf.series(t, "tencent_live_room_exists")["room"] == 1 })
		if n := strings.Count(tf.logs.String(), "usable again"); n != 1 {
			t.Errorf("logged the recovery %d times, want once:\n%s", n, tf.logs.String())
		}
	})
}

func TestReloadWithFixedCredentialsResumesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		sim.PutRoom(testAppID, liveRoom("room"))
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "secret_key: wrong\nqps: 10", "room"))
		upKey := fmt.Sprintf("sdkappid=%d", testAppID)
		waitFor(t, "the app is down", func() bool { return tf.series(t, "tencent_live_api_up")[upKey] == 0 })

		fixed := time.Now()
		if err := tf.Apply(parseConfig(t, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "room"))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the room is known", func() bool { return tf.series(t, "tencent_live_room_exists")["room"] == 1 })
		if took := time.Since(fixed); took >= pauseBase {
			t.Errorf("the fixed app waited %s, the length of its pause", took)
		}
	})
}

func TestDisabledOptionalCommandPausesOnlyItself(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		ids := roomIDs("stats-off", 20)
		putRooms(sim, ids)
		sim.DisableCommand(testAppID, tencent.CommandGetRoomStats, true)
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 1s\nrequest_timeout: 500ms",
			"qps: 50\nstats: {enabled: true, qps: 10}\nmembers: {enabled: true, qps: 10}", ids...))
		// Rooms keep being refreshed, a refresh interval apart, while
		// get_room_stats stays disabled.
		waitFor(t, "every room is refreshed three times", func() bool {
			rooms := sim.Stats(testAppID).Rooms
			for _, id := range ids {
				if rooms[id][tencent.CommandGetRoomInfo] < 3 {
					return false
				}
			}
			return true
		})
		if got := tf.series(t, "tencent_live_api_up")[fmt.Sprintf("sdkappid=%d", testAppID)]; got != 1 {
			t.Errorf("api_up %v: a disabled optional command is not an app-wide failure", got)
		}
		if got := len(tf.series(t, "tencent_live_room_members")); got != len(ids) {
			t.Errorf("members known for %d rooms, want %d", got, len(ids))
		}
		if n := strings.Count(tf.logs.String(), "Command disabled"); n != 1 {
			t.Errorf("logged the disabled command %d times, want once:\n%s", n, tf.logs.String())
		}
		if got := sim.Stats(testAppID).Requests[tencent.CommandGetRoomStats]; got > 3 {
			t.Errorf("%d get_room_stats requests while disabled; the lane should pause", got)
		}
	})
}

func TestEveryConfigRegionHasAnAPIHost(t *testing.T) {
	if len(config.Regions) != len(tencent.Regions) {
		t.Errorf("config accepts %d regions, the client knows %d", len(config.Regions), len(tencent.Regions))
	}
	for _, region := range config.Regions {
		if _, err := tencent.RegionURL(region); err != nil {
			t.Errorf("region %q: %v", region, err)
		}
	}
}

func TestRemovedAppLeavesNoSeries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := startSim(t, livesim.Options{})
		putRooms(sim, []string{"room"})
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "room"))
		appKey := fmt.Sprintf("api=get_room_info,code=0,sdkappid=%d", testAppID)
		waitFor(t, "a request is counted", func() bool { return tf.series(t, "tencent_live_api_requests_total")[appKey] == 1 })

		other := strings.Replace(appConfig(sim.URL(), "refresh_interval: 10m", "qps: 10", "room"), fmt.Sprint(testAppID), "1400000077", 1)
		if err := tf.Apply(parseConfig(t, other)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the removed app's request series go", func() bool {
			_, ok := tf.series(t, "tencent_live_api_requests_total")[appKey]
			return !ok
		})
		for _, name := range []string{"tencent_live_room_exists", "tencent_live_api_up", "tencent_live_rooms"} {
			for key := range tf.series(t, name) {
				if strings.Contains(key, fmt.Sprint(testAppID)) {
					t.Errorf("%s still has a series of the removed app: %s", name, key)
				}
			}
		}
	})
}

func TestApplyAfterStopIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := parseConfig(t, appConfig("http://127.0.0.1:1", "refresh_interval: 10m", "qps: 10", "room"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		f := NewFetcher(ctx, nopLogger{}, nil)
		if err := f.Apply(cfg); err == nil {
			t.Fatal("Apply on a stopped fetcher succeeded")
		}
		f.Wait()
	})
}
