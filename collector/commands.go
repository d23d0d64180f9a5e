package collector

import (
	"context"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// liveAPI is the fetcher's edge to Tencent: the Live read commands of one
// app. *tencent.Client implements it.
type liveAPI interface {
	GetRoomInfo(ctx context.Context, roomID string) (tencent.RoomInfo, error)
	GetMemberList(ctx context.Context, roomID, next string) (tencent.MemberList, error)
	GetRoomStats(ctx context.Context, roomID string) (tencent.RoomStats, error)
	GetRoomList(ctx context.Context, next string, count int) (tencent.RoomList, error)
}

// Lanes: each refreshes every room with one command, within its own budget.
const (
	laneInfo = iota
	laneMembers
	laneStats
	laneCount
)

// roomCommand is what a lane needs to know of its command: how to ask it
// for a room, and how its answer changes the room.
type roomCommand struct {
	// name is the command, as in the api label.
	name string
	// essential says the app cannot work without the command: Tencent
	// disabling it (60017) pauses the whole app, not only the lane.
	essential bool
	// fetch asks the command about roomID; the answer is stored by store.
	fetch func(ctx context.Context, api liveAPI, roomID string) (any, error)
	// store publishes an answer of fetch, received at now, as r's snapshot.
	store func(r *room, answer any, now time.Time)
	// missing publishes that the room does not exist, at now.
	missing func(r *room, now time.Time)
	// failed publishes that a refresh got no definitive answer.
	failed func(r *room)
	// forget drops what the command told of r, when its lane is turned off.
	forget func(r *room)
}

// roomCommands are the lanes' commands, by lane.
var roomCommands = [laneCount]*roomCommand{
	laneInfo: {
		name:      tencent.CommandGetRoomInfo,
		essential: true,
		fetch: func(ctx context.Context, api liveAPI, roomID string) (any, error) {
			return api.GetRoomInfo(ctx, roomID)
		},
		store: func(r *room, answer any, now time.Time) {
			r.info.Store(withRoom(answer.(tencent.RoomInfo), now))
		},
		missing: func(r *room, now time.Time) { r.info.Store(withMissing(now)) },
		failed:  func(r *room) { r.info.Store(r.info.Load().failed()) },
		forget:  func(r *room) { r.info.Store(emptySnapshot) },
	},
	laneMembers: {
		name: tencent.CommandGetMemberList,
		fetch: func(ctx context.Context, api liveAPI, roomID string) (any, error) {
			list, err := api.GetMemberList(ctx, roomID, "")
			return list.MemberCount, err
		},
		store: func(r *room, answer any, now time.Time) {
			r.members.Store(&countSnapshot{value: answer.(int64), at: now})
		},
		missing: func(r *room, _ time.Time) { r.members.Store(nil) },
		failed:  func(*room) {},
		forget:  func(r *room) { r.members.Store(nil) },
	},
	laneStats: {
		name: tencent.CommandGetRoomStats,
		fetch: func(ctx context.Context, api liveAPI, roomID string) (any, error) {
			return api.GetRoomStats(ctx, roomID)
		},
		store: func(r *room, answer any, now time.Time) {
			r.stats.Store(&statsSnapshot{stats: answer.(tencent.RoomStats), at: now})
		},
		missing: func(r *room, _ time.Time) { r.stats.Store(nil) },
		failed:  func(*room) {},
		forget:  func(r *room) { r.stats.Store(nil) },
	},
}
