package tencent

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recorded is what the test server saw of one request.
type recorded struct {
	method, path, contentType string
	query                     url.Values
	body                      []byte
}

// recordingServer answers every request with docSample-like OK answers and
// sends what it saw on the returned channel.
func recordingServer(t *testing.T) (*httptest.Server, <-chan recorded) {
	t.Helper()
	seen := make(chan recorded, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		seen <- recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.URL.Query(), body}
		_, _ = io.WriteString(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","Response":{"RoomInfo":{}}}`)
	}))
	t.Cleanup(srv.Close)
	return srv, seen
}

func TestRequestShape(t *testing.T) {
	srv, seen := recordingServer(t)
	sig := testSig(t)
	c := newTestClient(t, srv.URL+"/", sig) // trailing slash ignored
	ctx := context.Background()

	// Only get_room_info's Response has the right shape; the other calls
	// may fail to decode, the request is what matters here.
	_, _ = c.GetRoomInfo(ctx, "room-1")
	_, _ = c.GetRoomInfo(ctx, "room-1")
	_, _ = c.GetMemberList(ctx, "room-2", "")
	_, _ = c.GetMemberList(ctx, "room-2", "cursor")
	_, _ = c.GetRoomStats(ctx, "room-3")
	_, _ = c.GetRoomList(ctx, "", 0)
	_, _ = c.GetRoomList(ctx, "n", 5)
	_, _ = c.GetRoomList(ctx, "n", 50)

	want := []struct{ command, body string }{
		{CommandGetRoomInfo, `{"RoomId":"room-1"}`},
		{CommandGetRoomInfo, `{"RoomId":"room-1"}`},
		{CommandGetMemberList, `{"RoomId":"room-2","Next":""}`},
		{CommandGetMemberList, `{"RoomId":"room-2","Next":"cursor"}`},
		{CommandGetRoomStats, `{"RoomId":"room-3"}`},
		{CommandGetRoomList, `{"Next":"","Count":20}`},
		{CommandGetRoomList, `{"Next":"n","Count":5}`},
		{CommandGetRoomList, `{"Next":"n","Count":20}`},
	}
	randoms := map[string]bool{}
	for i, w := range want {
		r := <-seen
		if r.method != http.MethodPost {
			t.Errorf("%d: method %s, want POST", i, r.method)
		}
		if r.path != ServicePath+w.command {
			t.Errorf("%d: path %s, want %s", i, r.path, ServicePath+w.command)
		}
		if r.contentType != "application/json" {
			t.Errorf("%d: Content-Type %q", i, r.contentType)
		}
		if !json.Valid(r.body) || string(r.body) != w.body {
			t.Errorf("%d: body %s, want %s", i, r.body, w.body)
		}
		q := r.query
		if q.Get("sdkappid") != strconv.Itoa(testSDKAppID) || q.Get("identifier") != testIdentifier ||
			q.Get("usersig") != sig || q.Get("contenttype") != "json" {
			t.Errorf("%d: query %v", i, q)
		}
		if len(q) != 5 {
			t.Errorf("%d: query has %d parameters, want 5: %v", i, len(q), q)
		}
		if _, err := strconv.ParseUint(q.Get("random"), 10, 32); err != nil {
			t.Errorf("%d: random: %v", i, err)
		}
		randoms[q.Get("random")] = true
	}
	// Eight draws of a uint32 collide with a probability below 1e-8.
	if len(randoms) != len(want) {
		t.Errorf("random repeated: %d distinct values in %d requests", len(randoms), len(want))
	}
}

func TestIdentifierEscaped(t *testing.T) {
	srv, seen := recordingServer(t)
	c := newTestClient(t, srv.URL, "a+b/c=&x", func(o *Options) { o.Identifier = "admin&usersig=x y" })
	if _, err := c.GetRoomInfo(context.Background(), "r"); err != nil {
		t.Fatal(err)
	}
	r := <-seen
	if got := r.query.Get("identifier"); got != "admin&usersig=x y" {
		t.Errorf("identifier = %q", got)
	}
	if got := r.query["usersig"]; len(got) != 1 || got[0] != "a+b/c=&x" {
		t.Errorf("usersig = %q", got)
	}
}

func TestGetRoomInfoDocSample(t *testing.T) {
	got, err := getRoomInfo(t, serveBody(t, http.StatusOK, docSample))
	wantOutcome(t, err, ClassOK, "0")
	assertRoomInfo(t, got, docSampleRoom)
}

