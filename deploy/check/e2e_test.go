package check

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The demo's facts. Their one source is collector/livesim/demo.go, which
// this module does not import so that its dependencies stay apart from the
// exporter's: DemoApp, DemoDissolvedRoom, DemoChurnLive, and DemoConfig, the
// configuration --demo runs.
const (
	demoApp       = "1400000001"     // livesim.DemoApp().SDKAppID
	demoDissolved = "demo-dissolved" // livesim.DemoDissolvedRoom
	// demoChurnLive exists at start; the first churn dissolves it (and
	// announces it with a webhook) and creates demoDissolved.
	demoChurnLive = "demo-live-20" // livesim.DemoChurnLive
	// demoDiscovered selects the rooms the demo leaves to discovery:
	// livesim.DemoConfig gives every room it lists a team label, and
	// discovered rooms carry only the app's labels.
	demoDiscovered = `{job="tencent_live", team=""}`
)

// newPanelRows are the dashboard rows of the audience, statistics,
// discovery, quota-sharing and webhook features, whose every expression must
// return data against the demo (which enables members, stats, discovery and
// webhooks, and churns rooms), except those of emptyInDemo.
var newPanelRows = []string{"Audience and engagement", "Discovery and command budgets", "Quota sharing", "Events from Tencent"}

// emptyInDemo are the metrics the demo does not produce, with the reason:
// dashboard expressions of them may return no data in newPanelRows.
var emptyInDemo = map[string]string{
	"tencent_live_room_member_events_total": "the demo's simulator sends no member-state webhooks",
}

