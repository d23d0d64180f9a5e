package livesim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Sending webhooks.
const (
	// webhookTimeout is how long the simulator waits for a receiver's
	// answer: the 2 s after which Tencent's Chat webhooks time out.
	webhookTimeout = 2 * time.Second
	// maxQueuedWebhooks bounds the webhooks waiting to be sent; past it,
	// new ones are dropped and counted as failed.
	maxQueuedWebhooks = 10000
	// webhookClientIP is the ClientIP of every webhook: the simulated
	// operator's address.
	webhookClientIP = "127.0.0.1"
)

// OptPlatform values of the webhooks: room changes come from the app's
// backend through the REST API, member changes from the members' apps.
const (
	platformREST    = "RESTAPI"
	platformMembers = "Android"
)

// quotaThreshold is the share of an app's room quota at which Tencent sends
// CallbackAfterCreateRoomReachingThreshold, in tenths.
const quotaThreshold = 7

// webhookTarget is where an app's webhooks go.
type webhookTarget struct {
	url   string // "" when the app sends none
	token string // "" sends them without RequestTime and Sign
}

// outgoing is a webhook waiting to be sent.
type outgoing struct {
	sdkappid uint64
	target   webhookTarget
	command  string
	platform string
	body     []byte
}

// sender sends the webhooks, one at a time and in order, from a goroutine of
// its own, so that no simulator method waits for a receiver. The goroutine
// starts with the first SetWebhook, so that a Server without webhooks has
// none (tests in a testing/synctest bubble need not Close it). Its mutex is
// never held while the Server's is taken.
type sender struct {
	client  *http.Client
	limit   int // most webhooks waiting, maxQueuedWebhooks but in tests
	start   sync.Once
	started atomic.Bool
	mu      sync.Mutex
	queue   []outgoing
	wake    chan struct{} // signalled when the queue gets an entry
	done    chan struct{} // closed when the goroutine has ended
}

func newSender() *sender {
	return &sender{
		client: &http.Client{Timeout: webhookTimeout, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		limit:  maxQueuedWebhooks,
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// SetWebhook makes the app send webhooks to url, as Tencent does once a
// webhook URL is set for it in the console or with
// v4/live_config/set_callback, signed with token (set_callback_token): a
// POST of a JSON body, with the query SdkAppid, CallbackCommand,
// contenttype=json, ClientIP, OptPlatform, RequestTime and Sign. An empty
// token sends no RequestTime nor Sign, as Tencent does without a token; an
// empty url stops the app's webhooks.
//
// The webhooks follow the room changes: PutRoom of a new room sends
// CallbackAfterCreateRoom (and CallbackAfterCreateRoomReachingThreshold
// when the app's rooms reach 70 % of App.MaxRooms), DissolveRoom
// CallbackAfterDestroyRoom, UpdateRoom CallbackAfterUpdateRoomInfo,
// MembersChanged CallbackAfterMemberStateChanged. They are sent in order,
// one at a time, after the change and without holding it up; RequestTime is
// the simulator's clock when one is sent. Each is tried once, as Tencent
// documents no retry, and counted in Stats.WebhooksSent when answered HTTP
// 200 within 2 s, else in Stats.WebhooksFailed.
func (s *Server) SetWebhook(sdkappid uint64, url, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state(sdkappid).webhook = webhookTarget{url: url, token: token}
	if url != "" {
		s.hooks.start.Do(func() {
			s.hooks.started.Store(true)
			go s.runWebhooks(s.base)
		})
	}
}

// wait waits for the sending goroutine, if started, to end; the Server's
// base context must have been cancelled.
func (q *sender) wait() {
	if q.started.Load() {
		<-q.done
	}
}

// announce queues a webhook of command, whose body is fields, if the app
// sends webhooks. The caller holds s.mu.
func (s *Server) announce(a *app, command, platform string, fields map[string]any) {
	if a.webhook.url == "" {
		return
	}
	body, err := json.Marshal(fields)
	if err != nil {
		// The fields hold strings, numbers, booleans and lists of them.
		panic("livesim: webhook body: " + err.Error())
	}
	if !s.hooks.push(outgoing{a.creds.SDKAppID, a.webhook, command, platform, body}) {
		a.counters.stats.WebhooksFailed[command]++
	}
}

// push queues a webhook and reports whether there was room for it.
func (q *sender) push(o outgoing) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) >= q.limit {
		return false
	}
	q.queue = append(q.queue, o)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// runWebhooks sends the queued webhooks until ctx ends.
func (s *Server) runWebhooks(ctx context.Context) {
	q := s.hooks
	defer close(q.done)
	defer q.client.CloseIdleConnections()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		batch := q.queue
		q.queue = nil
		q.mu.Unlock()
		for _, o := range batch {
			sent := s.send(ctx, o)
			s.mu.Lock()
			st := &s.state(o.sdkappid).counters.stats
			if sent {
				st.WebhooksSent[o.command]++
			} else {
				st.WebhooksFailed[o.command]++
			}
			s.mu.Unlock()
		}
	}
}

// send POSTs one webhook and reports whether it was answered HTTP 200.
func (s *Server) send(ctx context.Context, o outgoing) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL(o, s.now()), bytes.NewReader(o.body))
	if err != nil {
		return false // a URL that does not parse: Tencent would not send either
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.hooks.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return resp.StatusCode == http.StatusOK
}