func TestGetMemberList(t *testing.T) {
	srv := serveBody(t, http.StatusOK, `{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"abc","MemberCount":"3",
		"MemberList":[{"Member_Account":"alice"},{"Member_Account":144115233775727695}]}}`)
	got, err := newTestClient(t, srv.URL, testSig(t)).GetMemberList(context.Background(), "r", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Next != "abc" || got.MemberCount != 3 || strings.Join(got.Members, ",") != "alice,144115233775727695" {
		t.Errorf("got %+v", got)
	}
}

func TestGetRoomStats(t *testing.T) {
	srv := serveBody(t, http.StatusOK, `{"ActionStatus":"OK","ErrorCode":0,"Response":{"TotalViewers":1,
		"TotalGiftsSent":"2","TotalGiftCoins":3,"TotalUniqueGiftSenders":4,"TotalLikesReceived":5,"TotalMsgCount":6e0}}`)
	got, err := newTestClient(t, srv.URL, testSig(t)).GetRoomStats(context.Background(), "r")
	if err != nil {
		t.Fatal(err)
	}
	if want := (RoomStats{1, 2, 3, 4, 5, 6}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestGetRoomList(t *testing.T) {
	srv := serveBody(t, http.StatusOK, `{"ActionStatus":"OK","ErrorCode":0,"Response":{"Next":"",
		"RoomList":[{"RoomId":"a","RoomName":"A","Owner_Account":144115233775727695,"CoverURL":"u",
		"Category":[1,"x"],"CreateTime":10,"ActivityStatus":"2","ViewCount":30},{"RoomId":"b"}]}}`)
	got, err := newTestClient(t, srv.URL, testSig(t)).GetRoomList(context.Background(), "", 20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Next != "" || len(got.Rooms) != 2 {
		t.Fatalf("got %+v", got)
	}
	a := got.Rooms[0]
	if a.RoomID != "a" || a.RoomName != "A" || a.OwnerAccount != "144115233775727695" || a.CoverURL != "u" ||
		strings.Join(a.Category, ",") != "1,x" || a.CreateTime != 10 || a.ActivityStatus != 2 || a.ViewCount != 30 {
		t.Errorf("room 0 = %+v", a)
	}
	if got.Rooms[1].RoomID != "b" {
		t.Errorf("room 1 = %+v", got.Rooms[1])
	}
}

func TestTencentErrors(t *testing.T) {
	for _, tc := range []struct {
		code  int
		class Class
	}{
		{CodeRoomNotExist, ClassRoomMissing},
		{CodeInvalidParam, ClassRoomFailure},
		{CodeNotLiveRoom, ClassRoomFailure},
		{CodeBadRequestJSON, ClassRoomFailure},
		{CodeInternal, ClassRetryable},
		{CodeTimeout, ClassRetryable},
		{CodeAppRateLimited, ClassRateLimited},
		{CodeCommandRateLimited, ClassRateLimited},
		{CodeUserSigExpired, ClassRenewUserSig},
		{CodeUserSigWrong, ClassRenewUserSig},
		{CodeSDKAppIDInvalid, ClassAppFailure},
		{CodeLocked, ClassAppFailure},
		{12345, ClassRoomFailure},
	} {
		t.Run(strconv.Itoa(tc.code), func(t *testing.T) {
			info := "info of " + strconv.Itoa(tc.code)
			body := `{"ActionStatus":"FAIL","ErrorCode":` + strconv.Itoa(tc.code) + `,"ErrorInfo":"` + info + `"}`
			_, err := getRoomInfo(t, serveBody(t, http.StatusOK, body))
			wantOutcome(t, err, tc.class, strconv.Itoa(tc.code))
			var e *Error
			errors.As(err, &e)
			if e.ErrorCode != tc.code || e.Info != info || e.Command != CommandGetRoomInfo || e.Err != nil {
				t.Errorf("error = %+v", e)
			}
			want := "tencent get_room_info: error " + strconv.Itoa(tc.code) + " (" + tc.class.String() + "): " + info
			if err.Error() != want {
				t.Errorf("text %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestErrorCodeAsString(t *testing.T) {
	_, err := getRoomInfo(t, serveBody(t, http.StatusOK, `{"ActionStatus":"FAIL","ErrorCode":"100004","ErrorInfo":"gone"}`))
	wantOutcome(t, err, ClassRoomMissing, "100004")
}

func TestErrorInfoTruncated(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes
	_, err := getRoomInfo(t, serveBody(t, http.StatusOK, `{"ActionStatus":"FAIL","ErrorCode":100001,"ErrorInfo":"`+long+`"}`))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if len(e.Info) > maxInfoBytes+len("…") || !strings.HasPrefix(long, strings.TrimSuffix(e.Info, "…")) {
		t.Errorf("Info (%d bytes) = %q", len(e.Info), e.Info)
	}
}

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		class  Class
	}{
		{http.StatusBadGateway, ClassRetryable},
		{http.StatusNotFound, ClassRetryable},
		{http.StatusTooManyRequests, ClassRateLimited},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			_, err := getRoomInfo(t, serveBody(t, tc.status, "<html>gateway</html>"))
			wantOutcome(t, err, tc.class, "http_"+strconv.Itoa(tc.status))
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
			_, _ = io.WriteString(w, docSample)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	_, err := getRoomInfo(t, srv)
	wantOutcome(t, err, ClassRetryable, "http_307")
	if followed.Load() {
		t.Error("the redirect was followed")
	}
}

// blockingServer returns a server whose handler never answers before the
// test ends (or the client goes away).
func blockingServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)                 // runs second
	t.Cleanup(func() { close(release) }) // runs first
	return srv
}

func TestTimeout(t *testing.T) {
	srv := blockingServer(t)
	c := newTestClient(t, srv.URL, testSig(t), withTimeout(50*time.Millisecond))
	_, err := c.GetRoomInfo(context.Background(), "r")
	wantOutcome(t, err, ClassRetryable, CodeLabelTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, DeadlineExceeded) = false: %v", err)
	}
}

func TestCallerDeadline(t *testing.T) {
	srv := blockingServer(t)
	c := newTestClient(t, srv.URL, testSig(t), withTimeout(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.GetRoomInfo(ctx, "r")
	wantOutcome(t, err, ClassRetryable, CodeLabelTimeout)
}

func TestCallerCanceled(t *testing.T) {
	srv := blockingServer(t)
	c := newTestClient(t, srv.URL, testSig(t))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GetRoomInfo(ctx, "r")
	wantOutcome(t, err, ClassRetryable, CodeLabelCanceled)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("errors.Is(err, Canceled) = false: %v", err)
	}
}

// closedURL returns the URL of a loopback port that nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestNetworkError(t *testing.T) {
	c := newTestClient(t, closedURL(t), testSig(t))
	_, err := c.GetRoomInfo(context.Background(), "r")
	wantOutcome(t, err, ClassRetryable, CodeLabelNetwork)
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("the cause is not kept: %v", err)
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	sig := testSig(t)
	for name, baseURL := range map[string]string{
		"network": closedURL(t),
		"http":    serveBody(t, http.StatusBadGateway, "bad gateway").URL,
		"timeout": blockingServer(t).URL,
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, baseURL, sig, withTimeout(50*time.Millisecond))
			_, err := c.GetRoomInfo(context.Background(), "r")
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			for _, secret := range []string{sig, url.QueryEscape(sig), "usersig=", "identifier=", "?"} {
				if strings.Contains(text, secret) {
					t.Errorf("error text contains %q: %s", secret, text)
				}
			}
		})
	}
}

func TestRedactScrubsLeftovers(t *testing.T) {
	target := "http://h/v4/x?sdkappid=1&usersig=S%2AIG&random=1"
	// A cause that quotes the query or the UserSig itself, as no error of
	// net/http does today.
	for _, cause := range []error{
		errors.New("proxy said: bad request sdkappid=1&usersig=S%2AIG&random=1"),
		errors.New("echo S*IG"),
		&url.Error{Op: "Post", URL: target, Err: errors.New("inner S*IG")},
	} {
		got := redact(cause, target, "S*IG").Error()
		if strings.Contains(got, "S*IG") || strings.Contains(got, "S%2AIG") || strings.Contains(got, "usersig=") {
			t.Errorf("redact(%q) = %q", cause, got)
		}
	}
	clean := &url.Error{Op: "Post", URL: target, Err: context.DeadlineExceeded}
	got := redact(clean, target, "S*IG")
	if got.Error() != "Post http://h/v4/x: context deadline exceeded" || !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("redact(%q) = %q", clean, got)
	}
}

func TestUserSigError(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, "", func(o *Options) {
		o.UserSig = func() (string, error) { return "", errors.New("no key") }
	})
	_, err := c.GetRoomInfo(context.Background(), "r")
	wantOutcome(t, err, ClassAppFailure, CodeLabelUserSig)
	if requests.Load() != 0 {
		t.Error("a request was sent without a UserSig")
	}
}

