package livesim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

func TestRoomInfo(t *testing.T) {
	f := newFixture(t)
	r := simpleRoom("r1", 10)
	r.Info.Notice = "hello"
	r.Info.Category = []int{1, 2, 3, 4}
	f.srv.PutRoom(testSDKAppID, r)
	a := f.roomInfo("r1")
	wantCode(t, a, 0)
	want := `{"RoomInfo":{"RoomId":"r1","RoomName":"room r1","RoomType":"Live","Owner_Account":"owner_r1",` +
		`"CreateTime":1793577600,"IsSeatEnabled":false,"TakeSeatMode":"ApplyToTake","MaxSeatCount":0,` +
		`"MaxMemberCount":300,"IsMessageDisabled":false,"CoverURL":"","Category":[1,2,3],"ActivityStatus":0,` +
		`"ViewCount":10,"IsPublicVisible":true,"Notice":"hello"}}`
	if string(a.Response) != want {
		t.Errorf("Response\n got %s\nwant %s", a.Response, want)
	}

	// Defaults: RoomType, CreateTime, an empty Category.
	f.srv.PutRoom(testSDKAppID, Room{ID: "bare"})
	var got struct{ RoomInfo map[string]any }
	if err := json.Unmarshal(f.roomInfo("bare").Response, &got); err != nil {
		t.Fatal(err)
	}
	if got.RoomInfo["RoomType"] != "Live" || got.RoomInfo["CreateTime"] != float64(f.clock.Now().Unix()) ||
		fmt.Sprint(got.RoomInfo["Category"]) != "[]" {
		t.Errorf("defaults %v", got.RoomInfo)
	}
}

func TestVariants(t *testing.T) {
	f := newFixture(t)
	r := simpleRoom("v", 10)
	r.Info.OwnerAccount = "144115233775727695"
	r.Info.IsMessageDisabled = true
	r.Info.IsSeatEnabled = true
	r.Info.TakeSeatMode = "FreeToTake"
	r.Info.Category = []int{2, 5}
	f.srv.PutRoom(testSDKAppID, r)
	newer := []string{`"Owner_Account":"144115233775727695"`, `"IsMessageDisabled":true`, `"IsSeatEnabled":true`,
		`"TakeSeatMode":"FreeToTake"`, `"Category":[2,5]`}
	for _, s := range newer {
		if a := f.roomInfo("v"); !bytes.Contains(a.Raw, []byte(s)) {
			t.Errorf("without variants: no %s in %s", s, a.Raw)
		}
	}
	if a := f.roomInfo("v"); bytes.Contains(a.Raw, []byte("ExtensionInfo")) {
		t.Errorf("unknown field without variants: %s", a.Raw)
	}

	r.Behaviour.Variants = true
	f.srv.PutRoom(testSDKAppID, r)
	older := []string{`"Owner_Account":144115233775727695,`, `"IsMessageDisabled":"true"`, `"IsSeatEnabled":1,`,
		`"TakeSeatMode":1,`, `"Category":["2","5"]`, `"ExtensionInfo":{`}
	a := f.roomInfo("v")
	wantCode(t, a, 0)
	for _, s := range older {
		if !bytes.Contains(a.Raw, []byte(s)) {
			t.Errorf("with variants: no %s in %s", s, a.Raw)
		}
	}
	list := f.call(tencent.CommandGetRoomList, `{"Next":"","Count":20}`)
	for _, s := range []string{`"Owner_Account":144115233775727695,`, `"Category":["2","5"]`} {
		if !bytes.Contains(list.Raw, []byte(s)) {
			t.Errorf("get_room_list with variants: no %s in %s", s, list.Raw)
		}
	}

	// The other forms of each field.
	r.Info.OwnerAccount = "0123"
	r.Info.IsMessageDisabled = false
	r.Info.IsSeatEnabled = false
	r.Info.TakeSeatMode = "ApplyToTake"
	f.srv.PutRoom(testSDKAppID, r)
	a = f.roomInfo("v")
	for _, s := range []string{`"Owner_Account":"0123"`, `"IsMessageDisabled":"false"`, `"IsSeatEnabled":0,`, `"TakeSeatMode":2,`} {
		if !bytes.Contains(a.Raw, []byte(s)) {
			t.Errorf("with variants: no %s in %s", s, a.Raw)
		}
	}
}

