package livesim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

const testWebhookToken = "unit-test-webhook-token"

// hook is a webhook as a receiver saw it.
type hook struct {
	method, path, contentType string
	query                     url.Values
	body                      []byte
}

// hookReceiver is a webhook receiver over real HTTP that keeps what it
// gets and answers with status, after hold (when not nil) lets it.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	hooks  []hook
	status int
	hold   chan struct{}
}

func newHookReceiver(t *testing.T, status int) *hookReceiver {
	t.Helper()
	h := &hookReceiver{status: status}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.hooks = append(h.hooks, hook{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.URL.Query(), body})
		hold := h.hold
		h.mu.Unlock()
		if hold != nil {
			<-hold
		}
		w.WriteHeader(h.status)
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) got() []hook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.hooks)
}

// total sums a per-command count.
func total(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// waitSent waits until the app's webhooks sent and failed add up to n.
func (f *fixture) waitSent(n int) Stats {
	f.t.Helper()
	var st Stats
	waitFor(f.t, strconv.Itoa(n)+" webhooks", func() bool {
		st = f.srv.Stats(testSDKAppID)
		return total(st.WebhooksSent)+total(st.WebhooksFailed) >= n
	})
	return st
}

// keys returns the keys of a JSON object, sorted.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// sorted returns a sorted copy of names.
func sorted(names ...string) []string {
	return slices.Sorted(slices.Values(names))
}

// The fields of each webhook body and of its RoomInfo, as tencent-api.md
// lists them.
var (
	docCreate         = sorted("Operator_Account", "RoomInfo")
	docCreateRoomInfo = sorted("RoomId", "RoomName", "RoomType", "Owner_Account", "MaxMemberCount", "IsMessageDisabled",
		"CustomInfo", "IsSeatEnabled", "TakeSeatMode", "MaxSeatCount", "CreateTime", "IsPublicVisible", "CoverURL", "Category")
	docDestroy         = sorted("Operator_Account", "RoomId", "EventType", "EventTime", "RoomInfo", "Statistic")
	docDestroyRoomInfo = sorted(append(slices.Clone(docCreateRoomInfo), "ActivityStatus", "ViewCount")...)
	docStatistic       = sorted("TotalViewers", "TotalGiftsSent", "TotalGiftCoins", "TotalUniqueGiftSenders", "TotalLikesReceived")
	docUpdate          = sorted("Operator_Account", "RoomInfo", "EventTime")
	docUpdateRoomInfo  = sorted("RoomId", "RoomName", "MaxMemberCount", "IsMessageDisabled", "CoverURL", "Category",
		"ActivityStatus", "IsPublicVisible", "TakeSeatMode", "CustomInfo")
	docMember    = sorted("RoomId", "EventType", "EventCause", "MemberList", "EventTime")
	docThreshold = sorted("Operator_Account", "EventTime", "CurRoomCount", "MaxRoomCount")
	docQuery     = sorted("SdkAppid", "CallbackCommand", "contenttype", "ClientIP", "OptPlatform", "RequestTime", "Sign")
)

// checkHook checks a webhook's request against tencent-api.md: POST, JSON,
// Tencent's query signed with the token at the fake clock's time, a body of
// the command's fields. It returns the body decoded by the exporter's
// decoder.
func (f *fixture) checkHook(h hook, command string, fields []string) tencent.Event {
	f.t.Helper()
	if h.method != http.MethodPost || h.path != "/hook" || h.contentType != "application/json" {
		f.t.Errorf("%s: %s %s, Content-Type %q", command, h.method, h.path, h.contentType)
	}
	var qk []string
	for k, v := range h.query {
		if len(v) != 1 {
			f.t.Errorf("%s: query %s=%q", command, k, v)
		}
		qk = append(qk, k)
	}
	slices.Sort(qk)
	q := h.query
	if !slices.Equal(qk, docQuery) || q.Get("SdkAppid") != strconv.Itoa(testSDKAppID) || q.Get("CallbackCommand") != command ||
		q.Get("contenttype") != "json" || q.Get("ClientIP") != "127.0.0.1" ||
		!slices.Contains([]string{"RESTAPI", "Web", "Android", "iOS", "Windows", "Mac", "iPad", "Unknown"}, q.Get("OptPlatform")) {
		f.t.Errorf("%s: query %v", command, q)
	}
	if q.Get("RequestTime") != strconv.FormatInt(f.clock.Now().Unix(), 10) {
		f.t.Errorf("%s: RequestTime %s, want the simulator's clock", command, q.Get("RequestTime"))
	}
	if err := tencent.VerifyWebhookSign(testWebhookToken, q.Get("RequestTime"), q.Get("Sign"), f.clock.Now()); err != nil {
		f.t.Errorf("%s: %v", command, err)
	}
	if got := keys(f.t, h.body); !slices.Equal(got, fields) {
		f.t.Errorf("%s: body fields %q, want %q", command, got, fields)
	}
	ev, err := tencent.DecodeEvent(command, h.body)
	if err != nil {
		f.t.Errorf("%s: %v", command, err)
	}
	return ev
}

// field returns a field of a JSON object.
func field(t *testing.T, raw json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("not an object: %s", raw)
	}
	return m[name]
}

