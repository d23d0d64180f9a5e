package webhook

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

const (
	destroyBody = `{"Operator_Account":"administrator","RoomId":"live-1","EventType":"DestroyByUser","EventTime":1795176000000}`
	memberBody  = `{"RoomId":"live-2","EventType":"Online","EventCause":"Enter","MemberList":[{"Member_Account":"a"},{"Member_Account":"b"}],"EventTime":"1795176000500"}`
)

// padded returns a JSON object of exactly n bytes.
func padded(n int) string {
	const head, tail = `{"RoomId":"live-1"`, `}`
	return head + strings.Repeat(" ", n-len(head)-len(tail)) + tail
}

func TestAnswers(t *testing.T) {
	f := newFixture(t)
	with := func(q url.Values, key, value string) url.Values {
		q.Set(key, value)
		return q
	}
	without := func(q url.Values, key string) url.Values {
		q.Del(key)
		return q
	}
	destroyA := func() url.Values { return signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow) }

	tests := []struct {
		name   string
		method string
		path   string
		query  url.Values
		body   string
		status int
		event  *received // the event the sink must get, if any
	}{
		// Accepted: any command, the "before" ones included.
		{"destroy", "POST", Path, destroyA(), destroyBody, 200,
			&received{appA, tencent.Event{Command: tencent.CallbackAfterDestroyRoom, RoomID: "live-1", Type: "DestroyByUser",
				Operator: "administrator", Time: time.UnixMilli(1795176000000)}}},
		{"member state, other spelling, app B", "POST", Path, signed(appB, tencent.CallbackMemberStateChanged, tokenB, testNow), memberBody, 200,
			&received{appB, tencent.Event{Command: tencent.CallbackAfterMemberStateChanged, RoomID: "live-2", Type: "Online",
				Cause: "Enter", Members: 2, Time: time.UnixMilli(1795176000500)}}},
		{"before command", "POST", Path, signed(appA, tencent.CallbackBeforeSendGift, tokenA, testNow), `{"GiftId":"rose"}`, 200,
			&received{appA, tencent.Event{Command: tencent.CallbackBeforeSendGift}}},
		{"unknown command", "POST", Path, signed(appA, "Live.CallbackSomethingNew", tokenA, testNow), `{"RoomId":{}}`, 200,
			&received{appA, tencent.Event{Command: "Live.CallbackSomethingNew"}}},
		{"sent 60 s ago", "POST", Path, signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow.Add(-time.Minute)), `{"RoomId":"r60"}`, 200,
			&received{appA, tencent.Event{Command: tencent.CallbackAfterDestroyRoom, RoomID: "r60"}}},
		{"body of exactly 64 KiB", "POST", Path, destroyA(), padded(MaxBodyBytes), 200,
			&received{appA, tencent.Event{Command: tencent.CallbackAfterDestroyRoom, RoomID: "live-1"}}},

		// Refused.
		{"no Sign", "POST", Path, without(destroyA(), "Sign"), destroyBody, 401, nil},
		{"no RequestTime", "POST", Path, without(destroyA(), "RequestTime"), destroyBody, 401, nil},
		{"wrong Sign", "POST", Path, with(destroyA(), "Sign", strings.Repeat("0", 64)), destroyBody, 401, nil},
		{"Sign of app B's token", "POST", Path, signed(appA, tencent.CallbackAfterDestroyRoom, tokenB, testNow), destroyBody, 401, nil},
		{"sent 61 s ago", "POST", Path, signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow.Add(-61*time.Second)), destroyBody, 401, nil},
		{"sent 61 s ahead", "POST", Path, signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow.Add(61*time.Second)), destroyBody, 401, nil},
		{"unknown SdkAppid", "POST", Path, signed(1400000003, tencent.CallbackAfterDestroyRoom, tokenA, testNow), destroyBody, 404, nil},
		{"no SdkAppid", "POST", Path, without(destroyA(), "SdkAppid"), destroyBody, 404, nil},
		{"SdkAppid not a number", "POST", Path, with(destroyA(), "SdkAppid", "14e8"), destroyBody, 404, nil},
		{"SdkAppid 0", "POST", Path, with(destroyA(), "SdkAppid", "0"), destroyBody, 404, nil},
		{"body null", "POST", Path, destroyA(), `null`, 400, nil},
		{"body a list", "POST", Path, destroyA(), `[` + destroyBody + `]`, 400, nil},
		{"body empty", "POST", Path, destroyA(), ``, 400, nil},
		{"body form-encoded", "POST", Path, destroyA(), `RoomId=live-1`, 400, nil},
		{"body truncated", "POST", Path, destroyA(), destroyBody[:40], 400, nil},
		{"unknown command, body not JSON", "POST", Path, signed(appA, "Live.CallbackOther", tokenA, testNow), `{"a":}`, 400, nil},
		{"destroy without RoomId", "POST", Path, destroyA(), `{"EventType":"DestroyByUser"}`, 400, nil},
		{"body over 64 KiB", "POST", Path, destroyA(), padded(MaxBodyBytes + 1), 413, nil},
		{"GET", "GET", Path, destroyA(), ``, 405, nil},
		{"PUT", "PUT", Path, destroyA(), destroyBody, 405, nil},
		{"path /", "POST", "/", destroyA(), destroyBody, 404, nil},
		{"path /metrics", "GET", "/metrics", nil, ``, 404, nil},
		{"path /webhook/", "POST", Path + "/", destroyA(), destroyBody, 404, nil},
		{"path /webhooks", "POST", Path + "s", destroyA(), destroyBody, 404, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(f.sink.all())
			resp := f.do(tc.method, tc.path, tc.query, tc.body, false)
			if resp.status != tc.status {
				t.Fatalf("status %d, want %d; body %q", resp.status, tc.status, resp.body)
			}
			switch tc.status {
			case http.StatusOK:
				if resp.body != `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}` || resp.header.Get("Content-Type") != "application/json" {
					t.Errorf("answer %q, Content-Type %q", resp.body, resp.header.Get("Content-Type"))
				}
			case http.StatusMethodNotAllowed:
				if got := resp.header.Get("Allow"); got != "POST" {
					t.Errorf("Allow: %q", got)
				}
			}
			if tc.event == nil {
				return
			}
			waitFor(t, "the event", func() bool { return len(f.sink.all()) > before })
			got := f.sink.all()[before]
			if got.sdkappid != tc.event.sdkappid || !got.ev.Time.Equal(tc.event.ev.Time) {
				t.Errorf("sink got app %d at %v, want app %d at %v", got.sdkappid, got.ev.Time, tc.event.sdkappid, tc.event.ev.Time)
			}
			got.ev.Time, tc.event.ev.Time = time.Time{}, time.Time{}
			if got.ev != tc.event.ev {
				t.Errorf("sink got\n%+v\nwant\n%+v", got.ev, tc.event.ev)
			}
		})
	}

	// A chunked body (no Content-Length) over the limit is cut off too.
	if resp := f.do("POST", Path, destroyA(), padded(4*MaxBodyBytes), true); resp.status != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body of 256 KiB: status %d", resp.status)
	}

	// Nothing but the accepted requests reached the sink: a marker sent last
	// arrives right after them.
	want := 0
	for _, tc := range tests {
		if tc.event != nil {
			want++
		}
	}
	f.post(signed(appA, tencent.CallbackAfterUpdateRoomInfo, tokenA, testNow), `{"RoomInfo":{"RoomId":"marker"}}`)
	waitFor(t, "the marker", func() bool { return len(f.sink.all()) > want })
	if all := f.sink.all(); len(all) != want+1 || all[want].ev.RoomID != "marker" {
		t.Errorf("the sink got %d events, want %d and the marker: %+v", len(all), want+1, all)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	f.post(signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow), destroyBody)
	f.post(signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow), destroyBody)
	f.post(signed(appA, tencent.CallbackMemberStateChanged, tokenA, testNow), memberBody)
	f.post(signed(appA, tencent.CallbackAfterMemberStateChanged, tokenA, testNow), memberBody)
	f.post(signed(appA, tencent.CallbackBeforeSendMsg, tokenA, testNow), `{}`)
	f.post(signed(appA, tencent.CallbackAfterCreateRoom, tokenB, testNow), `{}`)
	f.post(signed(appA, tencent.CallbackAfterCreateRoom, tokenA, testNow), `[]`)
	f.post(signed(appB, tencent.CallbackAfterUpdateRoomInfo, tokenB, testNow), padded(MaxBodyBytes+1))
	// Forged requests with ever new SdkAppids and commands make no new series.
	for i := range 50 {
		q := signed(uint64(1500000000+i), fmt.Sprintf("Live.Forged%d", i), tokenA, testNow)
		f.post(q, destroyBody)
		q.Set("SdkAppid", fmt.Sprintf("x%d", i))
		f.post(q, destroyBody)
		f.post(signed(appB, fmt.Sprintf("Live.Forged%d", i), "guess", testNow), destroyBody)
	}

	want := fmt.Sprintf(`
# HELP tencent_live_webhook_last_event_timestamp_seconds When the app's last authenticated webhook was answered, or, before the first, when the exporter took the app's webhook token.
# TYPE tencent_live_webhook_last_event_timestamp_seconds gauge
tencent_live_webhook_last_event_timestamp_seconds{sdkappid="1400000001"} %d
tencent_live_webhook_last_event_timestamp_seconds{sdkappid="1400000002"} %d
# HELP tencent_live_webhook_requests_total Webhook requests received, by SdkAppid ("other" for one of no app taking webhooks), CallbackCommand ("other" for an undocumented one) and outcome.
# TYPE tencent_live_webhook_requests_total counter
tencent_live_webhook_requests_total{command="Group.CallbackBeforeSendMsg",outcome="ok",sdkappid="1400000001"} 1
tencent_live_webhook_requests_total{command="Live.CallbackAfterCreateRoom",outcome="bad_request",sdkappid="1400000001"} 1
tencent_live_webhook_requests_total{command="Live.CallbackAfterCreateRoom",outcome="unauthorized",sdkappid="1400000001"} 1
tencent_live_webhook_requests_total{command="Live.CallbackAfterDestroyRoom",outcome="ok",sdkappid="1400000001"} 2
tencent_live_webhook_requests_total{command="Live.CallbackAfterMemberStateChanged",outcome="ok",sdkappid="1400000001"} 2
tencent_live_webhook_requests_total{command="Live.CallbackAfterUpdateRoomInfo",outcome="too_large",sdkappid="1400000002"} 1
tencent_live_webhook_requests_total{command="other",outcome="unauthorized",sdkappid="1400000002"} 50
tencent_live_webhook_requests_total{command="other",outcome="unknown_app",sdkappid="other"} 100
`, testNow.Unix(), testNow.Unix())
	if err := testutil.CollectAndCompare(f.recv, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(f.recv); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}

