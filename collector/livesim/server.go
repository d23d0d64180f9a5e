package livesim

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// closeTimeout bounds how long Close waits for handlers still writing to a
// client that does not read, before it drops their connections.
const closeTimeout = 2 * time.Second

// Options configure a Server.
type Options struct {
	// Now is the simulator's clock. It decides UserSig expiry, rate limits,
	// the counters' 1-second windows and the values that move with time. It
	// must not go backwards. Nil means time.Now.
	Now func() time.Time
	// Latency delays every answer by this much real time, on top of a
	// room's Behaviour.Delay. The wait ends early, with no answer, when the
	// client goes away or the server is closed.
	Latency time.Duration
}

// App is an SDKAppID known to the simulator, with its credentials.
type App struct {
	// SDKAppID identifies the app. 0 is where requests without a valid
	// sdkappid are counted; do not use it.
	SDKAppID uint64
	// Identifier is the app's administrator account: the only identifier
	// the simulator accepts.
	Identifier string
	// SecretKey is the key UserSigs must be signed with.
	SecretKey string
	// Limits are requests per second per command. Commands missing here, or
	// with a limit below 1, get their DocumentedLimits.
	Limits map[string]int
	// MaxRooms is the app's room quota, for the webhook sent when creating
	// rooms reaches 70 % of it (see SetWebhook); 0 means none.
	MaxRooms int
}

// documentedLimits holds, for each command the simulator serves, the
// requests per second Tencent documents. It is never modified.
var documentedLimits = map[string]int{
	tencent.CommandGetRoomInfo:   200,
	tencent.CommandGetMemberList: 200,
	tencent.CommandGetRoomStats:  100,
	tencent.CommandGetRoomList:   10,
}

// DocumentedLimits returns the requests per second Tencent documents for
// each command. They are the simulator's default limits.
func DocumentedLimits() map[string]int {
	return maps.Clone(documentedLimits)
}

// Server is a simulated Live API serving HTTP on a loopback port (Start), or
// in memory to its own Client (New). Its methods are safe for concurrent
// use, also while it serves requests.
type Server struct {
	now     func() time.Time
	latency time.Duration
	url     string
	http    *http.Server       // nil when the server does not listen
	base    context.Context    // parent of every request's context
	stop    context.CancelFunc // cancels base
	served  chan struct{}      // closed once the HTTP server stops serving
	seq     atomic.Uint64      // sequence number in RequestIds
	hooks   *sender            // sends the apps' webhooks

	mu   sync.Mutex
	apps map[uint64]*app
}

// app is the state kept per sdkappid, added or only seen in requests.
type app struct {
	added    bool
	creds    App             // without Limits
	limits   map[string]int  // per command
	appError int             // answered to every request when not 0
	webhook  webhookTarget   // where the app's webhooks go
	disabled map[string]bool // commands answered 60017
	rooms    map[string]*room
	accepted map[string]*window // per command, requests let through
	counters *counters
}

// Start starts a Server on 127.0.0.1 at a free port. Close it when done.
func Start(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("livesim: %w", err)
	}
	s := New(opts)
	s.url = "http://" + ln.Addr().String()
	base := s.base
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		BaseContext:       func(net.Listener) context.Context { return base },
		ReadHeaderTimeout: 10 * time.Second,
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		_ = s.http.Serve(ln) // always http.ErrServerClosed, from Close
	}()
	return s, nil
}