func TestOversizedBody(t *testing.T) {
	big := `{"ActionStatus":"OK","ErrorCode":0,"Response":{"RoomInfo":{"Notice":"` +
		strings.Repeat("x", MaxResponseBytes) + `"}}}`
	t.Run("content-length", func(t *testing.T) {
		_, err := getRoomInfo(t, serveBody(t, http.StatusOK, big))
		wantOutcome(t, err, ClassRetryable, CodeLabelDecode)
	})
	t.Run("chunked", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i < len(big); i += 4096 {
				_, _ = io.WriteString(w, big[i:min(i+4096, len(big))])
				w.(http.Flusher).Flush()
			}
		}))
		t.Cleanup(srv.Close)
		_, err := getRoomInfo(t, srv)
		wantOutcome(t, err, ClassRetryable, CodeLabelDecode)
	})
	t.Run("exactly the limit", func(t *testing.T) {
		body := docSample + strings.Repeat(" ", MaxResponseBytes-len(docSample))
		got, err := getRoomInfo(t, serveBody(t, http.StatusOK, body))
		wantOutcome(t, err, ClassOK, "0")
		assertRoomInfo(t, got, docSampleRoom)
	})
}

func TestKeepAlive(t *testing.T) {
	var conns atomic.Int32
	var n atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// Successes, Tencent errors and gateway errors alike must leave
		// the connection reusable.
		switch n.Add(1) % 3 {
		case 0:
			_, _ = io.WriteString(w, docSample)
		case 1:
			_, _ = io.WriteString(w, `{"ActionStatus":"FAIL","ErrorCode":100004,"ErrorInfo":"gone"}`)
		case 2:
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL, testSig(t))
	const requests = 30
	for range requests {
		_, _ = c.GetRoomInfo(context.Background(), "r")
	}
	if n.Load() != requests || conns.Load() != 1 {
		t.Errorf("%d requests used %d connections, want 1", n.Load(), conns.Load())
	}
}