func TestWebhooks(t *testing.T) {
	f := newFixture(t)
	recv := newHookReceiver(t, http.StatusOK)
	f.srv.SetWebhook(testSDKAppID, recv.srv.URL+"/hook", testWebhookToken)
	now := f.clock.Now()
	ms := strconv.FormatInt(now.UnixMilli(), 10)

	r := simpleRoom("r1", 100)
	r.Info.IsSeatEnabled, r.Info.MaxSeatCount, r.Info.ActivityStatus = true, 8, 2
	r.Totals = RoomTotals{TotalViewers: 60, TotalGiftsSent: 5, TotalGiftCoins: 50, TotalUniqueGiftSenders: 1, TotalLikesReceived: 200, TotalMsgCount: 80}
	f.srv.PutRoom(testSDKAppID, r)
	f.srv.PutRoom(testSDKAppID, r) // replaced: no webhook
	update := r.Info
	update.RoomName, update.MaxMemberCount, update.IsPublicVisible, update.ViewCount = "renamed", 500, false, 1
	if !f.srv.UpdateRoom(testSDKAppID, "r1", update) {
		t.Fatal("UpdateRoom of an existing room")
	}
	if !f.srv.MembersChanged(testSDKAppID, "r1", tencent.CauseEnter, "viewer_a", "viewer_b") ||
		!f.srv.MembersChanged(testSDKAppID, "r1", tencent.CauseKicked, "viewer_a") {
		t.Fatal("MembersChanged of an existing room")
	}
	if got := f.roomInfo("r1"); !bytes.Contains(got.Response, []byte(`"RoomName":"renamed"`)) ||
		!bytes.Contains(got.Response, []byte(`"ViewCount":100`)) {
		t.Errorf("after UpdateRoom: %s", got.Response)
	}
	f.srv.DissolveRoom(testSDKAppID, "r1")
	f.srv.DissolveRoom(testSDKAppID, "r1") // gone already: no webhook
	if f.srv.UpdateRoom(testSDKAppID, "r1", update) || f.srv.MembersChanged(testSDKAppID, "r1", tencent.CauseLeave, "viewer_b") {
		t.Error("a dissolved room was changed")
	}
	st := f.waitSent(5)
	if st.WebhooksSent[tencent.CallbackAfterCreateRoom] != 1 || st.WebhooksSent[tencent.CallbackAfterUpdateRoomInfo] != 1 ||
		st.WebhooksSent[tencent.CallbackAfterMemberStateChanged] != 2 || st.WebhooksSent[tencent.CallbackAfterDestroyRoom] != 1 ||
		total(st.WebhooksFailed) != 0 {
		t.Errorf("sent %v, failed %v", st.WebhooksSent, st.WebhooksFailed)
	}
	hooks := recv.got()
	if len(hooks) != 5 {
		t.Fatalf("%d webhooks received, want 5", len(hooks))
	}

	// Each body, field by field.
	ev := f.checkHook(hooks[0], tencent.CallbackAfterCreateRoom, docCreate)
	info := field(t, hooks[0].body, "RoomInfo")
	if got := keys(t, info); !slices.Equal(got, docCreateRoomInfo) {
		t.Errorf("create RoomInfo fields %q, want %q", got, docCreateRoomInfo)
	}
	wantInfo := `{"Category":[1,2],"CoverURL":"","CreateTime":1793577600,"CustomInfo":"","IsMessageDisabled":false,` +
		`"IsPublicVisible":true,"IsSeatEnabled":true,"MaxMemberCount":300,"MaxSeatCount":8,"Owner_Account":"owner_r1",` +
		`"RoomId":"r1","RoomName":"room r1","RoomType":"Live","TakeSeatMode":"ApplyToTake"}`
	if string(info) != wantInfo {
		t.Errorf("create RoomInfo\n got %s\nwant %s", info, wantInfo)
	}
	if string(field(t, hooks[0].body, "Operator_Account")) != `"administrator"` ||
		ev != (tencent.Event{Command: tencent.CallbackAfterCreateRoom, RoomID: "r1", Operator: testAdmin, Owner: "owner_r1", Public: true}) {
		t.Errorf("create: %s decoded as %+v", hooks[0].body, ev)
	}

	ev = f.checkHook(hooks[1], tencent.CallbackAfterUpdateRoomInfo, docUpdate)
	info = field(t, hooks[1].body, "RoomInfo")
	wantInfo = `{"ActivityStatus":2,"Category":[1,2],"CoverURL":"","CustomInfo":"","IsMessageDisabled":false,` +
		`"IsPublicVisible":false,"MaxMemberCount":500,"RoomId":"r1","RoomName":"renamed","TakeSeatMode":"ApplyToTake"}`
	if got := keys(t, info); !slices.Equal(got, docUpdateRoomInfo) || string(info) != wantInfo {
		t.Errorf("update RoomInfo\n got %s\nwant %s", info, wantInfo)
	}
	if string(field(t, hooks[1].body, "EventTime")) != ms || !ev.Time.Equal(now) || ev.RoomID != "r1" || ev.Public {
		t.Errorf("update: %s decoded as %+v", hooks[1].body, ev)
	}

	for i, want := range []struct{ eventType, cause, members string }{
		{"Online", "Enter", `[{"Member_Account":"viewer_a"},{"Member_Account":"viewer_b"}]`},
		{"Offline", "Kicked", `[{"Member_Account":"viewer_a"}]`},
	} {
		h := hooks[2+i]
		ev = f.checkHook(h, tencent.CallbackAfterMemberStateChanged, docMember)
		if string(field(t, h.body, "RoomId")) != `"r1"` || string(field(t, h.body, "EventType")) != `"`+want.eventType+`"` ||
			string(field(t, h.body, "EventCause")) != `"`+want.cause+`"` || string(field(t, h.body, "MemberList")) != want.members ||
			string(field(t, h.body, "EventTime")) != ms || ev.Members != bytes.Count([]byte(want.members), []byte("{")) {
			t.Errorf("member state %d: %s decoded as %+v", i, h.body, ev)
		}
	}

	ev = f.checkHook(hooks[4], tencent.CallbackAfterDestroyRoom, docDestroy)
	info = field(t, hooks[4].body, "RoomInfo")
	if got := keys(t, info); !slices.Equal(got, docDestroyRoomInfo) || !bytes.Contains(info, []byte(`"ViewCount":100}`)) ||
		!bytes.Contains(info, []byte(`"ActivityStatus":2,`)) {
		t.Errorf("destroy RoomInfo %s", info)
	}
	stat := field(t, hooks[4].body, "Statistic")
	if got := keys(t, stat); !slices.Equal(got, docStatistic) {
		t.Errorf("Statistic fields %q, want %q", got, docStatistic)
	}
	if string(field(t, hooks[4].body, "EventType")) != `"DestroyByUser"` ||
		string(field(t, hooks[4].body, "EventTime")) != ms ||
		ev.RoomID != "r1" || ev.Type != tencent.DestroyByUser || ev.Operator != testAdmin {
		t.Errorf("destroy: %s decoded as %+v", hooks[4].body, ev)
	}

	// Members moved the level MemberCount swings around: 10 + 2 - 1.
	f.srv.PutRoom(testSDKAppID, simpleRoom("r2", 1))
	f.srv.MembersChanged(testSDKAppID, "r2", tencent.CauseHeartbeatRecover, "a", "b")
	f.srv.MembersChanged(testSDKAppID, "r2", tencent.CauseHeartbeatInterrupt, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m")
	a := f.call(tencent.CommandGetMemberList, `{"RoomId":"r2"}`)
	if !bytes.Contains(a.Response, []byte(`"MemberCount":0,`)) {
		t.Errorf("MemberCount after 2 online and 13 offline: %s", a.Response)
	}
}

func TestWebhookVariantsAndNoToken(t *testing.T) {
	f := newFixture(t)
	recv := newHookReceiver(t, http.StatusOK)
	f.srv.SetWebhook(testSDKAppID, recv.srv.URL+"/hook?tenant=a", "")
	r := simpleRoom("v", 1)
	r.Info.OwnerAccount = "144115233775727695"
	r.Behaviour.Variants = true
	f.srv.PutRoom(testSDKAppID, r)
	f.srv.DissolveRoom(testSDKAppID, "v")
	f.waitSent(2)
	hooks := recv.got()
	for _, h := range hooks {
		if h.query.Get("tenant") != "a" || h.query.Has("RequestTime") || h.query.Has("Sign") || h.query.Get("contenttype") != "json" {
			t.Errorf("query without a token: %v", h.query)
		}
		if !bytes.Contains(h.body, []byte(`"Owner_Account":144115233775727695,`)) {
			t.Errorf("Owner_Account not a bare number: %s", h.body)
		}
	}
	ms := strconv.FormatInt(f.clock.Now().UnixMilli(), 10)
	if got := string(field(t, hooks[1].body, "EventTime")); got != `"`+ms+`"` {
		t.Errorf("EventTime under Variants %s, want a string", got)
	}
	ev, err := tencent.DecodeEvent(tencent.CallbackAfterDestroyRoom, hooks[1].body)
	if err != nil || ev.Owner != "144115233775727695" || ev.Time.UnixMilli() != f.clock.Now().UnixMilli() {
		t.Errorf("decoded %+v, %v", ev, err)
	}
}

func TestWebhookFailuresNotRetried(t *testing.T) {
	f := newFixture(t)
	refusing := newHookReceiver(t, http.StatusUnauthorized)
	f.srv.SetWebhook(testSDKAppID, refusing.srv.URL+"/hook", testWebhookToken)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 1))
	st := f.waitSent(1)
	if st.WebhooksFailed[tencent.CallbackAfterCreateRoom] != 1 || total(st.WebhooksSent) != 0 {
		t.Errorf("refused webhook: sent %v failed %v", st.WebhooksSent, st.WebhooksFailed)
	}

	// Unreachable: the receiver is gone.
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	f.srv.SetWebhook(testSDKAppID, gone.URL+"/hook", testWebhookToken)
	f.srv.DissolveRoom(testSDKAppID, "r1")
	st = f.waitSent(2)
	if st.WebhooksFailed[tencent.CallbackAfterDestroyRoom] != 1 {
		t.Errorf("unreachable receiver: failed %v", st.WebhooksFailed)
	}

	// Back to the refusing receiver: one more webhook, and the receiver
	// has seen each exactly once.
	f.srv.SetWebhook(testSDKAppID, refusing.srv.URL+"/hook", testWebhookToken)
	f.srv.PutRoom(testSDKAppID, simpleRoom("r2", 1))
	f.waitSent(3)
	if got := refusing.got(); len(got) != 2 || got[1].query.Get("CallbackCommand") != tencent.CallbackAfterCreateRoom {
		t.Errorf("refusing receiver got %d webhooks", len(got))
	}

	// Without a webhook URL, nothing is sent.
	f.srv.SetWebhook(testSDKAppID, "", "")
	f.srv.DissolveRoom(testSDKAppID, "r2")
	f.srv.PutRoom(testSDKAppID, simpleRoom("r3", 1))
	if st := f.srv.Stats(testSDKAppID); total(st.WebhooksSent)+total(st.WebhooksFailed) != 3 {
		t.Errorf("webhooks without a URL: sent %v failed %v", st.WebhooksSent, st.WebhooksFailed)
	}
}

