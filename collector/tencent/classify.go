package tencent

import (
	"strconv"
	"strings"
	"time"
)

// Class is the kind of an API outcome: it tells the caller what to do next
// (nothing, mark the room missing, retry, slow down, renew the UserSig or
// pause the whole app).
type Class int

// Classes of outcomes. codeMeanings below says which ErrorCode falls in
// which, following tencent-api.md.
const (
	// ClassOK is a successful answer.
	ClassOK Class = iota
	// ClassRoomMissing is the definitive answer that the room does not exist
	// (100004: never created, or dissolved).
	ClassRoomMissing
	// ClassRoomFailure means give up on this room for this refresh, without
	// retrying: a bad parameter, a room that is not a Live room, a malformed
	// request (a bug on our side) or an ErrorCode this package does not know.
	ClassRoomFailure
	// ClassRetryable is a transient failure worth retrying with backoff:
	// Tencent's internal errors and timeouts, HTTP errors, network errors,
	// client timeouts and undecodable answers.
	ClassRetryable
	// ClassRateLimited means the app is over a request rate: slow down.
	ClassRateLimited
	// ClassRenewUserSig means the UserSig was refused: renew it and retry
	// once; if it happens again the caller treats it as an app failure.
	ClassRenewUserSig
	// ClassAppFailure concerns every request of the app (credentials,
	// disabled app or command, missing package, IP allow-list, lock-out):
	// pause the app rather than retry room by room.
	ClassAppFailure
)

var classNames = [...]string{
	ClassOK:           "ok",
	ClassRoomMissing:  "room_missing",
	ClassRoomFailure:  "room_failure",
	ClassRetryable:    "retryable",
	ClassRateLimited:  "rate_limited",
	ClassRenewUserSig: "renew_usersig",
	ClassAppFailure:   "app_failure",
}

