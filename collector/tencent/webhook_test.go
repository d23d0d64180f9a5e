package tencent

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The vector of tencent-api.md.
const (
	vecToken       = "xxxxyyyy"
	vecRequestTime = "1669872112"
	vecSign        = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
)

// vecNow is vecRequestTime as a time.
var vecNow = time.Unix(1669872112, 0)

func TestWebhookSignVector(t *testing.T) {
	if got := WebhookSign(vecToken, vecRequestTime); got != vecSign {
		t.Fatalf("WebhookSign = %s, want %s", got, vecSign)
	}
}

func TestWebhookCommands(t *testing.T) {
	got := WebhookCommands()
	want := []string{CallbackBeforeSendMsg, CallbackAfterCreateRoom, CallbackAfterCreateRoomReachingThreshold,
		CallbackAfterDestroyRoom, CallbackAfterMemberStateChanged, CallbackAfterUpdateRoomInfo,
		CallbackBeforeSendGift, CallbackAfterSeatInfoChanged}
	if !slices.Equal(got, want) {
		t.Errorf("WebhookCommands = %q, want %q", got, want)
	}
	for _, name := range append(got, CallbackMemberStateChanged) {
		if canonical, ok := KnownWebhookCommand(name); !ok || !slices.Contains(want, canonical) {
			t.Errorf("KnownWebhookCommand(%q) = %q, %v", name, canonical, ok)
		}
	}
	if c, ok := KnownWebhookCommand("Live.CallbackAfterCreateRoomX"); ok || c != "" {
		t.Errorf("unknown command known as %q", c)
	}
}

