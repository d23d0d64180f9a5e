package collector

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// textOf encodes families in the text format with client_golang's encoder.
func textOf(t testing.TB, families []*dto.MetricFamily) string {
	t.Helper()
	var b bytes.Buffer
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// scrape returns what /metrics answers for the accept and encoding headers.
func scrape(t testing.TB, h http.Handler, accept, encoding string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", encoding)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	body := w.Body.Bytes()
	if w.Header().Get("Content-Encoding") == "gzip" {
		body = gunzip(t, body)
	}
	return w, string(body)
}

func TestPrerenderedTextEqualsTheEncodedFamilies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Rooms in every state: fresh, missing, failed, listed, with
		// members, statistics and member events, one gone stale, label
		// values that need escaping.
		sim := startSim(t, livesim.Options{})
		for _, id := range []string{"ok", "quoted\"and\\back", "listed-1", "listed-2"} {
			sim.PutRoom(testAppID, liveRoom(id))
		}
		odd := liveRoom("odd")
		odd.Info.RoomName = "line\nbreak \"quoted\" back\\slash 直播间"
		sim.PutRoom(testAppID, odd)
		sim.PutRoom(testAppID, livesim.Room{ID: "gateway", Behaviour: livesim.Behaviour{Gateway: true}})
		tf := startFetcher(t, sim, appConfig(sim.URL(), "refresh_interval: 10s\nstale_after: 30s\nmax_retries: 0",
			"qps: 50\nmembers: {enabled: true, qps: 10}\nstats: {enabled: true, qps: 10}\ndiscovery: {enabled: true, interval: 1m, qps: 2}\nlabels: {env: \"pr\\\\od\"}",
			`ok`, `{id: "quoted\"and\\back", labels: {team: "a\nb"}}`, "odd", "missing", "gateway"))
		waitFor(t, "every room is known", func() bool { return len(tf.series(t, "tencent_live_room_likes_total")) >= 5 })
		tf.Event(testAppID, tencent.Event{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "ok", Cause: tencent.CauseEnter, Members: 2})
		sim.PutRoom(testAppID, livesim.Room{ID: "ok", Behaviour: livesim.Behaviour{Gateway: true}})
		time.Sleep(45 * time.Second) // "ok" fails from now on and turns stale
		tf.renderNow()               // the text shows what changed in the last renderEvery

		registry := prometheus.NewRegistry()
		registry.MustRegister(NewCollector(tf.Fetcher))
		handler := NewHandler(registry, tf.Fetcher, HandlerOpts{})
		families, err := NewGatherer(registry, tf.Fetcher).Gather()
		if err != nil {
			t.Fatal(err)
		}
		want := textOf(t, families)
		for _, encoding := range []string{"identity", "gzip"} {
			w, got := scrape(t, handler, "text/plain", encoding)
			if got != want {
				t.Errorf("%s text differs from the encoded families:\n got %s\nwant %s", encoding, got, want)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Errorf("Content-Type %q", ct)
			}
		}
		if !strings.Contains(want, `room_name="line\nbreak \"quoted\" back\\slash 直播间"`) || !strings.Contains(want, `team="a\nb"`) {
			t.Errorf("escaped label values missing from:\n%s", want)
		}
		if strings.Contains(want, `tencent_live_room_views_total{env="pr\\od",room_id="ok"`) {
			t.Error("the stale room's values are still shown")
		}

		// Protobuf takes the families' path: the same series and values.
		w, _ := scrape(t, handler, string(expfmt.NewFormat(expfmt.TypeProtoDelim)), "identity")
		if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "application/vnd.google.protobuf") {
			t.Fatalf("protobuf negotiation answered %q", ct)
		}
		dec := expfmt.NewDecoder(w.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
		var decoded []*dto.MetricFamily
		for {
			mf := &dto.MetricFamily{}
			if err := dec.Decode(mf); err != nil {
				break
			}
			decoded = append(decoded, mf)
		}
		if got := textOf(t, decoded); got != want {
			t.Errorf("protobuf series differ from the text ones:\n got %s\nwant %s", got, want)
		}
	})
}

