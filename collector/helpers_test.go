package collector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Most tests run inside a testing/synctest bubble, against a simulator
// answering in memory: the fetcher's clock, timers and the simulator's
// latencies are virtual, so rates, pauses and schedules are measured
// exactly whatever the machine's load, and waiting costs no real time.

// The app every fetcher test watches on its simulator.
const (
	testAppID      = 1400000009
	testIdentifier = "administrator"
	testSecretKey  = "fetcher-test-secret-key"
)

// pollDeadline is how long a test waits for the fetcher to reach a state,
// in virtual time inside a bubble.
const pollDeadline = 10 * time.Minute

// pollInterval is how often waitFor looks.
const pollInterval = 20 * time.Millisecond

// startSim starts an in-memory simulator holding the test app; its Client
// reaches it.
func startSim(t testing.TB, opts livesim.Options) *livesim.Server {
	t.Helper()
	sim := livesim.New(opts)
	t.Cleanup(sim.Close)
	sim.AddApp(livesim.App{SDKAppID: testAppID, Identifier: testIdentifier, SecretKey: testSecretKey})
	return sim
}

// startLoopbackSim starts a simulator on a loopback port holding the test
// app, for the tests and benchmarks that measure real HTTP.
func startLoopbackSim(t testing.TB, opts livesim.Options) *livesim.Server {
	t.Helper()
	sim, err := livesim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	sim.AddApp(livesim.App{SDKAppID: testAppID, Identifier: testIdentifier, SecretKey: testSecretKey})
	return sim
}

// appConfig returns a configuration of the test app against endpoint, with
// global settings and app settings as YAML lines, watching rooms.
func appConfig(endpoint, global, app string, rooms ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n%s\napps:\n- sdkappid: %d\n  endpoint: %s\n  identifier: %s\n", indent(global, "  "), testAppID, endpoint, testIdentifier)
	if !strings.Contains(app, "secret_key") && !strings.Contains(app, "usersig_file") {
		fmt.Fprintf(&b, "  secret_key: %q\n", testSecretKey)
	}
	b.WriteString(indent(app, "  "))
	b.WriteString("\n  rooms:\n")
	for _, r := range rooms {
		fmt.Fprintf(&b, "  - %s\n", r)
	}
	return b.String()
}

// indent prefixes every non-empty line of s.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + strings.TrimSpace(l)
		}
	}
	return strings.Join(lines, "\n")
}

// roomIDs returns n room IDs with prefix.
func roomIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
	}
	return ids
}

// testFetcher is a running fetcher with the gatherer exposing it and a log
// buffer.
type testFetcher struct {
	*Fetcher
	gatherer prometheus.Gatherer
	logs     *syncBuffer
}

// renderNow renders the rooms that changed since their apps last rendered,
// as the apps will within renderEvery.
func (f *Fetcher) renderNow() {
	for _, a := range f.appList() {
		a.mu.Lock()
		a.renderChanged()
		a.mu.Unlock()
	}
}

// startFetcher applies the configuration text and runs the fetcher, with
// the simulator's in-memory client, until the test ends.
func startFetcher(t testing.TB, sim *livesim.Server, yamlText string) *testFetcher {
	t.Helper()
	return startFetcherWith(t, sim.Client(), yamlText)
}

// startFetcherWith is startFetcher with the given HTTP client (nil for a
// real one).
func startFetcherWith(t testing.TB, client *http.Client, yamlText string) *testFetcher {
	t.Helper()
	cfg := parseConfig(t, yamlText)
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	f := NewFetcher(ctx, log.NewLogfmtLogger(logs), client)
	t.Cleanup(func() {
		cancel()
		f.Wait()
	})
	if err := f.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	registry := prometheus.NewPedanticRegistry()
	registry.MustRegister(NewCollector(f))
	return &testFetcher{Fetcher: f, gatherer: NewGatherer(registry, f), logs: logs}
}

// parseConfig parses a test configuration or fails the test.
func parseConfig(t testing.TB, yamlText string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yamlText), t.TempDir())
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yamlText)
	}
	return cfg
}

// waitFor polls cond until it holds or the deadline passes, and returns
// how long it took.
func waitFor(t testing.TB, what string, cond func() bool) time.Duration {
	t.Helper()
	return waitEvery(t, pollInterval, what, cond)
}

// waitEvery is waitFor polling every interval, for conditions costly to
// check.
func waitEvery(t testing.TB, interval time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(pollDeadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(interval)
	}
	return time.Since(start)
}

// series returns the value of every series of the named metric, keyed by
// its room_id label (or, without one, by its labels in text form).
func (tf *testFetcher) series(t testing.TB, name string) map[string]float64 {
	t.Helper()
	families, err := tf.gatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[seriesKey(m)] = metricValue(m)
		}
	}
	return out
}

// labels returns the labels of the named metric's series for room.
func (tf *testFetcher) labels(t testing.TB, name, room string) map[string]string {
	t.Helper()
	families, err := tf.gatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if seriesKey(m) != room {
				continue
			}
			out := map[string]string{}
			for _, lp := range m.GetLabel() {
				out[lp.GetName()] = lp.GetValue()
			}
			return out
		}
	}
	return nil
}

// seriesKey is the room_id of m, or its labels in text form.
func seriesKey(m *dto.Metric) string {
	var parts []string
	for _, lp := range m.GetLabel() {
		if lp.GetName() == labelRoomID {
			return lp.GetValue()
		}
		parts = append(parts, lp.GetName()+"="+lp.GetValue())
	}
	return strings.Join(parts, ",")
}

// metricValue is the value of a gauge, counter or untyped metric.
func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	}
	return m.GetUntyped().GetValue()
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// nopLogger discards log lines.
type nopLogger struct{}

// Log implements log.Logger.
func (nopLogger) Log(...any) error { return nil }

// measurement skips a test that measures the exporter at scale (thousands
// of rooms, a flood of probes) under the race detector, which would make it
// ten times slower and change its allocations; .ci/run runs these without
// it, and every code path they take is also tested at a small scale under
// it.
func measurement(t *testing.T) {
	t.Helper()
	if raceEnabled {
		t.Skip("a measurement at scale: .ci/run runs it without -race")
	}
}

// runtimeAlloc is the process's cumulative heap allocation.
type runtimeAlloc struct{ bytes uint64 }

// read takes the current figure.
func (r *runtimeAlloc) read() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	r.bytes = m.TotalAlloc
}
