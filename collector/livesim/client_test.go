package livesim_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

// The app the client tests talk to.
const (
	appID = 1400000077
	admin = "administrator"
	key   = "integration-test-key"
)

// env is a running simulator with the test app and a fake clock.
type env struct {
	srv   *livesim.Server
	clock *livesim.FakeClock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clock := livesim.NewFakeClock()
	srv, err := livesim.Start(livesim.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddApp(livesim.App{SDKAppID: appID, Identifier: admin, SecretKey: key})
	return &env{srv: srv, clock: clock}
}

// signer returns a UserSig source signing with key for sdkappid and
// identifier, issued at the fake clock's time plus age.
func (e *env) signer(sdkappid uint64, key, identifier string, age time.Duration) func() (string, error) {
	return func() (string, error) {
		return usersig.GenUserSigAt(sdkappid, key, identifier, 3600, nil, e.clock.Now().Add(-age))
	}
}

// client returns a client of the test app, changed by mods.
func (e *env) client(t *testing.T, mods ...func(*tencent.Options)) *tencent.Client {
	t.Helper()
	opts := tencent.Options{
		SDKAppID:   appID,
		Identifier: admin,
		BaseURL:    e.srv.URL(),
		Timeout:    5 * time.Second,
		UserSig:    e.signer(appID, key, admin, 0),
	}
	for _, mod := range mods {
		mod(&opts)
	}
	c, err := tencent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// put adds a room to the test app.
func (e *env) put(r livesim.Room) { e.srv.PutRoom(appID, r) }

// fullRoom is a room with every field set.
func fullRoom(id string) livesim.Room {
	return livesim.Room{
		ID: id,
		Info: livesim.RoomInfo{
			RoomName:          "Night Market " + id,
			OwnerAccount:      "144115233775727695",
			CreateTime:        1793577600,
			IsSeatEnabled:     true,
			TakeSeatMode:      tencent.TakeSeatModeApply,
			MaxSeatCount:      8,
			MaxMemberCount:    5000,
			IsMessageDisabled: true,
			CoverURL:          "https://cdn.example.com/" + id + ".png",
			Category:          []int{3, 1},
			ActivityStatus:    2,
			ViewCount:         123456,
			IsPublicVisible:   true,
			Notice:            "be kind",
		},
		Members: 42,
		Totals:  livesim.RoomTotals{TotalViewers: 9, TotalGiftsSent: 8, TotalGiftCoins: 7, TotalUniqueGiftSenders: 6, TotalLikesReceived: 5, TotalMsgCount: 4},
	}
}

// misbehaving returns fullRoom(id) with b.
func misbehaving(id string, b livesim.Behaviour) livesim.Room {
	r := fullRoom(id)
	r.Behaviour = b
	return r
}

// roomInfo calls get_room_info for id.
func roomInfo(t *testing.T, c *tencent.Client, id string) error {
	_, err := c.GetRoomInfo(t.Context(), id)
	return err
}

func TestClientOutcomes(t *testing.T) {
	const other = 1400000078
	tests := []struct {
		name  string
		class tencent.Class
		code  string
		run   func(*testing.T, *env) error
	}{
		{"room", tencent.ClassOK, "0", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			return roomInfo(t, e.client(t), "r")
		}},
		{"room never created", tencent.ClassRoomMissing, "100004", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t), "nope")
		}},
		{"room dissolved", tencent.ClassRoomMissing, "100004", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			c := e.client(t)
			if err := roomInfo(t, c, "r"); err != nil {
				return err
			}
			e.srv.DissolveRoom(appID, "r")
			return roomInfo(t, c, "r")
		}},
		{"room dissolved, member list", tencent.ClassRoomMissing, "100004", func(t *testing.T, e *env) error {
			_, err := e.client(t).GetMemberList(t.Context(), "nope", "")
			return err
		}},
		{"room error 100002", tencent.ClassRoomFailure, "100002", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{ErrorCode: 100002}))
			return roomInfo(t, e.client(t), "r")
		}},
		{"room error 100006, stats", tencent.ClassRoomFailure, "100006", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{ErrorCode: 100006}))
			_, err := e.client(t).GetRoomStats(t.Context(), "r")
			return err
		}},
		{"flaky", tencent.ClassRetryable, "100001", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Flaky: 1}))
			return roomInfo(t, e.client(t), "r")
		}},
		{"flaky, member list", tencent.ClassRetryable, "100001", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Flaky: 1}))
			_, err := e.client(t).GetMemberList(t.Context(), "r", "")
			return err
		}},
		{"gateway", tencent.ClassRetryable, "http_502", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Gateway: true}))
			return roomInfo(t, e.client(t), "r")
		}},
		{"gateway, stats", tencent.ClassRetryable, "http_502", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Gateway: true}))
			_, err := e.client(t).GetRoomStats(t.Context(), "r")
			return err
		}},
		{"malformed", tencent.ClassRetryable, "decode", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Malformed: true}))
			return roomInfo(t, e.client(t), "r")
		}},
		{"oversized", tencent.ClassRetryable, "decode", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Oversized: true}))
			return roomInfo(t, e.client(t), "r")
		}},
		{"oversized, member list", tencent.ClassRetryable, "decode", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Oversized: true}))
			_, err := e.client(t).GetMemberList(t.Context(), "r", "")
			return err
		}},
		{"slow", tencent.ClassRetryable, "timeout", func(t *testing.T, e *env) error {
			e.put(misbehaving("r", livesim.Behaviour{Delay: time.Hour}))
			return roomInfo(t, e.client(t, func(o *tencent.Options) { o.Timeout = 50 * time.Millisecond }), "r")
		}},
		{"server gone", tencent.ClassRetryable, "network", func(t *testing.T, e *env) error {
			c := e.client(t)
			e.srv.Close()
			return roomInfo(t, c, "r")
		}},
		{"rate limited", tencent.ClassRateLimited, "60011", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			e.srv.SetLimit(appID, tencent.CommandGetRoomInfo, 1)
			c := e.client(t)
			if err := roomInfo(t, c, "r"); err != nil {
				return err
			}
			e.clock.Advance(999 * time.Millisecond)
			return roomInfo(t, c, "r")
		}},
		{"rate limited, room list", tencent.ClassRateLimited, "60011", func(t *testing.T, e *env) error {
			c := e.client(t)
			for range 10 {
				if _, err := c.GetRoomList(t.Context(), "", 20); err != nil {
					return err
				}
			}
			_, err := c.GetRoomList(t.Context(), "", 20)
			return err
		}},
		{"usersig expired", tencent.ClassRenewUserSig, "70001", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) { o.UserSig = e.signer(appID, key, admin, 2*time.Hour) }), "r")
		}},
		{"usersig undecodable", tencent.ClassRenewUserSig, "70003", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) {
				o.UserSig = func() (string, error) { return "not-a-usersig", nil }
			}), "r")
		}},
		{"usersig of another key", tencent.ClassAppFailure, "70005", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) { o.UserSig = e.signer(appID, "old-key", admin, 0) }), "r")
		}},
		{"usersig of another sdkappid", tencent.ClassAppFailure, "70009", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) { o.UserSig = e.signer(other, key, admin, 0) }), "r")
		}},
		{"usersig of another identifier", tencent.ClassAppFailure, "70013", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) { o.UserSig = e.signer(appID, key, "bob", 0) }), "r")
		}},
		{"identifier not an administrator", tencent.ClassAppFailure, "60010", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) {
				o.Identifier = "bob"
				o.UserSig = e.signer(appID, key, "bob", 0)
			}), "r")
		}},
		{"sdkappid unknown", tencent.ClassAppFailure, "70020", func(t *testing.T, e *env) error {
			return roomInfo(t, e.client(t, func(o *tencent.Options) {
				o.SDKAppID = other
				o.UserSig = e.signer(other, key, admin, 0)
			}), "r")
		}},
		{"no package", tencent.ClassAppFailure, "60020", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			e.srv.SetAppError(appID, 60020)
			return roomInfo(t, e.client(t), "r")
		}},
		{"IP not allowed", tencent.ClassAppFailure, "60021", func(t *testing.T, e *env) error {
			e.srv.SetAppError(appID, 60021)
			_, err := e.client(t).GetRoomList(t.Context(), "", 5)
			return err
		}},
		{"locked", tencent.ClassAppFailure, "70050", func(t *testing.T, e *env) error {
			e.srv.SetAppError(appID, 70050)
			return roomInfo(t, e.client(t), "r")
		}},
		{"command disabled", tencent.ClassAppFailure, "60017", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			e.srv.DisableCommand(appID, tencent.CommandGetRoomStats, true)
			if err := roomInfo(t, e.client(t), "r"); err != nil {
				return fmt.Errorf("get_room_info, not disabled: %w", err)
			}
			_, err := e.client(t).GetRoomStats(t.Context(), "r")
			return err
		}},
		{"app error cleared", tencent.ClassOK, "0", func(t *testing.T, e *env) error {
			e.put(fullRoom("r"))
			e.srv.SetAppError(appID, 70050)
			e.srv.SetAppError(appID, 0)
			return roomInfo(t, e.client(t), "r")
		}},
	}
	seen := map[tencent.Class]bool{}
	for _, tc := range tests {
		seen[tc.class] = true
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t, newEnv(t))
			if class, code := tencent.Outcome(err); class != tc.class || code != tc.code {
				t.Errorf("outcome %v %q, want %v %q (err: %v)", class, code, tc.class, tc.code, err)
			}
		})
	}
	for c := tencent.ClassOK; c <= tencent.ClassAppFailure; c++ {
		if !seen[c] {
			t.Errorf("no case for %v", c)
		}
	}
}

