package livesim

import (
	"fmt"
	"strings"
	"time"
)

// Rooms of the demo data set besides the demo-live-NN ones.
const (
	// DemoFlakyRoom answers 100001 twice, then once normally, over and over.
	DemoFlakyRoom = "demo-flaky"
	// DemoVariantsRoom answers with the alternative field forms (see
	// Behaviour.Variants); its Owner_Account is DemoVariantsOwner.
	DemoVariantsRoom = "demo-variants"
	// DemoVariantsOwner is DemoVariantsRoom's Owner_Account, above 2^53 so a
	// float64 would change it.
	DemoVariantsOwner = "144115233775727695"
	// DemoDissolvedRoom is not in the data set: it answers 100004. It is
	// one of DemoChurnRooms.
	DemoDissolvedRoom = "demo-dissolved"
	// DemoChurnLive is the demo-live room of DemoChurnRooms.
	DemoChurnLive = "demo-live-20"
	// DemoWebhookToken is the demo app's webhook token: a placeholder, not a
	// real credential.
	DemoWebhookToken = "livesim-demo-webhook-token"
)

// demoCreated is when the demo rooms were "created": 2026-11-02 UTC.
const demoCreated = 1793577600

// DemoApp returns the demo data set's app. Its secret key is a placeholder,
// not a real credential. Its room quota is such that creating a room beyond
// the data set's 32 reaches 70 % of it, as a churn does every other time.
func DemoApp() App {
	return App{
		SDKAppID:   1400000001,
		Identifier: "administrator",
		SecretKey:  "livesim-demo-secret-key-not-a-real-one",
		MaxRooms:   46,
	}
}

// demoLive describes one demo-live-NN room; the rest of its fields are
// derived from its number.
type demoLive struct {
	name     string
	owner    string
	category []int
}

// demoLives are the demo-live-01..30 rooms, in order.
var demoLives = []demoLive{
	{"Morning Yoga Flow", "coach_anna", []int{4}},
	{"Chengdu Street Food Tour", "foodie_zhou", []int{2, 7}},
	{"Indie Game Dev Diaries", "pixel_kai", []int{1, 9}},
	{"Late Night Lo-fi Beats", "dj_mori", []int{3}},
	{"Guitar Basics with Wei", "wei_strings", []int{3, 8}},
	{"Tea Ceremony Masterclass", "tea_master_li", []int{5, 8}},
	{"Speedrun Sunday", "frame_perfect", []int{1}},
	{"Mandarin for Beginners", "laoshi_chen", []int{8}},
	{"Sneaker Drop Live", "kicks_vault", []int{6}},
	{"Home Bakery: Mooncakes", "baker_yuki", []int{2, 5}},
	{"K-Pop Dance Practice", "moonstep_crew", []int{3, 4}},
	{"Night Market Bargains", "deal_hunter_88", []int{6, 2}},
	{"Astronomy Q&A", "stargazer_ho", []int{8, 10}},
	{"Fishing at West Lake", "angler_song", []int{7}},
	{"Esports Watch Party", "caster_rex", []int{1, 3}},
	{"Calligraphy Hour", "brush_and_ink", []int{5}},
	{"Budget Travel: Yunnan", "wander_lu", []int{7, 10}},
	{"Live Coding: Go Services", "gopher_jin", []int{9, 8}},
	{"Pet Grooming Tips", "paws_studio", []int{11}},
	{"Acoustic Café Session", "cafe_duo", []int{3}},
	{"HIIT in 20 Minutes", "coach_anna", []int{4}},
	{"Antique Appraisal", "old_things_wu", []int{5, 6}},
	{"Mahjong Night", "tile_queen", []int{1, 5}},
	{"Makeup: Everyday Look", "glow_by_mei", []int{12, 6}},
	{"Market Open Briefing", "ticker_tang", []int{10}},
	{"Hotpot Challenge", "foodie_zhou", []int{2}},
	{"Plant Care Clinic", "green_thumb_xu", []int{11, 7}},
	{"Retro Console Repair", "solder_sam", []int{9, 1}},
	{"Night Drive Radio", "dj_mori", []int{3, 7, 10}},
	{"Charity Concert Rehearsal", "harbour_choir", []int{3, 5}},
}

