package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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

// benchInfo is the answer every benchmark room has, numbered i.
func benchInfo(id string, i int) tencent.RoomInfo {
	return tencent.RoomInfo{
		RoomID: id, RoomName: fmt.Sprintf("Room %d", i), RoomType: "Live", OwnerAccount: "144115233775727695",
		CreateTime: 1793577600, IsSeatEnabled: true, TakeSeatMode: "ApplyToTake", MaxSeatCount: 8,
		MaxMemberCount: 300, Category: []string{"1", "2"}, ActivityStatus: 1, ViewCount: int64(i), IsPublicVisible: true,
	}
}

// storeAnswers gives every room of a a fresh answer and renders it.
func storeAnswers(a *app) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	for i, er := range a.exposed.Load().rooms {
		er.room.info.Store(withRoom(benchInfo(er.room.id, i), now))
		a.render(er.room)
	}
	a.renderChanged()
}

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
	storeAnswers(a)
	return a
}

// benchFetcher returns a fetcher of one app watching n rooms, and a registry
// with its health metrics.
func benchFetcher(n int) (*Fetcher, *prometheus.Registry) {
	f := &Fetcher{apps: map[uint64]*runningApp{testAppID: {app: watchedApp(n)}}, metrics: newAPIMetrics()}
	registry := prometheus.NewRegistry()
	registry.MustRegister(NewCollector(f))
	return f, registry
}

// BenchmarkScrape measures one text scrape of an exporter watching 10,000
// and 100,000 rooms against its floor: writing the same bytes from one
// buffer. Each op is a scrape followed by that copy into the same sink, so
// that the drift of a shared machine over a run weighs on both alike;
// scrape-ns/op and copy-ns/op split the op, and x-copy is their ratio.
// B/op and allocs/op are the scrape's: the copy allocates nothing.
//
// The scrape is measured whole (the exporter's own metrics gathered and
// encoded, then the pre-rendered room series), without the own metrics
// (rooms-only), and as the own metrics alone (own-metrics-only, whose
// scrape-ns/op is the fixed cost of client_golang's Gather per scrape, with
// the caches full of the copy's bytes; its x-copy compares nothing). The
// bytes go into a connection-like sink that copies them into a 64 KiB buffer it reuses,
// as a socket's send buffer or net/http's buffered writer takes them, and
// into one buffer as large as the exposition that keeps its capacity; the
// second favours the floor's single write, which the CPU copies with
// streaming stores that bypass the cache, as no scrape writes.
//
// The families case builds the room series as metric families and encodes
// them (what other formats cost, and what every scrape cost before the
// series were pre-rendered).
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		f, registry := benchFetcher(n)
		var whole bytes.Buffer
		if err := f.WriteText(&whole, registry); err != nil {
			b.Fatal(err)
		}
		exposition := bytes.Clone(whole.Bytes())
		for _, sink := range []struct {
			name  string
			w     io.Writer
			reset func()
		}{
			{"connection", &connectionSink{}, func() {}},
			{"buffer", &whole, whole.Reset},
		} {
			empty := prometheus.NewRegistry()
			for _, scrape := range []struct {
				name  string
				write func(io.Writer) error
			}{
				{"prerendered", func(w io.Writer) error { return f.WriteText(w, registry) }},
				{"prerendered-rooms-only", func(w io.Writer) error { return f.WriteText(w, empty) }},
				{"own-metrics-only", func(w io.Writer) error { return writeGathered(w, registry) }},
			} {
				b.Run(fmt.Sprintf("rooms=%d/sink=%s/%s", n, sink.name, scrape.name), func(b *testing.B) {
					var scraping, copying time.Duration
					b.ReportAllocs()
					for b.Loop() {
						sink.reset()
						start := time.Now()
						if err := scrape.write(sink.w); err != nil {
							b.Fatal(err)
						}
						scraped := time.Now()
						sink.reset()
						_, _ = sink.w.Write(exposition)
						copying += time.Since(scraped)
						scraping += scraped.Sub(start)
					}
					b.ReportMetric(float64(scraping.Nanoseconds())/float64(b.N), "scrape-ns/op")
					b.ReportMetric(float64(copying.Nanoseconds())/float64(b.N), "copy-ns/op")
					b.ReportMetric(float64(scraping)/float64(copying), "x-copy")
					b.ReportMetric(float64(len(exposition))/float64(n), "bytes/room")
				})
			}
		}
		b.Run(fmt.Sprintf("rooms=%d/families", n), func(b *testing.B) {
			gatherer := NewGatherer(registry, f)
			var sink connectionSink
			b.ReportAllocs()
			for b.Loop() {
				families, err := gatherer.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&sink, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range families {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkRenderChange measures what a lone change costs an app of three
// full blocks: its room's block rendered anew, the lines of the block's
// other rooms copied.
func BenchmarkRenderChange(b *testing.B) {
	a := watchedApp(3 * blockRooms)
	v := a.exposed.Load()
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		a.mu.Lock()
		v.changed[i/blockRooms].add(i % blockRooms)
		a.renderChanged()
		a.mu.Unlock()
		i = (i + 997) % len(v.rooms)
	}
	b.ReportMetric(float64(blockRooms), "rooms/block")
}

// writeGathered writes the families of g in the text format, as a scrape
// writes the exporter's own metrics.
func writeGathered(w io.Writer, g prometheus.Gatherer) error {
	families, err := g.Gather()
	if err != nil {
		return err
	}
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return err
		}
	}
	return nil
}

// connectionSink takes bytes as a connection does: it copies them into a
// 64 KiB buffer, which it reuses when full.
type connectionSink struct {
	buf  [64 << 10]byte
	used int
}

// Write implements io.Writer.
func (s *connectionSink) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if s.used == len(s.buf) {
			s.used = 0
		}
		copied := copy(s.buf[s.used:], p)
		s.used += copied
		p = p[copied:]
	}
	return n, nil
}

// BenchmarkScrapeHTTP measures a scrape of 10,000 rooms through the /metrics
// handler, plain and gzipped, with its allocations per room.
func BenchmarkScrapeHTTP(b *testing.B) {
	const n = 10_000
	f, registry := benchFetcher(n)
	handler := NewHandler(registry, f, HandlerOpts{})
	for _, encoding := range []string{"identity", "gzip"} {
		b.Run("encoding="+encoding, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.Header.Set("Accept-Encoding", encoding)
			w := &discardResponse{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				handler.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(testing.AllocsPerRun(1, func() { handler.ServeHTTP(w, req) })), "allocs/scrape")
		})
	}
}

// discardResponse is a ResponseWriter that keeps nothing.
type discardResponse struct{ header http.Header }

// Header implements http.ResponseWriter.
func (w *discardResponse) Header() http.Header { return w.header }

// Write implements http.ResponseWriter.
func (w *discardResponse) Write(p []byte) (int, error) { return len(p), nil }

// WriteHeader implements http.ResponseWriter.
func (w *discardResponse) WriteHeader(int) {}

// BenchmarkMemoryPerWatchedRoom reports the heap one watched room costs in
// B/room: its entry in the parsed configuration (which the daemon keeps for
// /config and reloads), the fetcher's state, the latest answer and its
// rendered series.
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
		storeAnswers(f.appList()[0])
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

// gunzip returns the content of a gzipped body.
func gunzip(t testing.TB, body []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