func TestCustomHTTPClient(t *testing.T) {
	var used atomic.Bool
	srv := serveBody(t, http.StatusOK, docSample)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Store(true)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := newTestClient(t, srv.URL, testSig(t), func(o *Options) { o.HTTPClient = hc })
	if _, err := c.GetRoomInfo(context.Background(), "r"); err != nil {
		t.Fatal(err)
	}
	if !used.Load() {
		t.Error("Options.HTTPClient was not used")
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewRejects(t *testing.T) {
	valid := Options{SDKAppID: 1, Identifier: "admin", BaseURL: "https://adminapisgp.im.qcloud.com",
		UserSig: func() (string, error) { return "s", nil }}
	if _, err := New(valid); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	for name, mutate := range map[string]func(*Options){
		"no sdkappid":   func(o *Options) { o.SDKAppID = 0 },
		"no identifier": func(o *Options) { o.Identifier = "" },
		"no usersig":    func(o *Options) { o.UserSig = nil },
		"negative":      func(o *Options) { o.Timeout = -time.Second },
		"no base":       func(o *Options) { o.BaseURL = "" },
		"ftp":           func(o *Options) { o.BaseURL = "ftp://h" },
		"no host":       func(o *Options) { o.BaseURL = "https://" },
		"query":         func(o *Options) { o.BaseURL = "https://h/?a=b" },
		"user info":     func(o *Options) { o.BaseURL = "https://u:p@h" },
		"unparsable":    func(o *Options) { o.BaseURL = "https://h/%zz" },
		"relative":      func(o *Options) { o.BaseURL = "adminapisgp.im.qcloud.com" },
	} {
		o := valid
		mutate(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}

func TestRegions(t *testing.T) {
	want := map[string]string{
		"china":     "https://console.tim.qq.com",
		"singapore": "https://adminapisgp.im.qcloud.com",
		"usa":       "https://adminapiusa.im.qcloud.com",
		"korea":     "https://adminapikr.im.qcloud.com",
		"japan":     "https://adminapijpn.im.qcloud.com",
		"germany":   "https://adminapiger.im.qcloud.com",
		"india":     "https://adminapiind.im.qcloud.com",
		"indonesia": "https://adminapiidn.im.qcloud.com",
	}
	if len(Regions) != len(want) {
		t.Errorf("Regions has %d entries, want %d", len(Regions), len(want))
	}
	for region, u := range want {
		got, err := RegionURL(region)
		if err != nil || got != u {
			t.Errorf("RegionURL(%q) = %q, %v; want %q", region, got, err, u)
		}
	}
	_, err := RegionURL("mars")
	if err == nil || !strings.Contains(err.Error(), `"mars"`) || !strings.Contains(err.Error(), "singapore") {
		t.Errorf("RegionURL(mars) error = %v", err)
	}
}