func TestWebhooksNeverHoldTheSimulator(t *testing.T) {
	f := newFixture(t)
	const limit = 20
	f.srv.hooks.mu.Lock()
	f.srv.hooks.limit = limit
	f.srv.hooks.mu.Unlock()
	recv := newHookReceiver(t, http.StatusOK)
	hold := make(chan struct{})
	recv.hold = hold
	f.srv.SetWebhook(testSDKAppID, recv.srv.URL+"/hook", testWebhookToken)

	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 1))
	waitFor(t, "the first webhook to reach the receiver", func() bool { return len(recv.got()) == 1 })
	// The receiver holds the first webhook: the simulator goes on.
	for i := range limit + 5 {
		f.srv.MembersChanged(testSDKAppID, "r1", tencent.CauseEnter, "viewer_"+strconv.Itoa(i))
	}
	wantCode(t, f.roomInfo("r1"), 0)
	st := f.srv.Stats(testSDKAppID)
	if st.WebhooksFailed[tencent.CallbackAfterMemberStateChanged] != 5 {
		t.Errorf("a full queue dropped %d webhooks, want 5", st.WebhooksFailed[tencent.CallbackAfterMemberStateChanged])
	}
	close(hold)
	f.waitSent(limit + 6)
	// The held one may have timed out, the queued ones arrive in order.
	hooks := recv.got()
	if len(hooks) != limit+1 {
		t.Fatalf("%d webhooks received", len(hooks))
	}
	for i, h := range hooks[1:] {
		if want := `[{"Member_Account":"viewer_` + strconv.Itoa(i) + `"}]`; string(field(t, h.body, "MemberList")) != want {
			t.Fatalf("webhook %d out of order: %s", i+1, h.body)
		}
	}
}