// webhookURL returns the target URL with Tencent's query, in Tencent's
// order, signed at now.
func webhookURL(o outgoing, now time.Time) string {
	var b strings.Builder
	b.WriteString(o.target.url)
	if strings.Contains(o.target.url, "?") {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	b.WriteString("SdkAppid=" + strconv.FormatUint(o.sdkappid, 10))
	b.WriteString("&CallbackCommand=" + url.QueryEscape(o.command))
	b.WriteString("&contenttype=json")
	b.WriteString("&ClientIP=" + webhookClientIP)
	b.WriteString("&OptPlatform=" + o.platform)
	if o.target.token != "" {
		requestTime := strconv.FormatInt(now.Unix(), 10)
		b.WriteString("&RequestTime=" + requestTime)
		b.WriteString("&Sign=" + tencent.WebhookSign(o.target.token, requestTime))
	}
	return b.String()
}

// hookRoom returns every RoomInfo field a webhook may carry, in the forms
// get_room_info answers with (Behaviour.Variants applies).
func (rm *room) hookRoom(now time.Time) map[string]any {
	j := rm.infoJSON(now)
	return map[string]any{
		"RoomId": j.RoomID, "RoomName": j.RoomName, "RoomType": j.RoomType, "Owner_Account": j.OwnerAccount,
		"MaxMemberCount": j.MaxMemberCount, "IsMessageDisabled": j.IsMessageDisabled, "CustomInfo": "",
		"IsSeatEnabled": j.IsSeatEnabled, "TakeSeatMode": j.TakeSeatMode, "MaxSeatCount": j.MaxSeatCount,
		"CreateTime": j.CreateTime, "IsPublicVisible": j.IsPublicVisible, "CoverURL": j.CoverURL,
		"Category": j.Category, "ActivityStatus": j.ActivityStatus, "ViewCount": j.ViewCount,
	}
}

// The RoomInfo fields of each command, as tencent-api.md lists them.
var (
	createRoomFields = []string{"RoomId", "RoomName", "RoomType", "Owner_Account", "MaxMemberCount",
		"IsMessageDisabled", "CustomInfo", "IsSeatEnabled", "TakeSeatMode", "MaxSeatCount", "CreateTime",
		"IsPublicVisible", "CoverURL", "Category"}
	destroyRoomFields = append([]string{"ActivityStatus", "ViewCount"}, createRoomFields...)
	updateRoomFields  = []string{"RoomId", "RoomName", "MaxMemberCount", "IsMessageDisabled", "CoverURL",
		"Category", "ActivityStatus", "IsPublicVisible", "TakeSeatMode", "CustomInfo"}
)

// pick returns the entries of m named by keys.
func pick(m map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// eventTime returns EventTime at now: Unix milliseconds, as a string under
// Behaviour.Variants.
func (rm *room) eventTime(now time.Time) any {
	if rm.Behaviour.Variants {
		return strconv.FormatInt(now.UnixMilli(), 10)
	}
	return now.UnixMilli()
}

// announceCreate queues the webhooks of rm's creation, rm being in a.rooms
// already. The caller holds s.mu.
func (s *Server) announceCreate(a *app, rm *room, now time.Time) {
	operator := a.creds.Identifier
	s.announce(a, tencent.CallbackAfterCreateRoom, platformREST, map[string]any{
		"Operator_Account": operator,
		"RoomInfo":         pick(rm.hookRoom(now), createRoomFields),
	})
	quota, rooms := a.creds.MaxRooms, len(a.rooms)
	if quota > 0 && (rooms-1)*10 < quota*quotaThreshold && rooms*10 >= quota*quotaThreshold {
		s.announce(a, tencent.CallbackAfterCreateRoomReachingThreshold, platformREST, map[string]any{
			"Operator_Account": operator,
			"EventTime":        rm.eventTime(now),
			"CurRoomCount":     rooms,
			"MaxRoomCount":     quota,
		})
	}
}

// announceDestroy queues the webhook of rm's dissolution by the app. The
// caller holds s.mu.
func (s *Server) announceDestroy(a *app, rm *room, now time.Time) {
	t := rm.totals(now)
	s.announce(a, tencent.CallbackAfterDestroyRoom, platformREST, map[string]any{
		"Operator_Account": a.creds.Identifier,
		"RoomId":           rm.ID,
		"EventType":        tencent.DestroyByUser,
		"EventTime":        rm.eventTime(now),
		"RoomInfo":         pick(rm.hookRoom(now), destroyRoomFields),
		"Statistic": map[string]any{
			"TotalViewers": t.TotalViewers, "TotalGiftsSent": t.TotalGiftsSent, "TotalGiftCoins": t.TotalGiftCoins,
			"TotalUniqueGiftSenders": t.TotalUniqueGiftSenders, "TotalLikesReceived": t.TotalLikesReceived,
		},
	})
}

// announceUpdate queues the webhook of a change to rm's information. The
// caller holds s.mu.
func (s *Server) announceUpdate(a *app, rm *room, now time.Time) {
	s.announce(a, tencent.CallbackAfterUpdateRoomInfo, platformREST, map[string]any{
		"Operator_Account": a.creds.Identifier,
		"RoomInfo":         pick(rm.hookRoom(now), updateRoomFields),
		"EventTime":        rm.eventTime(now),
	})
}

// announceMembers queues the webhook of members entering or leaving rm. The
// caller holds s.mu.
func (s *Server) announceMembers(a *app, rm *room, eventType, cause string, accounts []string, now time.Time) {
	members := make([]map[string]any, len(accounts))
	for i, account := range accounts {
		members[i] = map[string]any{"Member_Account": account}
	}
	s.announce(a, tencent.CallbackAfterMemberStateChanged, platformMembers, map[string]any{
		"RoomId":     rm.ID,
		"EventType":  eventType,
		"EventCause": cause,
		"MemberList": members,
		"EventTime":  rm.eventTime(now),
	})
}
