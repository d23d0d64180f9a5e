package check

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestAlertmanagerRoutes checks the example routing tree with amtool: room
// alerts go to the room's team, app-wide and exporter alerts to the platform.
func TestAlertmanagerRoutes(t *testing.T) {
	for _, tc := range []struct {
		labels map[string]string
		want   string
	}{
		{map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical", "team": "growth"}, "team-growth-pager"},
		{map[string]string{"alertname": "TencentLiveRoomStale", "severity": "warning", "team": "growth"}, "team-growth"},
		{map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical", "team": "ops"}, "team-ops"},
		{map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical", "team": "live-events"}, "team-live-events"},
		{map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical"}, "live-platform"},
		// A live room without audience: the room's team, not its pager; a
		// discovered room has no team label and goes to the platform.
		{map[string]string{"alertname": "TencentLiveRoomLiveWithoutAudience", "severity": "warning", "team": "growth"}, "team-growth"},
		{map[string]string{"alertname": "TencentLiveRoomLiveWithoutAudience", "severity": "warning"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveApiDown", "severity": "critical", "sdkappid": "1"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveApiRateLimited", "severity": "warning", "team": "growth"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveExporterDown", "severity": "critical"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveUserSigExpiringSoon", "severity": "warning"}, "live-platform"},
		// App-wide alerts of the webhook receiver and the budget: the
		// platform, whatever labels the app carries.
		{map[string]string{"alertname": "TencentLiveBudgetShortfall", "severity": "warning", "team": "growth"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveWebhooksSilent", "severity": "warning", "team": "ops"}, "live-platform"},
		{map[string]string{"alertname": "TencentLiveWebhookSignaturesFailing", "severity": "warning", "team": "growth"}, "live-platform"},
	} {
		if got := amtoolReceivers(t, tc.labels); got != tc.want {
			t.Errorf("%v routes to %q, want %q", tc.labels, got, tc.want)
		}
	}
}

// TestAlertmanagerInhibition loads the example configuration into a real
// Alertmanager, posts alerts to it and checks the inhibitions: an app's room
// alerts while its API is down, a command's budget shortfall while it is
// rate-limited, an app's webhook silence while its signatures fail (each for
// that app or command only).
func TestAlertmanagerInhibition(t *testing.T) {
	sink := httptest.NewServer(&webhookSink{})
	defer sink.Close()
	am, amURL := startAlertmanager(t, loopbackAlertmanagerConfig(t, sink.URL))

	now := time.Now().UTC()
	alert := func(labels map[string]string) map[string]any {
		return map[string]any{"labels": labels, "startsAt": now.Add(-time.Minute), "endsAt": now.Add(time.Hour)}
	}
	body, _ := json.Marshal([]any{
		alert(map[string]string{"alertname": "TencentLiveApiDown", "severity": "critical", "sdkappid": "42", "job": "tencent_live", "instance": "a"}),
		alert(map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical", "sdkappid": "42", "room_id": "r1", "team": "growth"}),
		alert(map[string]string{"alertname": "TencentLiveRoomStale", "severity": "warning", "sdkappid": "42", "room_id": "r2", "team": "ops"}),
		alert(map[string]string{"alertname": "TencentLiveRoomLiveWithoutAudience", "severity": "warning", "sdkappid": "42", "room_id": "r6", "team": "ops"}),
		alert(map[string]string{"alertname": "TencentLiveRoomMissing", "severity": "critical", "sdkappid": "43", "room_id": "r3", "team": "growth"}),
		alert(map[string]string{"alertname": "TencentLiveRoomRefreshFailing", "severity": "warning", "sdkappid": "43", "room_id": "r4", "team": "ops"}),
		alert(map[string]string{"alertname": "TencentLiveRoomStale", "severity": "warning", "sdkappid": "43", "room_id": "r4", "team": "ops"}),
		alert(map[string]string{"alertname": "TencentLiveRoomStale", "severity": "warning", "sdkappid": "43", "room_id": "r5", "team": "ops"}),
		alert(map[string]string{"alertname": "TencentLiveApiRateLimited", "severity": "warning", "sdkappid": "44", "api": "get_room_info"}),
		alert(map[string]string{"alertname": "TencentLiveBudgetShortfall", "severity": "warning", "sdkappid": "44", "api": "get_room_info"}),
		alert(map[string]string{"alertname": "TencentLiveBudgetShortfall", "severity": "warning", "sdkappid": "44", "api": "get_member_list"}),
		alert(map[string]string{"alertname": "TencentLiveWebhookSignaturesFailing", "severity": "warning", "sdkappid": "45"}),
		alert(map[string]string{"alertname": "TencentLiveWebhooksSilent", "severity": "warning", "sdkappid": "45"}),
		alert(map[string]string{"alertname": "TencentLiveWebhooksSilent", "severity": "warning", "sdkappid": "46"}),
	})
	resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v2/alerts: %s", resp.Status)
	}

	want := map[string]string{ // alertname/sdkappid/room_id or api -> state
		"TencentLiveApiDown/42/":                   "active",
		"TencentLiveRoomMissing/42/r1":             "suppressed",
		"TencentLiveRoomStale/42/r2":               "suppressed",
		"TencentLiveRoomLiveWithoutAudience/42/r6": "suppressed",
		"TencentLiveRoomMissing/43/r3":             "active",
		"TencentLiveRoomRefreshFailing/43/r4":      "active",
		"TencentLiveRoomStale/43/r4":               "suppressed",
		"TencentLiveRoomStale/43/r5":               "active",
		// Rate limiting explains a shortfall of the same command only.
		"TencentLiveApiRateLimited/44/get_room_info":    "active",
		"TencentLiveBudgetShortfall/44/get_room_info":   "suppressed",
		"TencentLiveBudgetShortfall/44/get_member_list": "active",
		// Refused signatures explain the silence of the same app only.
		"TencentLiveWebhookSignaturesFailing/45/": "active",
		"TencentLiveWebhooksSilent/45/":           "suppressed",
		"TencentLiveWebhooksSilent/46/":           "active",
	}
	var last map[string]string
	waitFor(t, "inhibition states", 30*time.Second, 500*time.Millisecond, []*process{am}, func() (bool, error) {
		alerts, err := listAlerts(amURL)
		if err != nil {
			return false, err
		}
		last = map[string]string{}
		for _, a := range alerts {
			last[a.Labels["alertname"]+"/"+a.Labels["sdkappid"]+"/"+a.Labels["room_id"]+a.Labels["api"]] = a.Status.State
		}
		for k, v := range want {
			if last[k] != v {
				return false, nil
			}
		}
		return len(last) == len(want), nil
	})
	t.Logf("alert states: %v", last)
}
