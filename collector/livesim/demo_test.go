package livesim

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

func TestDemo(t *testing.T) {
	clock := newFakeClock()
	srv, err := StartDemo(Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	app := DemoApp()
	f := &fixture{t: t, srv: srv, clock: clock}
	sig, err := usersig.GenUserSigAt(app.SDKAppID, app.SecretKey, app.Identifier, 86400, nil, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	query := url.Values{
		"sdkappid": {strconv.FormatUint(app.SDKAppID, 10)}, "identifier": {app.Identifier},
		"usersig": {sig}, "random": {"1"}, "contenttype": {"json"},
	}
	info := func(id string) answer {
		t.Helper()
		a, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+tencent.CommandGetRoomInfo, query, `{"RoomId":"`+id+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	if app.SDKAppID != 1400000001 || app.Identifier != "administrator" || !strings.Contains(app.SecretKey, "not-a-real") {
		t.Errorf("DemoApp %+v", app)
	}
	ids := DemoRoomIDs()
	if len(ids) != 33 || ids[0] != "demo-live-01" || ids[29] != "demo-live-30" || ids[32] != DemoDissolvedRoom {
		t.Errorf("DemoRoomIDs %v", ids)
	}
	seen := map[string]bool{}
	private := 0
	statuses := map[int]bool{}
	for _, r := range DemoRooms() {
		if seen[r.ID] {
			t.Errorf("room %s twice", r.ID)
		}
		seen[r.ID] = true
		if !r.Info.IsPublicVisible {
			private++
		}
		statuses[r.Info.ActivityStatus] = true
		if r.ViewsPerSecond <= 0 || r.Info.RoomName == "" || r.Info.OwnerAccount == "" || len(r.Info.Category) == 0 {
			t.Errorf("room %s is not lively: %+v", r.ID, r)
		}
	}
	if private < 2 || len(statuses) < 2 {
		t.Errorf("%d private rooms, activity statuses %v", private, statuses)
	}

	var before struct{ RoomInfo struct{ ViewCount int64 } }
	if err := json.Unmarshal(info("demo-live-01").Response, &before); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	var after struct{ RoomInfo struct{ ViewCount int64 } }
	if err := json.Unmarshal(info("demo-live-01").Response, &after); err != nil {
		t.Fatal(err)
	}
	if after.RoomInfo.ViewCount <= before.RoomInfo.ViewCount {
		t.Errorf("ViewCount did not move: %d then %d", before.RoomInfo.ViewCount, after.RoomInfo.ViewCount)
	}
	wantCode(t, info(DemoDissolvedRoom), 100004)
	for _, want := range []int{100001, 100001, 0, 100001, 100001, 0} {
		wantCode(t, info(DemoFlakyRoom), want)
	}
	if a := info(DemoVariantsRoom); !bytes.Contains(a.Raw, []byte(`"Owner_Account":`+DemoVariantsOwner+`,`)) {
		t.Errorf("variants room: %s", a.Raw)
	}
}
