package webhook

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// The apps of the tests and their tokens.
const (
	appA   = 1400000001
	appB   = 1400000002
	tokenA = "token-A-5e0c1d"
	tokenB = "token-B-93ab77"
)

// testNow is the receiver's clock in the tests.
var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// received is one event handed to a sink.
type received struct {
	sdkappid uint64
	ev       tencent.Event
}

// recorder is a Sink that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []received
}

func (r *recorder) Event(sdkappid uint64, ev tencent.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, received{sdkappid, ev})
}

func (r *recorder) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.events...)
}

// fixture is a Receiver behind the listener's server on loopback, at
// testNow, taking webhooks for appA and appB.
type fixture struct {
	t    *testing.T
	recv *Receiver
	sink *recorder
	logs *syncBuffer
	url  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, sink: &recorder{}, logs: &syncBuffer{}}
	f.recv = New(Options{Sink: f.sink, Logger: log.NewLogfmtLogger(f.logs), Now: func() time.Time { return testNow }})
	f.recv.SetTokens(map[uint64]string{appA: tokenA, appB: tokenB})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer(f.recv, log.NewLogfmtLogger(f.logs))
	srv.Start()
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// signed returns Tencent's query for a webhook of command to sdkappid, sent
// at sentAt and signed with token.
func signed(sdkappid uint64, command, token string, sentAt time.Time) url.Values {
	rt := strconv.FormatInt(sentAt.Unix(), 10)
	return url.Values{
		"SdkAppid":        {strconv.FormatUint(sdkappid, 10)},
		"CallbackCommand": {command},
		"contenttype":     {"json"},
		"ClientIP":        {"203.0.113.7"},
		"OptPlatform":     {"RESTAPI"},
		"RequestTime":     {rt},
		"Sign":            {tencent.WebhookSign(token, rt)},
	}
}

// response is an answer as the client saw it.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request to path with query and body (sent chunked, without a
// Content-Length, when chunked is set).
func (f *fixture) do(method, path string, query url.Values, body string, chunked bool) response {
	f.t.Helper()
	var rd io.Reader = strings.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length from net/http
	}
	req, err := http.NewRequest(method, f.url+path+"?"+query.Encode(), rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(b)}
}

// post sends a webhook to /webhook.
func (f *fixture) post(query url.Values, body string) response {
	f.t.Helper()
	return f.do(http.MethodPost, Path, query, body, false)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