// TestEndToEnd runs the exporter in --demo mode, with its webhook listener
// and its rooms churning, a real Prometheus with the alert rules and a real
// Alertmanager with the example routing, all on loopback. It waits until
// TencentLiveRoomMissing for the dissolved demo room reaches Alertmanager and
// its team's receiver, and checks that nothing else fires. Then the first
// churn dissolves demo-live-20, announced by a webhook, and re-creates
// demo-dissolved: it measures how soon the room shows exists 0 and how soon
// its TencentLiveRoomMissing reaches Alertmanager and its team. It then
// checks what members, stats and discovery produce (rooms counted by source,
// members series, discovered rooms never in an alert), that every rule
// evaluates, and every PromQL expression of the Grafana dashboard: all with
// data in the rows of the newer features, most elsewhere.
//
// It takes about six minutes (each churn room must stay missing longer than
// the alert's for: 2m), so it runs only with OPS_CHECKS_E2E=1
// (.ci/ops-checks sets it).
func TestEndToEnd(t *testing.T) {
	if os.Getenv("OPS_CHECKS_E2E") != "1" {
		t.Skip("set OPS_CHECKS_E2E=1 to run the end-to-end test (about 6 minutes)")
	}
	start := time.Now()
	promBin := lookTool(t, "prometheus")
	bin := exporterBinary(t)
	root := repoRoot(t)

	// Exporter in demo mode. Each churn room must stay missing for the
	// alert's for: plus detection, scrape and evaluation (seconds here), so
	// the churn comes a minute after for: has passed.
	churn := missingRuleFor(t) + time.Minute
	expPort := freePort(t)
	expAddr := fmt.Sprintf("127.0.0.1:%d", expPort)
	exporter := startProcess(t, "exporter", bin, "--demo", "--web.listen-address="+expAddr, "--log.level=debug",
		fmt.Sprintf("--webhook.listen-address=127.0.0.1:%d", freePort(t)), "--demo.churn-interval="+churn.String())
	waitFor(t, "exporter ready", 60*time.Second, 200*time.Millisecond, []*process{exporter}, func() (bool, error) {
		code, err := httpStatus("http://" + expAddr + "/-/ready")
		return code == http.StatusOK, err
	})

	// Alertmanager with the example routing, receivers posting to a sink here.
	sink := &webhookSink{}
	sinkSrv := httptest.NewServer(sink)
	defer sinkSrv.Close()
	am, amURL := startAlertmanager(t, loopbackAlertmanagerConfig(t, sinkSrv.URL))

	// Prometheus with the committed rules.
	promPort := freePort(t)
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	promCfg := filepath.Join(t.TempDir(), "prometheus.yml")
	cfg := fmt.Sprintf(`global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - %s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['%s']
scrape_configs:
  - job_name: tencent_live
    static_configs:
      - targets: ['%s']
`, filepath.Join(root, RulesGlob), strings.TrimPrefix(amURL, "http://"), expAddr)
	if err := os.WriteFile(promCfg, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := startProcess(t, "prometheus", promBin,
		"--config.file="+promCfg,
		"--storage.tsdb.path="+t.TempDir(),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort),
	)
	procs := []*process{exporter, am, prom}
	waitFor(t, "Prometheus ready", 60*time.Second, 200*time.Millisecond, procs, func() (bool, error) {
		code, err := httpStatus(promURL + "/-/ready")
		return code == http.StatusOK, err
	})
	waitFor(t, "first scrape of the exporter", 60*time.Second, time.Second, procs, func() (bool, error) {
		res, err := promQuery(promURL, `up{job="tencent_live"} == 1`)
		return err == nil && len(res) == 1, err
	})
	t.Logf("stack up after %v", time.Since(start).Round(time.Second))

	// Before the first churn: the missing-room alert reaches Alertmanager
	// for demo-dissolved, which polling found missing from the start, and
	// for no other room; no other alert fires meanwhile.
	dissolved := waitForMissingAlert(t, amURL, procs, demoDissolved, churn+time.Minute, demoDissolved)
	t.Logf("TencentLiveRoomMissing for %s (missing from the start, found by polling) reached Alertmanager %v after the test started: %v",
		demoDissolved, time.Since(start).Round(time.Second), dissolved)
	checkFiringOnly(t, promURL, demoDissolved)
	if exists, err := promQuery(promURL, `tencent_live_room_exists == 1`); err != nil || len(exists) < 30 {
		t.Errorf("want the 30+ live demo rooms with exists 1, got %d (%v)", len(exists), err)
	}
	checkNotified(t, sink, procs, dissolved)

	// The first churn dissolves demo-live-20 and announces it by webhook:
	// the room shows exists 0 within seconds, and its missing-room alert
	// reaches Alertmanager for: later.
	gone := waitForWebhookDissolution(t, "http://"+expAddr+"/metrics", procs, demoChurnLive, churn+time.Minute)
	t.Logf("%s dissolved by the churn at %s (its webhook answered): exists 0 on /metrics %v later (the hint's get_room_info answer)",
		demoChurnLive, gone.dissolved.Format(time.RFC3339Nano), gone.detected.Sub(gone.dissolved).Round(time.Millisecond))
	if d := gone.detected.Sub(gone.dissolved); d < 0 || d > 2*time.Second {
		t.Errorf("%s showed exists 0 %v after its webhook, want within 2s", demoChurnLive, d)
	}
	churned := waitForMissingAlert(t, amURL, procs, demoChurnLive, missingRuleFor(t)+time.Minute, demoDissolved, demoChurnLive)
	t.Logf("TencentLiveRoomMissing for %s reached Alertmanager %v after its dissolution (rule for: %v): %v",
		demoChurnLive, time.Since(gone.dissolved).Round(time.Second), missingRuleFor(t), churned)
	// demo-dissolved exists again: its alert is over.
	checkFiringOnly(t, promURL, demoChurnLive)
	checkNotified(t, sink, procs, churned)

	// Discovery and audience: discovered rooms are watched and counted, have
	// members, and never raise TencentLiveRoomMissing nor any other alert.
	checkDiscoveryAndAudience(t, promURL, time.Since(start))
	// Every rule evaluates without error, and the audience alert's joins
	// match the exporter's real series.
	checkRulesHealthy(t, promURL)
	checkAudienceRuleJoins(t, promURL)

	// Every dashboard expression evaluates without error, most with data.
	checkDashboardQueries(t, promURL)

	// The exporter stops promptly on SIGTERM (spec: exit 0 within 5 s).
	took, err := exporter.stop(t, 10*time.Second)
	t.Logf("exporter stopped %v after SIGTERM (exit: %v)", took.Round(time.Millisecond), err)
	if err != nil || took > 5*time.Second {
		t.Errorf("exporter exit after SIGTERM: %v in %v, want exit 0 within 5s", err, took)
	}
	t.Logf("end-to-end test took %v", time.Since(start).Round(time.Second))
}

// missingRuleFor returns the for: of TencentLiveRoomMissing as committed.
func missingRuleFor(t *testing.T) time.Duration {
	t.Helper()
	for _, g := range loadRuleSpec(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "TencentLiveRoomMissing" && r.For != nil {
				d, err := time.ParseDuration(string(*r.For))
				if err != nil {
					t.Fatalf("TencentLiveRoomMissing for: %v", err)
				}
				return d
			}
		}
	}
	t.Fatal("no TencentLiveRoomMissing rule with a for:")
	return 0
}

