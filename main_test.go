package main

// End-to-end tests of the built binary, in the style of node_exporter's: the
// exporter is built once, run as a subprocess against the simulated Live API
// started in the test process, and talked to over real HTTP on loopback.
// Every wait polls with a generous deadline, for a loaded 2-core machine with
// the race detector on; nothing sleeps to synchronise.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

// The apps of the exposition test.
const (
	expoApp   = 1400000101 // labelled, one room per behaviour of the simulator
	expoAppB  = 1400000102 // unlabelled, rooms with and without labels
	expoAdmin = "administrator"
)

// expoCreated is the CreateTime of the exposition test's rooms.
const expoCreated = 1793577600

// expoRooms are the rooms the simulator holds for the exposition test; the
// configuration also names rooms the simulator does not hold.
var expoRooms = []struct {
	sdkappid uint64
	room     livesim.Room
}{
	{expoApp, livesim.Room{ID: "room-ok", Info: livesim.RoomInfo{
		RoomName: "E2E Morning Show", OwnerAccount: "host_anna", CreateTime: expoCreated,
		IsSeatEnabled: true, TakeSeatMode: "ApplyToTake", MaxSeatCount: 8, MaxMemberCount: 1000,
		Category: []int{2, 7}, ActivityStatus: 1, ViewCount: 12345, IsPublicVisible: true,
	}}},
	{expoApp, livesim.Room{ID: "room-variants", Behaviour: livesim.Behaviour{Variants: true}, Info: livesim.RoomInfo{
		RoomName: "Classic Client", OwnerAccount: "144115233775727695", CreateTime: expoCreated + 60,
		IsSeatEnabled: true, TakeSeatMode: "FreeToTake", MaxSeatCount: 6, MaxMemberCount: 300,
		IsMessageDisabled: true, Category: []int{3, 5, 8}, ActivityStatus: 2, ViewCount: 880, IsPublicVisible: true,
	}}},
	{expoApp, livesim.Room{ID: "room-flaky-recovers", Behaviour: livesim.Behaviour{Flaky: 2}, Info: livesim.RoomInfo{
		RoomName: "Unstable Uplink", OwnerAccount: "field_reporter", CreateTime: expoCreated + 120,
		TakeSeatMode: "ApplyToTake", MaxMemberCount: 500, Category: []int{10}, ViewCount: 42,
	}}},
	{expoApp, livesim.Room{ID: "room-flaky-exhausted", Behaviour: livesim.Behaviour{Flaky: 3}}},
	{expoApp, livesim.Room{ID: "room-slow", Behaviour: livesim.Behaviour{Delay: 3 * time.Second}}},
	{expoApp, livesim.Room{ID: "room-gateway", Behaviour: livesim.Behaviour{Gateway: true}}},
	{expoApp, livesim.Room{ID: "room-malformed", Behaviour: livesim.Behaviour{Malformed: true}}},
	{expoApp, livesim.Room{ID: "room-oversized", Behaviour: livesim.Behaviour{Oversized: true}}},
	{expoApp, livesim.Room{ID: "room-bad-param", Behaviour: livesim.Behaviour{ErrorCode: tencent.CodeInvalidParam}}},
	{expoApp, livesim.Room{ID: "room-not-live", Behaviour: livesim.Behaviour{ErrorCode: tencent.CodeNotLiveRoom}}},
	{expoAppB, livesim.Room{ID: "room-b-gold", Info: livesim.RoomInfo{
		RoomName: `Tea "Ceremony" \ 茶道`, OwnerAccount: "tea_master_li", CreateTime: expoCreated + 180,
		TakeSeatMode: "FreeToTake", MaxMemberCount: 20000, Category: []int{5}, ViewCount: 7,
	}}},
	{expoAppB, livesim.Room{ID: "room-b-plain", Info: livesim.RoomInfo{
		RoomName: "Plain", OwnerAccount: "plain_owner", CreateTime: expoCreated + 240, TakeSeatMode: "ApplyToTake",
	}}},
}

// expoConfig watches every room of expoRooms plus missing ones; %[1]s is the
// simulator's URL. request_timeout is below room-slow's delay, and
// refresh_interval is long enough that no room is refreshed twice.
const expoConfig = `global:
  refresh_interval: 5m
  request_timeout: 1s
  max_retries: 2
apps:
  - sdkappid: 1400000101
    endpoint: %[1]s
    identifier: administrator
    secret_key: e2e-exposition-key-a
    labels: {env: e2e}
    rooms:
      - id: room-ok
        labels: {team: growth}
      - id: room-variants
        labels: {team: ops}
      - room-missing
      - room-flaky-recovers
      - room-flaky-exhausted
      - room-slow
      - room-gateway
      - room-malformed
      - room-oversized
      - room-bad-param
      - room-not-live
  - sdkappid: 1400000102
    endpoint: %[1]s
    identifier: administrator
    secret_key: e2e-exposition-key-b
    qps: 20
    rooms:
      - {id: room-b-gold, labels: {tier: gold}}
      - room-b-plain
      - room-b-missing
`

