package tencent

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Webhook commands (Tencent calls them callbacks): the CallbackCommand query
// parameter of the requests Tencent sends to an app's webhook URL.
const (
	CallbackAfterCreateRoom     = "Live.CallbackAfterCreateRoom"
	CallbackAfterDestroyRoom    = "Live.CallbackAfterDestroyRoom"
	CallbackAfterUpdateRoomInfo = "Live.CallbackAfterUpdateRoomInfo"
	// CallbackAfterMemberStateChanged is also spelt
	// CallbackMemberStateChanged in one of Tencent's tables.
	CallbackAfterMemberStateChanged          = "Live.CallbackAfterMemberStateChanged"
	CallbackMemberStateChanged               = "Live.CallbackMemberStateChanged"
	CallbackAfterCreateRoomReachingThreshold = "Live.CallbackAfterCreateRoomReachingThreshold"

	// Documented commands the exporter answers and counts but does not act
	// on. The two "before" commands block the user's gift or message until
	// answered.
	CallbackAfterSeatInfoChanged = "Mic.CallbackAfterSeatInfoChanged"
	CallbackBeforeSendGift       = "Live.CallbackBeforeSendGift"
	CallbackBeforeSendMsg        = "Group.CallbackBeforeSendMsg"
)

// Values of a webhook's EventType and EventCause.
const (
	// DestroyByUser and DestroyBySystem are the EventType of
	// CallbackAfterDestroyRoom; the system dissolves rooms left empty.
	DestroyByUser   = "DestroyByUser"
	DestroyBySystem = "DestroyBySystem"

	// MemberOnline and MemberOffline are the EventType of
	// CallbackAfterMemberStateChanged.
	MemberOnline  = "Online"
	MemberOffline = "Offline"

	// The EventCause of CallbackAfterMemberStateChanged.
	CauseEnter              = "Enter"
	CauseLeave              = "Leave"
	CauseHeartbeatInterrupt = "HeartbeatInterrupt"
	CauseHeartbeatRecover   = "HeartbeatRecover"
	CauseKicked             = "Kicked"
)

// webhookCommands maps every documented command to its canonical name: the
// only alias is the second spelling of the member-state command.
var webhookCommands = map[string]string{
	CallbackAfterCreateRoom:                  CallbackAfterCreateRoom,
	CallbackAfterDestroyRoom:                 CallbackAfterDestroyRoom,
	CallbackAfterUpdateRoomInfo:              CallbackAfterUpdateRoomInfo,
	CallbackAfterMemberStateChanged:          CallbackAfterMemberStateChanged,
	CallbackMemberStateChanged:               CallbackAfterMemberStateChanged,
	CallbackAfterCreateRoomReachingThreshold: CallbackAfterCreateRoomReachingThreshold,
	CallbackAfterSeatInfoChanged:             CallbackAfterSeatInfoChanged,
	CallbackBeforeSendGift:                   CallbackBeforeSendGift,
	CallbackBeforeSendMsg:                    CallbackBeforeSendMsg,
}

// KnownWebhookCommand returns the canonical name of a documented webhook
// command (both member-state spellings give CallbackAfterMemberStateChanged)
// and true, or "" and false for any other name. Receivers use it to keep
// metric labels taken from an untrusted query to a fixed set.
func KnownWebhookCommand(name string) (string, bool) {
	canonical, ok := webhookCommands[name]
	return canonical, ok
}