// waitForMissingAlert waits until Alertmanager lists TencentLiveRoomMissing
// for the demo app's room, and returns its labels. Any other alert in
// Alertmanager meanwhile, and a missing-room alert for a room not in
// allowed, fail the test.
func waitForMissingAlert(t *testing.T, amURL string, procs []*process, room string, timeout time.Duration, allowed ...string) map[string]string {
	t.Helper()
	var found map[string]string
	waitFor(t, "TencentLiveRoomMissing for "+room+" in Alertmanager", timeout, time.Second, procs, func() (bool, error) {
		alerts, err := listAlerts(amURL)
		if err != nil {
			return false, err
		}
		for _, a := range alerts {
			if a.Labels["alertname"] != "TencentLiveRoomMissing" {
				t.Fatalf("unexpected alert in Alertmanager: %v", a.Labels)
			}
			if !slices.Contains(allowed, a.Labels["room_id"]) || a.Labels["sdkappid"] != demoApp {
				t.Fatalf("missing-room alert for a room that exists: %v", a.Labels)
			}
			if a.Labels["room_id"] == room {
				found = a.Labels
			}
		}
		return found != nil, nil
	})
	return found
}

// checkFiringOnly checks that Prometheus has no alert pending or firing but
// TencentLiveRoomMissing for room.
func checkFiringOnly(t *testing.T, promURL, room string) {
	t.Helper()
	var rulesAlerts struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := getJSON(promURL+"/api/v1/alerts", &rulesAlerts); err != nil {
		t.Fatal(err)
	}
	for _, a := range rulesAlerts.Data.Alerts {
		if a.Labels["alertname"] != "TencentLiveRoomMissing" || a.Labels["room_id"] != room {
			t.Errorf("Prometheus has an unexpected %s alert: %v", a.State, a.Labels)
		}
	}
}

// checkNotified checks that the alert with the given labels reaches the one
// receiver the example routing picks for it, as amtool says.
func checkNotified(t *testing.T, sink *webhookSink, procs []*process, alert map[string]string) {
	t.Helper()
	want := amtoolReceivers(t, map[string]string{
		"alertname": alert["alertname"], "severity": alert["severity"], "team": alert["team"], "sdkappid": alert["sdkappid"],
	})
	waitFor(t, "webhook notification of "+alert["room_id"]+" to "+want, 30*time.Second, 500*time.Millisecond, procs, func() (bool, error) {
		got := sink.received(map[string]string{"alertname": alert["alertname"], "room_id": alert["room_id"]})
		if len(got) > 1 || (len(got) == 1 && got[0] != want) {
			t.Fatalf("notified receivers %v of %s, want only %s", got, alert["room_id"], want)
		}
		return len(got) == 1, nil
	})
	t.Logf("%s notified to %s", alert["room_id"], want)
}

// dissolution is when a room was dissolved and when the exporter showed it.
type dissolution struct {
	dissolved time.Time // the room's destroy webhook was answered
	detected  time.Time // the definitive answer that turned exists to 0
}

// waitForWebhookDissolution polls the exporter's /metrics until the demo
// app's room shows exists 0 after a destroy webhook, and returns when the
// webhook was answered (the app's last webhook: the churn sends the room's
// destroy webhook last) and when the answer that turned exists to 0 came
// (the room's last refresh), both by the exporter's clock.
func waitForWebhookDissolution(t *testing.T, metricsURL string, procs []*process, room string, timeout time.Duration) dissolution {
	t.Helper()
	app := map[string]string{"sdkappid": demoApp}
	roomLabels := map[string]string{"sdkappid": demoApp, "room_id": room}
	var d dissolution
	waitFor(t, room+" exists 0 after its destroy webhook", timeout, time.Second, procs, func() (bool, error) {
		body, err := httpGet(metricsURL)
		if err != nil {
			return false, err
		}
		exists, ok := expositionValue(body, "tencent_live_room_exists", roomLabels)
		if !ok || exists != 0 {
			return false, nil
		}
		destroyed, _ := expositionValue(body, "tencent_live_webhook_requests_total",
			map[string]string{"sdkappid": demoApp, "command": "Live.CallbackAfterDestroyRoom", "outcome": "ok"})
		if destroyed < 1 {
			t.Fatalf("%s shows exists 0 with no destroy webhook answered", room)
		}
		event, _ := expositionValue(body, "tencent_live_webhook_last_event_timestamp_seconds", app)
		refreshed, _ := expositionValue(body, "tencent_live_room_last_refresh_timestamp_seconds", roomLabels)
		d = dissolution{dissolved: unixTime(event), detected: unixTime(refreshed)}
		return true, nil
	})
	return d
}