func TestQuotaThreshold(t *testing.T) {
	f := newFixture(t)
	f.srv.AddApp(App{SDKAppID: testSDKAppID, Identifier: testAdmin, SecretKey: testKey, MaxRooms: 10})
	recv := newHookReceiver(t, http.StatusOK)
	f.srv.SetWebhook(testSDKAppID, recv.srv.URL+"/hook", testWebhookToken)
	for i := range 8 {
		f.srv.PutRoom(testSDKAppID, simpleRoom("r"+strconv.Itoa(i), 1)) // the 7th crosses 70 %
	}
	f.srv.DissolveRoom(testSDKAppID, "r0")
	f.srv.DissolveRoom(testSDKAppID, "r1")
	f.srv.PutRoom(testSDKAppID, simpleRoom("r1", 1)) // 7 again: crosses again
	st := f.waitSent(8 + 2 + 1 + 2)
	if st.WebhooksSent[tencent.CallbackAfterCreateRoomReachingThreshold] != 2 {
		t.Fatalf("sent %v", st.WebhooksSent)
	}
	var quota []hook
	for _, h := range recv.got() {
		if h.query.Get("CallbackCommand") == tencent.CallbackAfterCreateRoomReachingThreshold {
			quota = append(quota, h)
		}
	}
	for _, h := range quota {
		ev := f.checkHook(h, tencent.CallbackAfterCreateRoomReachingThreshold, docThreshold)
		if ev.RoomCount != 7 || ev.MaxRoomCount != 10 || ev.Operator != testAdmin || !ev.Time.Equal(f.clock.Now()) {
			t.Errorf("quota webhook %s decoded as %+v", h.body, ev)
		}
	}
}

