package livesim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

// The app every unit test talks to.
const (
	testSDKAppID = 1400000042
	testAdmin    = "administrator"
	testKey      = "unit-test-key-0123456789abcdef"
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a running Server with the test app, driven by a fake clock.
type fixture struct {
	t     *testing.T
	srv   *Server
	clock *fakeClock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, Options{})
}

// newFixtureWith starts a Server with opts; opts.Now is replaced by the
// fixture's fake clock.
func newFixtureWith(t *testing.T, opts Options) *fixture {
	t.Helper()
	clock := newFakeClock()
	opts.Now = clock.Now
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.AddApp(App{SDKAppID: testSDKAppID, Identifier: testAdmin, SecretKey: testKey})
	return &fixture{t: t, srv: srv, clock: clock}
}

// sign returns a UserSig of the test app issued at the fake clock's time.
func (f *fixture) sign(sdkappid uint64, key, identifier string) string {
	f.t.Helper()
	sig, err := usersig.GenUserSigAt(sdkappid, key, identifier, 86400, nil, f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return sig
}

// query returns a correct query string for the test app.
func (f *fixture) query() url.Values {
	return url.Values{
		"sdkappid":    {strconv.Itoa(testSDKAppID)},
		"identifier":  {testAdmin},
		"usersig":     {f.sign(testSDKAppID, testKey, testAdmin)},
		"random":      {"3735928559"},
		"contenttype": {"json"},
	}
}

// answer is a decoded envelope with the raw body.
type answer struct {
	Status       int    `json:"-"`
	ContentType  string `json:"-"`
	Raw          []byte `json:"-"`
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	RequestID    string `json:"RequestId"`
	Response     json.RawMessage
}

// do sends a request and returns its answer; a body that is not an
// envelope leaves the envelope fields empty.
func (f *fixture) do(ctx context.Context, method, path string, query url.Values, body string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL()+path+"?"+query.Encode(), strings.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Raw: raw}
	_ = json.Unmarshal(raw, &a) // not every test body is an envelope
	return a, nil
}

// call posts body to command with a correct query and fails the test on a
// transport error.
func (f *fixture) call(command, body string) answer {
	f.t.Helper()
	a, err := f.do(context.Background(), http.MethodPost, tencent.ServicePath+command, f.query(), body)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// roomInfo calls get_room_info for id.
func (f *fixture) roomInfo(id string) answer {
	f.t.Helper()
	return f.call(tencent.CommandGetRoomInfo, `{"RoomId":"`+id+`"}`)
}

// wantCode fails the test unless a is an HTTP 200 envelope with code.
func wantCode(t *testing.T, a answer, code int) {
	t.Helper()
	if a.Status != http.StatusOK || a.ErrorCode != code {
		t.Fatalf("got HTTP %d ErrorCode %d (%q), want HTTP 200 ErrorCode %d; body %.200s", a.Status, a.ErrorCode, a.ErrorInfo, code, a.Raw)
	}
	wantStatus := "OK"
	if code != 0 {
		wantStatus = "FAIL"
	}
	if a.ActionStatus != wantStatus {
		t.Fatalf("ActionStatus %q with ErrorCode %d", a.ActionStatus, code)
	}
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// simpleRoom returns a publicly visible room with a few fields set.
func simpleRoom(id string, views int64) Room {
	return Room{
		ID: id,
		Info: RoomInfo{
			RoomName:        "room " + id,
			OwnerAccount:    "owner_" + id,
			CreateTime:      1793577600,
			TakeSeatMode:    "ApplyToTake",
			MaxMemberCount:  300,
			Category:        []int{1, 2},
			ViewCount:       views,
			IsPublicVisible: true,
		},
		Members: 10,
	}
}