func TestMovingValues(t *testing.T) {
	f := newFixture(t)
	r := simpleRoom("m", 1000)
	r.Members = 500
	r.ViewsPerSecond = 2
	r.Totals = RoomTotals{TotalViewers: 100, TotalGiftsSent: 10, TotalGiftCoins: 100, TotalUniqueGiftSenders: 5, TotalLikesReceived: 50, TotalMsgCount: 20}
	f.srv.PutRoom(testSDKAppID, r)
	f.srv.PutRoom(testSDKAppID, simpleRoom("still", 7))

	f.clock.Advance(memberPeriod / 4) // 150 s: 300 more entries, members at the top of the swing
	var info struct{ RoomInfo struct{ ViewCount int64 } }
	if err := json.Unmarshal(f.roomInfo("m").Response, &info); err != nil || info.RoomInfo.ViewCount != 1300 {
		t.Errorf("ViewCount %d (%v), want 1300", info.RoomInfo.ViewCount, err)
	}
	var stats RoomTotals
	if err := json.Unmarshal(f.call(tencent.CommandGetRoomStats, `{"RoomId":"m"}`).Response, &stats); err != nil {
		t.Fatal(err)
	}
	want := RoomTotals{TotalViewers: 280, TotalGiftsSent: 25, TotalGiftCoins: 250, TotalUniqueGiftSenders: 8, TotalLikesReceived: 650, TotalMsgCount: 260}
	if stats != want {
		t.Errorf("totals %+v, want %+v", stats, want)
	}
	var members memberListResponse
	if err := json.Unmarshal(f.call(tencent.CommandGetMemberList, `{"RoomId":"m"}`).Response, &members); err != nil || members.MemberCount != 600 {
		t.Errorf("MemberCount %d (%v), want 600", members.MemberCount, err)
	}
	if err := json.Unmarshal(f.call(tencent.CommandGetMemberList, `{"RoomId":"still"}`).Response, &members); err != nil || members.MemberCount != 10 {
		t.Errorf("still room MemberCount %d (%v), want 10", members.MemberCount, err)
	}
	if err := json.Unmarshal(f.roomInfo("still").Response, &info); err != nil || info.RoomInfo.ViewCount != 7 {
		t.Errorf("still room ViewCount %d (%v), want 7", info.RoomInfo.ViewCount, err)
	}
}

func TestMemberListPaging(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		members int
		pages   []int
	}{
		{0, []int{0}},
		{250, []int{100, 100, 50}},
		{200, []int{100, 100}},
		{1500, []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}},
	} {
		r := simpleRoom("p", 1)
		r.Members = tc.members
		f.srv.PutRoom(testSDKAppID, r)
		seen := map[string]bool{}
		next := ""
		for i, size := range tc.pages {
			a := f.call(tencent.CommandGetMemberList, `{"RoomId":"p","Next":"`+next+`"}`)
			wantCode(t, a, 0)
			var page memberListResponse
			if err := json.Unmarshal(a.Response, &page); err != nil {
				t.Fatal(err)
			}
			if page.MemberCount != tc.members || len(page.MemberList) != size || page.MemberList == nil {
				t.Fatalf("%d members, page %d: MemberCount %d, %d listed", tc.members, i, page.MemberCount, len(page.MemberList))
			}
			for _, m := range page.MemberList {
				if seen[m.Account] || m.Account == "" {
					t.Fatalf("member %q twice or empty", m.Account)
				}
				seen[m.Account] = true
			}
			if last := i == len(tc.pages)-1; last != (page.Next == "") {
				t.Fatalf("%d members, page %d: Next %q", tc.members, i, page.Next)
			}
			next = page.Next
		}
		if !bytes.Contains(f.call(tencent.CommandGetMemberList, `{"RoomId":"p"}`).Raw, []byte(`"MemberList":[`)) {
			t.Error("MemberList is not an array")
		}
	}
	wantCode(t, f.call(tencent.CommandGetMemberList, `{"RoomId":"p","Next":"bogus"}`), 100002)
	wantCode(t, f.call(tencent.CommandGetMemberList, `{"RoomId":"p","Next":"`+encodeCursor(-1)+`"}`), 100002)
	wantCode(t, f.call(tencent.CommandGetMemberList, `{"RoomId":"nope"}`), 100004)
	wantCode(t, f.call(tencent.CommandGetMemberList, `{"Next":""}`), 100002)
}

