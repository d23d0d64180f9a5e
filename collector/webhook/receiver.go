// Package webhook receives the webhooks (Tencent's "callbacks") that Tencent
// Live sends to an app's webhook URL: it authenticates each request with the
// app's token, answers at once, and hands the event to a Sink. It serves
// POST /webhook only, on a listener of its own (see NewServer), so that the
// exporter's metrics port can stay private.
//
// Answers, in the order the checks are made:
//
//	path other than /webhook                                   404
//	method other than POST                                     405, Allow: POST
//	SdkAppid missing, malformed, or of no app with a token     404 unknown_app
//	Sign or RequestTime missing or wrong, RequestTime > 60 s off 401 unauthorized
//	body over 64 KiB                                           413 too_large
//	body not a JSON object, or a documented field unreadable   400 bad_request
//	anything else, any command                                 200 ok, {"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}
//
// Only a request answered 200 reaches the Sink, after its answer is written.
// The Sign covers RequestTime only, not the body, and a captured request can
// be replayed within the minute: events are hints to be confirmed through
// the REST API, never truth.
package webhook

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Path is the only path the receiver serves.
const Path = "/webhook"

// MaxBodyBytes is the largest body accepted; Tencent's bodies are a few
// hundred bytes.
const MaxBodyBytes = 64 << 10

// okAnswer is the answer Tencent expects to every webhook.
const okAnswer = `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}`

// Sink takes the events of authenticated webhooks. Event is called once per
// request answered 200, after the answer is written, from the request's
// goroutine and concurrently with other requests: it must be cheap and must
// not block (hand the event over, coalesce, drop). ev.Command may be any
// string for commands that are not documented ones.
type Sink interface {
	Event(sdkappid uint64, ev tencent.Event)
}

// Options configure a Receiver.
type Options struct {
	// Sink takes the authenticated events; nil drops them.
	Sink Sink
	// Logger logs refused requests at debug level; nil logs nothing.
	Logger log.Logger
	// Now is the clock RequestTime is checked against; nil means time.Now.
	Now func() time.Time
}

// Receiver is the http.Handler of the webhook listener, and the
// prometheus.Collector of its metrics. Its methods are safe for concurrent
// use.
type Receiver struct {
	sink   Sink
	logger log.Logger
	now    func() time.Time

	mu    sync.Mutex               // serialises SetTokens
	apps  atomic.Pointer[appTable] // the apps with a webhook token
	other *counts                  // requests naming no app in apps
}

// appTable maps an SDKAppID to its token and counts. It is never modified
// once published.
type appTable map[uint64]*app

// app is one app that takes webhooks.
type app struct {
	token  string
	counts *counts // shared by the tables in which the app stays
}

// New returns a Receiver that refuses every app until SetTokens names it.
func New(opts Options) *Receiver {
	r := &Receiver{sink: opts.Sink, logger: opts.Logger, now: opts.Now, other: newCounts()}
	if r.logger == nil {
		r.logger = log.NewNopLogger()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.apps.Store(&appTable{})
	return r
}

// SetTokens sets the apps that take webhooks and their tokens, replacing the
// previous set (on a configuration reload, say). Apps mapped to "" are left
// out, and so is SDKAppID 0, which no app has. An app that stays keeps its counts; the series of an app left out
// disappear from the metrics.
func (r *Receiver) SetTokens(tokens map[uint64]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.apps.Load()
	table := make(appTable, len(tokens))
	for id, token := range tokens {
		if token == "" || id == 0 {
			continue
		}
		c := newCounts()
		if prev := old[id]; prev != nil {
			c = prev.counts
		} else {
			// Silence is measured from when webhooks were set up.
			c.lastEvent.Store(r.now().UnixNano())
		}
		table[id] = &app{token: token, counts: c}
	}
	r.apps.Store(&table)
}

// ServeHTTP implements http.Handler: it checks a webhook, answers it, then
// hands its event to the Sink.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != Path {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: webhooks are POSTed", http.StatusMethodNotAllowed)
		return
	}
	query := req.URL.Query()
	rawCommand := query.Get("CallbackCommand")
	command := commandIndex(rawCommand)
	id, err := strconv.ParseUint(query.Get("SdkAppid"), 10, 64)
	a := (*r.apps.Load())[id]
	if err != nil || a == nil {
		r.refuse(w, r.other, otherValue, command, unknownApp, nil)
		return
	}
	app := strconv.FormatUint(id, 10)
	now := r.now()
	if err := tencent.VerifyWebhookSign(a.token, query.Get("RequestTime"), query.Get("Sign"), now); err != nil {
		r.refuse(w, a.counts, app, command, unauthorized, err)
		return
	}
	body, err := readBody(w, req)
	if err != nil {
		outcome := badRequest
		if errors.As(err, new(*http.MaxBytesError)) {
			outcome = tooLarge
		}
		r.refuse(w, a.counts, app, command, outcome, err)
		return
	}
	ev, err := tencent.DecodeEvent(rawCommand, body)
	if err != nil {
		r.refuse(w, a.counts, app, command, badRequest, err)
		return
	}
	a.counts.add(command, ok)
	a.counts.lastEvent.Store(now.UnixNano())
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(okAnswer)))
	_, _ = io.WriteString(w, okAnswer) // a client gone away is no concern of ours
	_ = http.NewResponseController(w).Flush()
	if r.sink != nil {
		r.sink.Event(id, ev)
	}
}

// readBody reads a request body of at most MaxBodyBytes; a longer one is an
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, req *http.Request) ([]byte, error) {
	if req.ContentLength > MaxBodyBytes {
		return nil, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	return io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
}

// refuse counts a refused request in c and answers it with its outcome's
// status and text; err says why, for the log. The log line names the app and command by their metric
// labels only: neither the query (which holds the Sign) nor the body.
func (r *Receiver) refuse(w http.ResponseWriter, c *counts, app string, command int, o outcome, err error) {
	c.add(command, o)
	level.Debug(r.logger).Log("msg", "Webhook refused", "sdkappid", app, "command", commandLabels[command],
		"outcome", outcomes[o].label, "err", err)
	http.Error(w, outcomes[o].text, outcomes[o].status)
}
