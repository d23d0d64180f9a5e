package tencent

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClassifyCode(t *testing.T) {
	want := map[Class][]int{
		ClassOK:           {0},
		ClassRoomMissing:  {100004},
		ClassRoomFailure:  {100002, 100006, 60002, 60003, 60009, 60012, 60015, 1, -1, 99999},
		ClassRetryable:    {100001, 60008, 60013, 60014, 70169, 70500},
		ClassRateLimited:  {60007, 60011, 60018, 60019},
		ClassRenewUserSig: {70001, 70052, 60004, 60005, 70003},
		ClassAppFailure:   {60006, 60010, 60016, 60017, 60020, 60021, 70005, 70009, 70013, 70014, 70020, 70050, 70403},
	}
	for class, codes := range want {
		for _, code := range codes {
			if got := ClassifyCode(code); got != class {
				t.Errorf("ClassifyCode(%d) = %v, want %v", code, got, class)
			}
		}
	}
}

func TestClassString(t *testing.T) {
	for class, want := range map[Class]string{
		ClassOK:           "ok",
		ClassRoomMissing:  "room_missing",
		ClassRoomFailure:  "room_failure",
		ClassRetryable:    "retryable",
		ClassRateLimited:  "rate_limited",
		ClassRenewUserSig: "renew_usersig",
		ClassAppFailure:   "app_failure",
		Class(42):         "Class(42)",
		Class(-1):         "Class(-1)",
	} {
		if got := class.String(); got != want {
			t.Errorf("Class(%d).String() = %q, want %q", int(class), got, want)
		}
	}
}

func TestOutcome(t *testing.T) {
	missing := tencentError(CodeRoomNotExist, "gone")
	for _, tc := range []struct {
		err   error
		class Class
		code  string
	}{
		{nil, ClassOK, "0"},
		{missing, ClassRoomMissing, "100004"},
		{fmt.Errorf("refresh: %w", missing), ClassRoomMissing, "100004"},
		{decodeError(errors.New("x")), ClassRetryable, "decode"},
		{statusError(502), ClassRetryable, "http_502"},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), ClassRetryable, "timeout"},
		{context.Canceled, ClassRetryable, "canceled"},
		{errors.New("something"), ClassRetryable, "network"},
	} {
		class, code := Outcome(tc.err)
		if class != tc.class || code != tc.code {
			t.Errorf("Outcome(%v) = %v %q, want %v %q", tc.err, class, code, tc.class, tc.code)
		}
	}
}

func TestErrorText(t *testing.T) {
	cause := errors.New("connection refused")
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{&Error{Class: ClassRoomMissing, Code: "100004", ErrorCode: 100004, Command: "get_room_info", Info: "room not exist"},
			"tencent get_room_info: error 100004 (room_missing): room not exist"},
		{&Error{Class: ClassRetryable, Code: "network", Command: "get_room_stats", Err: cause},
			"tencent get_room_stats: network (retryable): connection refused"},
		{&Error{Class: ClassRetryable, Code: "decode"}, "tencent: decode (retryable)"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	if !errors.Is(&Error{Err: cause}, cause) {
		t.Error("Unwrap does not give the cause")
	}
}

func TestMeaningDetails(t *testing.T) {
	for _, code := range []int{60002, 60003, 60009, 60012, 60015} {
		if m := MeaningOfCode(code); !m.BadRequest || m.Class != ClassRoomFailure {
			t.Errorf("%d: %+v, want a bad request, given up without retry", code, m)
		}
	}
	if m := MeaningOfCode(CodeCommandDisabled); !m.CommandDisabled || m.Class != ClassAppFailure {
		t.Errorf("60017: %+v, want an app failure that names the command", m)
	}
	if m := MeaningOfCode(CodeLocked); m.MinPause < time.Minute {
		t.Errorf("70050: pause at least %s, want at least a minute", m.MinPause)
	}
	if m := MeaningOfCode(CodeNoPackage); m.MinPause < 2*time.Minute {
		t.Errorf("60020: pause at least %s, want minutes", m.MinPause)
	}
	for code := range codeMeanings {
		m := MeaningOfCode(code)
		if code != CodeOK && m.Cause == "" {
			t.Errorf("%d has no cause for logs", code)
		}
		if m.MinPause > 0 && m.Class != ClassAppFailure {
			t.Errorf("%d: a minimum pause on a %v", code, m.Class)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		err       error
		class     Class
		code      string
		unreached bool
	}{
		{nil, ClassOK, "0", false},
		{tencentError(CodeAppRateLimited, "slow down"), ClassRateLimited, "60011", false},
		{tencentError(CodeCommandDisabled, "off"), ClassAppFailure, "60017", false},
		{statusError(502), ClassRetryable, "http_502", true},
		{statusError(429), ClassRateLimited, "http_429", false},
		{decodeError(errors.New("x")), ClassRetryable, "decode", false},
		{fmt.Errorf("wait: %w", context.DeadlineExceeded), ClassRetryable, "timeout", true},
		{errors.New("connection refused"), ClassRetryable, "network", true},
		{&Error{Class: ClassAppFailure, Code: CodeLabelUserSig}, ClassAppFailure, "usersig", false},
		{tencentError(12345, "new"), ClassRoomFailure, "12345", false},
	} {
		m, code := Judge(tc.err)
		if m.Class != tc.class || code != tc.code || m.Unreached != tc.unreached {
			t.Errorf("Judge(%v) = %+v %q, want %v %q unreached %v", tc.err, m, code, tc.class, tc.code, tc.unreached)
		}
	}
}
