// Package livesim is a simulated Tencent Cloud Live REST API
// (v4/live_engine_http_srv) for tests, benchmarks and the exporter's --demo
// mode. It serves get_room_info, get_member_list, get_room_stats and
// get_room_list over real HTTP on loopback, following Tencent's
// documentation (shared/tencent-api.md) rather than what any client expects.
//
// Every answer is HTTP 200 with a JSON envelope (ActionStatus "OK" or
// "FAIL", ErrorCode, ErrorInfo, RequestId "Id-<hex>-O-Seq-<n>", and on
// success Response), except what a room's Behaviour asks for: HTTP 502 from
// a gateway, a truncated body, an oversized one.
//
// # Checks
//
// A request is checked in this order; the first check that fails answers:
//
//	check                                               ErrorCode
//	sdkappid missing or empty                           60012
//	sdkappid not an unsigned integer                    60006
//	sdkappid of no app added with AddApp                70020
//	app-wide error set with SetAppError                 that code
//	method other than POST                              60002
//	path not /v4/live_engine_http_srv/<known command>   60009
//	app's limit for the command reached                 60011
//	random missing or not an integer 0..4294967295      60002
//	contenttype not "json"                              60002
//	identifier missing                                  60004
//	usersig missing                                     60005
//	usersig not decodable (base64, zlib, JSON, v2)      70003
//	usersig made for another sdkappid                   70009
//	identifier not the one inside usersig               70013
//	usersig signed with another key                     70005
//	usersig expired at the simulator's clock            70001
//	identifier not the app's administrator              60010
//	body empty, over 64 KiB, not JSON, not an object    60003
//	body field of the wrong type                        100002
//	RoomId empty; Count not 1..20; Next not a cursor    100002
//	room never put, or dissolved                        100004
//
// An identifier other than the administrator's, with a valid UserSig for
// it, gets 60010; with any other UserSig it gets that UserSig's code. Then
// the room's Behaviour applies (see Behaviour for its own order).
//
// # Rate limits
//
// Each app has a limit per command, by default DocumentedLimits (200, 200,
// 100 and 10 requests per second). A request is let through when fewer
// requests than the limit were let through in the second before it (the
// half-open window (t-1s, t] of the simulator's clock); otherwise it
// answers 60011 and is counted in Stats.RateLimited. Rejected requests do
// not occupy the window: a client over the limit still gets the limit's
// worth of answers each second. (Whether Tencent's do is not documented.)
// The limit applies after the app, method and path checks and before the
// credentials are checked, so unauthenticated requests spend it too.
//
// # Webhooks
//
// Given a webhook URL and token with SetWebhook, an app sends Tencent's
// webhooks as its rooms change: created (PutRoom of a new room), dissolved
// (DissolveRoom), updated (UpdateRoom), members entering or leaving
// (MembersChanged), and room quota reaching 70 % (App.MaxRooms). They are
// sent from a goroutine of their own, in order, once each, and counted in
// Stats.WebhooksSent and Stats.WebhooksFailed; Churn and StartChurn make
// rooms come and go.
//
// # Times
//
// UserSig expiry, rate limits, the counters' windows, moving values
// (ViewCount, get_room_stats totals, MemberCount) and the webhooks'
// RequestTime and EventTime use Options.Now, so tests
// can drive them with a fake clock; a request's time is read when it reaches
// the rate limiter. Latency and Delay are real time, and end early without
// an answer (the connection is dropped) when the client goes away or Close
// is called.
package livesim
