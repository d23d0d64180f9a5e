package livesim

import (
	"encoding/json"
	"strconv"
	"time"
)

// roomInfoResponse is get_room_info's Response.
type roomInfoResponse struct {
	RoomInfo roomInfoJSON
}

// roomInfoJSON is RoomInfo as answered. The fields typed any take the form
// Behaviour.Variants asks for.
type roomInfoJSON struct {
	RoomID            string `json:"RoomId"`
	RoomName          string
	RoomType          string
	OwnerAccount      any `json:"Owner_Account"`
	CreateTime        int64
	IsSeatEnabled     any
	TakeSeatMode      any
	MaxSeatCount      int
	MaxMemberCount    int
	IsMessageDisabled any
	CoverURL          string
	Category          any
	ActivityStatus    int
	ViewCount         int64
	IsPublicVisible   bool
	Notice            string `json:",omitempty"`
	Extension         any    `json:"ExtensionInfo,omitempty"`
}

// memberListResponse is get_member_list's Response.
type memberListResponse struct {
	Next        string
	MemberCount int
	MemberList  []memberJSON
}

// memberJSON is an entry of MemberList.
type memberJSON struct {
	Account string `json:"Member_Account"`
}

// roomListResponse is get_room_list's Response.
type roomListResponse struct {
	Next     string
	RoomList []roomListEntry
}

// roomListEntry is an entry of RoomList.
type roomListEntry struct {
	RoomID         string `json:"RoomId"`
	RoomName       string
	OwnerAccount   any `json:"Owner_Account"`
	CoverURL       string
	Category       any
	CreateTime     int64
	ActivityStatus int
	ViewCount      int64
}

// infoJSON returns the room's get_room_info fields at now.
func (rm *room) infoJSON(now time.Time) roomInfoJSON {
	info := rm.Info
	out := roomInfoJSON{
		RoomID:            rm.ID,
		RoomName:          info.RoomName,
		RoomType:          info.RoomType,
		OwnerAccount:      rm.ownerJSON(),
		CreateTime:        info.CreateTime,
		IsSeatEnabled:     info.IsSeatEnabled,
		TakeSeatMode:      info.TakeSeatMode,
		MaxSeatCount:      info.MaxSeatCount,
		MaxMemberCount:    info.MaxMemberCount,
		IsMessageDisabled: info.IsMessageDisabled,
		CoverURL:          info.CoverURL,
		Category:          rm.categoryJSON(),
		ActivityStatus:    info.ActivityStatus,
		ViewCount:         rm.viewCount(now),
		IsPublicVisible:   info.IsPublicVisible,
		Notice:            info.Notice,
	}
	if rm.Behaviour.Variants {
		out.IsSeatEnabled = boolAsNumber(info.IsSeatEnabled)
		out.IsMessageDisabled = strconv.FormatBool(info.IsMessageDisabled)
		switch info.TakeSeatMode {
		case "FreeToTake":
			out.TakeSeatMode = 1
		case "ApplyToTake":
			out.TakeSeatMode = 2
		}
		out.Extension = map[string]any{"Source": "livesim", "Flags": []int{7}}
	}
	return out
}

// listEntry returns the room's get_room_list entry at now.
func (rm *room) listEntry(now time.Time) roomListEntry {
	return roomListEntry{
		RoomID:         rm.ID,
		RoomName:       rm.Info.RoomName,
		OwnerAccount:   rm.ownerJSON(),
		CoverURL:       rm.Info.CoverURL,
		Category:       rm.categoryJSON(),
		CreateTime:     rm.Info.CreateTime,
		ActivityStatus: rm.Info.ActivityStatus,
		ViewCount:      rm.viewCount(now),
	}
}

// ownerJSON returns Owner_Account as answered: under Variants, an account
// made of digits becomes a JSON number written with every digit.
func (rm *room) ownerJSON() any {
	owner := rm.Info.OwnerAccount
	if rm.Behaviour.Variants && isJSONInteger(owner) {
		return json.Number(owner)
	}
	return owner
}

// categoryJSON returns Category as answered: numbers, or strings under
// Variants.
func (rm *room) categoryJSON() any {
	if !rm.Behaviour.Variants {
		return rm.Info.Category
	}
	out := make([]string, len(rm.Info.Category))
	for i, c := range rm.Info.Category {
		out[i] = strconv.Itoa(c)
	}
	return out
}

// isJSONInteger reports whether s is a non-negative integer as JSON writes
// one: digits, without a leading zero.
func isJSONInteger(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// boolAsNumber returns 1 for true and 0 for false.
func boolAsNumber(b bool) int {
	if b {
		return 1
	}
	return 0
}
