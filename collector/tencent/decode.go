package tencent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// envelope is the lenient form of Envelope used for decoding. ActionStatus
// and ErrorCode are pointers so that their absence is seen.
type envelope struct {
	ActionStatus *text           `json:"ActionStatus"`
	ErrorCode    *integer        `json:"ErrorCode"`
	ErrorInfo    text            `json:"ErrorInfo"`
	Response     json.RawMessage `json:"Response"`
}

// errNoResponse is the cause of a decode error for an OK answer without the
// object its command returns.
var errNoResponse = errors.New("OK answer without Response")

// parseEnvelope checks the envelope of an answer and returns its Response.
// An answer with a non-zero ErrorCode gives its *Error; one that is not a
// JSON object, lacks ActionStatus or ErrorCode, contradicts itself ("OK"
// with an ErrorCode, "FAIL" without one) or is OK without a Response is a
// decode error.
func parseEnvelope(body []byte) (json.RawMessage, *Error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, decodeError(fmt.Errorf("envelope: %w", err))
	}
	if env.ActionStatus == nil || env.ErrorCode == nil {
		return nil, decodeError(errors.New("envelope without ActionStatus or ErrorCode"))
	}
	status, code := string(*env.ActionStatus), int(*env.ErrorCode)
	switch {
	case strings.EqualFold(status, "OK") && code == CodeOK:
		if len(env.Response) == 0 || string(env.Response) == "null" {
			return nil, decodeError(errNoResponse)
		}
		return env.Response, nil
	case strings.EqualFold(status, "FAIL") && code != CodeOK:
		return nil, tencentError(code, string(env.ErrorInfo))
	default:
		return nil, decodeError(fmt.Errorf("envelope: ActionStatus %.20q with ErrorCode %d", status, code))
	}
}

// decodeReply decodes an answer whose Response has the wire form W and
// turns it into T with value.
func decodeReply[W, T any](body []byte, value func(*W) (T, error)) (T, *Error) {
	var zero T
	raw, e := parseEnvelope(body)
	if e != nil {
		return zero, e
	}
	var w W
	if err := json.Unmarshal(raw, &w); err != nil {
		return zero, decodeError(fmt.Errorf("field Response: %w", err))
	}
	v, err := value(&w)
	if err != nil {
		return zero, decodeError(err)
	}
	return v, nil
}

// roomInfoWire is RoomInfo as sent.
type roomInfoWire struct {
	RoomID            text     `json:"RoomId"`
	RoomName          text     `json:"RoomName"`
	RoomType          text     `json:"RoomType"`
	OwnerAccount      text     `json:"Owner_Account"`
	CreateTime        integer  `json:"CreateTime"`
	IsSeatEnabled     boolean  `json:"IsSeatEnabled"`
	TakeSeatMode      seatMode `json:"TakeSeatMode"`
	MaxSeatCount      integer  `json:"MaxSeatCount"`
	MaxMemberCount    integer  `json:"MaxMemberCount"`
	IsMessageDisabled boolean  `json:"IsMessageDisabled"`
	CoverURL          text     `json:"CoverURL"`
	Category          textList `json:"Category"`
	ActivityStatus    integer  `json:"ActivityStatus"`
	ViewCount         integer  `json:"ViewCount"`
	IsPublicVisible   boolean  `json:"IsPublicVisible"`
	Notice            text     `json:"Notice"`
}

// decodeRoomInfo decodes a get_room_info answer. Its Response must hold a
// RoomInfo object; missing fields inside it are zero.
func decodeRoomInfo(body []byte) (RoomInfo, *Error) {
	return decodeReply(body, func(r *struct{ RoomInfo *roomInfoWire }) (RoomInfo, error) {
		w := r.RoomInfo
		if w == nil {
			return RoomInfo{}, fmt.Errorf("%w.RoomInfo", errNoResponse)
		}
		return RoomInfo{
			RoomID:            string(w.RoomID),
			RoomName:          string(w.RoomName),
			RoomType:          string(w.RoomType),
			OwnerAccount:      string(w.OwnerAccount),
			CreateTime:        int64(w.CreateTime),
			IsSeatEnabled:     bool(w.IsSeatEnabled),
			TakeSeatMode:      string(w.TakeSeatMode),
			MaxSeatCount:      int64(w.MaxSeatCount),
			MaxMemberCount:    int64(w.MaxMemberCount),
			IsMessageDisabled: bool(w.IsMessageDisabled),
			CoverURL:          string(w.CoverURL),
			Category:          w.Category,
			ActivityStatus:    int64(w.ActivityStatus),
			ViewCount:         int64(w.ViewCount),
			IsPublicVisible:   bool(w.IsPublicVisible),
			Notice:            string(w.Notice),
		}, nil
	})
}