// expoExcluded are the exporter's families left out of the golden file,
// whose values all vary from run to run.
var expoExcluded = map[string]bool{
	"tencent_live_api_request_duration_seconds": true,
	"tencent_live_exporter_build_info":          true,
}

// expoVarying are the families of the golden file whose sample values vary
// from run to run (times, and request counts that depend on timing); they
// are compared without their values.
var expoVarying = map[string]bool{
	"tencent_live_room_last_refresh_timestamp_seconds":          true,
	"tencent_live_api_requests_total":                           true,
	"tencent_live_refresh_cycle_duration_seconds":               true,
	"tencent_live_usersig_expiry_timestamp_seconds":             true,
	"tencent_live_config_last_reload_success_timestamp_seconds": true,
}

// TestE2EExposition runs the exporter on rooms covering every behaviour of
// the simulator and compares its exposition with the golden file.
func TestE2EExposition(t *testing.T) {
	start := time.Now()
	sim := startSim(t, livesim.Options{})
	sim.AddApp(livesim.App{SDKAppID: expoApp, Identifier: expoAdmin, SecretKey: "e2e-exposition-key-a"})
	sim.AddApp(livesim.App{SDKAppID: expoAppB, Identifier: expoAdmin, SecretKey: "e2e-exposition-key-b"})
	for _, r := range expoRooms {
		sim.PutRoom(r.sdkappid, r.room)
	}
	dir := t.TempDir()
	writeFile(t, dir, "tencent_live.yml", fmt.Sprintf(expoConfig, sim.URL()))

	e := startExporter(t, dir)
	// room-slow needs three timeouts of 1 s before its first refresh ends.
	if status, body, err := e.request(http.MethodGet, "/-/ready"); err != nil || status != http.StatusServiceUnavailable {
		t.Errorf("/-/ready right after start: HTTP %d %q (%v), want 503 until the first pass is done", status, body, err)
	}
	waitReady(t, e)
	raw, fams := e.scrape(t)
	end := time.Now()

	got := normaliseExposition(raw)
	if *update {
		if err := os.WriteFile(goldenFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s (-want +got):\n%s", goldenFile, diffLines(string(want), got))
	}

	problems, err := promlint.New(strings.NewReader(raw)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			if m.TimestampMs != nil {
				t.Errorf("a sample of %s carries a timestamp: %v", name, m)
			}
		}
	}

	// The values left out of the golden file are still checked for range.
	day := 24 * time.Hour
	ranges := []struct {
		name     string
		min, max float64
	}{
		{"tencent_live_room_last_refresh_timestamp_seconds", unixSeconds(start), unixSeconds(end)},
		{"tencent_live_config_last_reload_success_timestamp_seconds", unixSeconds(start), unixSeconds(end)},
		{"tencent_live_usersig_expiry_timestamp_seconds", unixSeconds(start.Add(day)) - 1, unixSeconds(end.Add(day))},
		{"tencent_live_refresh_cycle_duration_seconds", 0, end.Sub(start).Seconds()},
	}
	for _, r := range ranges {
		for _, m := range fams[r.name].GetMetric() {
			if v := sampleValue(m); v < r.min || v > r.max {
				t.Errorf("%s%v = %f, want within [%f, %f]", r.name, m.GetLabel(), v, r.min, r.max)
			}
		}
	}

	// Attempts per room: retryable failures are retried max_retries (2)
	// times, room-level failures and definitive answers are not.
	stats := sim.Stats(expoApp)
	attempts := []struct {
		room string
		want int
	}{
		{"room-ok", 1},
		{"room-missing", 1},
		{"room-flaky-recovers", 3},
		{"room-flaky-exhausted", 3},
		{"room-slow", 3},
		{"room-gateway", 3},
		{"room-malformed", 3},
		{"room-oversized", 3},
		{"room-bad-param", 1},
		{"room-not-live", 1},
	}
	for _, a := range attempts {
		if got := stats.Rooms[a.room][tencent.CommandGetRoomInfo]; got != a.want {
			t.Errorf("get_room_info requests for %s = %d, want %d", a.room, got, a.want)
		}
	}
}

// unixSeconds returns t as the exporter's timestamp gauges show it.
func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

// normaliseExposition keeps the exporter's own families of an exposition,
// except expoExcluded, with the sample values of expoVarying replaced by a
// placeholder and the samples of each family sorted, since their order means
// nothing to Prometheus; HELP, TYPE, names and labels stay as they are. A
// sample belongs to the family of the HELP or TYPE line before it.
func normaliseExposition(raw string) string {
	var (
		b       strings.Builder
		family  string
		samples []string
	)
	flush := func() {
		slices.Sort(samples)
		for _, s := range samples {
			b.WriteString(s)
		}
		samples = samples[:0]
	}
	for _, line := range strings.SplitAfter(raw, "\n") {
		comment, isComment := strings.CutPrefix(line, "# ")
		if isComment {
			flush()
			if fields := strings.Fields(comment); len(fields) > 1 { // HELP or TYPE, name, ...
				family = fields[1]
			}
		}
		switch {
		case line == "" || !strings.HasPrefix(family, "tencent_live_") || expoExcluded[family]:
		case isComment:
			b.WriteString(line)
		case expoVarying[family]:
			i := strings.LastIndexByte(line, ' ')
			samples = append(samples, line[:i+1]+"<varies>\n")
		default:
			samples = append(samples, line)
		}
	}
	flush()
	return b.String()
}

