// Package tencent is a client for the read commands of Tencent Cloud Live's
// REST API (TUILiveKit on Chat, v4/live_engine_http_srv). It knows nothing of
// Prometheus or of the exporter's configuration: it signs requests, sends
// them, decodes answers leniently and classifies every outcome.
package tencent

// Commands of v4/live_engine_http_srv that the exporter reads.
const (
	CommandGetRoomInfo   = "get_room_info"
	CommandGetMemberList = "get_member_list"
	CommandGetRoomStats  = "get_room_stats"
	CommandGetRoomList   = "get_room_list"
)

// ServicePath is the path prefix of every Live command.
const ServicePath = "/v4/live_engine_http_srv/"

// Error codes of the Live REST API that the client, the fetcher and the
// simulated API refer to by name. tencent-api.md lists their meaning;
// codeMeanings in classify.go is what each tells a caller to do.
const (
	CodeOK = 0

	// Room level.
	CodeInternal     = 100001
	CodeInvalidParam = 100002
	CodeRoomNotExist = 100004
	CodeNotLiveRoom  = 100006

	// Malformed requests: a bug on the caller's side.
	CodeBadRequestURL     = 60002
	CodeBadRequestJSON    = 60003
	CodeBadPath           = 60009
	CodeMissingSDKAppID   = 60012
	CodeBadIdentifierType = 60015

	// Signature and account.
	CodeIdentifierWrong     = 60004
	CodeUserSigWrong        = 60005
	CodeSDKAppIDInvalid     = 60006
	CodeNotAdmin            = 60010
	CodeUserSigExpired      = 70001
	CodeUserSigCheckFailed  = 70003
	CodeUserSigKeyWrong     = 70005
	CodeUserSigBadSDKAppID  = 70009
	CodeIdentifierMismatch  = 70013
	CodeUserSigBadKeyFormat = 70014
	CodeSDKAppIDNotFound    = 70020
	CodeLocked              = 70050
	CodeUserSigInvalid      = 70052
	CodeNotAdminAccount     = 70403

	// Rate limits.
	CodeCommandRateLimited = 60007
	CodeAppRateLimited     = 60011
	CodeRateLimited        = 60018
	CodeRateLimitedGeneric = 60019

	// Transient.
	CodeTimeout        = 60008
	CodeParseError     = 60013
	CodeAccountTimeout = 60014
	CodeInternalRetry  = 70169
	CodeInternalServer = 70500

	// App-wide: the app, a command or the caller's access is unusable.
	CodeAppDisabled     = 60016
	CodeCommandDisabled = 60017
	CodeNoPackage       = 60020
	CodeIPNotAllowed    = 60021
)

// Envelope is the part of every answer that says whether the call worked.
type Envelope struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int    `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
	RequestID    string `json:"RequestId,omitempty"`
}

// RoomRequest is the body of get_room_info, get_room_stats and (with Next)
// get_member_list.
type RoomRequest struct {
	RoomID string `json:"RoomId"`
	Next   string `json:"Next,omitempty"`
}

// MemberListRequest is the body the client sends for get_member_list: Next
// is always present, "" for the first page, as in Tencent's samples.
type MemberListRequest struct {
	RoomID string `json:"RoomId"`
	Next   string `json:"Next"`
}

// RoomListRequest is the body of get_room_list.
type RoomListRequest struct {
	Next  string `json:"Next"`
	Count int    `json:"Count"`
}

// MaxResponseBytes is the largest response body the client accepts; a
// longer one is a decode failure. Real answers are a few hundred bytes
// (get_member_list, the largest, lists at most 1000 accounts).
const MaxResponseBytes = 1 << 20

// Values of TakeSeatMode in newer documentation. Older documentation sends
// the integers 1 and 2 instead; the client maps them to these names.
const (
	TakeSeatModeFree  = "FreeToTake"
	TakeSeatModeApply = "ApplyToTake"
)