// memberListWire is the Response of get_member_list.
type memberListWire struct {
	Next        text    `json:"Next"`
	MemberCount integer `json:"MemberCount"`
	MemberList  []struct {
		MemberAccount text `json:"Member_Account"`
	} `json:"MemberList"`
}

// decodeMemberList decodes a get_member_list answer.
func decodeMemberList(body []byte) (MemberList, *Error) {
	return decodeReply(body, func(w *memberListWire) (MemberList, error) {
		l := MemberList{Next: string(w.Next), MemberCount: int64(w.MemberCount)}
		if len(w.MemberList) > 0 {
			l.Members = make([]string, len(w.MemberList))
			for i, m := range w.MemberList {
				l.Members[i] = string(m.MemberAccount)
			}
		}
		return l, nil
	})
}

// roomStatsWire is the Response of get_room_stats.
type roomStatsWire struct {
	TotalViewers           integer `json:"TotalViewers"`
	TotalGiftsSent         integer `json:"TotalGiftsSent"`
	TotalGiftCoins         integer `json:"TotalGiftCoins"`
	TotalUniqueGiftSenders integer `json:"TotalUniqueGiftSenders"`
	TotalLikesReceived     integer `json:"TotalLikesReceived"`
	TotalMsgCount          integer `json:"TotalMsgCount"`
}

// decodeRoomStats decodes a get_room_stats answer.
func decodeRoomStats(body []byte) (RoomStats, *Error) {
	return decodeReply(body, func(w *roomStatsWire) (RoomStats, error) {
		return RoomStats{
			TotalViewers:           int64(w.TotalViewers),
			TotalGiftsSent:         int64(w.TotalGiftsSent),
			TotalGiftCoins:         int64(w.TotalGiftCoins),
			TotalUniqueGiftSenders: int64(w.TotalUniqueGiftSenders),
			TotalLikesReceived:     int64(w.TotalLikesReceived),
			TotalMsgCount:          int64(w.TotalMsgCount),
		}, nil
	})
}

// roomListWire is the Response of get_room_list.
type roomListWire struct {
	Next     text `json:"Next"`
	RoomList []struct {
		RoomID         text     `json:"RoomId"`
		RoomName       text     `json:"RoomName"`
		OwnerAccount   text     `json:"Owner_Account"`
		CoverURL       text     `json:"CoverURL"`
		Category       textList `json:"Category"`
		CreateTime     integer  `json:"CreateTime"`
		ActivityStatus integer  `json:"ActivityStatus"`
		ViewCount      integer  `json:"ViewCount"`
	} `json:"RoomList"`
}

// decodeRoomList decodes a get_room_list answer.
func decodeRoomList(body []byte) (RoomList, *Error) {
	return decodeReply(body, func(w *roomListWire) (RoomList, error) {
		l := RoomList{Next: string(w.Next)}
		if len(w.RoomList) > 0 {
			l.Rooms = make([]RoomSummary, len(w.RoomList))
			for i, r := range w.RoomList {
				l.Rooms[i] = RoomSummary{
					RoomID:         string(r.RoomID),
					RoomName:       string(r.RoomName),
					OwnerAccount:   string(r.OwnerAccount),
					CoverURL:       string(r.CoverURL),
					Category:       r.Category,
					CreateTime:     int64(r.CreateTime),
					ActivityStatus: int64(r.ActivityStatus),
					ViewCount:      int64(r.ViewCount),
				}
			}
		}
		return l, nil
	})
}
