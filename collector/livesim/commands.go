package livesim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Paging of the Live API.
const (
	// MaxRoomListCount is the largest Count get_room_list accepts.
	MaxRoomListCount = 20
	// MaxListedMembers is how many members get_member_list lists at most,
	// whatever MemberCount says.
	MaxListedMembers = 1000
	// MemberPageSize is how many members one get_member_list page lists.
	// Tencent does not document its page size.
	MemberPageSize = 100
)

// roomCommand runs get_room_info, get_member_list or get_room_stats.
func (s *Server) roomCommand(a *app, command string, body []byte, now time.Time) reply {
	var req tencent.RoomRequest
	if e := decodeBody(body, &req); e != nil {
		return s.refuse(e)
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
	case rm.flaky(command):
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
			return s.refuse(e)
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
		return s.refuse(e)
	}
	if req.Count < 1 || req.Count > MaxRoomListCount {
		return s.fail(tencent.CodeInvalidParam, "invalid parameter: Count must be 1..20")
	}
	offset, e := decodeCursor(req.Next)
	if e != nil {
		return s.refuse(e)
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
