package livesim

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

func TestChecks(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	// Another app with the same key, to sign UserSigs for the wrong sdkappid.
	f.srv.AddApp(App{SDKAppID: 1400000043, Identifier: testAdmin, SecretKey: testKey})

	info := tencent.ServicePath + tencent.CommandGetRoomInfo
	with := func(key, value string) url.Values {
		q := f.query()
		q.Set(key, value)
		return q
	}
	without := func(key string) url.Values {
		q := f.query()
		q.Del(key)
		return q
	}
	expired, err := usersig.GenUserSigAt(testSDKAppID, testKey, testAdmin, 3600, nil, f.clock.Now().Add(-3601*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	notExpired, err := usersig.GenUserSigAt(testSDKAppID, testKey, testAdmin, 3600, nil, f.clock.Now().Add(-3600*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	otherAdmin := with("identifier", "bob")
	otherAdmin.Set("usersig", f.sign(testSDKAppID, testKey, "bob"))

	tests := []struct {
		name   string
		method string
		path   string
		query  url.Values
		body   string
		code   int
	}{
		{"ok", "POST", info, f.query(), `{"RoomId":"r1"}`, 0},
		{"ok with spaces and unknown fields", "POST", info, f.query(), ` {"RoomId":"r1","Extra":[1]} `, 0},
		{"sdkappid missing", "POST", info, without("sdkappid"), `{"RoomId":"r1"}`, 60012},
		{"sdkappid empty", "POST", info, with("sdkappid", ""), `{"RoomId":"r1"}`, 60012},
		{"sdkappid not a number", "POST", info, with("sdkappid", "14e8"), `{"RoomId":"r1"}`, 60006},
		{"sdkappid negative", "POST", info, with("sdkappid", "-1"), `{"RoomId":"r1"}`, 60006},
		{"sdkappid unknown", "POST", info, with("sdkappid", "1400999999"), `{"RoomId":"r1"}`, 70020},
		{"method GET", "GET", info, f.query(), `{"RoomId":"r1"}`, 60002},
		{"method PUT", "PUT", info, f.query(), `{"RoomId":"r1"}`, 60002},
		{"unknown command", "POST", tencent.ServicePath + "destroy_room", f.query(), `{"RoomId":"r1"}`, 60009},
		{"command with trailing slash", "POST", info + "/", f.query(), `{"RoomId":"r1"}`, 60009},
		{"other service", "POST", "/v4/group_open_http_svc/get_room_info", f.query(), `{"RoomId":"r1"}`, 60009},
		{"root path", "POST", "/", f.query(), `{"RoomId":"r1"}`, 60009},
		{"random missing", "POST", info, without("random"), `{"RoomId":"r1"}`, 60002},
		{"random zero", "POST", info, with("random", "0"), `{"RoomId":"r1"}`, 0},
		{"random max", "POST", info, with("random", "4294967295"), `{"RoomId":"r1"}`, 0},
		{"random over 32 bits", "POST", info, with("random", "4294967296"), `{"RoomId":"r1"}`, 60002},
		{"random negative", "POST", info, with("random", "-1"), `{"RoomId":"r1"}`, 60002},
		{"random hex", "POST", info, with("random", "0x10"), `{"RoomId":"r1"}`, 60002},
		{"contenttype missing", "POST", info, without("contenttype"), `{"RoomId":"r1"}`, 60002},
		{"contenttype upper case", "POST", info, with("contenttype", "JSON"), `{"RoomId":"r1"}`, 60002},
		{"identifier missing", "POST", info, without("identifier"), `{"RoomId":"r1"}`, 60004},
		{"usersig missing", "POST", info, without("usersig"), `{"RoomId":"r1"}`, 60005},
		{"usersig garbage", "POST", info, with("usersig", "not-a-usersig"), `{"RoomId":"r1"}`, 70003},
		{"usersig of another sdkappid", "POST", info, with("usersig", f.sign(1400000043, testKey, testAdmin)), `{"RoomId":"r1"}`, 70009},
		{"usersig of another identifier", "POST", info, with("usersig", f.sign(testSDKAppID, testKey, "bob")), `{"RoomId":"r1"}`, 70013},
		{"usersig with another key", "POST", info, with("usersig", f.sign(testSDKAppID, "wrong-key", testAdmin)), `{"RoomId":"r1"}`, 70005},
		{"usersig expired", "POST", info, with("usersig", expired), `{"RoomId":"r1"}`, 70001},
		{"usersig at its last second", "POST", info, with("usersig", notExpired), `{"RoomId":"r1"}`, 0},
		{"identifier not the administrator", "POST", info, otherAdmin, `{"RoomId":"r1"}`, 60010},
		{"body empty", "POST", info, f.query(), ``, 60003},
		{"body blank", "POST", info, f.query(), " \n", 60003},
		{"body with the documentation's trailing comma", "POST", info, f.query(), `{"RoomId":"r1",}`, 60003},
		{"body an array", "POST", info, f.query(), `[{"RoomId":"r1"}]`, 60003},
		{"body a string", "POST", info, f.query(), `"r1"`, 60003},
		{"body too large", "POST", info, f.query(), `{"RoomId":"r1","Pad":"` + string(make([]byte, maxRequestBody)) + `"}`, 60003},
		{"RoomId missing", "POST", info, f.query(), `{}`, 100002},
		{"RoomId a number", "POST", info, f.query(), `{"RoomId":1}`, 100002},
		{"room unknown", "POST", info, f.query(), `{"RoomId":"nope"}`, 100004},
	}
	requestID := regexp.MustCompile(`^Id-[0-9a-f]{32}-O-Seq-[0-9]+$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := f.do(context.Background(), tc.method, tc.path, tc.query, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			wantCode(t, a, tc.code)
			if a.ContentType != "application/json" {
				t.Errorf("Content-Type %q", a.ContentType)
			}
			if !requestID.MatchString(a.RequestID) {
				t.Errorf("RequestId %q", a.RequestID)
			}
			if (tc.code == 0) != (len(a.Response) > 0) {
				t.Errorf("ErrorCode %d with Response %s", tc.code, a.Response)
			}
			if tc.code != 0 && a.ErrorInfo == "" {
				t.Error("no ErrorInfo")
			}
		})
	}
}

func TestRequestIDsDiffer(t *testing.T) {
	f := newFixture(t)
	a, b := f.roomInfo("x"), f.roomInfo("x")
	if a.RequestID == b.RequestID {
		t.Fatalf("two answers with RequestId %q", a.RequestID)
	}
}

func TestAppError(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	for _, code := range []int{60020, 60021, 70050, 60016} {
		f.srv.SetAppError(testSDKAppID, code)
		wantCode(t, f.roomInfo("r1"), code)
		// Even a request failing other checks gets the app's error.
		bad := f.query()
		bad.Del("usersig")
		a, err := f.do(context.Background(), http.MethodGet, "/", bad, "")
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, a, code)
	}
	f.srv.SetAppError(testSDKAppID, 0)
	wantCode(t, f.roomInfo("r1"), 0)
	if got := f.srv.Stats(testSDKAppID).Codes; got[60020] != 2 || got[70050] != 2 || got[0] != 1 {
		t.Errorf("codes %v", got)
	}
}

func TestAppReplacedKeepsRooms(t *testing.T) {
	f := newFixture(t)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 10))
	f.srv.AddApp(App{SDKAppID: testSDKAppID, Identifier: "admin2", SecretKey: "new-key"})
	wantCode(t, f.roomInfo("r1"), 70005) // signed with the old key
	q := f.query()
	q.Set("identifier", "admin2")
	q.Set("usersig", f.sign(testSDKAppID, "new-key", "admin2"))
	a, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+tencent.CommandGetRoomInfo, q, `{"RoomId":"r1"}`)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, a, 0)
}

func TestUnattributedRequestsAreCounted(t *testing.T) {
	f := newFixture(t)
	q := f.query()
	q.Del("sdkappid")
	if _, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+tencent.CommandGetRoomInfo, q, `{}`); err != nil {
		t.Fatal(err)
	}
	q.Set("sdkappid", "1400999999")
	if _, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+"nope", q, `{}`); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Stats(0); got.Requests[tencent.CommandGetRoomInfo] != 1 || got.Codes[60012] != 1 {
		t.Errorf("sdkappid 0: %+v", got)
	}
	if got := f.srv.Stats(1400999999); got.Requests[""] != 1 || got.Codes[70020] != 1 {
		t.Errorf("unknown app: %+v", got)
	}
	if got := f.srv.Stats(testSDKAppID); len(got.Requests) != 0 {
		t.Errorf("test app: %+v", got)
	}
}

func TestLatency(t *testing.T) {
	const latency = 40 * time.Millisecond
	f := newFixtureWith(t, Options{Latency: latency})
	for _, body := range []string{`{"RoomId":"missing"}`, ``} { // an answer and a failed check
		start := time.Now()
		f.call(tencent.CommandGetRoomInfo, body)
		if took := time.Since(start); took < latency {
			t.Errorf("answered in %v, latency %v", took, latency)
		}
	}
}

func TestCloseDoesNotWaitForSlowAnswers(t *testing.T) {
	f := newFixtureWith(t, Options{Latency: time.Hour})
	errs := make(chan error, 1)
	go func() {
		_, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+tencent.CommandGetRoomInfo, f.query(), `{"RoomId":"r"}`)
		errs <- err
	}()
	waitFor(t, "the request to arrive", func() bool {
		return f.srv.Stats(testSDKAppID).Requests[tencent.CommandGetRoomInfo] == 1
	})
	f.srv.Close()
	if err := <-errs; err == nil {
		t.Error("the slow request got an answer")
	}
	if got := f.srv.Stats(testSDKAppID).Abandoned; got != 1 {
		t.Errorf("Abandoned %d", got)
	}
	f.srv.Close() // a second Close is harmless
}

func TestURL(t *testing.T) {
	f := newFixture(t)
	u, err := url.Parse(f.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if port, _ := strconv.Atoi(u.Port()); u.Scheme != "http" || u.Hostname() != "127.0.0.1" || port == 0 {
		t.Errorf("URL %q", f.srv.URL())
	}
}

func TestUnknownCodeAndApp(t *testing.T) {
	f := newFixture(t)
	f.srv.SetAppError(testSDKAppID, 12345)
	if a := f.roomInfo("r"); a.ErrorCode != 12345 || a.ErrorInfo == "" {
		t.Errorf("ErrorCode %d, ErrorInfo %q", a.ErrorCode, a.ErrorInfo)
	}
	if got := f.srv.Stats(1499999999); got.Requests == nil || len(got.Requests)+len(got.Codes) != 0 {
		t.Errorf("stats of an app never seen: %+v", got)
	}
}