// TestExpositionValue checks the end-to-end test's reading of /metrics.
func TestExpositionValue(t *testing.T) {
	const exposition = `# HELP tencent_live_room_exists Whether the room exists.
tencent_live_room_exists{sdkappid="1",room_id="a",team="ops"} 1
tencent_live_room_exists{sdkappid="1",room_id="ab",team="ops"} 0
tencent_live_room_exists_total{sdkappid="1",room_id="b"} 7
tencent_live_webhook_last_event_timestamp_seconds{sdkappid="1"} 1.7935776123456e+09
`
	for _, tc := range []struct {
		metric string
		match  map[string]string
		want   float64
		found  bool
	}{
		{"tencent_live_room_exists", map[string]string{"room_id": "a"}, 1, true},
		{"tencent_live_room_exists", map[string]string{"room_id": "ab", "team": "ops"}, 0, true},
		{"tencent_live_room_exists", map[string]string{"room_id": "b"}, 0, false},
		{"tencent_live_room_exists", map[string]string{"id": "a"}, 0, false},
		{"tencent_live_room_exists", map[string]string{"room_id": "a", "team": "growth"}, 0, false},
		{"tencent_live_webhook_last_event_timestamp_seconds", map[string]string{"sdkappid": "1"}, 1793577612.3456, true},
	} {
		got, found := expositionValue(exposition, tc.metric, tc.match)
		if got != tc.want || found != tc.found {
			t.Errorf("%s %v: %v, %v; want %v, %v", tc.metric, tc.match, got, found, tc.want, tc.found)
		}
	}
}

// unixTime converts Unix seconds with a fraction to a time.
func unixTime(s float64) time.Time {
	return time.Unix(0, int64(s*1e9))
}

// httpGet returns the body of a GET answered 200.
func httpGet(url string) (string, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(body), nil
}

// expositionValue returns the value of the first sample of metric in a text
// exposition whose labels include all of match.
func expositionValue(exposition, metric string, match map[string]string) (float64, bool) {
next:
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, metric+"{")
		if !ok {
			continue
		}
		end := strings.LastIndex(rest, "} ")
		if end < 0 {
			continue
		}
		labels := "," + rest[:end] + ","
		for k, v := range match {
			if !strings.Contains(labels, ","+k+`="`+v+`",`) {
				continue next
			}
		}
		v, err := strconv.ParseFloat(strings.Fields(rest[end+2:])[0], 64)
		return v, err == nil
	}
	return 0, false
}

// dashboardVars are the values substituted for the dashboard's variables and
// Grafana's built-in interval variables.
var dashboardVars = map[string]string{
	"datasource":      "prometheus",
	"cluster":         ".*",
	"job":             "tencent_live",
	"sdkappid":        demoApp,
	"room_id":         ".*",
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__range":         "5m",
}