// TestTextOfManyBlocksEqualsTheFamilies checks the text of an app of three
// blocks against the encoded families after rooms in each block were
// rendered anew (their blocks' other lines copied) and one room of the
// middle block went stale.
func TestTextOfManyBlocksEqualsTheFamilies(t *testing.T) {
	const n = 2*blockRooms + 100
	f, registry := benchFetcher(n)
	a := f.appList()[0]
	v := a.exposed.Load()
	if len(v.blocks) != 3 {
		t.Fatalf("%d rooms in %d blocks, want 3", n, len(v.blocks))
	}
	changed := []int{1, blockRooms + 7, 2*blockRooms + 99}
	staleRoom := blockRooms + 3
	now := time.Now()
	a.mu.Lock()
	for _, k := range changed {
		r := v.rooms[k].room
		info := benchInfo(r.id, k)
		info.ViewCount = 1_000_000 + int64(k)
		r.info.Store(withRoom(info, now))
		v.changed[k/blockRooms].add(k % blockRooms)
	}
	stale := v.rooms[staleRoom].room
	stale.info.Store(withRoom(benchInfo(stale.id, staleRoom), now.Add(-2*v.staleAfter)))
	v.changed[staleRoom/blockRooms].add(staleRoom % blockRooms)
	a.renderChanged()
	a.mu.Unlock()

	var text bytes.Buffer
	if err := f.WriteText(&text, registry); err != nil {
		t.Fatal(err)
	}
	families, err := NewGatherer(registry, f).Gather()
	if err != nil {
		t.Fatal(err)
	}
	if want := textOf(t, families); text.String() != want {
		t.Fatalf("text of %d bytes differs from the %d bytes of the encoded families", text.Len(), len(want))
	}
	for _, k := range changed {
		if !bytes.Contains(text.Bytes(), viewsLine(a, k, 1_000_000+int64(k))) {
			t.Errorf("room %d's new views are not shown", k)
		}
	}
	if bytes.Contains(text.Bytes(), viewsLine(a, staleRoom, int64(staleRoom))) {
		t.Error("the stale room's views are still shown")
	}
	if !bytes.Contains(text.Bytes(), viewsLine(a, staleRoom+1, int64(staleRoom+1))) {
		t.Error("the stale room's neighbour is not shown")
	}

	// The stale room splits its block's lines of a family in two writes at
	// most: the fresh rooms around it go out together.
	var writes countingWriter
	if err := f.WriteText(&writes, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	if most := roomFamilyCount * (1 + len(v.blocks) + 1); writes.n > most {
		t.Errorf("%d writes for %d families of %d blocks, want at most %d", writes.n, roomFamilyCount, len(v.blocks), most)
	}
}

// countingWriter counts the writes it takes and keeps nothing.
type countingWriter struct{ n int }

// Write implements io.Writer.
func (c *countingWriter) Write(p []byte) (int, error) {
	c.n++
	return len(p), nil
}

func FuzzRenderedLineMatchesTheEncoder(f *testing.F) {
	f.Add("room-1", "Room \"one\"", 12.5)
	f.Add("a\\b", "line\nbreak", -1.0)
	f.Add("直播", "\xff\xfe", 1e300)
	f.Fuzz(func(t *testing.T, roomID, roomName string, value float64) {
		labels := sortedLabels([]string{"sdkappid", "room_id", "env"}, []string{"1", roomID, "prod"})
		extra := []labelPair{{"room_name", roomName}}
		got := string(appendSample(nil, "tencent_live_room_info", labels, extra, value))

		name := "tencent_live_room_info"
		m := &dto.Metric{Label: dtoLabels(mergeLabels(labels, extra)), Gauge: &dto.Gauge{Value: &value}}
		mf := &dto.MetricFamily{Name: &name, Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{m}}
		want := textOf(t, []*dto.MetricFamily{mf})
		want = want[strings.Index(want, "\n")+1:] // without the TYPE line
		if got != want {
			t.Fatalf("rendered %q, the encoder wrote %q", got, want)
		}
	})
}

func TestScrapeAllocatesLittlePerRoom(t *testing.T) {
	measurement(t)
	f, registry := benchFetcher(10_000)
	handler := NewHandler(registry, f, HandlerOpts{})
	for _, encoding := range []string{"identity", "gzip"} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", encoding)
		w := &discardResponse{header: http.Header{}}
		handler.ServeHTTP(w, req) // warm the pools
		var before, after runtimeAlloc
		before.read()
		const scrapes = 5
		for range scrapes {
			handler.ServeHTTP(w, req)
		}
		after.read()
		perRoom := float64(after.bytes-before.bytes) / scrapes / 10_000
		t.Logf("%s: %.1f B allocated per room per scrape", encoding, perRoom)
		if perRoom > 256 {
			t.Errorf("%s: %.1f B per room per scrape, want at most 256", encoding, perRoom)
		}
	}
}