// String returns the class's snake_case name, suitable for logs and labels.
func (c Class) String() string {
	if c >= 0 && int(c) < len(classNames) {
		return classNames[c]
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Meaning is what one outcome tells a caller: its class, and the details
// that some outcomes add to it.
type Meaning struct {
	// Class says what to do.
	Class Class
	// CommandDisabled marks 60017 (an app failure): the command called is
	// switched off for the app. A caller that can do without the command
	// may pause only it.
	CommandDisabled bool
	// BadRequest marks a malformed request (a room failure): a bug on the
	// caller's side, worth a log line and no retry.
	BadRequest bool
	// Unreached marks a retryable failure in which Tencent's API was not
	// reached or did not answer: a network error, a timeout, an HTTP status
	// other than 200. Many in a row say the API is down for the app.
	Unreached bool
	// MinPause is the least time an app failure should pause the app.
	MinPause time.Duration
	// Cause names the usual cause of a failure, for logs.
	Cause string
}

// Causes shared by several codes.
const (
	causeUserSig  = "UserSig rejected: check the secret key, identifier and SDKAppID"
	causeSDKAppID = "SDKAppID invalid or unknown"
	causeNotAdmin = "identifier is not an App Administrator"
	causeRate     = "request rate over Tencent's limit"
	causeInternal = "transient failure at Tencent"
	causeMalform  = "malformed request: a bug in the exporter"
)

// codeMeanings is the outcome policy of Tencent's ErrorCodes: what each code
// of tencent-api.md means for the caller. A code missing here is a room
// failure: it may well be permanent, so retrying it at once would only spend
// rate budget, and the room is asked again at its next refresh anyway.
var codeMeanings = map[int]Meaning{
	CodeOK:           {Class: ClassOK},
	CodeRoomNotExist: {Class: ClassRoomMissing, Cause: "room does not exist (never created, or dissolved)"},

	// Room level: give up on the room until its next refresh.
	CodeInvalidParam: {Class: ClassRoomFailure, Cause: "invalid parameter"},
	CodeNotLiveRoom:  {Class: ClassRoomFailure, Cause: "not a Live room, or no permission"},

	// Malformed requests: a bug, logged, never retried.
	CodeBadRequestURL:     {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},
	CodeBadRequestJSON:    {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},
	CodeBadPath:           {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},
	CodeMissingSDKAppID:   {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},
	CodeBadIdentifierType: {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},

	// Transient: retry with backoff.
	CodeInternal:       {Class: ClassRetryable, Cause: causeInternal},
	CodeTimeout:        {Class: ClassRetryable, Cause: causeInternal},
	CodeParseError:     {Class: ClassRetryable, Cause: causeInternal},
	CodeAccountTimeout: {Class: ClassRetryable, Cause: causeInternal},
	CodeInternalRetry:  {Class: ClassRetryable, Cause: causeInternal},
	CodeInternalServer: {Class: ClassRetryable, Cause: causeInternal},

	// Rate limits: slow down.
	CodeCommandRateLimited: {Class: ClassRateLimited, Cause: causeRate},
	CodeAppRateLimited:     {Class: ClassRateLimited, Cause: causeRate},
	CodeRateLimited:        {Class: ClassRateLimited, Cause: causeRate},
	CodeRateLimitedGeneric: {Class: ClassRateLimited, Cause: causeRate},

	// Credentials: renew the UserSig and retry once, then an app failure.
	CodeUserSigExpired:     {Class: ClassRenewUserSig, Cause: causeUserSig},
	CodeUserSigInvalid:     {Class: ClassRenewUserSig, Cause: causeUserSig},
	CodeIdentifierWrong:    {Class: ClassRenewUserSig, Cause: causeUserSig},
	CodeUserSigWrong:       {Class: ClassRenewUserSig, Cause: causeUserSig},
	CodeUserSigCheckFailed: {Class: ClassRenewUserSig, Cause: causeUserSig},

	// App-wide: pause the app.
	CodeSDKAppIDInvalid:     {Class: ClassAppFailure, Cause: causeSDKAppID},
	CodeSDKAppIDNotFound:    {Class: ClassAppFailure, Cause: causeSDKAppID},
	CodeNotAdmin:            {Class: ClassAppFailure, Cause: causeNotAdmin},
	CodeNotAdminAccount:     {Class: ClassAppFailure, Cause: causeNotAdmin},
	CodeAppDisabled:         {Class: ClassAppFailure, Cause: "SDKAppID disabled"},
	CodeCommandDisabled:     {Class: ClassAppFailure, CommandDisabled: true, Cause: "command disabled for this SDKAppID"},
	CodeNoPackage:           {Class: ClassAppFailure, MinPause: 2 * time.Minute, Cause: "no package, package expired, or still being set up"},
	CodeIPNotAllowed:        {Class: ClassAppFailure, Cause: "this host's IP is not in the app's allow-list"},
	CodeUserSigKeyWrong:     {Class: ClassAppFailure, Cause: causeUserSig},
	CodeUserSigBadSDKAppID:  {Class: ClassAppFailure, Cause: causeUserSig},
	CodeUserSigBadKeyFormat: {Class: ClassAppFailure, Cause: causeUserSig},
	CodeIdentifierMismatch:  {Class: ClassAppFailure, Cause: "identifier differs from the one inside the UserSig"},
	CodeLocked:              {Class: ClassAppFailure, MinPause: time.Minute, Cause: "locked after repeated failures"},
}

// labelMeanings is the outcome policy of the outcomes without an ErrorCode,
// by code label; "http_<status>" is handled apart.
var labelMeanings = map[string]Meaning{
	CodeLabelOK:       {Class: ClassOK},
	CodeLabelNetwork:  {Class: ClassRetryable, Unreached: true, Cause: "Tencent's API cannot be reached"},
	CodeLabelTimeout:  {Class: ClassRetryable, Unreached: true, Cause: "Tencent's API did not answer in time"},
	CodeLabelDecode:   {Class: ClassRetryable, Cause: "Tencent's answer could not be decoded"},
	CodeLabelCanceled: {Class: ClassRetryable, Cause: "request canceled"},
	CodeLabelUserSig:  {Class: ClassAppFailure, Cause: "no UserSig could be produced: check the secret key or usersig_file"},
	CodeLabelRequest:  {Class: ClassRoomFailure, BadRequest: true, Cause: causeMalform},
}

// ClassifyCode returns the class of a Tencent ErrorCode.
func ClassifyCode(errorCode int) Class {
	return MeaningOfCode(errorCode).Class
}

// MeaningOfCode returns what a Tencent ErrorCode means for the caller.
func MeaningOfCode(errorCode int) Meaning {
	if m, ok := codeMeanings[errorCode]; ok {
		return m
	}
	return Meaning{Class: ClassRoomFailure, Cause: "undocumented error code"}
}

// MeaningOfLabel returns what an outcome without an ErrorCode means, by its
// code label ("network", "timeout", "decode", ...).
func MeaningOfLabel(label string) Meaning {
	return labelMeanings[label]
}

// Judge returns what the result of an API call means for the caller, and its
// code label (see Outcome).
func Judge(err error) (Meaning, string) {
	class, code := Outcome(err)
	if m, ok := labelMeanings[code]; ok {
		return m, code
	}
	if status, ok := strings.CutPrefix(code, "http_"); ok {
		cause := "HTTP status " + status + " from Tencent's gateway"
		if class == ClassRateLimited {
			return Meaning{Class: ClassRateLimited, Cause: causeRate}, code
		}
		return Meaning{Class: ClassRetryable, Unreached: true, Cause: cause}, code
	}
	if errorCode, err := strconv.Atoi(code); err == nil {
		return MeaningOfCode(errorCode), code
	}
	return Meaning{Class: class, Cause: "see Tencent's error code list"}, code
}
