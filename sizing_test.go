package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
)

// Sizing of one process, for the README's "when to shard": the rooms go to
// apps of sizingRoomsPerApp rooms at the highest qps, so that a first pass
// over 100,000 rooms takes about a minute.
const (
	sizingRoomsPerApp = 10_000
	sizingFirstApp    = 1400100001
	sizingScrapes     = 5
	// sizingPassTimeout bounds the first pass over every room.
	sizingPassTimeout = 15 * time.Minute
)

// sizingConfig returns a configuration of rooms rooms on endpoint, each app
// with an env label and each room with a team label, refreshed once an
// hour so that no second pass runs while the scrapes are timed.
func sizingConfig(endpoint string, rooms int) string {
	var b strings.Builder
	b.WriteString("global: {refresh_interval: 1h, request_timeout: 10s}\napps:\n")
	for app := 0; app*sizingRoomsPerApp < rooms; app++ {
		fmt.Fprintf(&b, "  - sdkappid: %d\n    endpoint: %s\n    identifier: %s\n    secret_key: sizing-key\n    qps: 200\n    labels: {env: prod}\n    rooms:\n",
			sizingFirstApp+app, endpoint, expoAdmin)
		for i := app * sizingRoomsPerApp; i < min(rooms, (app+1)*sizingRoomsPerApp); i++ {
			fmt.Fprintf(&b, "      - {id: room-%06d, labels: {team: team-%d}}\n", i, i%50)
		}
	}
	return b.String()
}

// startSizingSim starts a simulator holding rooms rooms as sizingConfig
// spreads them, each answering get_room_info with every field set.
func startSizingSim(b *testing.B, rooms int) *livesim.Server {
	sim := startSim(b, livesim.Options{})
	for app := 0; app*sizingRoomsPerApp < rooms; app++ {
		sim.AddApp(livesim.App{SDKAppID: uint64(sizingFirstApp + app), Identifier: expoAdmin, SecretKey: "sizing-key"})
	}
	for i := range rooms {
		id := fmt.Sprintf("room-%06d", i)
		sim.PutRoom(uint64(sizingFirstApp+i/sizingRoomsPerApp), livesim.Room{ID: id, Info: livesim.RoomInfo{
			RoomName: "Room " + id, OwnerAccount: "144115233775727695", CreateTime: expoCreated, IsSeatEnabled: true,
			TakeSeatMode: "ApplyToTake", MaxSeatCount: 8, MaxMemberCount: 300, Category: []int{1, 2},
			ActivityStatus: 1, ViewCount: int64(i), IsPublicVisible: true,
		}})
	}
	return sim
}

// procStatus returns a field of /proc/<pid>/status in bytes, such as VmRSS.
func procStatus(b *testing.B, pid int, field string) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kB, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s: %v", line, err)
			}
			return kB * 1024
		}
	}
	b.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// clockTicks is the unit of the CPU times of /proc/<pid>/stat: USER_HZ,
// 100 on Linux.
const clockTicks = 100

// cpuSeconds returns the user and system CPU time the process has used.
func cpuSeconds(b *testing.B, pid int) float64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses, from
	// the state (field 3): utime and stime are fields 14 and 15.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	utime, err1 := strconv.ParseFloat(fields[14-3], 64)
	stime, err2 := strconv.ParseFloat(fields[15-3], 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, stat)
	}
	return (utime + stime) / clockTicks
}

// timedScrape fetches /metrics as Prometheus would (gzip), and returns how
// long the whole answer took, its size as sent, and its text.
func timedScrape(b *testing.B, e *exporter) (time.Duration, int, string) {
	req, err := http.NewRequest(http.MethodGet, e.base+"/metrics", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "gzip") // Go then leaves the body compressed
	client := &http.Client{Timeout: time.Minute}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	compressed, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET /metrics: HTTP %d, %v", resp.StatusCode, err)
	}
	unzip, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		b.Fatalf("GET /metrics: %v", err)
	}
	raw, err := io.ReadAll(unzip)
	if err != nil {
		b.Fatalf("GET /metrics: %v", err)
	}
	return took, len(compressed), string(raw)
}

