package livesim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Room sizes and paging of the Live API.
const (
	// MaxCategories is how many categories a room has at most.
	MaxCategories = 3
	// MaxRoomListCount is the largest Count get_room_list accepts.
	MaxRoomListCount = 20
	// MaxListedMembers is how many members get_member_list lists at most,
	// whatever MemberCount says.
	MaxListedMembers = 1000
	// MemberPageSize is how many members one get_member_list page lists.
	// Tencent does not document its page size.
	MemberPageSize = 100
)

// memberSwing and memberPeriod shape how a busy room's MemberCount moves
// around its level: by up to ±memberSwing of it, over memberPeriod.
const (
	memberSwing  = 0.2
	memberPeriod = 10 * time.Minute
)

// Room is a Live room of an app.
type Room struct {
	// ID is the RoomId.
	ID string
	// Info is what get_room_info reports, at the time the room is put.
	Info RoomInfo
	// Members is the level around which get_member_list's MemberCount moves.
	Members int
	// Totals are get_room_stats' figures at the time the room is put.
	Totals RoomTotals
	// ViewsPerSecond is how fast ViewCount grows with the simulator's clock.
	// The totals grow with it in fixed proportions, and when it is above 0
	// MemberCount swings around Members.
	ViewsPerSecond float64
	// Behaviour makes the room misbehave.
	Behaviour Behaviour
}

// RoomInfo holds a room's fields as get_room_info reports them.
type RoomInfo struct {
	RoomName string
	// RoomType is "Live" when empty.
	RoomType     string
	OwnerAccount string
	// CreateTime is in Unix seconds; 0 means when the room is put.
	CreateTime    int64
	IsSeatEnabled bool
	// TakeSeatMode is "FreeToTake" or "ApplyToTake".
	TakeSeatMode      string
	MaxSeatCount      int
	MaxMemberCount    int
	IsMessageDisabled bool
	CoverURL          string
	// Category keeps at most MaxCategories entries.
	Category        []int
	ActivityStatus  int
	ViewCount       int64
	IsPublicVisible bool
	Notice          string
}

// RoomTotals are a room's get_room_stats figures; the field names are the
// JSON names.
type RoomTotals struct {
	TotalViewers           int64
	TotalGiftsSent         int64
	TotalGiftCoins         int64
	TotalUniqueGiftSenders int64
	TotalLikesReceived     int64
	TotalMsgCount          int64
}

// Behaviour makes a room misbehave in the ways a client must survive. It
// applies to the room commands (get_room_info, get_member_list,
// get_room_stats); get_room_list is not affected. The zero value behaves.
// Precedence: Gateway, then Flaky, then ErrorCode, then a successful answer
// shaped by Malformed (first) or Oversized, and by Variants.
type Behaviour struct {
	// Delay holds every answer for this much real time, on top of
	// Options.Latency. The wait ends, without an answer, when the client
	// goes away.
	Delay time.Duration
	// Gateway answers HTTP 502 with an HTML body, as a gateway would.
	Gateway bool
	// Flaky answers the room's next Flaky requests with 100001, then
	// answers normally.
	Flaky int
	// FlakyRepeat repeats Flaky's cycle: Flaky failures, one success,
	// Flaky failures...
	FlakyRepeat bool
	// ErrorCode, when not 0, answers every request with this code, such as
	// 100002 or 100006.
	ErrorCode int
	// Malformed cuts successful answers in half: HTTP 200 and not JSON.
	Malformed bool
	// Oversized pads successful answers with whitespace past 1 MiB: still
	// valid JSON, but larger than a careful client reads.
	Oversized bool
	// Variants uses the alternative forms Tencent's documentation shows:
	// Owner_Account as a bare number when it is all digits,
	// IsMessageDisabled as "true"/"false", IsSeatEnabled as 1/0,
	// TakeSeatMode as 1 (FreeToTake) or 2 (ApplyToTake), Category as
	// strings, and an extra field no client knows. Without it, answers use
	// the newer forms: strings, booleans, "ApplyToTake", numbers.
	Variants bool
}

// room is a Room as the server keeps it.
type room struct {
	Room
	since  time.Time // simulator time when the room was put
	served int       // requests counted for Flaky
}

