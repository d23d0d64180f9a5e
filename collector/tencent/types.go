package tencent

// RoomInfo is a room as get_room_info describes it.
type RoomInfo struct {
	RoomID   string
	RoomName string
	RoomType string
	// OwnerAccount keeps every digit of an account sent as a bare number
	// (144115233775727695 stays exact).
	OwnerAccount  string
	CreateTime    int64 // Unix seconds
	IsSeatEnabled bool
	// TakeSeatMode is TakeSeatModeFree or TakeSeatModeApply; an integer mode
	// other than 1 or 2 is kept as its decimal, an unknown name as sent.
	TakeSeatMode      string
	MaxSeatCount      int64
	MaxMemberCount    int64
	IsMessageDisabled bool
	CoverURL          string
	// Category holds each category as its text, numbers included (1 → "1").
	Category       []string
	ActivityStatus int64
	// ViewCount counts room entries since the room was created: a counter,
	// not the current audience.
	ViewCount       int64
	IsPublicVisible bool
	Notice          string
}

// MemberList is one page of get_member_list.
type MemberList struct {
	// Next is the cursor of the following page, "" on the last one.
	Next string
	// MemberCount is the number of people in the room now.
	MemberCount int64
	// Members holds the Member_Account of each listed member.
	Members []string
}

// RoomStats is the answer of get_room_stats: cumulative counts of the room.
type RoomStats struct {
	TotalViewers           int64
	TotalGiftsSent         int64
	TotalGiftCoins         int64
	TotalUniqueGiftSenders int64
	TotalLikesReceived     int64
	TotalMsgCount          int64
}

// RoomSummary is a room as get_room_list lists it.
type RoomSummary struct {
	RoomID         string
	RoomName       string
	OwnerAccount   string
	CoverURL       string
	Category       []string
	CreateTime     int64
	ActivityStatus int64
	ViewCount      int64
}

// RoomList is one page of get_room_list.
type RoomList struct {
	// Next is the cursor of the following page, "" on the last one.
	Next  string
	Rooms []RoomSummary
}