func TestRoomListPaging(t *testing.T) {
	f := newFixture(t)
	for i := range 45 {
		f.srv.PutRoom(testSDKAppID, simpleRoom(fmt.Sprintf("pub-%02d", i), int64((i*7919)%1000)))
	}
	for i := range 5 {
		r := simpleRoom(fmt.Sprintf("private-%d", i), 5000)
		r.Info.IsPublicVisible = false
		f.srv.PutRoom(testSDKAppID, r)
	}
	f.srv.PutRoom(testSDKAppID, simpleRoom("dissolved", 9999))
	f.srv.DissolveRoom(testSDKAppID, "dissolved")
	f.srv.DissolveRoom(testSDKAppID, "never-there")
	f.srv.DissolveRoom(1499999999, "no-such-app")

	var all []roomListEntry
	next := ""
	for i, size := range []int{20, 20, 5} {
		a := f.call(tencent.CommandGetRoomList, fmt.Sprintf(`{"Next":%q,"Count":20}`, next))
		wantCode(t, a, 0)
		var page struct {
			Next     string
			RoomList []roomListEntry
		}
		if err := json.Unmarshal(a.Response, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.RoomList) != size {
			t.Fatalf("page %d: %d rooms, want %d", i, len(page.RoomList), size)
		}
		if last := i == 2; last != (page.Next == "") {
			t.Fatalf("page %d: Next %q", i, page.Next)
		}
		all = append(all, page.RoomList...)
		next = page.Next
	}
	seen := map[string]bool{}
	for i, r := range all {
		if !strings.HasPrefix(r.RoomID, "pub-") || seen[r.RoomID] {
			t.Errorf("listed %q (twice: %v)", r.RoomID, seen[r.RoomID])
		}
		seen[r.RoomID] = true
		if i > 0 && all[i-1].ViewCount < r.ViewCount {
			t.Errorf("not sorted by ViewCount: %d before %d", all[i-1].ViewCount, r.ViewCount)
		}
	}
	if len(seen) != 45 {
		t.Errorf("%d distinct rooms listed", len(seen))
	}

	for _, body := range []string{`{"Next":"","Count":0}`, `{"Count":21}`, `{}`, `{"Count":"5"}`, `{"Next":"x","Count":5}`} {
		wantCode(t, f.call(tencent.CommandGetRoomList, body), 100002)
	}
	// Past the end: an empty page, the last.
	a := f.call(tencent.CommandGetRoomList, fmt.Sprintf(`{"Next":%q,"Count":1}`, encodeCursor(500)))
	if wantCode(t, a, 0); string(a.Response) != `{"Next":"","RoomList":[]}` {
		t.Errorf("past the end: %s", a.Response)
	}
}