func TestChurn(t *testing.T) {
	f := newFixture(t)
	recv := newHookReceiver(t, http.StatusOK)
	f.srv.SetWebhook(testSDKAppID, recv.srv.URL+"/hook", testWebhookToken)
	a, b := simpleRoom("a", 1), simpleRoom("b", 1)
	f.srv.PutRoom(testSDKAppID, b)
	rooms := []Room{a, b}
	exists := func(id string) bool { return f.roomInfo(id).ErrorCode == 0 }

	f.clock.Advance(time.Hour)
	f.srv.Churn(testSDKAppID, rooms)
	if !exists("a") || exists("b") {
		t.Fatal("first churn: a should exist, b not")
	}
	var created struct{ RoomInfo struct{ CreateTime int64 } }
	if err := json.Unmarshal(f.roomInfo("a").Response, &created); err != nil || created.RoomInfo.CreateTime != f.clock.Now().Unix() {
		t.Errorf("re-created room's CreateTime %d, want now", created.RoomInfo.CreateTime)
	}

	// Ticks drive churnOn; it stops with its context.
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.churnOn(ctx, ticks, testSDKAppID, rooms)
	}()
	ticks <- time.Time{}
	ticks <- time.Time{} // received once the first churn is over
	ticks <- time.Time{}
	cancel()
	<-done
	if exists("a") || !exists("b") {
		t.Error("after three more churns: b should exist, a not")
	}
	st := f.waitSent(1 + 2*4)
	if st.WebhooksSent[tencent.CallbackAfterCreateRoom] != 5 || st.WebhooksSent[tencent.CallbackAfterDestroyRoom] != 4 {
		t.Errorf("sent %v", st.WebhooksSent)
	}

	// StartChurn keeps churning until its context ends.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	f.srv.StartChurn(ctx, testSDKAppID, rooms, time.Millisecond)
	f.waitSent(9 + 6)
}

