package webhook

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/go-kit/log"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// TestFromSimulator has the simulated Live API send its webhooks to a
// Receiver, both on real clocks: every event arrives, authenticated, in
// the sink.
func TestFromSimulator(t *testing.T) {
	sim, err := livesim.StartDemo(livesim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	app := livesim.DemoApp()
	sink := &recorder{}
	recv := New(Options{Sink: sink})
	recv.SetTokens(map[uint64]string{app.SDKAppID: livesim.DemoWebhookToken})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer(recv, log.NewNopLogger())
	srv.Start()
	t.Cleanup(srv.Close)
	sim.SetWebhook(app.SDKAppID, srv.URL+Path, livesim.DemoWebhookToken)

	sim.Churn(app.SDKAppID, livesim.DemoChurnRooms())
	sim.MembersChanged(app.SDKAppID, livesim.DemoVariantsRoom, tencent.CauseEnter, "a", "b", "c")
	rooms := livesim.DemoRooms()
	sim.UpdateRoom(app.SDKAppID, rooms[0].ID, rooms[0].Info)
	waitFor(t, "the simulator's webhooks", func() bool { return len(sink.all()) == 5 })

	type seen struct{ command, room string }
	var got []seen
	for _, r := range sink.all() {
		if r.sdkappid != app.SDKAppID {
			t.Errorf("event for app %d", r.sdkappid)
		}
		got = append(got, seen{r.ev.Command, r.ev.RoomID})
	}
	want := []seen{
		{tencent.CallbackAfterCreateRoom, livesim.DemoDissolvedRoom},
		{tencent.CallbackAfterCreateRoomReachingThreshold, ""},
		{tencent.CallbackAfterDestroyRoom, livesim.DemoChurnLive},
		{tencent.CallbackAfterMemberStateChanged, livesim.DemoVariantsRoom},
		{tencent.CallbackAfterUpdateRoomInfo, rooms[0].ID},
	}
	// The sink is called after each answer, so two events may reach it in
	// either order.
	order := func(a, b seen) int { return strings.Compare(a.command+a.room, b.command+b.room) }
	slices.SortFunc(got, order)
	slices.SortFunc(want, order)
	if !slices.Equal(got, want) {
		t.Errorf("events\n%v\nwant\n%v", got, want)
	}
	if st := sim.Stats(app.SDKAppID); len(st.WebhooksFailed) != 0 {
		t.Errorf("failed webhooks %v", st.WebhooksFailed)
	}
}