// PutRoom adds a room to an app, or replaces it; a replaced room starts
// afresh (its values move from now, a flaky cycle restarts). The app need
// not be added first.
func (s *Server) PutRoom(sdkappid uint64, r Room) {
	now := s.now()
	r.Info.Category = append([]int{}, r.Info.Category[:min(len(r.Info.Category), MaxCategories)]...)
	if r.Info.RoomType == "" {
		r.Info.RoomType = "Live"
	}
	if r.Info.CreateTime == 0 {
		r.Info.CreateTime = now.Unix()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(sdkappid).rooms[r.ID] = &room{Room: r, since: now}
}

// DissolveRoom removes a room: from then on it answers 100004, as a room
// never created does, and get_room_list no longer lists it.
func (s *Server) DissolveRoom(sdkappid uint64, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[sdkappid]; a != nil {
		delete(a.rooms, id)
	}
}

// roomCommand runs get_room_info, get_member_list or get_room_stats.
func (s *Server) roomCommand(a *app, command string, body []byte, now time.Time) reply {
	var req tencent.RoomRequest
	if e := decodeBody(body, &req); e != nil {
		return s.fail(e.code, e.info)
	}
	if req.RoomID == "" {
		return s.fail(tencent.CodeInvalidParam, "invalid parameter: RoomId is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a.counters.room(req.RoomID, command)
	rm := a.rooms[req.RoomID]
	if rm == nil {
		return s.fail(tencent.CodeRoomNotExist, errorInfo(tencent.CodeRoomNotExist))
	}
	rep := s.roomReply(rm, command, req.Next, now)
	rep.delay = rm.Behaviour.Delay
	return rep
}

// roomReply answers a room command for rm. The caller holds s.mu.
func (s *Server) roomReply(rm *room, command, next string, now time.Time) reply {
	b := rm.Behaviour
	switch {
	case b.Gateway:
		return gatewayError()
	case rm.flaky():
		return s.fail(tencent.CodeInternal, errorInfo(tencent.CodeInternal))
	case b.ErrorCode != 0:
		return s.fail(b.ErrorCode, errorInfo(b.ErrorCode))
	}
	var response any
	switch command {
	case tencent.CommandGetRoomInfo:
		response = roomInfoResponse{RoomInfo: rm.infoJSON(now)}
	case tencent.CommandGetMemberList:
		members, e := rm.members(next, now)
		if e != nil {
			return s.fail(e.code, e.info)
		}
		response = members
	case tencent.CommandGetRoomStats:
		response = rm.totals(now)
	}
	rep := s.ok(response)
	switch {
	case b.Malformed:
		return rep.truncated()
	case b.Oversized:
		return rep.padded()
	}
	return rep
}

// flaky reports whether the room's current request fails under Flaky, and
// moves its cycle on.
func (rm *room) flaky() bool {
	n := rm.Behaviour.Flaky
	if n <= 0 {
		return false
	}
	i := rm.served
	rm.served++
	if rm.Behaviour.FlakyRepeat {
		return i%(n+1) < n
	}
	return i < n
}

// grown returns how much a figure growing at ratio×ViewsPerSecond has grown
// since the room was put.
func (rm *room) grown(now time.Time, ratio float64) int64 {
	elapsed := max(0, now.Sub(rm.since).Seconds())
	return int64(ratio * rm.ViewsPerSecond * elapsed)
}

// viewCount returns ViewCount at now.
func (rm *room) viewCount(now time.Time) int64 {
	return rm.Info.ViewCount + rm.grown(now, 1)
}

// totals returns the get_room_stats figures at now: per room entry, 0.6
// viewers, 0.05 gifts worth 10 coins each, 0.01 new gift senders, 2 likes
// and 0.8 messages.
func (rm *room) totals(now time.Time) RoomTotals {
	t := rm.Totals
	t.TotalViewers += rm.grown(now, 0.6)
	t.TotalGiftsSent += rm.grown(now, 0.05)
	t.TotalGiftCoins += rm.grown(now, 0.5)
	t.TotalUniqueGiftSenders += rm.grown(now, 0.01)
	t.TotalLikesReceived += rm.grown(now, 2)
	t.TotalMsgCount += rm.grown(now, 0.8)
	return t
}

// memberCount returns MemberCount at now.
func (rm *room) memberCount(now time.Time) int {
	if rm.ViewsPerSecond <= 0 {
		return rm.Members
	}
	phase := 2 * math.Pi * now.Sub(rm.since).Seconds() / memberPeriod.Seconds()
	return int(math.Round(float64(rm.Members) * (1 + memberSwing*math.Sin(phase))))
}

// members returns the get_member_list page starting at the cursor next.
func (rm *room) members(next string, now time.Time) (memberListResponse, *apiError) {
	offset, e := decodeCursor(next)
	if e != nil {
		return memberListResponse{}, e
	}
	count := rm.memberCount(now)
	listed := min(count, MaxListedMembers)
	end := min(offset+MemberPageSize, listed)
	resp := memberListResponse{MemberCount: count, MemberList: []memberJSON{}}
	for i := offset; i < end; i++ {
		resp.MemberList = append(resp.MemberList, memberJSON{Account: fmt.Sprintf("viewer_%04d", i+1)})
	}
	if end < listed {
		resp.Next = encodeCursor(end)
	}
	return resp, nil
}

// roomList runs get_room_list: the existing, publicly visible rooms by
// ViewCount, largest first, Count at a time.
func (s *Server) roomList(a *app, body []byte, now time.Time) reply {
	var req tencent.RoomListRequest
	if e := decodeBody(body, &req); e != nil {
		return s.fail(e.code, e.info)
	}
	if req.Count < 1 || req.Count > MaxRoomListCount {
		return s.fail(tencent.CodeInvalidParam, "invalid parameter: Count must be 1..20")
	}
	offset, e := decodeCursor(req.Next)
	if e != nil {
		return s.fail(e.code, e.info)
	}
	s.mu.Lock()
	rooms := []roomListEntry{}
	for _, rm := range a.rooms {
		if rm.Info.IsPublicVisible {
			rooms = append(rooms, rm.listEntry(now))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(rooms, func(x, y roomListEntry) int {
		return cmp.Or(cmp.Compare(y.ViewCount, x.ViewCount), cmp.Compare(x.RoomID, y.RoomID))
	})
	end := min(offset+req.Count, len(rooms))
	resp := roomListResponse{RoomList: rooms[min(offset, end):end]}
	if end < len(rooms) {
		resp.Next = encodeCursor(end)
	}
	return s.ok(resp)
}

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
