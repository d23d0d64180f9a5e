package livesim

import (
	"math"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// MaxCategories is how many categories a room has at most.
const MaxCategories = 3

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
	// Flaky answers the room's next Flaky requests of each room command
	// with 100001, then answers normally.
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
	since  time.Time      // simulator time when the room was put
	served map[string]int // requests counted for Flaky, per command
}

// PutRoom adds a room to an app, or replaces it; a replaced room starts
// afresh (its values move from now, a flaky cycle restarts). The app need
// not be added first. A room the app did not have is created: with a
// webhook set, it sends CallbackAfterCreateRoom (see SetWebhook); replacing
// a room sends nothing (UpdateRoom does).
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
	a := s.state(sdkappid)
	_, replaced := a.rooms[r.ID]
	rm := &room{Room: r, since: now, served: map[string]int{}}
	a.rooms[r.ID] = rm
	if !replaced {
		s.announceCreate(a, rm, now)
	}
}

// DissolveRoom removes a room: from then on it answers 100004, as a room
// never created does, and get_room_list no longer lists it. With a webhook
// set, dissolving a room that existed sends CallbackAfterDestroyRoom
// (EventType DestroyByUser).
func (s *Server) DissolveRoom(sdkappid uint64, id string) {
	s.withRoom(sdkappid, id, func(a *app, rm *room, now time.Time) {
		s.announceDestroy(a, rm, now)
		delete(a.rooms, id)
	})
}

// UpdateRoom changes an existing room's information to info, as the app's
// update_room_info would, and reports whether the room exists. What
// update_room_info cannot change stays: RoomType, OwnerAccount, CreateTime
// and ViewCount; Category is cut to MaxCategories. The room's other values
// keep moving as before. With a webhook set, it sends
// CallbackAfterUpdateRoomInfo.
func (s *Server) UpdateRoom(sdkappid uint64, id string, info RoomInfo) bool {
	return s.withRoom(sdkappid, id, func(a *app, rm *room, now time.Time) {
		old := rm.Info
		info.RoomType, info.OwnerAccount, info.CreateTime, info.ViewCount = old.RoomType, old.OwnerAccount, old.CreateTime, old.ViewCount
		info.Category = append([]int{}, info.Category[:min(len(info.Category), MaxCategories)]...)
		rm.Info = info
		s.announceUpdate(a, rm, now)
	})
}

// MembersChanged records members of an existing room going online or
// offline for cause (tencent.CauseEnter, CauseLeave, CauseKicked...), and
// reports whether the room exists. Enter and HeartbeatRecover bring them
// online, raising the level MemberCount moves around by their number; any
// other cause takes them offline, lowering it (not below 0). With a webhook
// set, it sends CallbackAfterMemberStateChanged naming them all.
func (s *Server) MembersChanged(sdkappid uint64, id, cause string, accounts ...string) bool {
	return s.withRoom(sdkappid, id, func(a *app, rm *room, now time.Time) {
		eventType := tencent.MemberOffline
		if cause == tencent.CauseEnter || cause == tencent.CauseHeartbeatRecover {
			eventType = tencent.MemberOnline
			rm.Members += len(accounts)
		} else {
			rm.Members = max(0, rm.Members-len(accounts))
		}
		s.announceMembers(a, rm, eventType, cause, accounts, now)
	})
}

// withRoom calls change with the app's room id, under s.mu, and the
// simulator's time; it reports whether the room exists (and change was
// called).
func (s *Server) withRoom(sdkappid uint64, id string, change func(a *app, rm *room, now time.Time)) bool {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[sdkappid]
	if a == nil || a.rooms[id] == nil {
		return false
	}
	change(a, a.rooms[id], now)
	return true
}

// flaky reports whether the room's current request of command fails under
// Flaky, and moves the command's cycle on. Each command has its own cycle:
// the failures of one command's backend say nothing of another's.
func (rm *room) flaky(command string) bool {
	n := rm.Behaviour.Flaky
	if n <= 0 {
		return false
	}
	i := rm.served[command]
	rm.served[command]++
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
