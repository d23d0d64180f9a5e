package livesim

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

func TestInMemoryServerAnswersInVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sim := New(Options{Latency: 300 * time.Millisecond})
		defer sim.Close()
		app := App{SDKAppID: 1400000042, Identifier: "admin", SecretKey: "memory-key"}
		sim.AddApp(app)
		sim.PutRoom(app.SDKAppID, Room{ID: "room", Info: RoomInfo{RoomName: "Memory", ViewCount: 7}})
		client, err := tencent.New(tencent.Options{
			SDKAppID: app.SDKAppID, Identifier: app.Identifier, BaseURL: sim.URL(), HTTPClient: sim.Client(),
			UserSig: func() (string, error) {
				return usersig.GenUserSig(app.SDKAppID, app.SecretKey, app.Identifier, 3600)
			},
		})
		if err != nil {
			t.Fatal(err)
		}

		start := time.Now()
		info, err := client.GetRoomInfo(t.Context(), "room")
		if err != nil {
			t.Fatal(err)
		}
		if info.RoomName != "Memory" || info.ViewCount != 7 {
			t.Errorf("answer %+v", info)
		}
		if took := time.Since(start); took != 300*time.Millisecond {
			t.Errorf("the answer took %s of virtual time, want the latency of 300ms", took)
		}
		if _, err := client.GetRoomInfo(t.Context(), "gone"); tencent.ClassifyCode(codeOf(err)) != tencent.ClassRoomMissing {
			t.Errorf("missing room: %v", err)
		}

		// Close drops a request waiting on its latency, as a closed
		// connection would.
		done := make(chan error, 1)
		go func() {
			_, err := client.GetRoomInfo(context.Background(), "room")
			done <- err
		}()
		time.Sleep(100 * time.Millisecond)
		sim.Close()
		if err := <-done; err == nil || !errors.Is(err, errDropped) {
			t.Errorf("request during Close: %v, want a dropped connection", err)
		}
	})
}

// codeOf returns the Tencent ErrorCode of err, or -1.
func codeOf(err error) int {
	var e *tencent.Error
	if errors.As(err, &e) {
		return e.ErrorCode
	}
	return -1
}