func TestSetTokens(t *testing.T) {
	f := newFixture(t)
	if resp := f.post(signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow), destroyBody); resp.status != 200 {
		t.Fatalf("before the reload: %d", resp.status)
	}
	f.post(signed(appB, tencent.CallbackAfterDestroyRoom, tokenB, testNow), destroyBody)

	// App A's token is rotated, app B loses its webhook, app C gains one
	// and app D is mapped to no token.
	const appC, appD, rotated = 1400000003, 1400000004, "rotated-token"
	f.recv.SetTokens(map[uint64]string{appA: rotated, appC: "token-C", appD: ""})
	for _, tc := range []struct {
		name   string
		query  url.Values
		status int
	}{
		{"A, old token", signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow), 401},
		{"A, new token", signed(appA, tencent.CallbackAfterDestroyRoom, rotated, testNow), 200},
		{"B", signed(appB, tencent.CallbackAfterDestroyRoom, tokenB, testNow), 404},
		{"C", signed(appC, tencent.CallbackAfterDestroyRoom, "token-C", testNow), 200},
		{"D, empty Sign", signed(appD, tencent.CallbackAfterDestroyRoom, "", testNow), 404},
	} {
		if resp := f.post(tc.query, destroyBody); resp.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.status, tc.status)
		}
	}
	// A keeps its count across the reload; B's series are gone.
	want := `
# HELP tencent_live_webhook_requests_total Webhook requests received, by SdkAppid ("other" for one of no app taking webhooks), CallbackCommand ("other" for an undocumented one) and outcome.
# TYPE tencent_live_webhook_requests_total counter
tencent_live_webhook_requests_total{command="Live.CallbackAfterDestroyRoom",outcome="ok",sdkappid="1400000001"} 2
tencent_live_webhook_requests_total{command="Live.CallbackAfterDestroyRoom",outcome="ok",sdkappid="1400000003"} 1
tencent_live_webhook_requests_total{command="Live.CallbackAfterDestroyRoom",outcome="unauthorized",sdkappid="1400000001"} 1
tencent_live_webhook_requests_total{command="Live.CallbackAfterDestroyRoom",outcome="unknown_app",sdkappid="other"} 2
`
	if err := testutil.CollectAndCompare(f.recv, strings.NewReader(want), "tencent_live_webhook_requests_total"); err != nil {
		t.Error(err)
	}
}

