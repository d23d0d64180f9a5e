package main

// End-to-end tests of sharding on the built binary: three shards against one
// simulated Live API compared with one unsharded exporter against another,
// reloads, /probe and /config of a shard, the shard flags, and
// --shard.from-hostname on a host named like a StatefulSet pod.

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/shard"
)

// shardCount is the number of shards of the tests.
const shardCount = 3

// shardApps are the apps of the configuration; shardAppAdded is added by a
// reload.
var shardApps = []uint64{1400000701, 1400000702, 1400000703, 1400000704, 1400000705, 1400000706}

const shardAppAdded = 1400000707

// shardOf is the shard of 3 of every app, computed with the independent
// implementation that computed the vectors of the shard package's
// TestOfFixedVectors. Every shard has an app.
var shardOf = map[uint64]int{
	1400000701: 2, 1400000702: 0, 1400000703: 0, 1400000704: 2, 1400000705: 1, 1400000706: 2,
	1400000707: 0,
}

// shardRooms returns the rooms the configuration names for an app: three
// the simulator holds, then one it does not.
func shardRooms(sdkappid uint64) []string {
	return []string{fmt.Sprintf("%d-a", sdkappid), fmt.Sprintf("%d-b", sdkappid), fmt.Sprintf("%d-c", sdkappid), fmt.Sprintf("%d-gone", sdkappid)}
}

// shardKey is an app's secret key.
func shardKey(sdkappid uint64) string {
	return fmt.Sprintf("e2e-shard-key-%d", sdkappid)
}

// startShardSim starts a simulator holding every app of the shard tests with
// its rooms, whose values do not move with time.
func startShardSim(t *testing.T) *livesim.Server {
	t.Helper()
	sim := startSim(t, livesim.Options{})
	for _, id := range append(slices.Clone(shardApps), shardAppAdded) {
		sim.AddApp(livesim.App{SDKAppID: id, Identifier: expoAdmin, SecretKey: shardKey(id)})
		for i, room := range shardRooms(id)[:3] {
			sim.PutRoom(id, livesim.Room{ID: room, Info: livesim.RoomInfo{
				RoomName: "Room " + room, OwnerAccount: "host_" + room, CreateTime: expoCreated + int64(i),
				TakeSeatMode: "ApplyToTake", MaxSeatCount: i + 2, MaxMemberCount: 100 * (i + 1),
				Category: []int{i + 1}, ViewCount: int64(id%1000) * 10, IsPublicVisible: i%2 == 0,
			}})
		}
	}
	return sim
}

// shardConfig returns a configuration of apps on endpoint; odd apps have
// labels, and every app's first room a room label.
func shardConfig(endpoint string, apps []uint64) string {
	var b strings.Builder
	b.WriteString("global: {refresh_interval: 5m, request_timeout: 2s}\napps:\n")
	for _, id := range apps {
		fmt.Fprintf(&b, "  - sdkappid: %d\n    endpoint: %s\n    identifier: %s\n    secret_key: %s\n    qps: 20\n", id, endpoint, expoAdmin, shardKey(id))
		if id%2 == 1 {
			fmt.Fprintf(&b, "    labels: {team: team-%d}\n", id%1000)
		}
		rooms := shardRooms(id)
		fmt.Fprintf(&b, "    rooms:\n      - {id: %s, labels: {tier: gold}}\n", rooms[0])
		for _, room := range rooms[1:] {
			fmt.Fprintf(&b, "      - %s\n", room)
		}
	}
	return b.String()
}

// shardVarying are the per-app families whose values differ between two
// runs: times, and durations. Their series are compared without values.
var shardVarying = map[string]bool{
	"tencent_live_room_last_refresh_timestamp_seconds": true,
	"tencent_live_usersig_expiry_timestamp_seconds":    true,
	"tencent_live_refresh_cycle_duration_seconds":      true,
	"tencent_live_api_request_duration_seconds":        true,
}

// appSeries returns the per-app and per-room samples of fams, those with an
// sdkappid label, as `name{labels} value` lines with the labels sorted,
// without the value for shardVarying families; sorted.
func appSeries(fams families) []string {
	var lines []string
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			if !slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, "sdkappid=") }) {
				continue
			}
			slices.Sort(labels)
			line := name + "{" + strings.Join(labels, ",") + "}"
			if !shardVarying[name] {
				line += " " + strconv.FormatFloat(sampleValue(m), 'g', -1, 64)
			}
			lines = append(lines, line)
		}
	}
	slices.Sort(lines)
	return lines
}

