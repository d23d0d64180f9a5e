package tencent

import "strconv"

// Class is the kind of an API outcome: it tells the caller what to do next
// (nothing, mark the room missing, retry, slow down, renew the UserSig or
// pause the whole app).
type Class int

// Classes of outcomes. tencent-api.md lists which ErrorCode falls in which.
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

// ClassifyCode returns the class of a Tencent ErrorCode.
//
// A non-zero code missing from tencent-api.md is ClassRoomFailure: such a
// code may well be permanent, so retrying it at once would only spend rate
// budget, and the room is asked again at its next refresh anyway.
func ClassifyCode(errorCode int) Class {
	switch errorCode {
	case CodeOK:
		return ClassOK
	case CodeRoomNotExist:
		return ClassRoomMissing
	case CodeInternal, CodeTimeout, CodeParseError, CodeAccountTimeout,
		CodeInternalRetry, CodeInternalServer:
		return ClassRetryable
	case CodeCommandRateLimited, CodeAppRateLimited, CodeRateLimited,
		CodeRateLimitedGeneric:
		return ClassRateLimited
	case CodeUserSigExpired, CodeUserSigInvalid, CodeIdentifierWrong,
		CodeUserSigWrong, CodeUserSigCheckFailed:
		return ClassRenewUserSig
	case CodeSDKAppIDInvalid, CodeNotAdmin, CodeAppDisabled, CodeCommandDisabled,
		CodeNoPackage, CodeIPNotAllowed, CodeUserSigKeyWrong,
		CodeUserSigBadSDKAppID, CodeIdentifierMismatch, CodeUserSigBadKeyFormat,
		CodeSDKAppIDNotFound, CodeLocked, CodeNotAdminAccount:
		return ClassAppFailure
	default:
		// 100002, 100006, the malformed-request codes 60002, 60003, 60009,
		// 60012, 60015, and every code not listed above.
		return ClassRoomFailure
	}
}