func TestBehaviours(t *testing.T) {
	f := newFixture(t)
	put := func(id string, b Behaviour) {
		r := simpleRoom(id, 1)
		r.Behaviour = b
		f.srv.PutRoom(testSDKAppID, r)
	}
	codes := func(id string, n int) string {
		var got []string
		for range n {
			got = append(got, fmt.Sprint(f.roomInfo(id).ErrorCode))
		}
		return strings.Join(got, " ")
	}

	put("flaky", Behaviour{Flaky: 2})
	if got := codes("flaky", 5); got != "100001 100001 0 0 0" {
		t.Errorf("flaky: %s", got)
	}
	put("cycle", Behaviour{Flaky: 2, FlakyRepeat: true})
	if got := codes("cycle", 7); got != "100001 100001 0 100001 100001 0 100001" {
		t.Errorf("repeating flaky: %s", got)
	}
	// Each room command has its own cycle, and a new PutRoom restarts them.
	wantCode(t, f.call(tencent.CommandGetRoomStats, `{"RoomId":"cycle"}`), 100001)
	wantCode(t, f.call(tencent.CommandGetRoomStats, `{"RoomId":"cycle"}`), 100001)
	wantCode(t, f.call(tencent.CommandGetRoomStats, `{"RoomId":"cycle"}`), 0)
	wantCode(t, f.call(tencent.CommandGetMemberList, `{"RoomId":"cycle"}`), 100001)
	put("cycle", Behaviour{Flaky: 2, FlakyRepeat: true})
	wantCode(t, f.roomInfo("cycle"), 100001)

	for _, code := range []int{100002, 100006} {
		put("err", Behaviour{ErrorCode: code})
		wantCode(t, f.roomInfo("err"), code)
		wantCode(t, f.call(tencent.CommandGetRoomStats, `{"RoomId":"err"}`), code)
	}

	put("gone", Behaviour{})
	wantCode(t, f.roomInfo("gone"), 0)
	f.srv.DissolveRoom(testSDKAppID, "gone")
	wantCode(t, f.roomInfo("gone"), 100004)

	put("gateway", Behaviour{Gateway: true, Flaky: 1})
	for _, command := range []string{tencent.CommandGetRoomInfo, tencent.CommandGetMemberList, tencent.CommandGetRoomStats} {
		a := f.call(command, `{"RoomId":"gateway"}`)
		if a.Status != http.StatusBadGateway || !strings.HasPrefix(a.ContentType, "text/html") ||
			!bytes.Contains(a.Raw, []byte("502 Bad Gateway")) || json.Valid(a.Raw) {
			t.Errorf("gateway %s: HTTP %d %q %s", command, a.Status, a.ContentType, a.Raw)
		}
	}

	put("malformed", Behaviour{Malformed: true, Oversized: true})
	for _, command := range []string{tencent.CommandGetRoomInfo, tencent.CommandGetMemberList, tencent.CommandGetRoomStats} {
		a := f.call(command, `{"RoomId":"malformed"}`)
		if a.Status != http.StatusOK || json.Valid(a.Raw) || !bytes.HasPrefix(a.Raw, []byte(`{"ActionStatus":"OK"`)) {
			t.Errorf("malformed %s: HTTP %d %s", command, a.Status, a.Raw)
		}
	}

	put("oversized", Behaviour{Oversized: true})
	for _, command := range []string{tencent.CommandGetRoomInfo, tencent.CommandGetMemberList, tencent.CommandGetRoomStats} {
		a := f.call(command, `{"RoomId":"oversized"}`)
		if a.Status != http.StatusOK || len(a.Raw) <= 1<<20 || !json.Valid(a.Raw) || a.ErrorCode != 0 || len(a.Response) == 0 {
			t.Errorf("oversized %s: HTTP %d, %d bytes, ErrorCode %d", command, a.Status, len(a.Raw), a.ErrorCode)
		}
	}

	got := f.srv.Stats(testSDKAppID)
	if got.HTTPStatus[http.StatusBadGateway] != 3 || got.Rooms["malformed"][tencent.CommandGetRoomStats] != 1 {
		t.Errorf("stats %+v", got)
	}
}

func TestSlowRoom(t *testing.T) {
	f := newFixture(t)
	r := simpleRoom("slow", 1)
	r.Behaviour.Delay = 30 * time.Millisecond
	f.srv.PutRoom(testSDKAppID, r)
	start := time.Now()
	wantCode(t, f.roomInfo("slow"), 0)
	if took := time.Since(start); took < r.Behaviour.Delay {
		t.Errorf("answered in %v", took)
	}

	// A client that gives up, once its request has arrived, gets no answer,
	// and the handler returns.
	r.Behaviour.Delay = time.Hour
	f.srv.PutRoom(testSDKAppID, r)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gaveUp := make(chan error, 1)
	go func() {
		_, err := f.do(ctx, http.MethodPost, tencent.ServicePath+tencent.CommandGetRoomInfo, f.query(), `{"RoomId":"slow"}`)
		gaveUp <- err
	}()
	waitFor(t, "the second request to arrive", func() bool {
		return f.srv.Stats(testSDKAppID).Rooms["slow"][tencent.CommandGetRoomInfo] == 2
	})
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatal("answered before the delay")
	}
	waitFor(t, "the abandoned request to be counted", func() bool { return f.srv.Stats(testSDKAppID).Abandoned == 1 })
	if got := f.srv.Stats(testSDKAppID); got.Codes[0] != 1 || got.HTTPStatus[200] != 1 {
		t.Errorf("stats %+v", got)
	}
}

func TestIsJSONInteger(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "7": true, "144115233775727695": true, "99999999999999999999999": true,
		"": false, "01": false, "-1": false, "1.5": false, "1e3": false, "12a": false, " 1": false,
	} {
		if got := isJSONInteger(s); got != want {
			t.Errorf("isJSONInteger(%q) = %v", s, got)
		}
	}
}
