package livesim

import (
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

func TestRateLimit61stRequest(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	f.srv.SetLimit(testSDKAppID, tencent.CommandGetRoomInfo, 60)
	start := f.clock.Now()
	at := func(ms int) answer {
		t.Helper()
		f.clock.Advance(start.Add(time.Duration(ms) * time.Millisecond).Sub(f.clock.Now()))
		return f.roomInfo("r1")
	}
	for i := range 60 { // 0, 10, ..., 590 ms
		wantCode(t, at(i*10), 0)
	}
	wantCode(t, at(600), 60011)
	wantCode(t, at(999), 60011)
	// Other commands have their own window.
	wantCode(t, f.call(tencent.CommandGetRoomStats, `{"RoomId":"r1"}`), 0)
	wantCode(t, at(1000), 0)     // the request at 0 ms has left the window
	wantCode(t, at(1005), 60011) // the one at 10 ms has not
	wantCode(t, at(1010), 0)     // rejected requests did not occupy the window

	got := f.srv.Stats(testSDKAppID)
	if got.RateLimited[tencent.CommandGetRoomInfo] != 3 || got.Codes[60011] != 3 {
		t.Errorf("rate limited %v, codes %v", got.RateLimited, got.Codes)
	}
	// Arrivals in (5ms, 1005ms]: 10..590 (59), 600, 999, 1000, 1005.
	if got.MaxPerSecond[tencent.CommandGetRoomInfo] != 63 {
		t.Errorf("MaxPerSecond %v", got.MaxPerSecond)
	}
	if got.Requests[tencent.CommandGetRoomInfo] != 65 || got.Codes[0] != 63 {
		t.Errorf("requests %v, codes %v", got.Requests, got.Codes)
	}
}

func TestLimits(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	burst := func(command, body string, n int) (ok int) {
		for range n {
			if f.call(command, body).ErrorCode == 0 {
				ok++
			}
		}
		f.clock.Advance(time.Second)
		return ok
	}
	list := `{"Next":"","Count":20}`
	if got := burst(tencent.CommandGetRoomList, list, 12); got != 10 {
		t.Errorf("documented get_room_list limit: %d accepted of 12", got)
	}
	f.srv.SetLimit(testSDKAppID, tencent.CommandGetRoomList, 3)
	if got := burst(tencent.CommandGetRoomList, list, 5); got != 3 {
		t.Errorf("limit 3: %d accepted of 5", got)
	}
	f.srv.SetLimit(testSDKAppID, tencent.CommandGetRoomList, 0)
	if got := burst(tencent.CommandGetRoomList, list, 12); got != 10 {
		t.Errorf("restored limit: %d accepted of 12", got)
	}
	f.srv.SetLimit(testSDKAppID, "unknown_command", 1) // ignored

	f.srv.AddApp(App{SDKAppID: testSDKAppID, Identifier: testAdmin, SecretKey: testKey,
		Limits: map[string]int{tencent.CommandGetRoomStats: 2, tencent.CommandGetRoomList: -1}})
	if got := burst(tencent.CommandGetRoomStats, `{"RoomId":"r1"}`, 4); got != 2 {
		t.Errorf("App.Limits 2: %d accepted of 4", got)
	}
	if got := burst(tencent.CommandGetRoomList, list, 12); got != 10 {
		t.Errorf("App.Limits -1: %d accepted of 12", got)
	}
	if got := DocumentedLimits(); got[tencent.CommandGetRoomInfo] != 200 || got[tencent.CommandGetMemberList] != 200 ||
		got[tencent.CommandGetRoomStats] != 100 || got[tencent.CommandGetRoomList] != 10 || len(got) != 4 {
		t.Errorf("DocumentedLimits %v", got)
	}
}

func TestRateLimitBeforeCredentials(t *testing.T) {
	f := newFixture(t)
	f.srv.SetLimit(testSDKAppID, tencent.CommandGetRoomInfo, 2)
	q := f.query()
	q.Set("usersig", "garbage")
	for _, want := range []int{70003, 70003, 60011} {
		a, err := f.do(t.Context(), "POST", tencent.ServicePath+tencent.CommandGetRoomInfo, q, `{"RoomId":"r"}`)
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, a, want)
	}
}

// TestMaxPerSecond checks the counters' window against a brute-force count
// over random arrival times.
func TestMaxPerSecond(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		start := time.Unix(1700000000, 0)
		var arrivals []time.Time
		at := start
		for range rng.IntN(300) + 1 {
			at = at.Add(time.Duration(rng.IntN(40)) * time.Millisecond) // includes ties
			arrivals = append(arrivals, at)
		}
		c := newCounters()
		for _, a := range arrivals {
			c.arrived(tencent.CommandGetRoomInfo, a)
		}
		want := 0
		for i, first := range arrivals {
			n := 0
			for _, a := range arrivals[i:] {
				if a.Sub(first) < time.Second {
					n++
				}
			}
			want = max(want, n)
		}
		if got := c.snapshot().MaxPerSecond[tencent.CommandGetRoomInfo]; got != want {
			t.Fatalf("round %d: MaxPerSecond %d, brute force %d", round, got, want)
		}
	}
}