// DemoRooms returns the demo data set: demo-live-01..30 (busy and quiet
// rooms whose counts move; 03, 14 and 27 not publicly visible),
// DemoFlakyRoom and DemoVariantsRoom.
func DemoRooms() []Room {
	maxMembers := []int{300, 1000, 5000, 20000}
	seats := []int{0, 4, 8, 12}
	rooms := make([]Room, 0, len(demoLives)+2)
	for i, d := range demoLives {
		n := i + 1
		seatCount := seats[n%len(seats)]
		takeSeat := "ApplyToTake"
		if n%3 == 0 {
			takeSeat = "FreeToTake"
		}
		// Busy rooms first: more entries, faster growth, bigger audience.
		busy := float64(len(demoLives)-i) / float64(len(demoLives))
		rooms = append(rooms, Room{
			ID: fmt.Sprintf("demo-live-%02d", n),
			Info: RoomInfo{
				RoomName:          d.name,
				OwnerAccount:      d.owner,
				CreateTime:        demoCreated + int64(n)*int64(7*time.Hour/time.Second),
				IsSeatEnabled:     seatCount > 0,
				TakeSeatMode:      takeSeat,
				MaxSeatCount:      seatCount,
				MaxMemberCount:    maxMembers[n%len(maxMembers)],
				IsMessageDisabled: n%11 == 0,
				CoverURL:          fmt.Sprintf("https://cdn.example.com/covers/demo-live-%02d.png", n),
				Category:          d.category,
				ActivityStatus:    n % 3,
				ViewCount:         int64(busy*busy*250000) + int64(n*137),
				IsPublicVisible:   n != 3 && n != 14 && n != 27,
			},
			Members:        int(busy*busy*1800) + 5,
			ViewsPerSecond: busy * 6,
			Totals: RoomTotals{
				TotalViewers:           int64(busy * busy * 150000),
				TotalGiftsSent:         int64(busy * busy * 12000),
				TotalGiftCoins:         int64(busy * busy * 120000),
				TotalUniqueGiftSenders: int64(busy * busy * 2500),
				TotalLikesReceived:     int64(busy * busy * 500000),
				TotalMsgCount:          int64(busy * busy * 200000),
			},
		})
	}
	return append(rooms,
		Room{
			ID: DemoFlakyRoom,
			Info: RoomInfo{
				RoomName: "Unstable Uplink Test", OwnerAccount: "field_reporter",
				CreateTime: demoCreated + 3600, TakeSeatMode: "ApplyToTake", MaxMemberCount: 1000,
				CoverURL: "https://cdn.example.com/covers/demo-flaky.png", Category: []int{10},
				ActivityStatus: 1, ViewCount: 4200, IsPublicVisible: true,
			},
			Members: 60, ViewsPerSecond: 0.5,
			Behaviour: Behaviour{Flaky: 2, FlakyRepeat: true},
		},
		Room{
			ID: DemoVariantsRoom,
			Info: RoomInfo{
				RoomName: "Classic API Client Room", OwnerAccount: DemoVariantsOwner,
				CreateTime: demoCreated + 7200, IsSeatEnabled: true, TakeSeatMode: "FreeToTake",
				MaxSeatCount: 6, MaxMemberCount: 300, IsMessageDisabled: true,
				CoverURL: "https://cdn.example.com/covers/demo-variants.png", Category: []int{2, 5},
				ActivityStatus: 2, ViewCount: 880, IsPublicVisible: true,
				Notice: "Welcome! Be kind in the chat.",
			},
			Members: 25, ViewsPerSecond: 0.2,
			Behaviour: Behaviour{Variants: true},
		},
	)
}

// DemoRoomIDs returns the IDs a demo exporter watches: every room of
// DemoRooms, then DemoDissolvedRoom.
func DemoRoomIDs() []string {
	var ids []string
	for _, r := range DemoRooms() {
		ids = append(ids, r.ID)
	}
	return append(ids, DemoDissolvedRoom)
}

// demoConfiguredLive is how many demo-live rooms DemoConfig configures
// whatever their visibility; the publicly visible ones after them are left
// for discovery.
const demoConfiguredLive = 20

// demoTeams are the team labels DemoConfig gives its rooms, in turn.
var demoTeams = []string{"growth", "ops", "live-events"}

// DemoConfig returns the exporter configuration, in YAML, that --demo runs
// against a Server of StartDemo at endpoint: DemoApp with members,
// statistics and discovery enabled, refreshing every 15 s. It configures
// the rooms of DemoRoomIDs, each with a team label, except the publicly
// visible demo-live rooms after the first demoConfiguredLive: discovery
// finds those, and they carry only the app's labels. It is the one
// description of the demo's configuration; the exporter's /config shows it
// parsed.
func DemoConfig(endpoint string) string {
	app := DemoApp()
	var b strings.Builder
	fmt.Fprintf(&b, `global: {refresh_interval: 15s}
apps:
- sdkappid: %d
  endpoint: %s
  identifier: %s
  secret_key: %q
  qps: 20
  members: {enabled: true, qps: 10}
  stats: {enabled: true, qps: 10}
  discovery: {enabled: true, interval: 1m, qps: 2}
  webhook: {token: %q}
  labels: {env: demo}
  rooms:
`, app.SDKAppID, endpoint, app.Identifier, app.SecretKey, DemoWebhookToken)
	room := func(i int, id string) {
		fmt.Fprintf(&b, "  - {id: %q, labels: {team: %s}}\n", id, demoTeams[i%len(demoTeams)])
	}
	for i, r := range DemoRooms() {
		if i >= demoConfiguredLive && r.Info.IsPublicVisible && strings.HasPrefix(r.ID, "demo-live-") {
			continue // left for discovery
		}
		room(i, r.ID)
	}
	room(0, DemoDissolvedRoom)
	return b.String()
}

// DemoChurnRooms returns the rooms a demo churns (see StartChurn): a room
// for DemoDissolvedRoom, absent from the data set, and DemoChurnLive, part
// of it. Each churn dissolves one and creates the other, so that the
// dashboard always shows one room missing and rooms coming and going.
func DemoChurnRooms() []Room {
	churned := Room{
		ID: DemoDissolvedRoom,
		Info: RoomInfo{
			RoomName: "Pop-up Flash Sale", OwnerAccount: "deal_hunter_88",
			TakeSeatMode: "ApplyToTake", MaxMemberCount: 1000,
			CoverURL: "https://cdn.example.com/covers/demo-dissolved.png", Category: []int{6},
			ActivityStatus: 1, IsPublicVisible: true,
		},
		Members: 40, ViewsPerSecond: 1,
	}
	for _, r := range DemoRooms() {
		if r.ID == DemoChurnLive {
			return []Room{churned, r}
		}
	}
	panic("livesim: " + DemoChurnLive + " is not in the demo data set")
}

// StartDemo starts a Server holding DemoApp and DemoRooms.
func StartDemo(opts Options) (*Server, error) {
	s, err := Start(opts)
	if err != nil {
		return nil, err
	}
	app := DemoApp()
	s.AddApp(app)
	for _, r := range DemoRooms() {
		s.PutRoom(app.SDKAppID, r)
	}
	return s, nil
}