// shardAppsOf returns the apps a shard's /metrics shows, from
// tencent_live_api_up, sorted.
func shardAppsOf(fams families) []string {
	var ids []string
	for id := range fams.byLabel("tencent_live_api_up", "sdkappid") {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// wantShardApps returns the apps of shard index among apps, sorted.
func wantShardApps(index int, apps []uint64) []string {
	var ids []string
	for _, id := range apps {
		if shardOf[id] == index {
			ids = append(ids, strconv.FormatUint(id, 10))
		}
	}
	slices.Sort(ids)
	return ids
}

// requestsSent sums a shard's get_room_info requests for sdkappid over the
// outcome codes.
func requestsSent(fams families, sdkappid uint64) float64 {
	sum := 0.0
	for _, m := range fams["tencent_live_api_requests_total"].GetMetric() {
		if hasLabels(m, []string{"sdkappid", strconv.FormatUint(sdkappid, 10), "api", tencent.CommandGetRoomInfo}) {
			sum += sampleValue(m)
		}
	}
	return sum
}

// checkShard checks what shard index shows in fams when the configuration
// has apps: its shard_info, its apps and their count, and that the
// simulator got each of its apps' rooms requested once, all by this shard.
func checkShard(t *testing.T, sim *livesim.Server, index int, fams families, apps []uint64) {
	t.Helper()
	if v, ok := fams.value("tencent_live_shard_info", "index", strconv.Itoa(index), "count", strconv.Itoa(shardCount)); !ok || v != 1 {
		t.Errorf("shard %d: tencent_live_shard_info{index=%q,count=%q} = %v (present %v), want 1", index, strconv.Itoa(index), strconv.Itoa(shardCount), v, ok)
	}
	want := wantShardApps(index, apps)
	if got := shardAppsOf(fams); !slices.Equal(got, want) {
		t.Errorf("shard %d watches apps %v, want %v", index, got, want)
	}
	if v, _ := fams.value("tencent_live_apps", "shard", strconv.Itoa(index)); v != float64(len(want)) {
		t.Errorf("shard %d: tencent_live_apps %v, want %d", index, v, len(want))
	}
	for _, id := range apps {
		if shardOf[id] != index {
			continue
		}
		stats := sim.Stats(id)
		for _, room := range shardRooms(id) {
			if n := stats.Rooms[room][tencent.CommandGetRoomInfo]; n != 1 {
				t.Errorf("room %s was requested %d times, want once", room, n)
			}
		}
		// The simulator counts every process's requests; the shard counts
		// its own: equal counts mean no other process asked for the app.
		if got, sent := stats.Requests[tencent.CommandGetRoomInfo], requestsSent(fams, id); float64(got) != sent {
			t.Errorf("app %d: the simulator got %d get_room_info requests, its shard %d sent %v", id, got, index, sent)
		}
	}
}

// TestE2EShards runs three shards on one configuration against one
// simulator, and one unsharded exporter on the same configuration against
// another: the shards' per-app and per-room series together equal the
// unsharded exporter's, none is in two shards, and each app is requested by
// its shard alone. Then a shard's /probe and /config, and a reload adding an
// app, which only its shard takes.
func TestE2EShards(t *testing.T) {
	simOne, simShards := startShardSim(t), startShardSim(t)
	dirOne, dirShards := t.TempDir(), t.TempDir()
	writeFile(t, dirOne, "tencent_live.yml", shardConfig(simOne.URL(), shardApps))
	writeFile(t, dirShards, "tencent_live.yml", shardConfig(simShards.URL(), shardApps))

	one := startExporter(t, dirOne)
	shards := make([]*exporter, shardCount)
	for i := range shards {
		shards[i] = startExporter(t, dirShards, "--shard.count=3", "--shard.index="+strconv.Itoa(i))
	}
	waitReady(t, one)
	for _, e := range shards {
		waitReady(t, e)
	}

	_, oneFams := one.scrape(t)
	want := appSeries(oneFams)
	if len(want) == 0 {
		t.Fatal("the unsharded exporter shows no per-app series")
	}
	if v, _ := oneFams.value("tencent_live_shard_info", "index", "0", "count", "1"); v != 1 {
		t.Errorf("unsharded: tencent_live_shard_info{index=\"0\",count=\"1\"} = %v, want 1", v)
	}
	if v, _ := oneFams.value("tencent_live_apps", "shard", "0"); v != float64(len(shardApps)) {
		t.Errorf("unsharded: tencent_live_apps %v, want %d", v, len(shardApps))
	}
	in := map[string]int{} // series -> shard
	var union []string
	perShard := make([]families, shardCount)
	for i, e := range shards {
		_, perShard[i] = e.scrape(t)
		for _, s := range appSeries(perShard[i]) {
			if j, dup := in[s]; dup {
				t.Errorf("%s is in shards %d and %d", s, j, i)
			}
			in[s] = i
			union = append(union, s)
		}
		checkShard(t, simShards, i, perShard[i], shardApps)
	}
	slices.Sort(union)
	if !slices.Equal(union, want) {
		t.Errorf("the shards' series differ from the unsharded exporter's (-unsharded +shards):\n%s",
			diffLines(strings.Join(want, "\n"), strings.Join(union, "\n")))
	}
	rooms := map[string]int{} // sdkappid/room_id -> shard
	for i, fams := range perShard {
		for _, m := range fams["tencent_live_room_refresh_success"].GetMetric() {
			var app, room string
			for _, lp := range m.GetLabel() {
				switch lp.GetName() {
				case "sdkappid":
					app = lp.GetValue()
				case "room_id":
					room = lp.GetValue()
				}
			}
			if j, dup := rooms[app+"/"+room]; dup {
				t.Errorf("room %s/%s is watched by shards %d and %d", app, room, j, i)
			}
			rooms[app+"/"+room] = i
		}
	}
	if len(rooms) != len(shardApps)*len(shardRooms(0)) {
		t.Errorf("the shards watch %d rooms, want %d", len(rooms), len(shardApps)*len(shardRooms(0)))
	}

	t.Run("probe", func(t *testing.T) {
		for i, e := range shards {
			for _, id := range shardApps {
				// A room the configuration does not name, so that the
				// watched rooms' request counts stay at one.
				query := "/probe?target=" + url.QueryEscape(fmt.Sprintf("%d/%d-probed", id, id))
				status, body, err := e.request(http.MethodGet, query)
				if err != nil {
					t.Fatal(err)
				}
				owner := shardOf[id]
				wantText := fmt.Sprintf("sdkappid %d: the app is watched by shard %d of 3, not by this process", id, owner)
				switch {
				case owner == i && status != http.StatusOK:
					t.Errorf("shard %d %s: HTTP %d %q, want 200", i, query, status, body)
				case owner == i && !strings.Contains(body, "tencent_live_probe_success 1"):
					t.Errorf("shard %d %s: no probe success in %q", i, query, body)
				case owner != i && (status != http.StatusBadRequest || !strings.Contains(body, wantText)):
					t.Errorf("shard %d %s: HTTP %d %q, want 400 with %q", i, query, status, strings.TrimSpace(body), wantText)
				}
			}
		}
		status, body, err := shards[0].request(http.MethodGet, "/probe?target=1400000799/r")
		if err != nil || status != http.StatusBadRequest || !strings.Contains(body, "no app with this sdkappid is configured") {
			t.Errorf("probe of an app configured nowhere: HTTP %d %q (%v), want 400 saying it is not configured", status, body, err)
		}
	})

	t.Run("config", func(t *testing.T) {
		for i, e := range shards {
			body := e.get(t, "/config")
			head := fmt.Sprintf("# This process is shard %d of 3: it watches the %d of the 6 apps below whose sdkappid hashes to it.\n",
				i, len(wantShardApps(i, shardApps)))
			if !strings.HasPrefix(body, head) {
				t.Errorf("shard %d /config starts %q, want %q", i, body[:min(len(body), len(head))], head)
			}
			for _, id := range shardApps {
				if !strings.Contains(body, "sdkappid: "+strconv.FormatUint(id, 10)) {
					t.Errorf("shard %d /config lacks app %d: every shard shows the whole file", i, id)
				}
			}
		}
		if body := one.get(t, "/config"); strings.HasPrefix(body, "#") {
			t.Errorf("unsharded /config starts with a comment: %q", body[:strings.IndexByte(body, '\n')])
		}
	})

	// A reload re-filters: the added app goes to its shard alone.
	t.Run("reload", func(t *testing.T) {
		apps := append(slices.Clone(shardApps), shardAppAdded)
		writeFile(t, dirShards, "tencent_live.yml", shardConfig(simShards.URL(), apps))
		for i, e := range shards {
			if ok, msg := reloadByPOST(t, e); !ok {
				t.Fatalf("shard %d refused the reload: %s", i, msg)
			}
		}
		owner := shards[shardOf[shardAppAdded]]
		waitFor(t, settleTimeout, "every room of the added app to be answered", func() error {
			_, fams := owner.scrape(t)
			for _, room := range shardRooms(shardAppAdded) {
				if v, ok := fams.value("tencent_live_room_refresh_success", "room_id", room); !ok || v != 1 {
					return fmt.Errorf("%s: refresh_success %v (present %v)", room, v, ok)
				}
			}
			return nil
		})
		// Only the added app's shard takes it; the reload leaves the rooms
		// that stay as they were, so none is requested again.
		for i, e := range shards {
			_, fams := e.scrape(t)
			checkShard(t, simShards, i, fams, apps)
		}
	})
}

// shardCheckOutput is what --config.check prints for the shard tests'
// configuration with --shard.count=3.
const shardCheckOutput = "tencent_live.yml: valid: 6 apps, 24 rooms\n" +
	"shard 0 of 3: 2 apps, 8 rooms: 1400000702, 1400000703\n" +
	"shard 1 of 3: 1 apps, 4 rooms: 1400000705\n" +
	"shard 2 of 3: 3 apps, 12 rooms: 1400000701, 1400000704, 1400000706\n"

// TestE2EShardCommandLine runs the shard flags' one-shot cases: the errors,
// --config.check's apps per shard, and --shard.from-hostname on this
// machine's host name.
func TestE2EShardCommandLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "tencent_live.yml", shardConfig(closedEndpoint(t), shardApps))
	type run struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // all of it
		wantStderr string // a part
	}
	tests := []run{
		{"count 0", []string{"--shard.count=0"}, 1, "", "--shard.count must be at least 1, got 0"},
		{"index out of range", []string{"--shard.count=3", "--shard.index=3"}, 1, "", "--shard.index must be 0..2 with --shard.count=3, got 3"},
		{"index without count", []string{"--shard.index=1"}, 1, "", "--shard.index must be 0..0 with --shard.count=1, got 1"},
		{"index and from-hostname", []string{"--shard.count=3", "--shard.index=0", "--shard.from-hostname"}, 1, "",
			"--shard.index and --shard.from-hostname conflict"},
		{"not a number", []string{"--shard.count=three"}, 1, "", `--shard.count: "three" is not an integer`},
		{"not an integer", []string{"--shard.count=3", "--shard.index=1.5"}, 1, "", `--shard.index: "1.5" is not an integer`},
		{"check one shard", []string{"--config.check"}, 0, "tencent_live.yml: valid: 6 apps, 24 rooms\n", ""},
		{"check three shards", []string{"--config.check", "--shard.count=3", "--shard.index=1"}, 0, shardCheckOutput, ""},
	}
	// This machine's own host name: an ordinal below 3 chooses the shard,
	// anything else is refused with the host name.
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	thisHost := run{"this host", []string{"--config.check", "--shard.count=3", "--shard.from-hostname"}, 0, shardCheckOutput, ""}
	if _, err := shard.FromFlags(shard.Flags{Count: 3, FromHostname: true}, os.Hostname); err != nil {
		thisHost.wantCode, thisHost.wantStdout, thisHost.wantStderr = 1, "", fmt.Sprintf("--shard.from-hostname: host name %q", host)
	}
	tests = append(tests, thisHost)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runOnce(t, dir, "", tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if stdout != tt.wantStdout {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.wantStderr)
			}
		})
	}
}

// TestE2EShardFromHostname runs the exporter on hosts named like the pods
// of a StatefulSet: the ordinal chooses the shard, and one out of range is
// refused with the host name.
func TestE2EShardFromHostname(t *testing.T) {
	if err := canSetHost(); err != nil {
		t.Skipf("cannot give the exporter a host name of its own: %v", err)
	}
	sim := startShardSim(t)
	dir := t.TempDir()
	writeFile(t, dir, "tencent_live.yml", shardConfig(sim.URL(), shardApps))

	code, _, stderr := runOnce(t, dir, "tencent-live-exporter-3", "--shard.count=3", "--shard.from-hostname")
	want := `--shard.from-hostname: host name "tencent-live-exporter-3" has ordinal 3, but --shard.count=3 allows 0..2`
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("ordinal out of range: exit code %d, stderr %q; want 1 and %q", code, stderr, want)
	}

	e := startExporterOn(t, plainHTTP, "tencent-live-exporter-1", dir, "--shard.count=3", "--shard.from-hostname")
	waitReady(t, e)
	_, fams := e.scrape(t)
	checkShard(t, sim, 1, fams, shardApps)
}