func TestVerifyWebhookSign(t *testing.T) {
	other := WebhookSign("another-token", vecRequestTime)
	tests := []struct {
		name              string
		requestTime, sign string
		now               time.Time
		want              error
	}{
		{"vector", vecRequestTime, vecSign, vecNow, nil},
		{"upper-case hex", vecRequestTime, strings.ToUpper(vecSign), vecNow, nil},
		{"sent 60 s ago", vecRequestTime, vecSign, vecNow.Add(60 * time.Second), nil},
		{"sent 60 s ahead", vecRequestTime, vecSign, vecNow.Add(-60 * time.Second), nil},
		{"sent 60.9 s ago", vecRequestTime, vecSign, vecNow.Add(60*time.Second + 900*time.Millisecond), nil},
		{"sent 61 s ago", vecRequestTime, vecSign, vecNow.Add(61 * time.Second), ErrWebhookTime},
		{"sent 61 s ahead", vecRequestTime, vecSign, vecNow.Add(-61 * time.Second), ErrWebhookTime},
		{"sent a day ago", vecRequestTime, vecSign, vecNow.Add(24 * time.Hour), ErrWebhookTime},
		{"no Sign", vecRequestTime, "", vecNow, ErrWebhookUnsigned},
		{"no RequestTime", "", vecSign, vecNow, ErrWebhookUnsigned},
		{"neither", "", "", vecNow, ErrWebhookUnsigned},
		{"RequestTime with a sign", "+" + vecRequestTime, WebhookSign(vecToken, "+"+vecRequestTime), vecNow, ErrWebhookTime},
		{"RequestTime with a space", " " + vecRequestTime, WebhookSign(vecToken, " "+vecRequestTime), vecNow, ErrWebhookTime},
		{"RequestTime in ms", vecRequestTime + "000", WebhookSign(vecToken, vecRequestTime+"000"), vecNow, ErrWebhookTime},
		{"RequestTime float", vecRequestTime + ".0", WebhookSign(vecToken, vecRequestTime+".0"), vecNow, ErrWebhookTime},
		{"RequestTime negative", "-1", WebhookSign(vecToken, "-1"), time.Unix(-1, 0), ErrWebhookTime},
		{"RequestTime of 19 digits", "9223372036854775807", vecSign, vecNow, ErrWebhookTime},
		{"RequestTime not a number", "now", vecSign, vecNow, ErrWebhookTime},
		{"Sign of another token", vecRequestTime, other, vecNow, ErrWebhookSign},
		{"Sign of another time", "1669872113", vecSign, vecNow, ErrWebhookSign},
		{"Sign one digit off", vecRequestTime, vecSign[:63] + "0", vecNow, ErrWebhookSign},
		{"Sign too short", vecRequestTime, vecSign[:62], vecNow, ErrWebhookSign},
		{"Sign too long", vecRequestTime, vecSign + "00", vecNow, ErrWebhookSign},
		{"Sign not hex", vecRequestTime, "zz" + vecSign[2:], vecNow, ErrWebhookSign},
		{"Sign of the token alone", vecRequestTime, WebhookSign(vecToken, ""), vecNow, ErrWebhookSign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhookSign(vecToken, tc.requestTime, tc.sign, tc.now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("VerifyWebhookSign = %v, want %v", err, tc.want)
			}
			if err != nil && (strings.Contains(err.Error(), vecToken) || (tc.sign != "" && strings.Contains(err.Error(), tc.sign))) {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// Webhook bodies as Tencent's documentation shows them.
const (
	createBody = `{"Operator_Account":"host_anna","RoomInfo":{"RoomId":"live-1","RoomName":"Morning Yoga",
 "RoomType":"Live","Owner_Account":"host_anna","MaxMemberCount":1000,"IsMessageDisabled":false,
 "CustomInfo":"","IsSeatEnabled":true,"TakeSeatMode":"ApplyToTake","MaxSeatCount":8,
 "CreateTime":1693271354,"IsPublicVisible":true,"CoverURL":"https://x/c.png","Category":[1,2]}}`
	destroyBody = `{"Operator_Account":"administrator","RoomId":"live-1","EventType":"DestroyBySystem",
 "EventTime":1693271999123,"RoomInfo":{"RoomId":"live-1","RoomName":"Morning Yoga","Owner_Account":144115233775727695,
 "ActivityStatus":1,"ViewCount":42,"IsPublicVisible":false},
 "Statistic":{"TotalViewers":30,"TotalGiftsSent":2,"TotalGiftCoins":20,"TotalUniqueGiftSenders":1,"TotalLikesReceived":90}}`
	updateBody = `{"Operator_Account":"host_anna","RoomInfo":{"RoomId":"live-1","RoomName":"Evening Yoga",
 "MaxMemberCount":2000,"IsMessageDisabled":true,"CoverURL":"","Category":["3"],"ActivityStatus":2,
 "IsPublicVisible":"1","TakeSeatMode":2,"CustomInfo":"{}"},"EventTime":"1693272000456"}`
	memberBody = `{"RoomId":"live-1","EventType":"Online","EventCause":"Enter",
 "MemberList":[{"Member_Account":"viewer_1"},{"Member_Account":"viewer_2"},{"Member_Account":3}],"EventTime":1693272001000}`
	thresholdBody = `{"Operator_Account":"host_kai","EventTime":1693272002000,"CurRoomCount":"70","MaxRoomCount":100}`
)

func TestDecodeEvent(t *testing.T) {
	tests := []struct {
		name, command, body string
		want                Event
	}{
		{"create", CallbackAfterCreateRoom, createBody, Event{
			Command: CallbackAfterCreateRoom, RoomID: "live-1", Operator: "host_anna", Owner: "host_anna", Public: true,
		}},
		{"destroy, owner as a big number", CallbackAfterDestroyRoom, destroyBody, Event{
			Command: CallbackAfterDestroyRoom, RoomID: "live-1", Type: DestroyBySystem, Operator: "administrator",
			Owner: "144115233775727695", Time: time.UnixMilli(1693271999123),
		}},
		{"update, EventTime as a string", CallbackAfterUpdateRoomInfo, updateBody, Event{
			Command: CallbackAfterUpdateRoomInfo, RoomID: "live-1", Operator: "host_anna", Public: true,
			Time: time.UnixMilli(1693272000456),
		}},
		{"member state", CallbackAfterMemberStateChanged, memberBody, Event{
			Command: CallbackAfterMemberStateChanged, RoomID: "live-1", Type: MemberOnline, Cause: CauseEnter,
			Members: 3, Time: time.UnixMilli(1693272001000),
		}},
		{"member state, other spelling", CallbackMemberStateChanged,
			`{"RoomId":77,"EventType":"Offline","EventCause":"Kicked","MemberList":[{"Member_Account":"v"}],"EventTime":null}`,
			Event{Command: CallbackAfterMemberStateChanged, RoomID: "77", Type: MemberOffline, Cause: CauseKicked, Members: 1}},
		{"member state without members", CallbackAfterMemberStateChanged, `{"RoomId":"r","MemberList":[]}`,
			Event{Command: CallbackAfterMemberStateChanged, RoomID: "r"}},
		{"quota", CallbackAfterCreateRoomReachingThreshold, thresholdBody, Event{
			Command: CallbackAfterCreateRoomReachingThreshold, Operator: "host_kai", RoomCount: 70, MaxRoomCount: 100,
			Time: time.UnixMilli(1693272002000),
		}},
		{"quota, empty", CallbackAfterCreateRoomReachingThreshold, `{}`,
			Event{Command: CallbackAfterCreateRoomReachingThreshold}},
		{"unknown fields and spaces", CallbackAfterDestroyRoom, " \n{\"RoomId\":\"r\",\"New\":{\"a\":[1,{}]},\"EventTime\":0}\t",
			Event{Command: CallbackAfterDestroyRoom, RoomID: "r"}},
		{"top-level RoomId wins", CallbackAfterDestroyRoom, `{"RoomId":"a","RoomInfo":{"RoomId":"b"}}`,
			Event{Command: CallbackAfterDestroyRoom, RoomID: "a"}},
		{"before command, fields unread", CallbackBeforeSendGift, `{"RoomId":{"odd":true},"GiftCount":"x"}`,
			Event{Command: CallbackBeforeSendGift}},
		{"unknown command", "Live.CallbackSomethingNew", `{"RoomId":[]}`, Event{Command: "Live.CallbackSomethingNew"}},
		{"empty command", "", `{}`, Event{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeEvent(tc.command, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(tc.want.Time) {
				t.Errorf("Time = %v, want %v", got.Time, tc.want.Time)
			}
			got.Time, tc.want.Time = time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("Event =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct{ name, command, body string }{
		{"empty", CallbackAfterDestroyRoom, ``},
		{"spaces", CallbackAfterDestroyRoom, "  \n"},
		{"null", CallbackAfterDestroyRoom, `null`},
		{"array", CallbackAfterDestroyRoom, `[{"RoomId":"r"}]`},
		{"string", CallbackAfterDestroyRoom, `"r"`},
		{"number", CallbackAfterDestroyRoom, `1`},
		{"truncated", CallbackAfterDestroyRoom, `{"RoomId":"r"`},
		{"trailing garbage", CallbackAfterDestroyRoom, `{"RoomId":"r"}}`},
		{"form encoded", CallbackAfterDestroyRoom, `RoomId=r`},
		{"unknown command, null", "Live.CallbackOther", `null`},
		{"unknown command, array", "Live.CallbackOther", `[]`},
		{"unknown command, truncated", "Live.CallbackOther", `{"a":`},
		{"before command, not JSON", CallbackBeforeSendMsg, `{"a":1,}`},
		{"no RoomId", CallbackAfterDestroyRoom, `{"EventType":"DestroyByUser"}`},
		{"empty RoomId", CallbackAfterCreateRoom, `{"RoomInfo":{"RoomId":""}}`},
		{"member state without RoomId", CallbackMemberStateChanged, `{"MemberList":[{"Member_Account":"a"}]}`},
		{"RoomId an object", CallbackAfterDestroyRoom, `{"RoomId":{"id":"r"}}`},
		{"EventTime not a number", CallbackAfterDestroyRoom, `{"RoomId":"r","EventTime":"yesterday"}`},
		{"EventTime fractional", CallbackAfterDestroyRoom, `{"RoomId":"r","EventTime":1.5}`},
		{"MemberList not a list", CallbackAfterMemberStateChanged, `{"RoomId":"r","MemberList":{"Member_Account":"a"}}`},
		{"MemberList of strings", CallbackAfterMemberStateChanged, `{"RoomId":"r","MemberList":["a"]}`},
		{"RoomInfo not an object", CallbackAfterCreateRoom, `{"RoomInfo":"live-1"}`},
		{"IsPublicVisible not a boolean", CallbackAfterCreateRoom, `{"RoomInfo":{"RoomId":"r","IsPublicVisible":"maybe"}}`},
		{"CurRoomCount not a number", CallbackAfterCreateRoomReachingThreshold, `{"CurRoomCount":[70]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if ev, err := DecodeEvent(tc.command, []byte(tc.body)); err == nil {
				t.Fatalf("decoded %+v", ev)
			}
		})
	}
}

func FuzzDecodeEvent(f *testing.F) {
	for _, body := range []string{createBody, destroyBody, updateBody, memberBody, thresholdBody, `{}`, `null`, ``} {
		f.Add(CallbackAfterDestroyRoom, []byte(body))
	}
	f.Add(CallbackMemberStateChanged, []byte(memberBody))
	f.Add(CallbackAfterCreateRoomReachingThreshold, []byte(thresholdBody))
	f.Add(CallbackBeforeSendGift, []byte(`{"x":1}`))
	f.Fuzz(func(t *testing.T, command string, body []byte) {
		ev, err := DecodeEvent(command, body)
		if err != nil {
			if ev != (Event{}) {
				t.Fatalf("error %v with event %+v", err, ev)
			}
			return
		}
		if canonical, known := KnownWebhookCommand(command); known && ev.Command != canonical || !known && ev.Command != command {
			t.Fatalf("Command %q for %q", ev.Command, command)
		}
		if roomCommands[ev.Command] && ev.RoomID == "" {
			t.Fatalf("room event without a room: %+v", ev)
		}
		if ev.Members < 0 || (!ev.Time.IsZero() && ev.Time.UnixMilli() <= 0) {
			t.Fatalf("impossible event %+v", ev)
		}
	})
}

func FuzzVerifyWebhookSign(f *testing.F) {
	f.Add(vecToken, vecRequestTime, vecSign, int64(0))
	f.Add(vecToken, vecRequestTime, strings.ToUpper(vecSign), int64(60))
	f.Add("", "0", WebhookSign("", "0"), int64(-61))
	f.Add(vecToken, "+1669872112", vecSign, int64(0))
	f.Fuzz(func(t *testing.T, token, requestTime, sign string, skew int64) {
		now := vecNow.Add(time.Duration(skew%1e6) * time.Second)
		err := VerifyWebhookSign(token, requestTime, sign, now)
		if err != nil {
			if !errors.Is(err, ErrWebhookUnsigned) && !errors.Is(err, ErrWebhookTime) && !errors.Is(err, ErrWebhookSign) {
				t.Fatalf("error outside the set: %v", err)
			}
			return
		}
		// Accepted: the Sign is the token's for this time, and the time is
		// decimal seconds within a minute of now.
		if !strings.EqualFold(sign, WebhookSign(token, requestTime)) {
			t.Fatalf("accepted a Sign that is not the token's: %q %q %q", token, requestTime, sign)
		}
		sent, ok := unixSeconds(requestTime)
		if d := now.Sub(time.Unix(sent, 0)); !ok || d > WebhookMaxSkew || d < -WebhookMaxSkew {
			t.Fatalf("accepted RequestTime %q at %v", requestTime, now)
		}
	})
}