func TestHandlerLimitsConcurrentScrapes(t *testing.T) {
	f, registry := benchFetcher(10)
	handler := NewHandler(registry, f, HandlerOpts{MaxRequestsInFlight: 1})
	block := make(chan struct{})
	// A scrape is refused with 503 when the limit is reached: hold the
	// only place with a writer that blocks.
	blocking := &blockingResponse{header: http.Header{}, unblock: block, wrote: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		handler.ServeHTTP(blocking, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		close(done)
	}()
	<-blocking.wrote
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	close(block)
	<-done
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("second concurrent scrape: status %d, want 503", w.Code)
	}
}

// blockingResponse blocks its first write until unblock is closed.
type blockingResponse struct {
	header  http.Header
	unblock chan struct{}
	wrote   chan struct{}
	once    bool
}

// Header implements http.ResponseWriter.
func (w *blockingResponse) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *blockingResponse) WriteHeader(int) {}

// Write implements http.ResponseWriter.
func (w *blockingResponse) Write(p []byte) (int, error) {
	if !w.once {
		w.once = true
		close(w.wrote)
		<-w.unblock
	}
	return len(p), nil
}

func TestTextPassesTheLinter(t *testing.T) {
	f, registry := benchFetcher(3)
	var b bytes.Buffer
	if err := f.WriteText(&b, registry); err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.New(&b).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// viewsLine is the line of room k of a that shows views.
func viewsLine(a *app, k int, views int64) []byte {
	er := a.exposed.Load().rooms[k]
	return appendSample(nil, familyNames[famViews], er.labels, nil, float64(views))
}

// changeViews gives room k of a a new answer with views and renders it.
func changeViews(a *app, k int, views int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.exposed.Load().rooms[k].room
	info := benchInfo(r.id, k)
	info.ViewCount = views
	r.info.Store(withRoom(info, time.Now()))
	a.render(r)
}

// shows reports whether a's rendered text holds line.
func shows(a *app, k int, line []byte) bool {
	return bytes.Contains(a.exposed.Load().blocks[k/blockRooms].Load().buf, line)
}

func TestRendersArePacedByTheBytesTheyCopy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A small app, five changes a second: each shows at once.
		small := watchedApp(100)
		time.Sleep(2 * renderEvery) // the set-up's renders are paced too
		for i := range 50 {
			changeViews(small, i, 5000+int64(i))
			if !shows(small, i, viewsLine(small, i, 5000+int64(i))) {
				t.Fatalf("change %d of a small app is not shown at once", i)
			}
			time.Sleep(200 * time.Millisecond)
		}

		// A large app under a steady stream of answers, 100 a second: each
		// shows within about renderEvery, and the blocks are copied about
		// once a second, not once per answer.
		large := watchedApp(5000)
		time.Sleep(2 * renderEvery)
		textBytes := large.exposed.Load().textBytes
		if textBytes <= renderFloor {
			t.Fatalf("text of %d bytes: the test needs more than renderFloor", textBytes)
		}
		seen := make([]*blockText, len(large.exposed.Load().blocks))
		copied := 0
		const changes = 1000
		for i := range changes {
			k := i * 7 % 5000
			changeViews(large, k, 100000+int64(i))
			for b := range seen {
				if cur := large.exposed.Load().blocks[b].Load(); cur != seen[b] {
					seen[b] = cur
					copied += len(cur.buf)
				}
			}
			if j := i - 110; j >= 0 && !shows(large, j*7%5000, viewsLine(large, j*7%5000, 100000+int64(j))) {
				t.Fatalf("change %d not shown 1.1 s later", j)
			}
			time.Sleep(10 * time.Millisecond)
		}
		copied -= textBytes // the first sighting of each block is not a copy
		perSecond := float64(copied) / float64(textBytes) / (changes * 0.01)
		t.Logf("%d changes in %.0f s: blocks copied %.2f times the text per second", changes, changes*0.01, perSecond)
		if perSecond > 1.5 {
			t.Errorf("renders copied %.2f times the app's text per second, want about 1", perSecond)
		}
	})
}
