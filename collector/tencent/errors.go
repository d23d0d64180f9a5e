package tencent

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Codes of outcomes that carry no Tencent ErrorCode. Together with the
// ErrorCodes ("0", "100004", ...) and "http_<status>" they are the values of
// Error.Code, meant as a stable metric label.
const (
	CodeLabelOK       = "0"
	CodeLabelTimeout  = "timeout"
	CodeLabelNetwork  = "network"
	CodeLabelDecode   = "decode"
	CodeLabelCanceled = "canceled"
	CodeLabelUserSig  = "usersig"
	CodeLabelRequest  = "request"
)

// maxInfoBytes caps Error.Info, so a verbose or hostile server cannot flood
// logs through it.
const maxInfoBytes = 200

// Error is the error of every API call that did not end in success. Its
// text never contains the request URL's query (which holds the UserSig).
type Error struct {
	// Class says what the caller should do about it.
	Class Class
	// Code is a stable label for the outcome: the ErrorCode ("100004"),
	// "http_<status>", "timeout", "network", "decode", "canceled" (the
	// caller's context was canceled), "usersig" (no UserSig could be had) or
	// "request" (the request could not be built).
	Code string
	// Command is the API command called, e.g. "get_room_info".
	Command string
	// ErrorCode is Tencent's ErrorCode when the answer had one, else 0.
	ErrorCode int
	// Info is Tencent's ErrorInfo, cut to about 200 bytes.
	Info string
	// Err is the underlying cause, if any, already redacted.
	Err error
}

// Error describes the outcome: command, code, class, then Tencent's
// ErrorInfo or the cause.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tencent")
	if e.Command != "" {
		b.WriteString(" ")
		b.WriteString(e.Command)
	}
	b.WriteString(": ")
	if e.ErrorCode != 0 {
		b.WriteString("error ")
	}
	b.WriteString(e.Code)
	b.WriteString(" (")
	b.WriteString(e.Class.String())
	b.WriteString(")")
	if e.Info != "" {
		b.WriteString(": ")
		b.WriteString(e.Info)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is finds context.DeadlineExceeded and
// the like.
func (e *Error) Unwrap() error { return e.Err }

// Outcome returns the class and code label of the result of an API call:
// (ClassOK, "0") for nil, the Class and Code of an *Error anywhere in err's
// chain, and for any other error ClassRetryable with "timeout" (a deadline),
// "canceled" (a canceled context) or "network".
func Outcome(err error) (Class, string) {
	if err == nil {
		return ClassOK, CodeLabelOK
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Class, e.Code
	case errors.Is(err, context.DeadlineExceeded):
		return ClassRetryable, CodeLabelTimeout
	case errors.Is(err, context.Canceled):
		return ClassRetryable, CodeLabelCanceled
	default:
		return ClassRetryable, CodeLabelNetwork
	}
}

// tencentError is the Error of an answer that carried a non-zero ErrorCode.
func tencentError(code int, info string) *Error {
	return &Error{
		Class:     ClassifyCode(code),
		Code:      strconv.Itoa(code),
		ErrorCode: code,
		Info:      truncate(info, maxInfoBytes),
	}
}

// decodeError is the Error of an answer that could not be understood.
func decodeError(err error) *Error {
	return &Error{Class: ClassRetryable, Code: CodeLabelDecode, Err: err}
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