// New returns a Server that does not listen: it answers only the requests
// of its Client, in memory. Tests use it inside a testing/synctest bubble,
// where real network I/O would keep virtual time from moving. Its URL is
// MemoryURL. Close it when done.
func New(opts Options) *Server {
	base, stop := context.WithCancel(context.Background())
	s := &Server{
		now:     opts.Now,
		latency: opts.Latency,
		url:     MemoryURL,
		base:    base,
		stop:    stop,
		hooks:   newSender(),
		apps:    map[uint64]*app{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// URL returns the server's base URL, such as http://127.0.0.1:41234, to
// which the command paths are appended.
func (s *Server) URL() string { return s.url }

// Close stops the server. Requests waiting on a latency or a slow room are
// cancelled without an answer, so Close does not wait for them; nor does it
// send the webhooks still queued, and it cancels the one being sent.
func (s *Server) Close() {
	s.stop()
	s.hooks.wait()
	if s.http == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if s.http.Shutdown(ctx) != nil {
		_ = s.http.Close() // drops the connections; its error says nothing more
	}
	<-s.served
}

// AddApp adds an app, or replaces the credentials, limits and quota of one
// already added; its rooms, counters, app-wide error and webhook stay.
func (s *Server) AddApp(a App) {
	limits := DocumentedLimits()
	for command, qps := range a.Limits {
		if _, known := documentedLimits[command]; known && qps > 0 {
			limits[command] = qps
		}
	}
	a.Limits = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(a.SDKAppID)
	st.added, st.creds, st.limits = true, a, limits
}

// SetLimit sets the requests per second the app accepts for command; a qps
// below 1 restores the documented limit. Unknown commands are ignored.
func (s *Server) SetLimit(sdkappid uint64, command string, qps int) {
	documented, known := documentedLimits[command]
	if !known {
		return
	}
	if qps < 1 {
		qps = documented
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(sdkappid).limits[command] = qps
}

// SetAppError makes every request naming the app answer code, as Tencent
// does for app-wide faults (60020 no package, 60021 IP not allowed, 70050
// locked...). 0 clears it.
func (s *Server) SetAppError(sdkappid uint64, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(sdkappid).appError = code
}

// DisableCommand makes the app's requests of command answer 60017 (command
// disabled), as Tencent does for a command switched off for an app, or
// enables it again.
func (s *Server) DisableCommand(sdkappid uint64, command string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(sdkappid).disabled[command] = disabled
}

// Stats returns a copy of what the server counted for the app.
func (s *Server) Stats(sdkappid uint64) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.apps[sdkappid]; a != nil {
		return a.counters.snapshot()
	}
	return newCounters().snapshot()
}

// ResetStats sets every app's counters to zero. Rate limits and room
// behaviours (such as a flaky room's cycle) are not affected.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		a.counters = newCounters()
	}
}

// state returns the state of sdkappid, creating it. The caller holds s.mu.
func (s *Server) state(sdkappid uint64) *app {
	a := s.apps[sdkappid]
	if a == nil {
		a = &app{
			creds:    App{SDKAppID: sdkappid},
			limits:   DocumentedLimits(),
			rooms:    map[string]*room{},
			accepted: map[string]*window{},
			disabled: map[string]bool{},
			counters: newCounters(),
		}
		s.apps[sdkappid] = a
	}
	return a
}

// handle serves every request: it runs the checks and the command, waits
// for the latency, counts the answer and writes it.
func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	command := commandOf(r.URL.Path)
	query := r.URL.Query()
	id, idErr := parseSDKAppID(query)
	adm, e := s.admit(id, idErr, r.Method, command)
	var rep reply
	if e != nil {
		rep = s.refuse(e)
	} else {
		rep = s.answer(r, query, adm, command)
	}
	if !sleep(r.Context(), s.latency+rep.delay) {
		s.mu.Lock()
		adm.app.counters.stats.Abandoned++
		s.mu.Unlock()
		// Drop the connection rather than let net/http answer an empty 200.
		panic(http.ErrAbortHandler)
	}
	s.mu.Lock()
	adm.app.counters.answered(rep)
	s.mu.Unlock()
	w.Header().Set("Content-Type", rep.contentType)
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body) // the client may be gone; nothing to do
}

// commandOf returns the command a request path names, or "" when it names
// none the simulator knows.
func commandOf(path string) string {
	command, found := strings.CutPrefix(path, tencent.ServicePath)
	if _, known := documentedLimits[command]; !found || !known {
		return ""
	}
	return command
}

// admission is what admit learnt of a request.
type admission struct {
	app   *app      // the state of the request's sdkappid, never nil
	creds App       // the app's credentials, once admitted
	now   time.Time // arrival on the simulator's clock
}

// admit counts a request's arrival and makes the checks that need the app's
// state: the app, its injected error, the method, the command and the rate
// limit. The arrival time is read under the lock, so that the windows see
// arrivals in order.
func (s *Server) admit(id uint64, idErr *apiError, method, command string) (admission, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	adm := admission{app: s.state(id), now: s.now()}
	a := adm.app
	a.counters.arrived(command, adm.now)
	switch {
	case idErr != nil:
		return adm, idErr
	case !a.added:
		return adm, &apiError{tencent.CodeSDKAppIDNotFound, "sdkappid not found"}
	case a.appError != 0:
		return adm, &apiError{a.appError, errorInfo(a.appError)}
	case method != http.MethodPost:
		return adm, &apiError{tencent.CodeBadRequestURL, "HTTP method must be POST"}
	case command == "":
		return adm, &apiError{tencent.CodeBadPath, "no such command"}
	case a.disabled[command]:
		return adm, &apiError{tencent.CodeCommandDisabled, errorInfo(tencent.CodeCommandDisabled)}
	}
	w := a.accepted[command]
	if w == nil {
		w = &window{}
		a.accepted[command] = w
	}
	if w.advance(adm.now) >= a.limits[command] {
		a.counters.stats.RateLimited[command]++
		return adm, &apiError{tencent.CodeAppRateLimited, errorInfo(tencent.CodeAppRateLimited)}
	}
	w.add(adm.now)
	adm.creds = a.creds
	return adm, nil
}

// answer makes the remaining checks of an admitted request and runs its
// command.
func (s *Server) answer(r *http.Request, query url.Values, adm admission, command string) reply {
	if e := checkQuery(query); e != nil {
		return s.refuse(e)
	}
	if e := checkUserSig(adm.creds, query, adm.now); e != nil {
		return s.refuse(e)
	}
	body, e := readBody(r.Body)
	if e != nil {
		return s.refuse(e)
	}
	if command == tencent.CommandGetRoomList {
		return s.roomList(adm.app, body, adm.now)
	}
	return s.roomCommand(adm.app, command, body, adm.now)
}

// sleep waits for d of real time and reports whether it did, rather than
// ctx ending first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