func TestClientRoomInfo(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	want := tencent.RoomInfo{
		RoomID:            "plain",
		RoomName:          "Night Market plain",
		RoomType:          "Live",
		OwnerAccount:      "144115233775727695",
		CreateTime:        1793577600,
		IsSeatEnabled:     true,
		TakeSeatMode:      tencent.TakeSeatModeApply,
		MaxSeatCount:      8,
		MaxMemberCount:    5000,
		IsMessageDisabled: true,
		CoverURL:          "https://cdn.example.com/plain.png",
		Category:          []string{"3", "1"},
		ActivityStatus:    2,
		ViewCount:         123456,
		IsPublicVisible:   true,
		Notice:            "be kind",
	}
	e.put(fullRoom("plain"))
	got, err := c.GetRoomInfo(t.Context(), "plain")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v (%v)\nwant %+v", got, err, want)
	}

	// The variants decode to the same values, every digit of the owner kept.
	e.put(misbehaving("variants", livesim.Behaviour{Variants: true}))
	want.RoomID, want.RoomName, want.CoverURL = "variants", "Night Market variants", "https://cdn.example.com/variants.png"
	got, err = c.GetRoomInfo(t.Context(), "variants")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("variants: got %+v (%v)\nwant %+v", got, err, want)
	}
	free := misbehaving("free", livesim.Behaviour{Variants: true})
	free.Info.TakeSeatMode, free.Info.IsSeatEnabled, free.Info.IsMessageDisabled = tencent.TakeSeatModeFree, false, false
	e.put(free)
	got, err = c.GetRoomInfo(t.Context(), "free")
	if err != nil || got.TakeSeatMode != tencent.TakeSeatModeFree || got.IsSeatEnabled || got.IsMessageDisabled {
		t.Fatalf("variants with the other values: %+v (%v)", got, err)
	}

	// ViewCount moves with the simulator's clock.
	moving := fullRoom("moving")
	moving.ViewsPerSecond = 3
	e.put(moving)
	e.clock.Advance(10 * time.Second)
	if got, err := c.GetRoomInfo(t.Context(), "moving"); err != nil || got.ViewCount != 123456+30 {
		t.Fatalf("moving ViewCount %d (%v)", got.ViewCount, err)
	}
}