// blockingSink holds every Event call until released.
type blockingSink struct {
	entered chan struct{}
	release chan struct{}
}

func (s *blockingSink) Event(uint64, tencent.Event) {
	s.entered <- struct{}{}
	<-s.release
}

func TestAnswerBeforeSink(t *testing.T) {
	f := newFixture(t)
	sink := &blockingSink{entered: make(chan struct{}, 1), release: make(chan struct{})}
	f.recv.sink = sink
	defer close(sink.release)
	start := time.Now()
	target := f.url + Path + "?" + signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow).Encode()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(target, "application/json", strings.NewReader(destroyBody))
	if err != nil {
		t.Fatalf("no answer while the sink was held: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d while the sink was held", resp.StatusCode)
	}
	select {
	case <-sink.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the sink was never called")
	}
	t.Logf("answered in %v with the sink held", time.Since(start))
}

func TestNoSecretsInLogsOrMetrics(t *testing.T) {
	f := newFixture(t)
	good := signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow)
	stale := signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow.Add(-time.Hour))
	queries := []url.Values{good, stale, signed(appA, tokenA, tokenA, testNow), signed(appB, tencent.CallbackAfterDestroyRoom, tokenA, testNow)}
	for _, q := range queries {
		f.post(q, destroyBody)
		f.post(q, `[]`)
	}
	metrics, err := testutil.CollectAndFormat(f.recv, expfmt.TypeTextPlain)
	if err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "Webhook refused") {
		t.Fatalf("no refusal logged:\n%s", logs)
	}
	for _, secret := range []string{tokenA, tokenB, good.Get("Sign"), stale.Get("Sign"), queries[3].Get("Sign")} {
		if strings.Contains(logs, secret) || strings.Contains(string(metrics), secret) {
			t.Errorf("%q shows in the logs or metrics:\n%s\n%s", secret, logs, metrics)
		}
	}
}
