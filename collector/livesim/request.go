package livesim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent/usersig"
)

// maxRequestBody is the largest request body accepted. Live commands take a
// few dozen bytes; Tencent's own limit is not documented.
const maxRequestBody = 64 << 10

// apiError is a failed check: the ErrorCode and ErrorInfo to answer with.
type apiError struct {
	code int
	info string
}

// parseSDKAppID reads the sdkappid query parameter.
func parseSDKAppID(query url.Values) (uint64, *apiError) {
	raw := query.Get("sdkappid")
	if raw == "" {
		return 0, &apiError{tencent.CodeMissingSDKAppID, "sdkappid is required"}
	}
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, &apiError{tencent.CodeSDKAppIDInvalid, "sdkappid is not a number"}
	}
	return id, nil
}

// checkQuery checks the random and contenttype query parameters.
func checkQuery(query url.Values) *apiError {
	random := query.Get("random")
	if random == "" {
		return &apiError{tencent.CodeBadRequestURL, "random is required"}
	}
	if _, err := strconv.ParseUint(random, 10, 32); err != nil {
		return &apiError{tencent.CodeBadRequestURL, "random must be an integer 0..4294967295"}
	}
	if query.Get("contenttype") != "json" {
		return &apiError{tencent.CodeBadRequestURL, `contenttype must be "json"`}
	}
	return nil
}

// checkUserSig checks the identifier and usersig query parameters against
// the app's credentials at now.
func checkUserSig(creds App, query url.Values, now time.Time) *apiError {
	identifier := query.Get("identifier")
	if identifier == "" {
		return &apiError{tencent.CodeIdentifierWrong, "identifier is required"}
	}
	sig := query.Get("usersig")
	if sig == "" {
		return &apiError{tencent.CodeUserSigWrong, "usersig is required"}
	}
	_, err := usersig.VerifyUserSig(creds.SDKAppID, creds.SecretKey, identifier, sig, now)
	switch {
	case err == nil:
	case errors.Is(err, usersig.ErrSDKAppIDMismatch):
		return &apiError{tencent.CodeUserSigBadSDKAppID, "usersig was made for another sdkappid"}
	case errors.Is(err, usersig.ErrIdentifierMismatch):
		return &apiError{tencent.CodeIdentifierMismatch, "identifier differs from the one in usersig"}
	case errors.Is(err, usersig.ErrSignatureMismatch):
		return &apiError{tencent.CodeUserSigKeyWrong, "usersig check failed: wrong key"}
	case errors.Is(err, usersig.ErrExpired):
		return &apiError{tencent.CodeUserSigExpired, "usersig expired"}
	default:
		return &apiError{tencent.CodeUserSigCheckFailed, "usersig cannot be decoded"}
	}
	if identifier != creds.Identifier {
		return &apiError{tencent.CodeNotAdmin, "identifier is not an app administrator"}
	}
	return nil
}

// readBody reads the request body and checks that it is a JSON object.
func readBody(body io.Reader) ([]byte, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(body, maxRequestBody+1))
	switch {
	case err != nil:
		return nil, &apiError{tencent.CodeBadRequestJSON, "reading the body failed"}
	case len(raw) > maxRequestBody:
		return nil, &apiError{tencent.CodeBadRequestJSON, "body too large"}
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return nil, &apiError{tencent.CodeBadRequestJSON, "body is empty"}
	case !json.Valid(raw):
		return nil, &apiError{tencent.CodeBadRequestJSON, "body is not valid JSON"}
	case raw[0] != '{':
		return nil, &apiError{tencent.CodeBadRequestJSON, "body is not a JSON object"}
	}
	return raw, nil
}

// decodeBody decodes a checked body into v; a field of the wrong type is an
// invalid parameter.
func decodeBody(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{tencent.CodeInvalidParam, "invalid parameter: wrong type of field"}
	}
	return nil
}

// errorInfos are the ErrorInfo texts of the codes the simulator may answer
// without a more specific text.
var errorInfos = map[int]string{
	tencent.CodeInternal:            "internal error, please retry",
	tencent.CodeInvalidParam:        "invalid parameter",
	tencent.CodeRoomNotExist:        "room does not exist",
	tencent.CodeNotLiveRoom:         "not a Live room, or no permission",
	tencent.CodeIdentifierWrong:     "identifier or usersig wrong",
	tencent.CodeUserSigWrong:        "identifier or usersig wrong",
	tencent.CodeSDKAppIDInvalid:     "sdkappid invalid",
	tencent.CodeCommandRateLimited:  "command request rate over limit",
	tencent.CodeTimeout:             "service timeout",
	tencent.CodeNotAdmin:            "app administrator required",
	tencent.CodeAppRateLimited:      "sdkappid request rate over limit",
	tencent.CodeParseError:          "response parse error",
	tencent.CodeAccountTimeout:      "account exchange timeout",
	tencent.CodeAppDisabled:         "sdkappid disabled",
	tencent.CodeCommandDisabled:     "request disabled",
	tencent.CodeRateLimited:         "requests too frequent",
	tencent.CodeRateLimitedGeneric:  "requests too frequent",
	tencent.CodeNoPackage:           "no package, package expired, or package being set up",
	tencent.CodeIPNotAllowed:        "caller IP not in the allow-list",
	tencent.CodeUserSigExpired:      "usersig expired",
	tencent.CodeUserSigCheckFailed:  "usersig check failed",
	tencent.CodeUserSigKeyWrong:     "usersig check failed: wrong key",
	tencent.CodeUserSigBadSDKAppID:  "usersig check failed: sdkappid mismatch",
	tencent.CodeIdentifierMismatch:  "identifier differs from the one in usersig",
	tencent.CodeUserSigBadKeyFormat: "usersig check failed: key or sdkappid mismatch",
	tencent.CodeSDKAppIDNotFound:    "sdkappid not found",
	tencent.CodeLocked:              "locked after repeated failures, retry in a minute",
	tencent.CodeUserSigInvalid:      "usersig invalid, generate a new one",
	tencent.CodeInternalRetry:       "internal error, please retry",
	tencent.CodeNotAdminAccount:     "identifier is not an app administrator",
	tencent.CodeInternalServer:      "internal server error",
}

// errorInfo returns the ErrorInfo text for code.
func errorInfo(code int) string {
	if info, ok := errorInfos[code]; ok {
		return info
	}
	return "simulated error"
}