var varRE = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)`)

// substituteVars replaces $var, ${var} and [[var]] as Grafana does.
func substituteVars(t testing.TB, expr string) string {
	return varRE.ReplaceAllStringFunc(expr, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		v, ok := dashboardVars[name]
		if !ok {
			t.Errorf("dashboard uses unknown variable %s in %s", m, expr)
			return m
		}
		return v
	})
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

func checkDashboardQueries(t *testing.T, promURL string) {
	t.Helper()
	queries := dashboardQueries(t)
	var empty []string
	type rowCount struct{ total, withData int }
	rows := map[string]*rowCount{}
	for _, q := range queries {
		expr := substituteVars(t, q.Expr)
		if q.Variable {
			m := labelValuesRE.FindStringSubmatch(expr)
			if m == nil {
				t.Errorf("%s: not a label_values(metric, label) query: %s", q.Where, q.Expr)
				continue
			}
			expr = fmt.Sprintf("group by (%s) (%s)", m[2], m[1])
		}
		var n int
		var err error
		if q.Instant || q.Variable {
			var res []promSample
			res, err = promQuery(promURL, expr)
			n = len(res)
		} else {
			n, err = promQueryRange(promURL, expr, 3*time.Minute, 15*time.Second)
		}
		if err != nil {
			t.Errorf("%s: %s: %v", q.Where, expr, err)
			continue
		}
		rc := rows[q.Row]
		if rc == nil {
			rc = &rowCount{}
			rows[q.Row] = rc
		}
		rc.total++
		if n == 0 {
			empty = append(empty, q.Where+": "+expr)
			if slices.Contains(newPanelRows, q.Row) {
				if why, ok := emptyByDesign(expr); ok {
					t.Logf("%s (row %s) returned no data, as expected: %s", q.Where, q.Row, why)
				} else {
					t.Errorf("%s (row %s) returned no data: %s", q.Where, q.Row, expr)
				}
			}
			continue
		}
		rc.withData++
	}
	sort.Strings(empty)
	withData := len(queries) - len(empty)
	t.Logf("dashboard: %d of %d expressions returned data; empty: %q", withData, len(queries), empty)
	for _, row := range newPanelRows {
		rc := rows[row]
		if rc == nil {
			t.Errorf("dashboard has no row %q", row)
			continue
		}
		t.Logf("dashboard row %q: %d of %d expressions returned data", row, rc.withData, rc.total)
	}
	if withData*10 < len(queries)*8 {
		t.Errorf("only %d of %d dashboard expressions returned data (want at least 80 %%)", withData, len(queries))
	}
	// The dashboard's own answer to "which rooms are missing": one of the
	// churn rooms, whichever is dissolved now.
	res, err := promQuery(promURL, substituteVars(t, `tencent_live_room_exists{sdkappid=~"$sdkappid", room_id=~"$room_id"} == 0`))
	if err != nil || len(res) != 1 || (res[0].Metric["room_id"] != demoDissolved && res[0].Metric["room_id"] != demoChurnLive) {
		t.Errorf("missing rooms table: %v (%v), want only %s or %s", res, err, demoDissolved, demoChurnLive)
	}
}

// emptyByDesign reports whether a dashboard expression uses a metric of
// emptyInDemo, and why that one is empty.
func emptyByDesign(expr string) (string, bool) {
	for m, why := range emptyInDemo {
		if regexp.MustCompile(`\b` + m + `\b`).MatchString(expr) {
			return m + ": " + why, true
		}
	}
	return "", false
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`
}

// promQuery runs an instant query; an error answer or warning is an error.
func promQuery(promURL, expr string) ([]promSample, error) {
	var res struct {
		Status   string   `json:"status"`
		Error    string   `json:"error"`
		Warnings []string `json:"warnings"`
		Data     struct {
			ResultType string       `json:"resultType"`
			Result     []promSample `json:"result"`
		} `json:"data"`
	}
	if err := getJSON(promURL+"/api/v1/query?"+url.Values{"query": {expr}}.Encode(), &res); err != nil {
		return nil, err
	}
	if res.Status != "success" || len(res.Warnings) > 0 {
		return nil, fmt.Errorf("status %s: %s %v", res.Status, res.Error, res.Warnings)
	}
	return res.Data.Result, nil
}

