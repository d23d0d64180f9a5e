package collector

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// watchedApp returns an app watching n rooms, each with a fresh answer, as
// a fetcher has it after a pass. Its loop does not run.
func watchedApp(n int) *app {
	a := newApp(testAppID, nopLogger{}, newAPIMetrics())
	wanted := make([]wantedRoom, n)
	for i := range wanted {
		id := fmt.Sprintf("room-%06d", i)
		wanted[i] = wantedRoom{id: id, source: sourceConfig, labelValues: []string{"1400000009", id, "prod", "growth"}}
	}
	settings := appSettings{
		creds: &credentials{}, refreshInterval: time.Minute, staleAfter: time.Hour,
		labelNames: []string{"sdkappid", "room_id", "env", "team"}, appLabelValues: []string{"prod"},
	}
	settings.qps[laneInfo] = 50
	a.apply(settings, wanted)
	now := time.Now()
	for i, rv := range a.exposed.Load().rooms {
		rv.room.info.Store(withRoom(tencent.RoomInfo{
			RoomID: rv.room.id, RoomName: fmt.Sprintf("Room %d", i), RoomType: "Live", OwnerAccount: "144115233775727695",
			CreateTime: 1793577600, IsSeatEnabled: true, TakeSeatMode: "ApplyToTake", MaxSeatCount: 8,
			MaxMemberCount: 300, Category: []string{"1", "2"}, ActivityStatus: 1, ViewCount: int64(i), IsPublicVisible: true,
		}, now, nil))
	}
	return a
}

// BenchmarkScrape measures one whole scrape (gather and encode to the text
// format) of an exporter watching 10,000 and 100,000 rooms.
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("rooms=%d", n), func(b *testing.B) {
			f := &Fetcher{apps: map[uint64]*runningApp{testAppID: {app: watchedApp(n)}}, metrics: newAPIMetrics()}
			registry := prometheus.NewRegistry()
			registry.MustRegister(NewCollector(f))
			gatherer := NewGatherer(registry, f)
			b.ReportAllocs()
			for b.Loop() {
				families, err := gatherer.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range families {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkMemoryPerWatchedRoom reports the heap one watched room costs in
// B/room: its entry in the parsed configuration (which the daemon keeps for
// /config and reloads), the fetcher's state and the latest answer.
func BenchmarkMemoryPerWatchedRoom(b *testing.B) {
	const n = 100_000
	var text strings.Builder
	fmt.Fprintf(&text, "apps:\n- {sdkappid: %d, endpoint: http://127.0.0.1:1, identifier: admin, secret_key: k, labels: {env: prod}, rooms: [\n", testAppID)
	for i := range n {
		fmt.Fprintf(&text, "{id: room-%06d, labels: {team: growth}},\n", i)
	}
	text.WriteString("]}\n")
	var perRoom float64
	for b.Loop() {
		before := heapInUse()
		cfg, err := config.Parse([]byte(text.String()), "")
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		f := NewFetcher(ctx, nopLogger{}, nil)
		if err := f.Apply(cfg); err != nil {
			b.Fatal(err)
		}
		cancel() // the app loops stop at once: only the state is measured
		f.Wait()
		now := time.Now()
		a := f.appList()[0]
		a.mu.Lock()
		for i, rv := range a.exposed.Load().rooms {
			rv.room.info.Store(withRoom(tencent.RoomInfo{
				RoomID: rv.room.id, RoomName: fmt.Sprintf("Room %d", i), RoomType: "Live", OwnerAccount: "144115233775727695",
				CreateTime: 1793577600, IsSeatEnabled: true, TakeSeatMode: "ApplyToTake", MaxSeatCount: 8,
				MaxMemberCount: 300, Category: []string{"1", "2"}, ActivityStatus: 1, ViewCount: int64(i), IsPublicVisible: true,
			}, now, a.labels))
		}
		a.mu.Unlock()
		perRoom = float64(heapInUse()-before) / n
		runtime.KeepAlive(cfg)
		runtime.KeepAlive(f)
	}
	b.ReportMetric(perRoom, "B/room")
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkFetchThroughput measures a first pass over 2,000 rooms at qps 200
// against the simulator on loopback, reported in requests/s. Run it with
// -benchtime=1x: one pass takes about ten seconds.
func BenchmarkFetchThroughput(b *testing.B) {
	const rooms, qps = 2000, 200
	for b.Loop() {
		sim := startLoopbackSim(b, livesim.Options{Latency: 20 * time.Millisecond})
		ids := roomIDs("bench", rooms)
		putRooms(sim, ids)
		start := time.Now()
		tf := startFetcherWith(b, nil, appConfig(sim.URL(), "refresh_interval: 1h", fmt.Sprintf("qps: %d", qps), ids...))
		waitFor(b, "the first pass ends", tf.Ready)
		elapsed := time.Since(start)
		stats := sim.Stats(testAppID)
		b.ReportMetric(float64(rooms)/elapsed.Seconds(), "requests/s")
		b.ReportMetric(float64(stats.MaxPerSecond[tencent.CommandGetRoomInfo]), "max-in-1s")
	}
}