// diffLines describes how got differs from want: the lines of want missing
// from got (-) and the lines of got not in want (+).
func diffLines(want, got string) string {
	missing := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		missing[l]++
	}
	var out []string
	for _, l := range strings.Split(got, "\n") {
		if missing[l] > 0 {
			missing[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	for _, l := range strings.Split(want, "\n") {
		if missing[l] > 0 {
			missing[l]--
			out = append(out, "- "+l)
		}
	}
	if len(out) == 0 {
		return "the same lines in another order"
	}
	return strings.Join(out, "\n")
}

// The app of the reload tests.
const (
	reloadApp = 1400000201
	reloadKey = "e2e-reload-key"
)

// reloadConfig returns a configuration watching rooms of reloadApp at qps;
// room files are those matching rooms/*.yml when withRoomFiles is set.
func reloadConfig(endpoint string, qps int, withRoomFiles bool, rooms ...string) string {
	cfg := fmt.Sprintf(`global: {refresh_interval: 5m, request_timeout: 2s}
apps:
  - sdkappid: %d
    endpoint: %s
    identifier: administrator
    secret_key: %s
    qps: %d
    rooms: [%s]
`, reloadApp, endpoint, reloadKey, qps, strings.Join(rooms, ", "))
	if withRoomFiles {
		cfg += "    room_files: [rooms/*.yml]\n"
	}
	return cfg
}

// startReloadSim starts a simulator holding reloadApp with rooms r1..r4.
func startReloadSim(t *testing.T) *livesim.Server {
	t.Helper()
	sim := startSim(t, livesim.Options{})
	sim.AddApp(livesim.App{SDKAppID: reloadApp, Identifier: expoAdmin, SecretKey: reloadKey})
	for _, id := range []string{"r1", "r2", "r3", "r4", "file-room-1", "file-room-2"} {
		sim.PutRoom(reloadApp, livesim.Room{ID: id, Info: livesim.RoomInfo{RoomName: id, CreateTime: expoCreated}})
	}
	return sim
}

// reloadBySIGHUP sends SIGHUP and waits for the exporter to log the
// outcome; it reports whether the reload succeeded, and the log line.
func reloadBySIGHUP(t *testing.T, e *exporter) (bool, string) {
	t.Helper()
	const marker = "trigger=SIGHUP"
	before := len(linesWith(e.stderr.String(), marker))
	if err := e.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var line string
	waitFor(t, settleTimeout, "the SIGHUP reload to be logged", func() error {
		lines := linesWith(e.stderr.String(), marker)
		if len(lines) <= before {
			return errors.New("not logged yet")
		}
		line = lines[before]
		return nil
	})
	return strings.Contains(line, `msg="Configuration reloaded"`), line
}

// reloadByPOST posts to /-/reload; it reports whether the reload succeeded
// (200) or was refused (500), and the answer's body.
func reloadByPOST(t *testing.T, e *exporter) (bool, string) {
	t.Helper()
	status, body, err := e.request(http.MethodPost, "/-/reload")
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusOK && status != http.StatusInternalServerError {
		t.Fatalf("POST /-/reload: HTTP %d %q, want 200 or 500", status, body)
	}
	return status == http.StatusOK, body
}

// reloadState is what /metrics says about the configuration in force.
type reloadState struct {
	fams      families
	success   float64
	timestamp float64
	qps       float64
}

// scrapeReloadState scrapes the reload gauges and reloadApp's rate.
func scrapeReloadState(t *testing.T, e *exporter) reloadState {
	t.Helper()
	_, fams := e.scrape(t)
	s := reloadState{fams: fams}
	var ok [3]bool
	s.success, ok[0] = fams.value("tencent_live_config_last_reload_successful")
	s.timestamp, ok[1] = fams.value("tencent_live_config_last_reload_success_timestamp_seconds")
	s.qps, ok[2] = fams.value("tencent_live_api_rate_limit_qps", "sdkappid", strconv.Itoa(reloadApp), "api", tencent.CommandGetRoomInfo)
	if ok != [3]bool{true, true, true} {
		t.Fatalf("reload gauges or rate missing from /metrics (found: %v)", ok)
	}
	return s
}

// checkRooms fails the test unless exactly the given rooms have series, each
// with exists 1.
func checkRooms(t *testing.T, fams families, rooms ...string) {
	t.Helper()
	exists := fams.byLabel("tencent_live_room_exists", "room_id")
	refresh := fams.byLabel("tencent_live_room_refresh_success", "room_id")
	for _, id := range rooms {
		if exists[id] != 1 {
			t.Errorf("room %s: tencent_live_room_exists missing or not 1 (all: %v)", id, exists)
		}
	}
	if len(refresh) != len(rooms) {
		t.Errorf("rooms with series: %v, want exactly %v", refresh, rooms)
	}
}

// waitRoomExists waits until room has tencent_live_room_exists 1, which
// needs a definitive answer, and returns how long that took.
func waitRoomExists(t *testing.T, e *exporter, room string) time.Duration {
	t.Helper()
	return waitFor(t, settleTimeout, room+" to exist in /metrics", func() error {
		_, fams := e.scrape(t)
		if v, ok := fams.value("tencent_live_room_exists", "room_id", room); !ok || v != 1 {
			return fmt.Errorf("tencent_live_room_exists{room_id=%q} = %v (present: %v)", room, v, ok)
		}
		return nil
	})
}

// TestE2EReload reloads the configuration by SIGHUP and by POST /-/reload:
// valid changes apply at once, an invalid one is refused and the old
// configuration keeps running, and the reload gauges follow.
func TestE2EReload(t *testing.T) {
	triggers := []struct {
		name   string
		reload func(*testing.T, *exporter) (bool, string)
	}{
		{"SIGHUP", reloadBySIGHUP},
		{"POST", reloadByPOST},
	}
	for _, tr := range triggers {
		t.Run(tr.name, func(t *testing.T) {
			sim := startReloadSim(t)
			dir := t.TempDir()
			cfg := writeFile(t, dir, "tencent_live.yml", reloadConfig(sim.URL(), 10, false, "r1", "r2"))
			e := startExporter(t, dir)
			waitReady(t, e)
			first := scrapeReloadState(t, e)
			checkRooms(t, first.fams, "r1", "r2")
			if first.success != 1 || first.qps != 10 {
				t.Errorf("at start: reload successful %v, qps %v; want 1, 10", first.success, first.qps)
			}

			// A valid change applies as soon as the reload is done.
			writeFile(t, dir, filepath.Base(cfg), reloadConfig(sim.URL(), 20, false, "r1", "r3"))
			if ok, msg := tr.reload(t, e); !ok {
				t.Fatalf("valid reload refused: %s", msg)
			}
			valid := scrapeReloadState(t, e)
			if names := valid.fams.namesWith("room_id", "r2"); len(names) > 0 {
				t.Errorf("removed room r2 still in %v", names)
			}
			if valid.qps != 20 || valid.success != 1 || !(valid.timestamp > first.timestamp) {
				t.Errorf("after a valid reload: qps %v, successful %v, timestamp %f (before %f); want 20, 1, later",
					valid.qps, valid.success, valid.timestamp, first.timestamp)
			}
			t.Logf("added room r3 answered %s after the reload", waitRoomExists(t, e, "r3"))

			// An invalid configuration is refused with its reason.
			writeFile(t, dir, filepath.Base(cfg), reloadConfig(sim.URL(), 500, false, "r1", "r4"))
			ok, msg := tr.reload(t, e)
			if ok || !strings.Contains(msg, "apps[0].qps: must be 1..200, got 500") {
				t.Errorf("invalid reload: succeeded %v, message %q; want refused naming apps[0].qps", ok, msg)
			}
			refused := scrapeReloadState(t, e)
			checkRooms(t, refused.fams, "r1", "r3")
			if refused.qps != 20 || refused.success != 0 || refused.timestamp != valid.timestamp {
				t.Errorf("after an invalid reload: qps %v, successful %v, timestamp %f (before %f); want 20, 0, unchanged",
					refused.qps, refused.success, refused.timestamp, valid.timestamp)
			}

			// The next valid reload succeeds again.
			writeFile(t, dir, filepath.Base(cfg), reloadConfig(sim.URL(), 30, false, "r1", "r4"))
			if ok, msg := tr.reload(t, e); !ok {
				t.Fatalf("valid reload after an invalid one refused: %s", msg)
			}
			again := scrapeReloadState(t, e)
			if names := again.fams.namesWith("room_id", "r3"); len(names) > 0 {
				t.Errorf("removed room r3 still in %v", names)
			}
			if again.qps != 30 || again.success != 1 || !(again.timestamp > valid.timestamp) {
				t.Errorf("after the next valid reload: qps %v, successful %v, timestamp %f (before %f); want 30, 1, later",
					again.qps, again.success, again.timestamp, valid.timestamp)
			}
			waitRoomExists(t, e, "r4")

			if status, _, err := e.request(http.MethodGet, "/-/reload"); err != nil || status != http.StatusMethodNotAllowed {
				t.Errorf("GET /-/reload: HTTP %d (%v), want 405", status, err)
			}
		})
	}
}

// TestE2ERoomFiles adds a room file matching an app's room_files glob and
// expects its room to be watched without any reload signal.
func TestE2ERoomFiles(t *testing.T) {
	sim := startReloadSim(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rooms"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "rooms/a.yml", "- file-room-1\n")
	writeFile(t, dir, "tencent_live.yml", reloadConfig(sim.URL(), 10, true, "r1"))
	e := startExporter(t, dir)
	waitReady(t, e)
	_, fams := e.scrape(t)
	checkRooms(t, fams, "r1", "file-room-1")

	writeFile(t, dir, "rooms/b.yml", "- id: file-room-2\n  labels: {team: files}\n")
	took := waitFor(t, settleTimeout, "the room of the new room file", func() error {
		_, fams := e.scrape(t)
		if n, _ := fams.value("tencent_live_rooms", "source", "file"); n != 2 {
			return fmt.Errorf("tencent_live_rooms{source=\"file\"} = %v", n)
		}
		if v, _ := fams.value("tencent_live_room_exists", "room_id", "file-room-2", "team", "files"); v != 1 {
			return errors.New("file-room-2 has no tencent_live_room_exists 1 with its label")
		}
		return nil
	})
	t.Logf("room file picked up after %s", took)
	_, fams = e.scrape(t)
	checkRooms(t, fams, "r1", "file-room-1", "file-room-2")
	if v, _ := fams.value("tencent_live_config_last_reload_successful"); v != 1 {
		t.Errorf("tencent_live_config_last_reload_successful = %v after a valid room file, want 1", v)
	}
}

// The apps of the secrets test.
const (
	secretApp    = 1400000301 // reached through a recording proxy
	secretAppNet = 1400000302 // at a closed port: network errors
	secretKeyA   = "S3CRET-KEY-A-e2e-9f8e7d6c5b4a"
	secretKeyB   = "S3CRET-KEY-B-e2e-0a1b2c3d4e5f"
)

// secretConfig is the secrets test's configuration: %[1]s is the proxy's
// URL, %[2]s the closed endpoint, %[3]s the key file of app A, %[4]s what
// else app A sets.
const secretConfig = `global: {refresh_interval: 5m, request_timeout: 2s, max_retries: 2}
apps:
  - sdkappid: 1400000301
    endpoint: %[1]s
    identifier: administrator
    secret_key_file: %[3]s
    rooms: [room-ok, room-gateway, room-bad-param, room-missing]
%[4]s  - sdkappid: 1400000302
    endpoint: %[2]s
    identifier: administrator
    secret_key: ` + secretKeyB + `
    rooms: [net-1, net-2, net-3, net-4]
`

// userSigRecorder is a reverse proxy to the simulator that records the
// UserSigs of the requests passing through it.
type userSigRecorder struct {
	mu   sync.Mutex
	sigs map[string]bool
}

// startUserSigRecorder starts a recording proxy to target and returns it
// with its URL.
func startUserSigRecorder(t *testing.T, target string) (*userSigRecorder, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &userSigRecorder{sigs: map[string]bool{}}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.sigs[r.URL.Query().Get("usersig")] = true
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// seen returns the UserSigs recorded.
func (r *userSigRecorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var sigs []string
	for s := range r.sigs {
		sigs = append(sigs, s)
	}
	return sigs
}

// userSigsBetween returns every UserSig the exporter may have generated for
// an app between from and to: one per second, as a UserSig carries its
// issue time in seconds (default usersig_ttl of 24 h).
func userSigsBetween(t *testing.T, sdkappid uint64, key string, from, to time.Time) map[string]bool {
	t.Helper()
	sigs := map[string]bool{}
	for at := from.Truncate(time.Second); !at.After(to); at = at.Add(time.Second) {
		sig, err := usersig.GenUserSigAt(sdkappid, key, expoAdmin, int64(24*time.Hour/time.Second), nil, at)
		if err != nil {
			t.Fatal(err)
		}
		sigs[sig] = true
	}
	return sigs
}

// TestE2ESecrets runs the exporter at debug level with network and HTTP
// errors in play and looks for its secrets everywhere it writes.
func TestE2ESecrets(t *testing.T) {
	start := time.Now()
	sim := startSim(t, livesim.Options{})
	sim.AddApp(livesim.App{SDKAppID: secretApp, Identifier: expoAdmin, SecretKey: secretKeyA})
	sim.PutRoom(secretApp, livesim.Room{ID: "room-ok", Info: livesim.RoomInfo{RoomName: "ok"}})
	sim.PutRoom(secretApp, livesim.Room{ID: "room-gateway", Behaviour: livesim.Behaviour{Gateway: true}})
	sim.PutRoom(secretApp, livesim.Room{ID: "room-bad-param", Behaviour: livesim.Behaviour{ErrorCode: tencent.CodeInvalidParam}})
	recorder, proxyURL := startUserSigRecorder(t, sim.URL())

	dir := t.TempDir()
	keyFile := writeFile(t, dir, "tencent_live.key", secretKeyA+"\n")
	closed := closedEndpoint(t)
	writeFile(t, dir, "tencent_live.yml", fmt.Sprintf(secretConfig, proxyURL, closed, keyFile, ""))
	e := startExporter(t, dir, "--log.level=debug")
	waitReady(t, e)

	// The error paths were taken: an HTTP error for app A, network errors
	// that paused app B, a room-level error logged with Tencent's text.
	_, fams := e.scrape(t)
	for _, c := range []struct{ sdkappid, code string }{
		{strconv.Itoa(secretApp), "http_502"},
		{strconv.Itoa(secretAppNet), "network"},
	} {
		if _, ok := fams.value("tencent_live_api_requests_total", "sdkappid", c.sdkappid, "code", c.code); !ok {
			t.Errorf("no tencent_live_api_requests_total{sdkappid=%q,code=%q}", c.sdkappid, c.code)
		}
	}
	waitFor(t, settleTimeout, "the failures to be logged", func() error {
		logs := e.stderr.String()
		for _, want := range []string{"sdkappid=" + strconv.Itoa(secretAppNet) + " msg=\"Tencent API unusable", "room_id=room-bad-param"} {
			if !strings.Contains(logs, want) {
				return fmt.Errorf("no log line with %q", want)
			}
		}
		return nil
	})

	// An invalid configuration that holds the key inline, refused by POST.
	writeFile(t, dir, "tencent_live.yml", fmt.Sprintf(secretConfig, proxyURL, closed, keyFile,
		"    secret_key: "+secretKeyA+"\n    qps: 500\n"))
	status, reloadBody, err := e.request(http.MethodPost, "/-/reload")
	if err != nil || status != http.StatusInternalServerError || !strings.Contains(reloadBody, "apps[0]") {
		t.Errorf("POST /-/reload with an invalid config: HTTP %d %q (%v), want 500 naming apps[0]", status, reloadBody, err)
	}

	configPage := e.get(t, "/config")
	for _, want := range []string{"secret_key_file: " + keyFile, "secret_key: <secret>"} {
		if !strings.Contains(configPage, want) {
			t.Errorf("/config lacks %q:\n%s", want, configPage)
		}
	}
	outputs := []struct{ name, text string }{
		{"/metrics", e.get(t, "/metrics")},
		{"/config", configPage},
		{"/", e.get(t, "/")},
		{"the body of the refused reload", reloadBody},
		{"stderr", e.stderr.String()},
	}

	end := time.Now().Add(time.Second)
	sigsA := userSigsBetween(t, secretApp, secretKeyA, start, end)
	seen := recorder.seen()
	if len(seen) == 0 {
		t.Fatal("the proxy saw no request")
	}
	for _, sig := range seen {
		if !sigsA[sig] {
			t.Errorf("the exporter sent a UserSig not among those expected: %q", sig)
		}
	}
	type secret struct{ name, value string }
	secrets := []secret{
		{"the secret key of app A", secretKeyA},
		{"the secret key of app B", secretKeyB},
	}
	sigsB := userSigsBetween(t, secretAppNet, secretKeyB, start, end)
	for _, app := range []struct {
		name string
		sigs map[string]bool
	}{{"A", sigsA}, {"B", sigsB}} {
		for sig := range app.sigs {
			secrets = append(secrets,
				secret{"a UserSig of app " + app.name, sig},
				secret{"a query-escaped UserSig of app " + app.name, url.QueryEscape(sig)})
		}
	}
	for _, out := range outputs {
		if strings.Contains(strings.ToLower(out.text), "usersig=") {
			t.Errorf("%s contains a usersig query parameter", out.name)
		}
		for _, s := range secrets {
			if strings.Contains(out.text, s.value) {
				t.Errorf("%s contains %s", out.name, s.name)
			}
		}
	}
}

// TestE2EShutdownWhileAPISlow sends SIGTERM while every API request takes 3 s
// and expects a clean exit within 5 s.
func TestE2EShutdownWhileAPISlow(t *testing.T) {
	const app = 1400000401
	sim := startSim(t, livesim.Options{Latency: 3 * time.Second})
	sim.AddApp(livesim.App{SDKAppID: app, Identifier: expoAdmin, SecretKey: reloadKey})
	var rooms []string
	for i := 1; i <= 10; i++ {
		id := fmt.Sprintf("slow-%02d", i)
		rooms = append(rooms, id)
		sim.PutRoom(app, livesim.Room{ID: id})
	}
	dir := t.TempDir()
	writeFile(t, dir, "tencent_live.yml", fmt.Sprintf(`global: {refresh_interval: 30s, request_timeout: 5s}
apps:
  - {sdkappid: %d, endpoint: %s, identifier: administrator, secret_key: %s, rooms: [%s]}
`, app, sim.URL(), reloadKey, strings.Join(rooms, ", ")))
	e := startExporter(t, dir)

	waitFor(t, settleTimeout, "requests in flight at the simulator", func() error {
		s := sim.Stats(app)
		answered := s.Abandoned
		for _, n := range s.HTTPStatus {
			answered += n
		}
		if s.Requests[tencent.CommandGetRoomInfo]-answered < 1 {
			return errors.New("no request in flight")
		}
		return nil
	})
	took := e.terminate(t)
	t.Logf("exited %s after SIGTERM", took)
	if took >= 5*time.Second {
		t.Errorf("exit took %s after SIGTERM, want < 5s", took)
	}
	if e.waitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", e.waitErr)
	}
}

// TestE2EDemo runs --demo without a configuration file and expects the demo
// rooms within 10 s of the start, exactly one of them dissolved.
func TestE2EDemo(t *testing.T) {
	e := startExporter(t, t.TempDir(), "--demo", "--webhook.listen-address="+freeAddress(t))
	within := 10 * time.Second
	deadline := e.started.Add(within)
	waitFor(t, time.Until(deadline), "the demo rooms", func() error {
		_, fams := e.scrape(t)
		exists := fams.byLabel("tencent_live_room_exists", "room_id")
		for _, r := range livesim.DemoRooms() {
			if exists[r.ID] != 1 {
				return fmt.Errorf("%s: no tencent_live_room_exists 1 yet", r.ID)
			}
		}
		if v, ok := exists[livesim.DemoDissolvedRoom]; !ok || v != 0 {
			return fmt.Errorf("%s: no tencent_live_room_exists 0 yet", livesim.DemoDissolvedRoom)
		}
		if len(exists) != len(livesim.DemoRoomIDs()) {
			return fmt.Errorf("tencent_live_room_exists for %d rooms, want %d", len(exists), len(livesim.DemoRoomIDs()))
		}
		return nil
	})
	t.Logf("demo rooms shown %s after the start", time.Since(e.started).Round(time.Millisecond))
}

// TestE2EDemoWebhooks runs --demo with its churn every 2 s and expects the
// simulator's signed webhooks to reach the demo's listener and show each
// churned room's new state.
func TestE2EDemoWebhooks(t *testing.T) {
	e := startExporter(t, t.TempDir(), "--demo", "--demo.churn-interval=2s", "--webhook.listen-address="+freeAddress(t))
	waitReady(t, e)
	waitFor(t, time.Minute, "the churned rooms swap, announced by webhooks", func() error {
		_, fams := e.scrape(t)
		exists := fams.byLabel("tencent_live_room_exists", "room_id")
		if exists[livesim.DemoChurnLive] != 0 || exists[livesim.DemoDissolvedRoom] != 1 {
			return fmt.Errorf("%s exists %v, %s exists %v", livesim.DemoChurnLive, exists[livesim.DemoChurnLive], livesim.DemoDissolvedRoom, exists[livesim.DemoDissolvedRoom])
		}
		destroyed, _ := fams.value("tencent_live_webhook_requests_total", "command", "Live.CallbackAfterDestroyRoom", "outcome", "ok")
		queued, _ := fams.value("tencent_live_hints_total", "result", "queued")
		if destroyed < 1 || queued < 1 {
			return fmt.Errorf("%v destroy webhooks answered, %v hints queued", destroyed, queued)
		}
		return nil
	})
}

// TestE2ECommandLine runs the one-shot commands: --config.check on a valid
// and an invalid file, and --version.
func TestE2ECommandLine(t *testing.T) {
	dir := t.TempDir()
	valid := fmt.Sprintf(`apps:
  - {sdkappid: 1400000501, region: singapore, identifier: administrator, secret_key: k1, rooms: [a, b]}
  - {sdkappid: 1400000502, endpoint: %s, identifier: administrator, secret_key: k2, rooms: [c]}
`, closedEndpoint(t))
	writeFile(t, dir, "valid.yml", valid)
	writeFile(t, dir, "invalid.yml", strings.Replace(valid, "rooms: [a, b]", "rooms: [a, b], qps: 500", 1))

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
	}{
		{"config.check valid", []string{"--config.check", "--config.file=valid.yml"}, 0,
			[]string{"valid.yml: valid", "2 apps", "3 rooms"}},
		{"config.check invalid", []string{"--config.check", "--config.file=invalid.yml"}, 1,
			[]string{"invalid.yml: invalid", "apps[0].qps: must be 1..200, got 500"}},
		{"version", []string{"--version"}, 0,
			[]string{exporterName + ", version " + testVersion}},
		{"negative probe offset", []string{"--config.file=valid.yml", "--web.probe-timeout-offset=-1s"}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runOnce(t, dir, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

// TestE2EProbe fetches rooms through /probe, named by sdkappid and room_id
// or by target (with a module, ignored): a watched room and one that is not,
// a room that does not exist, one whose ID holds a slash, a failing room
// answered within the scrape timeout less --web.probe-timeout-offset, and
// the 400 answers for bad or conflicting parameters.
func TestE2EProbe(t *testing.T) {
	sim := startReloadSim(t)
	sim.PutRoom(reloadApp, livesim.Room{ID: "slow", Behaviour: livesim.Behaviour{Delay: time.Minute}})
	sim.PutRoom(reloadApp, livesim.Room{ID: "team/r5", Info: livesim.RoomInfo{RoomName: "slash", CreateTime: expoCreated}})
	dir := t.TempDir()
	writeFile(t, dir, "tencent_live.yml", reloadConfig(sim.URL(), 20, false, "r1"))
	e := startExporter(t, dir, "--web.probe-timeout-offset=1s")
	waitReady(t, e)

	byParameters := func(room string) string {
		return fmt.Sprintf("sdkappid=%d&room_id=%s", reloadApp, url.QueryEscape(room))
	}
	byTarget := func(room string) string {
		return "target=" + url.QueryEscape(fmt.Sprintf("%d/%s", reloadApp, room))
	}
	for _, tc := range []struct {
		query           string
		room            string
		success, exists float64
	}{
		{byParameters("r1"), "r1", 1, 1},           // watched
		{byParameters("r3"), "r3", 1, 1},           // not watched
		{byParameters("no-such"), "no-such", 1, 0}, // a definitive answer: the room does not exist
		{byTarget("r1"), "r1", 1, 1},
		{byTarget("r3") + "&module=http_2xx", "r3", 1, 1},
		{byTarget("no-such"), "no-such", 1, 0},
		{byTarget("team/r5"), "team/r5", 1, 1},
	} {
		fams, err := parseExposition(e.get(t, "/probe?"+tc.query))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := fams.value("tencent_live_probe_success"); v != tc.success {
			t.Errorf("%s: probe_success %v, want %v", tc.query, v, tc.success)
		}
		if v, ok := fams.value("tencent_live_room_exists", "room_id", tc.room); !ok || v != tc.exists {
			t.Errorf("%s: exists %v (present %v), want %v", tc.query, v, ok, tc.exists)
		}
		if _, ok := fams.value("tencent_live_probe_duration_seconds"); !ok {
			t.Errorf("%s: no probe duration", tc.query)
		}
	}

	// A room slower than the scrape timeout: the probe gives up after the
	// scrape timeout less the offset (2.5 s - 1 s) and answers in time, as a
	// failure. With the default offset of 0.5 s it would take 2 s.
	req, err := http.NewRequest(http.MethodGet, e.base+"/probe?"+byTarget("slow"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "2.5")
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("a probe of the slow room with a 2.5 s scrape timeout took %s", took)
	if took < 1500*time.Millisecond || took >= 2*time.Second {
		t.Errorf("a probe with a 2.5 s scrape timeout and a 1 s offset took %s, want 1.5 s to 2 s", took)
	}
	fams, err := parseExposition(string(body))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := fams.value("tencent_live_probe_success"); v != 0 {
		t.Errorf("slow room: probe_success %v, want 0", v)
	}

	for _, tc := range []struct{ query, want string }{
		{"room_id=r1", "sdkappid parameter is missing"},
		{fmt.Sprintf("sdkappid=%d", reloadApp), "room_id parameter is missing"},
		{"sdkappid=abc&room_id=r1", "sdkappid parameter is missing or not a positive integer"},
		{"sdkappid=42&room_id=r1", "sdkappid 42: "},
		{"target=r1", `target parameter "r1" is not <sdkappid>/<room_id>`},
		{"target=abc/r1", "sdkappid of the target parameter"},
		{fmt.Sprintf("target=%d/", reloadApp), "room_id of the target parameter is empty"},
		{"target=42/r1", "sdkappid 42: "},
		{byTarget("r1") + "&" + byParameters("r1"), "target parameter conflicts with sdkappid and room_id"},
		{byTarget("r1") + "&room_id=r1", "target parameter conflicts"},
		{byTarget("r1") + "&" + byTarget("r3"), "target parameter given 2 times"},
	} {
		status, body, err := e.request(http.MethodGet, "/probe?"+tc.query)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusBadRequest || !strings.Contains(body, tc.want) {
			t.Errorf("/probe?%s: HTTP %d %q, want 400 with %q", tc.query, status, strings.TrimSpace(body), tc.want)
		}
	}
}

// TestE2ELogFormat serves TLS through a web configuration, sends plain HTTP
// to it so that the HTTP server logs a TLS handshake error, and expects
// every line on stderr, the exporter's own, exporter-toolkit's and the HTTP
// server's, to parse in the format of --log.format with the same keys: level,
// ts (and no time), caller and msg.
func TestE2ELogFormat(t *testing.T) {
	sim := startReloadSim(t)
	for _, format := range []string{"logfmt", "json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "tencent_live.yml", reloadConfig(sim.URL(), 10, false, "r1"))
			webConfig, tr := serveTLS(t, dir)
			e := startExporterOver(t, tr, dir, "--web.config.file="+webConfig, "--log.format="+format)
			waitReady(t, e)

			resp, err := httpClient.Get("http" + strings.TrimPrefix(e.base, "https") + "/-/healthy")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("plain HTTP to the TLS port: HTTP %d, want 400", resp.StatusCode)
			}
			waitFor(t, settleTimeout, "the TLS handshake error to be logged", func() error {
				if !strings.Contains(e.stderr.String(), "TLS handshake error") {
					return errors.New("not logged yet")
				}
				return nil
			})
			e.terminate(t)

			lines := parseLogLines(t, format, e.stderr.String())
			wanted := []string{"Starting " + exporterName, "TLS is enabled.", "http: TLS handshake error", "Shutting down"}
			seen := map[string]bool{}
			for _, line := range lines {
				msg := line[messageKey]
				for _, key := range []string{"level", timestampKey, callerKey, messageKey} {
					if line[key] == "" {
						t.Errorf("no %s in %q", key, line)
					}
				}
				if _, err := time.Parse(time.RFC3339Nano, line[timestampKey]); err != nil {
					t.Errorf("%q: ts %v", msg, err)
				}
				if _, ok := line["time"]; ok {
					t.Errorf("%q has a time key", msg)
				}
				for _, want := range wanted {
					if strings.HasPrefix(msg, want) {
						seen[want] = true
					}
				}
			}
			for _, want := range wanted {
				if !seen[want] {
					t.Errorf("no line whose msg starts with %q", want)
				}
			}
		})
	}
}
