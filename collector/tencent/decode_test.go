package tencent

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// assertRoomInfo fails t unless got equals want, Category compared as a list
// (nil and empty alike).
func assertRoomInfo(t *testing.T, got, want RoomInfo) {
	t.Helper()
	if !slices.Equal(got.Category, want.Category) {
		t.Errorf("Category = %q, want %q", got.Category, want.Category)
	}
	got.Category, want.Category = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RoomInfo =\n%+v\nwant\n%+v", got, want)
	}
}

// okRoom wraps a RoomInfo object in an OK answer.
func okRoom(roomInfo string) []byte {
	return []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Response":{"RoomInfo":` + roomInfo + `}}`)
}

func TestDecodeRoomInfoVariants(t *testing.T) {
	for _, tc := range []struct {
		name, room string
		want       RoomInfo
	}{
		{"owner as big number", `{"Owner_Account":144115233775727695}`, RoomInfo{OwnerAccount: "144115233775727695"}},
		{"owner as string", `{"Owner_Account":"144115233775727695"}`, RoomInfo{OwnerAccount: "144115233775727695"}},
		{"owner above uint64", `{"Owner_Account":123456789012345678901234567890}`, RoomInfo{OwnerAccount: "123456789012345678901234567890"}},
		{"room id as number", `{"RoomId":42}`, RoomInfo{RoomID: "42"}},
		{"bools true", `{"IsSeatEnabled":"true","IsMessageDisabled":1,"IsPublicVisible":"1"}`,
			RoomInfo{IsSeatEnabled: true, IsMessageDisabled: true, IsPublicVisible: true}},
		{"bools true any case", `{"IsSeatEnabled":"True","IsMessageDisabled":" TRUE ","IsPublicVisible":true}`,
			RoomInfo{IsSeatEnabled: true, IsMessageDisabled: true, IsPublicVisible: true}},
		{"bools false", `{"IsSeatEnabled":"false","IsMessageDisabled":0,"IsPublicVisible":"0"}`, RoomInfo{}},
		{"bools empty and null", `{"IsSeatEnabled":"","IsMessageDisabled":null,"IsPublicVisible":false}`, RoomInfo{}},
		{"seat mode 1", `{"TakeSeatMode":1}`, RoomInfo{TakeSeatMode: "FreeToTake"}},
		{"seat mode 2", `{"TakeSeatMode":2}`, RoomInfo{TakeSeatMode: "ApplyToTake"}},
		{"seat mode \"2\"", `{"TakeSeatMode":"2"}`, RoomInfo{TakeSeatMode: "ApplyToTake"}},
		{"seat mode 7", `{"TakeSeatMode":7}`, RoomInfo{TakeSeatMode: "7"}},
		{"seat mode name", `{"TakeSeatMode":"FreeToTake"}`, RoomInfo{TakeSeatMode: "FreeToTake"}},
		{"seat mode unknown name", `{"TakeSeatMode":"Auction"}`, RoomInfo{TakeSeatMode: "Auction"}},
		{"category numbers", `{"Category":[1,2,3]}`, RoomInfo{Category: []string{"1", "2", "3"}}},
		{"category strings", `{"Category":["music","1"]}`, RoomInfo{Category: []string{"music", "1"}}},
		{"category mixed", `{"Category":[7,"game"]}`, RoomInfo{Category: []string{"7", "game"}}},
		{"category scalar", `{"Category":5}`, RoomInfo{Category: []string{"5"}}},
		{"category empty", `{"Category":[]}`, RoomInfo{}},
		{"integers as strings", `{"CreateTime":"1693271354","MaxSeatCount":" 8 ","ViewCount":"","ActivityStatus":"-3"}`,
			RoomInfo{CreateTime: 1693271354, MaxSeatCount: 8, ActivityStatus: -3}},
		{"integral floats", `{"MaxMemberCount":300.0,"ViewCount":1e3}`, RoomInfo{MaxMemberCount: 300, ViewCount: 1000}},
		{"unknown fields", `{"RoomId":"r","Extra":{"a":[1,2]},"Another":null,"RoomType":"Live"}`, RoomInfo{RoomID: "r", RoomType: "Live"}},
		{"nulls", `{"RoomId":null,"CreateTime":null,"Category":null,"TakeSeatMode":null}`, RoomInfo{}},
		{"empty", `{}`, RoomInfo{}},
		{"notice", `{"Notice":"hello \u00e9"}`, RoomInfo{Notice: "hello é"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, e := decodeRoomInfo(okRoom(tc.room))
			if e != nil {
				t.Fatal(e)
			}
			assertRoomInfo(t, got, tc.want)
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"empty":                     ``,
		"not json":                  `<html>502</html>`,
		"truncated":                 docSample[:100],
		"array":                     `[]`,
		"null":                      `null`,
		"string":                    `"OK"`,
		"no ActionStatus":           `{"ErrorCode":0,"Response":{"RoomInfo":{}}}`,
		"no ErrorCode":              `{"ActionStatus":"OK","Response":{"RoomInfo":{}}}`,
		"null ErrorCode":            `{"ActionStatus":"OK","ErrorCode":null,"Response":{"RoomInfo":{}}}`,
		"OK with code":              `{"ActionStatus":"OK","ErrorCode":100004,"Response":{"RoomInfo":{}}}`,
		"FAIL without code":         `{"ActionStatus":"FAIL","ErrorCode":0}`,
		"other status":              `{"ActionStatus":"MAYBE","ErrorCode":0,"Response":{"RoomInfo":{}}}`,
		"ErrorCode not a number":    `{"ActionStatus":"FAIL","ErrorCode":"x"}`,
		"ErrorCode float":           `{"ActionStatus":"FAIL","ErrorCode":1.5}`,
		"OK without Response":       `{"ActionStatus":"OK","ErrorCode":0}`,
		"OK with null Response":     `{"ActionStatus":"OK","ErrorCode":0,"Response":null}`,
		"Response without room":     `{"ActionStatus":"OK","ErrorCode":0,"Response":{}}`,
		"Response not an object":    `{"ActionStatus":"OK","ErrorCode":0,"Response":[1]}`,
		"RoomInfo not an object":    string(okRoom(`"room"`)),
		"bool not a bool":           string(okRoom(`{"IsSeatEnabled":"yes"}`)),
		"bool 2":                    string(okRoom(`{"IsSeatEnabled":2}`)),
		"int not integral":          string(okRoom(`{"CreateTime":1.5}`)),
		"int too big":               string(okRoom(`{"ViewCount":9223372036854775808}`)),
		"int object":                string(okRoom(`{"ViewCount":{}}`)),
		"int bool":                  string(okRoom(`{"ViewCount":true}`)),
		"int NaN":                   string(okRoom(`{"ViewCount":"NaN"}`)),
		"text bool":                 string(okRoom(`{"Owner_Account":true}`)),
		"text object":               string(okRoom(`{"RoomName":{"a":1}}`)),
		"seat mode float":           string(okRoom(`{"TakeSeatMode":1.5}`)),
		"seat mode array":           string(okRoom(`{"TakeSeatMode":[1]}`)),
		"category object":           string(okRoom(`{"Category":{"a":1}}`)),
		"category of objects":       string(okRoom(`{"Category":[{}]}`)),
		"trailing garbage":          docSample + `}`,
		"documented trailing comma": `{"ActionStatus":"OK","ErrorCode":0,"Response":{"RoomInfo":{"RoomId":"r",}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, e := decodeRoomInfo([]byte(body))
			if e == nil {
				t.Fatal("decoded")
			}
			if e.Class != ClassRetryable || e.Code != CodeLabelDecode {
				t.Errorf("outcome %v %q: %v", e.Class, e.Code, e)
			}
		})
	}
}

func TestDecodeStatusCase(t *testing.T) {
	if _, e := decodeRoomInfo([]byte(`{"ActionStatus":"ok","ErrorCode":"0","Response":{"RoomInfo":{}}}`)); e != nil {
		t.Errorf("lower-case OK: %v", e)
	}
	if _, e := decodeRoomInfo([]byte(`{"ActionStatus":"fail","ErrorCode":100004}`)); e == nil || e.Class != ClassRoomMissing {
		t.Errorf("lower-case FAIL: %v", e)
	}
}

// canonicalRoom encodes r as Tencent's newest documentation does.
func canonicalRoom(r RoomInfo) []byte {
	b, err := json.Marshal(map[string]any{
		"RoomId": r.RoomID, "RoomName": r.RoomName, "RoomType": r.RoomType,
		"Owner_Account": r.OwnerAccount, "CreateTime": r.CreateTime,
		"IsSeatEnabled": r.IsSeatEnabled, "TakeSeatMode": r.TakeSeatMode,
		"MaxSeatCount": r.MaxSeatCount, "MaxMemberCount": r.MaxMemberCount,
		"IsMessageDisabled": r.IsMessageDisabled, "CoverURL": r.CoverURL,
		"Category": r.Category, "ActivityStatus": r.ActivityStatus,
		"ViewCount": r.ViewCount, "IsPublicVisible": r.IsPublicVisible, "Notice": r.Notice,
	})
	if err != nil {
		panic(err)
	}
	return okRoom(string(b))
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(docSample))
	f.Add(okRoom(`{"Owner_Account":"1","IsSeatEnabled":"true","TakeSeatMode":2,"Category":["a",1],"X":{}}`))
	f.Add(okRoom(`{"CreateTime":"12","ViewCount":1e3,"IsPublicVisible":1,"Category":7}`))
	f.Add([]byte(`{"ActionStatus":"FAIL","ErrorCode":100004,"ErrorInfo":"room not exist"}`))
	f.Add([]byte(`{"ActionStatus":"OK","ErrorCode":0}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, e := decodeRoomInfo(body)
		if e != nil {
			if e.Code == "" || e.Class == ClassOK || e.Class.String() == "" {
				t.Fatalf("bad error %+v", e)
			}
			if e.ErrorCode != 0 && (e.Class != ClassifyCode(e.ErrorCode) || len(e.Info) > maxInfoBytes+len("…")) {
				t.Fatalf("bad Tencent error %+v", e)
			}
			return
		}
		// A decoded room survives a round trip through the canonical form.
		again, e := decodeRoomInfo(canonicalRoom(got))
		if e != nil {
			t.Fatalf("canonical form of %+v does not decode: %v", got, e)
		}
		assertRoomInfo(t, again, got)
	})
}

func BenchmarkDecodeRoomInfo(b *testing.B) {
	body := []byte(docSample)
	b.ReportAllocs()
	for b.Loop() {
		if _, e := decodeRoomInfo(body); e != nil {
			b.Fatal(e)
		}
	}
}
