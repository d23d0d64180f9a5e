package tencent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

const (
	testSDKAppID   = 1400000001
	testIdentifier = "administrator"
	testKey        = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
)

// docSample is the get_room_info answer of Tencent's documentation, with
// its Owner_Account above 2^53.
const docSample = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"RequestId":"Id-8c98-O-Seq-52720",
 "Response":{"RoomInfo":{"RoomId":"rid-123","RoomName":"rname-123","RoomType":"Live",
  "Owner_Account":144115233775727695,"CreateTime":1693271354,"IsSeatEnabled":true,
  "TakeSeatMode":"ApplyToTake","MaxSeatCount":8,"MaxMemberCount":300,"IsMessageDisabled":false,
  "CoverURL":"https://xxxx.png","Category":[1,2,3],"ActivityStatus":1,"ViewCount":10,
  "IsPublicVisible":true}}}`

// docSampleRoom is docSample decoded.
var docSampleRoom = RoomInfo{
	RoomID:          "rid-123",
	RoomName:        "rname-123",
	RoomType:        "Live",
	OwnerAccount:    "144115233775727695",
	CreateTime:      1693271354,
	IsSeatEnabled:   true,
	TakeSeatMode:    "ApplyToTake",
	MaxSeatCount:    8,
	MaxMemberCount:  300,
	CoverURL:        "https://xxxx.png",
	Category:        []string{"1", "2", "3"},
	ActivityStatus:  1,
	ViewCount:       10,
	IsPublicVisible: true,
}

// testSig returns a real UserSig for the test app.
func testSig(tb testing.TB) string {
	tb.Helper()
	sig, err := usersig.GenUserSig(testSDKAppID, testKey, testIdentifier, 86400)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// newTestClient returns a Client of the test app for baseURL, signing with
// sig, with opts applied to its Options.
func newTestClient(tb testing.TB, baseURL, sig string, opts ...func(*Options)) *Client {
	tb.Helper()
	o := Options{
		SDKAppID:   testSDKAppID,
		Identifier: testIdentifier,
		BaseURL:    baseURL,
		UserSig:    func() (string, error) { return sig, nil },
	}
	for _, f := range opts {
		f(&o)
	}
	c, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// withTimeout sets Options.Timeout.
func withTimeout(d time.Duration) func(*Options) {
	return func(o *Options) { o.Timeout = d }
}

// serveBody starts a server that answers every request with status and body.
func serveBody(tb testing.TB, status int, body string) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// getRoomInfo calls GetRoomInfo of a fresh client of srv.
func getRoomInfo(t *testing.T, srv *httptest.Server) (RoomInfo, error) {
	t.Helper()
	return newTestClient(t, srv.URL, testSig(t)).GetRoomInfo(context.Background(), "live-room")
}

// wantOutcome fails t unless err has the class and code.
func wantOutcome(t *testing.T, err error, class Class, code string) {
	t.Helper()
	gotClass, gotCode := Outcome(err)
	if gotClass != class || gotCode != code {
		t.Fatalf("outcome = %v %q, want %v %q (err: %v)", gotClass, gotCode, class, code, err)
	}
	if class == ClassOK {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not an *Error: %v", err, err)
	}
}