func TestClientRecovers(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.put(misbehaving("cycle", livesim.Behaviour{Flaky: 2, FlakyRepeat: true}))
	var got []string
	for range 6 {
		_, code := tencent.Outcome(roomInfo(t, c, "cycle"))
		got = append(got, code)
	}
	if want := []string{"100001", "100001", "0", "100001", "100001", "0"}; !slices.Equal(got, want) {
		t.Errorf("flaky cycle %v, want %v", got, want)
	}

	// A slow room answers once its delay has passed.
	e.put(misbehaving("slow", livesim.Behaviour{Delay: 20 * time.Millisecond}))
	if err := roomInfo(t, c, "slow"); err != nil {
		t.Error(err)
	}
	// The request the client gave up on is counted as abandoned.
	e.put(misbehaving("stuck", livesim.Behaviour{Delay: time.Hour}))
	impatient := e.client(t, func(o *tencent.Options) { o.Timeout = 20 * time.Millisecond })
	if err := roomInfo(t, impatient, "stuck"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stuck room: %v", err)
	}
	// On a loaded machine the client can give up before its request
	// arrives; every request that did arrive is abandoned.
	livesim.WaitFor(t, "the abandoned request to be counted", func() bool {
		stats := e.srv.Stats(appID)
		return stats.Abandoned == stats.Rooms["stuck"][tencent.CommandGetRoomInfo]
	})
}