// promQueryRange runs a range query over the last window and returns the
// number of series.
func promQueryRange(promURL, expr string, window, step time.Duration) (int, error) {
	end := time.Now()
	var res struct {
		Status   string   `json:"status"`
		Error    string   `json:"error"`
		Warnings []string `json:"warnings"`
		Data     struct {
			Result []struct {
				Values [][]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	q := url.Values{
		"query": {expr},
		"start": {fmt.Sprintf("%d", end.Add(-window).Unix())},
		"end":   {fmt.Sprintf("%d", end.Unix())},
		"step":  {fmt.Sprintf("%d", int(step.Seconds()))},
	}
	if err := getJSON(promURL+"/api/v1/query_range?"+q.Encode(), &res); err != nil {
		return 0, err
	}
	if res.Status != "success" || len(res.Warnings) > 0 {
		return 0, fmt.Errorf("status %s: %s %v", res.Status, res.Error, res.Warnings)
	}
	n := 0
	for _, s := range res.Data.Result {
		if len(s.Values) > 0 {
			n++
		}
	}
	return n, nil
}

// checkDiscoveryAndAudience checks what the demo's discovery and members
// settings produce: discovered rooms counted by tencent_live_rooms, watched
// with exists 1 and members, and never in an alert over the whole run.
func checkDiscoveryAndAudience(t *testing.T, promURL string, run time.Duration) {
	t.Helper()
	res, err := promQuery(promURL, `tencent_live_rooms{job="tencent_live", source="discovery"} > 0`)
	if err != nil || len(res) != 1 {
		t.Fatalf("tencent_live_rooms{source=\"discovery\"} > 0: %v (%v), want one app with discovered rooms", res, err)
	}
	discovered := sampleValue(t, res[0])
	members, err := promQuery(promURL, `tencent_live_room_members{job="tencent_live"}`)
	if err != nil || len(members) == 0 {
		t.Errorf("no tencent_live_room_members series (%v)", err)
	}
	rooms, err := promQuery(promURL, "tencent_live_room_exists"+demoDiscovered)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rooms {
		ids = append(ids, regexp.QuoteMeta(r.Metric["room_id"]))
		if v := sampleValue(t, r); v != 1 {
			t.Errorf("discovered room %s: exists %v, want 1", r.Metric["room_id"], v)
		}
	}
	if float64(len(ids)) != discovered {
		t.Fatalf("%d rooms without a team label, but tencent_live_rooms{source=\"discovery\"} is %v", len(ids), discovered)
	}
	sel := fmt.Sprintf(`{job="tencent_live", room_id=~"%s"}`, strings.Join(ids, "|"))
	if res, err := promQuery(promURL, "tencent_live_room_members"+sel); err != nil || len(res) != len(ids) {
		t.Errorf("members of the %d discovered rooms: %d series (%v)", len(ids), len(res), err)
	}
	window := fmt.Sprintf("[%ds]", int(run.Seconds())+60)
	if res, err := promQuery(promURL, "min_over_time(tencent_live_room_exists"+sel+window+") == 0"); err != nil || len(res) != 0 {
		t.Errorf("discovered rooms with exists 0 during the run: %v (%v)", res, err)
	}
	// ALERTS holds pending and firing alerts alike.
	alertSel := fmt.Sprintf(`{room_id=~"%s"}`, strings.Join(ids, "|"))
	if res, err := promQuery(promURL, "max_over_time(ALERTS"+alertSel+window+")"); err != nil || len(res) != 0 {
		t.Errorf("alerts for discovered rooms during the run: %v (%v)", res, err)
	}
	t.Logf("discovery: %v discovered rooms with exists 1 and members, no alert; %d rooms with members in all", discovered, len(members))
}

// sampleValue returns an instant query sample's value.
func sampleValue(t *testing.T, s promSample) float64 {
	t.Helper()
	var v float64
	if len(s.Value) != 2 {
		t.Fatalf("malformed sample %v", s)
	}
	str, _ := s.Value[1].(string)
	if _, err := fmt.Sscan(str, &v); err != nil {
		t.Fatalf("sample value %v: %v", s.Value, err)
	}
	return v
}

// checkRulesHealthy fails for any rule Prometheus could not evaluate.
func checkRulesHealthy(t *testing.T, promURL string) {
	t.Helper()
	var res struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := getJSON(promURL+"/api/v1/rules", &res); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range res.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	want := 0
	for _, g := range loadRuleSpec(t).Groups {
		want += len(g.Rules)
	}
	if n != want {
		t.Errorf("Prometheus loaded %d rules, want %d", n, want)
	}
}

// checkAudienceRuleJoins evaluates TencentLiveRoomLiveWithoutAudience's
// expression as committed, and with "nobody in the room" relaxed to "members
// known": the demo's rooms all have people, so the first must be empty, and
// its active rooms have members data, so the second must not, which shows
// the rule's joins match the exporter's labels.
func checkAudienceRuleJoins(t *testing.T, promURL string) {
	t.Helper()
	members := "tencent_live_room_members{" + DefaultSelectors.Job + "}"
	empty, known := members+" == 0", members+" >= 0"
	var expr string
	for _, g := range loadRuleSpec(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "TencentLiveRoomLiveWithoutAudience" {
				expr = r.Expr.String()
			}
		}
	}
	if !strings.Contains(expr, empty) {
		t.Fatalf("TencentLiveRoomLiveWithoutAudience's expression %q does not test %q", expr, empty)
	}
	if res, err := promQuery(promURL, expr); err != nil || len(res) != 0 {
		t.Errorf("TencentLiveRoomLiveWithoutAudience matches demo rooms, which all have people: %v (%v)", res, err)
	}
	res, err := promQuery(promURL, strings.Replace(expr, empty, known, 1))
	if err != nil || len(res) == 0 {
		t.Errorf("TencentLiveRoomLiveWithoutAudience's joins match no active demo room with members data (%v)", err)
	}
	t.Logf("TencentLiveRoomLiveWithoutAudience: 0 matches; %d active rooms with members data pass its joins", len(res))
}