// WebhookCommands returns the canonical names of the documented webhook
// commands, sorted.
func WebhookCommands() []string {
	var names []string
	for name, canonical := range webhookCommands {
		if name == canonical {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// WebhookMaxSkew is how far a webhook's RequestTime may be from the
// receiver's clock, either way, as Tencent recommends.
const WebhookMaxSkew = time.Minute

// Errors of VerifyWebhookSign. They never contain the token or the Sign.
var (
	ErrWebhookUnsigned = errors.New("webhook: Sign or RequestTime missing")
	ErrWebhookTime     = errors.New("webhook: RequestTime malformed or more than a minute from now")
	ErrWebhookSign     = errors.New("webhook: Sign mismatch")
)

// WebhookSign returns the Sign of a webhook sent at requestTime (the decimal
// Unix seconds of the RequestTime query parameter): the lowercase hex
// SHA-256 of the token immediately followed by requestTime.
func WebhookSign(token, requestTime string) string {
	sum := webhookDigest(token, requestTime)
	return hex.EncodeToString(sum[:])
}

// webhookDigest is the SHA-256 of token followed by requestTime.
func webhookDigest(token, requestTime string) [sha256.Size]byte {
	// On the stack for any token of up to 128 ASCII characters.
	msg := make([]byte, 0, 160)
	msg = append(append(msg, token...), requestTime...)
	return sha256.Sum256(msg)
}

// VerifyWebhookSign checks the RequestTime and Sign query parameters of a
// webhook against the app's token at now: requestTime must be decimal Unix
// seconds at most WebhookMaxSkew from now, and sign the hex SHA-256 of token
// followed by requestTime as received (either case of hex digits). The
// signatures are compared in constant time. The error is
// ErrWebhookUnsigned, ErrWebhookTime or ErrWebhookSign.
func VerifyWebhookSign(token, requestTime, sign string, now time.Time) error {
	if requestTime == "" || sign == "" {
		return ErrWebhookUnsigned
	}
	sent, ok := unixSeconds(requestTime)
	if !ok {
		return ErrWebhookTime
	}
	skew := now.Unix() - sent
	if skew > int64(WebhookMaxSkew/time.Second) || -skew > int64(WebhookMaxSkew/time.Second) {
		return ErrWebhookTime
	}
	var got [sha256.Size]byte
	if len(sign) != hex.EncodedLen(len(got)) {
		return ErrWebhookSign
	}
	if _, err := hex.Decode(got[:], []byte(sign)); err != nil {
		return ErrWebhookSign
	}
	want := webhookDigest(token, requestTime)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrWebhookSign
	}
	return nil
}

// unixSeconds parses s, one to eighteen decimal digits and nothing else.
// Eighteen digits reach far past any clock and cannot overflow an int64.
func unixSeconds(s string) (int64, bool) {
	if len(s) > 18 {
		return 0, false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// Event is a webhook body as the exporter reads it. Fields a command does not
// carry are zero.
type Event struct {
	// Command is the canonical CallbackCommand (see KnownWebhookCommand), or
	// the command as received when it is not a documented one.
	Command string
	// RoomID is the room the event is about: RoomId, or RoomInfo.RoomId for
	// the commands that carry only the latter. Never empty for the room
	// commands (create, destroy, update, member state).
	RoomID string
	// Type is EventType: DestroyByUser or DestroyBySystem, Online or Offline.
	Type string
	// Cause is EventCause of a member-state event: CauseEnter, CauseLeave...
	Cause string
	// Time is EventTime, when Tencent says the event happened; zero when
	// absent.
	Time time.Time
	// Operator is Operator_Account, who caused the event.
	Operator string
	// Owner is RoomInfo.Owner_Account, every digit kept when it is sent as a
	// number.
	Owner string
	// Public is RoomInfo.IsPublicVisible: whether get_room_list lists the
	// room.
	Public bool
	// Members is how many members a member-state event names (one call may
	// name several).
	Members int
	// RoomCount and MaxRoomCount are CurRoomCount and MaxRoomCount of the
	// quota event: the app's rooms now and the most it may have.
	RoomCount    int64
	MaxRoomCount int64
}

// eventWire is the union of the body fields the exporter reads, in their
// lenient forms.
type eventWire struct {
	RoomID       text       `json:"RoomId"`
	Operator     text       `json:"Operator_Account"`
	EventType    text       `json:"EventType"`
	EventCause   text       `json:"EventCause"`
	EventTime    integer    `json:"EventTime"`
	MemberList   []struct{} `json:"MemberList"`
	CurRoomCount integer    `json:"CurRoomCount"`
	MaxRoomCount integer    `json:"MaxRoomCount"`
	RoomInfo     *struct {
		RoomID          text    `json:"RoomId"`
		OwnerAccount    text    `json:"Owner_Account"`
		IsPublicVisible boolean `json:"IsPublicVisible"`
	} `json:"RoomInfo"`
}

// roomCommands are the canonical commands whose event names a room.
var roomCommands = map[string]bool{
	CallbackAfterCreateRoom:         true,
	CallbackAfterDestroyRoom:        true,
	CallbackAfterUpdateRoomInfo:     true,
	CallbackAfterMemberStateChanged: true,
}

// DecodeEvent reads the body of a webhook of command. The body must be a JSON
// object. For the room commands and the quota command, the fields Event
// holds are read leniently (EventTime as a number or a string of Unix
// milliseconds, Owner_Account as a string or a number...), other fields are
// ignored, and a room command must name its room; for any other command,
// whose body the exporter does not read, the object is only checked to be
// one.
func DecodeEvent(command string, body []byte) (Event, error) {
	ev := Event{Command: command}
	if canonical, ok := KnownWebhookCommand(command); ok {
		ev.Command = canonical
	}
	if first := bytes.TrimLeft(body, " \t\r\n"); len(first) == 0 || first[0] != '{' {
		return Event{}, errors.New("webhook body: not a JSON object")
	}
	if !roomCommands[ev.Command] && ev.Command != CallbackAfterCreateRoomReachingThreshold {
		if !json.Valid(body) {
			return Event{}, errors.New("webhook body: not valid JSON")
		}
		return ev, nil
	}
	var w eventWire
	if err := json.Unmarshal(body, &w); err != nil {
		return Event{}, fmt.Errorf("webhook body: %w", err)
	}
	ev.RoomID = string(w.RoomID)
	ev.Type = string(w.EventType)
	ev.Cause = string(w.EventCause)
	ev.Operator = string(w.Operator)
	ev.Members = len(w.MemberList)
	ev.RoomCount = int64(w.CurRoomCount)
	ev.MaxRoomCount = int64(w.MaxRoomCount)
	if w.EventTime > 0 {
		ev.Time = time.UnixMilli(int64(w.EventTime))
	}
	if ri := w.RoomInfo; ri != nil {
		if ev.RoomID == "" {
			ev.RoomID = string(ri.RoomID)
		}
		ev.Owner = string(ri.OwnerAccount)
		ev.Public = bool(ri.IsPublicVisible)
	}
	if roomCommands[ev.Command] && ev.RoomID == "" {
		return Event{}, errors.New("webhook body: no RoomId")
	}
	return ev, nil
}