func TestDemoChurnRooms(t *testing.T) {
	rooms := DemoChurnRooms()
	if len(rooms) != 2 || rooms[0].ID != DemoDissolvedRoom || rooms[1].ID != DemoChurnLive {
		t.Fatalf("DemoChurnRooms %+v", rooms)
	}
	clock := newFakeClock()
	srv, err := StartDemo(Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	recv := newHookReceiver(t, http.StatusOK)
	app := DemoApp()
	srv.SetWebhook(app.SDKAppID, recv.srv.URL+"/webhook", DemoWebhookToken)
	srv.Churn(app.SDKAppID, rooms)
	waitFor(t, "the demo's webhooks", func() bool { return total(srv.Stats(app.SDKAppID).WebhooksSent) == 3 })
	var got []string
	for _, h := range recv.got() {
		got = append(got, h.query.Get("CallbackCommand"))
		if err := tencent.VerifyWebhookSign(DemoWebhookToken, h.query.Get("RequestTime"), h.query.Get("Sign"), clock.Now()); err != nil {
			t.Error(err)
		}
	}
	want := []string{tencent.CallbackAfterCreateRoom, tencent.CallbackAfterCreateRoomReachingThreshold, tencent.CallbackAfterDestroyRoom}
	if !slices.Equal(got, want) {
		t.Errorf("first demo churn sent %q, want %q", got, want)
	}
}