func TestClientMembersAndStats(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	r := fullRoom("r")
	r.Members = 1234
	e.put(r)
	var members []string
	next, pages := "", 0
	for {
		page, err := c.GetMemberList(t.Context(), "r", next)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if page.MemberCount != 1234 {
			t.Fatalf("MemberCount %d", page.MemberCount)
		}
		members = append(members, page.Members...)
		if next = page.Next; next == "" {
			break
		}
	}
	slices.Sort(members)
	if len(slices.Compact(members)) != livesim.MaxListedMembers || pages != livesim.MaxListedMembers/livesim.MemberPageSize {
		t.Errorf("%d distinct members in %d pages", len(members), pages)
	}

	stats, err := c.GetRoomStats(t.Context(), "r")
	want := tencent.RoomStats{TotalViewers: 9, TotalGiftsSent: 8, TotalGiftCoins: 7, TotalUniqueGiftSenders: 6, TotalLikesReceived: 5, TotalMsgCount: 4}
	if err != nil || stats != want {
		t.Errorf("stats %+v (%v), want %+v", stats, err, want)
	}
	got := e.srv.Stats(appID).Rooms["r"]
	if got[tencent.CommandGetMemberList] != pages || got[tencent.CommandGetRoomStats] != 1 {
		t.Errorf("per-room counts %v", got)
	}
}

func TestClientRoomList(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for i := range 45 {
		r := fullRoom(fmt.Sprintf("pub-%02d", i))
		r.Info.ViewCount = int64(i * 31 % 45)
		r.Behaviour.Variants = i%2 == 0
		e.put(r)
	}
	hidden := fullRoom("hidden")
	hidden.Info.IsPublicVisible = false
	e.put(hidden)
	var rooms []tencent.RoomSummary
	next := ""
	for page := 0; ; page++ {
		list, err := c.GetRoomList(t.Context(), next, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Rooms) > 20 || page > 2 {
			t.Fatalf("page %d: %d rooms", page, len(list.Rooms))
		}
		rooms = append(rooms, list.Rooms...)
		if next = list.Next; next == "" {
			break
		}
	}
	if len(rooms) != 45 {
		t.Fatalf("%d rooms listed", len(rooms))
	}
	for i, r := range rooms {
		if i > 0 && rooms[i-1].ViewCount < r.ViewCount {
			t.Errorf("not sorted: %d before %d", rooms[i-1].ViewCount, r.ViewCount)
		}
		if r.OwnerAccount != "144115233775727695" || !slices.Equal(r.Category, []string{"3", "1"}) || r.RoomID == "hidden" {
			t.Errorf("room %+v", r)
		}
	}
}

func TestClientDemo(t *testing.T) {
	srv, err := livesim.StartDemo(livesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	app := livesim.DemoApp()
	c, err := tencent.New(tencent.Options{
		SDKAppID:   app.SDKAppID,
		Identifier: app.Identifier,
		BaseURL:    srv.URL(),
		UserSig:    func() (string, error) { return usersig.GenUserSig(app.SDKAppID, app.SecretKey, app.Identifier, 86400) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range livesim.DemoRoomIDs() {
		info, err := c.GetRoomInfo(t.Context(), id)
		class, _ := tencent.Outcome(err)
		switch id {
		case livesim.DemoDissolvedRoom:
			if class != tencent.ClassRoomMissing {
				t.Errorf("%s: %v", id, err)
			}
		case livesim.DemoFlakyRoom:
			if class != tencent.ClassRetryable {
				t.Errorf("%s: %v", id, err)
			}
		default:
			if err != nil || info.RoomID != id || info.ViewCount <= 0 {
				t.Errorf("%s: %+v (%v)", id, info, err)
			}
		}
		if id == livesim.DemoVariantsRoom && info.OwnerAccount != livesim.DemoVariantsOwner {
			t.Errorf("%s: owner %q", id, info.OwnerAccount)
		}
	}
}