// allocated scrapes e's /metrics with the given Accept-Encoding and
// returns the exporter's go_memstats_alloc_bytes_total it shows.
func allocated(b *testing.B, e *exporter, encoding string) float64 {
	req, err := http.NewRequest(http.MethodGet, e.base+"/metrics", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", encoding)
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body := io.Reader(resp.Body)
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if body, err = gzip.NewReader(resp.Body); err != nil {
			b.Fatal(err)
		}
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "go_memstats_alloc_bytes_total "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatal("no go_memstats_alloc_bytes_total")
	return 0
}

// BenchmarkE2EWatchedRooms runs the built exporter against the simulator on
// loopback with 10,000, 50,000 and 100,000 rooms, and with 100,000 rooms in
// the file of which shard 1 of 10 watches one app of 10,000: the series per
// scrape, the scrape time over HTTP (median of five, gzip as Prometheus
// asks) and the CPU time a scrape costs, the process's resident memory
// after the scrapes (and its peak), and the CPU time of the start and first
// pass per room. 50,000 and 100,000 rooms run again with GOMEMLIMIT at 90 %
// of a 256 and a 512 MiB memory limit, as the Kubernetes examples set it:
// the peaks the README's memory advice leaves headroom above. Run it
// without -race, once:
//
//	go test -run '^$' -bench E2EWatchedRooms -benchtime=1x -timeout 60m .
func BenchmarkE2EWatchedRooms(b *testing.B) {
	if raceEnabled() {
		b.Skip("the race detector distorts time and memory; run without -race")
	}
	for _, tc := range []struct {
		rooms      int
		args       []string
		goMemLimit string
	}{
		{10_000, nil, ""},
		{50_000, nil, ""},
		{100_000, nil, ""},
		{100_000, []string{"--shard.count=10", "--shard.index=1"}, ""}, // one app, 10,000 rooms
		{50_000, nil, "230MiB"},
		{100_000, nil, "460MiB"},
	} {
		name := fmt.Sprintf("rooms=%d", tc.rooms)
		if tc.args != nil {
			name += "/shard=1of10"
		}
		if tc.goMemLimit != "" {
			name += "/gomemlimit=" + tc.goMemLimit
		}
		b.Run(name, func(b *testing.B) {
			if tc.goMemLimit != "" {
				b.Setenv("GOMEMLIMIT", tc.goMemLimit)
			}
			for b.Loop() {
				sim := startSizingSim(b, tc.rooms)
				dir := b.TempDir()
				writeFile(b, dir, "tencent_live.yml", sizingConfig(sim.URL(), tc.rooms))
				e := startExporter(b, dir, tc.args...)
				pass := waitFor(b, sizingPassTimeout, "the first pass over the rooms", func() error {
					status, _, err := e.request(http.MethodGet, "/-/ready")
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("/-/ready: HTTP %d", status)
					}
					return err
				})
				pid := e.cmd.Process.Pid
				passCPU := cpuSeconds(b, pid)
				times := make([]time.Duration, sizingScrapes)
				var (
					raw  string
					sent int
				)
				for i := range times {
					times[i], sent, raw = timedScrape(b, e)
				}
				scrapeCPU := (cpuSeconds(b, pid) - passCPU) / sizingScrapes
				slices.Sort(times)
				series := 0
				for _, line := range strings.Split(raw, "\n") {
					if line != "" && !strings.HasPrefix(line, "#") {
						series++
					}
				}
				fams, err := parseExposition(raw)
				if err != nil {
					b.Fatal(err)
				}
				watched := 0.0
				for _, m := range fams["tencent_live_rooms"].GetMetric() {
					watched += sampleValue(m)
				}
				heap, _ := fams.value("go_memstats_heap_inuse_bytes")
				// Allocations per room and scrape: the exporter's allocation
				// counter across scrapes in a row (refresh_interval is an
				// hour: nothing else runs), plain and gzipped.
				for _, encoding := range []string{"identity", "gzip"} {
					before := allocated(b, e, encoding)
					for range sizingScrapes {
						allocated(b, e, encoding)
					}
					perRoom := (allocated(b, e, encoding) - before) / (sizingScrapes + 1) / watched
					b.ReportMetric(perRoom, "B-alloc/room/scrape-"+encoding)
				}
				b.ReportMetric(passCPU/watched*1e6, "µs-CPU/room-fetched")
				b.ReportMetric(scrapeCPU*1e3, "ms-CPU/scrape")
				b.ReportMetric(watched, "rooms-watched")
				b.ReportMetric(float64(series), "series")
				b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "ms-scrape-median")
				b.ReportMetric(float64(times[len(times)-1].Milliseconds()), "ms-scrape-max")
				b.ReportMetric(procStatus(b, pid, "VmRSS")/1e6, "MB-RSS")
				b.ReportMetric(procStatus(b, pid, "VmHWM")/1e6, "MB-RSS-peak")
				b.ReportMetric(heap/1e6, "MB-heap-inuse")
				b.ReportMetric(float64(sent)/1e6, "MB-gzip")
				b.ReportMetric(float64(len(raw))/1e6, "MB-text")
				b.ReportMetric(pass.Seconds(), "s-first-pass")
			}
		})
	}
}