func TestWindowBoundary(t *testing.T) {
	var w window
	t0 := time.Unix(1700000000, 0)
	for _, d := range []time.Duration{0, 500 * time.Millisecond, 999 * time.Millisecond} {
		w.advance(t0.Add(d))
		w.add(t0.Add(d))
	}
	if n := w.advance(t0.Add(time.Second)); n != 2 {
		t.Errorf("at +1s the window holds %d, want 2", n)
	}
	if n := w.advance(t0.Add(1999 * time.Millisecond)); n != 0 {
		t.Errorf("at +1.999s the window holds %d, want 0", n)
	}
}

func TestStatsAndReset(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	f.srv.PutRoom(testSDKAppID, Room{ID: "down", Behaviour: Behaviour{Gateway: true}})
	f.srv.PutRoom(testSDKAppID, Room{ID: "cut", Behaviour: Behaviour{Malformed: true}})
	f.roomInfo("r1")
	f.roomInfo("r1")
	f.call(tencent.CommandGetRoomStats, `{"RoomId":"r1"}`)
	f.roomInfo("gone")
	f.roomInfo("down")
	f.roomInfo("cut")
	f.call(tencent.CommandGetRoomInfo, ``)
	f.call(tencent.CommandGetRoomList, `{"Count":5}`)

	got := f.srv.Stats(testSDKAppID)
	wantMap(t, "Requests", got.Requests, map[string]int{tencent.CommandGetRoomInfo: 6, tencent.CommandGetRoomStats: 1, tencent.CommandGetRoomList: 1})
	wantMap(t, "MaxPerSecond", got.MaxPerSecond, map[string]int{tencent.CommandGetRoomInfo: 6, tencent.CommandGetRoomStats: 1, tencent.CommandGetRoomList: 1})
	wantMap(t, "Codes", got.Codes, map[int]int{0: 4, 100004: 1, 60003: 1})
	wantMap(t, "HTTPStatus", got.HTTPStatus, map[int]int{200: 7, 502: 1})
	wantMap(t, "Rooms[r1]", got.Rooms["r1"], map[string]int{tencent.CommandGetRoomInfo: 2, tencent.CommandGetRoomStats: 1})
	wantMap(t, "Rooms[gone]", got.Rooms["gone"], map[string]int{tencent.CommandGetRoomInfo: 1})
	if len(got.Rooms) != 4 || len(got.RateLimited) != 0 || got.Abandoned != 0 {
		t.Errorf("stats %+v", got)
	}

	// The snapshot is a copy.
	got.Rooms["r1"][tencent.CommandGetRoomInfo] = 99
	got.Codes[0] = 99
	if again := f.srv.Stats(testSDKAppID); again.Rooms["r1"][tencent.CommandGetRoomInfo] != 2 || again.Codes[0] != 4 {
		t.Error("Stats shares its maps with the server")
	}

	f.srv.ResetStats()
	reset := f.srv.Stats(testSDKAppID)
	if len(reset.Requests)+len(reset.Codes)+len(reset.HTTPStatus)+len(reset.Rooms)+len(reset.MaxPerSecond) != 0 {
		t.Errorf("after ResetStats: %+v", reset)
	}
	f.roomInfo("r1")
	if got := f.srv.Stats(testSDKAppID).MaxPerSecond[tencent.CommandGetRoomInfo]; got != 1 {
		t.Errorf("MaxPerSecond after reset %d, want 1", got)
	}
}

func wantMap[K comparable](t *testing.T, name string, got, want map[K]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestRateLimitUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	f.srv.SetLimit(testSDKAppID, tencent.CommandGetRoomInfo, 60)
	type result struct {
		a   answer
		err error
	}
	results := make(chan result, 100)
	query := f.query()
	for range 100 {
		go func() {
			a, err := f.do(t.Context(), "POST", tencent.ServicePath+tencent.CommandGetRoomInfo, query, `{"RoomId":"r1"}`)
			results <- result{a, err}
		}()
	}
	counts := map[int]int{}
	for range 100 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		counts[r.a.ErrorCode]++
	}
	wantMap(t, "codes", counts, map[int]int{0: 60, 60011: 40})
	got := f.srv.Stats(testSDKAppID)
	if got.MaxPerSecond[tencent.CommandGetRoomInfo] != 100 || got.RateLimited[tencent.CommandGetRoomInfo] != 40 {
		t.Errorf("stats %+v", got)
	}
}
