package tencent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The types below decode the JSON values where Tencent's documentation and
// samples disagree. Each accepts null as its zero value.

// text is a string sent as a JSON string or as a number, in which case the
// number's literal is kept digit for digit (no float64 on the way).
type text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*t = text(s)
	case isNumber(b):
		*t = text(b)
	default:
		return fmt.Errorf("want a string or a number, got %s", excerpt(b))
	}
	return nil
}

// integer is an int64 sent as a number or a numeric string. Integral
// floats (10.0, 1e3) are accepted; "" is 0.
type integer int64

// UnmarshalJSON implements json.Unmarshaler.
func (n *integer) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := scalar(b)
	if err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := parseInteger(s)
	if err != nil {
		return err
	}
	*n = integer(v)
	return nil
}

// boolean is a bool sent as true/false, 1/0, or any of them as a string
// ("true", "1", "false", "0", and "" for false).
type boolean bool

// UnmarshalJSON implements json.Unmarshaler.
func (v *boolean) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := scalar(b)
	if err != nil {
		return err
	}
	switch {
	case s == "1" || strings.EqualFold(s, "true"):
		*v = true
	case s == "" || s == "0" || strings.EqualFold(s, "false"):
		*v = false
	default:
		return fmt.Errorf("want a boolean, got %s", excerpt(b))
	}
	return nil
}

// seatMode is TakeSeatMode: a name kept as sent, or an integer (also as a
// numeric string), 1 and 2 being the two documented modes.
type seatMode string

// UnmarshalJSON implements json.Unmarshaler.
func (m *seatMode) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := scalar(b)
	if err != nil {
		return err
	}
	n, err := parseInteger(s)
	switch {
	case err != nil && b[0] == '"':
		*m = seatMode(s)
	case err != nil:
		return err
	case n == 1:
		*m = TakeSeatModeFree
	case n == 2:
		*m = TakeSeatModeApply
	default:
		*m = seatMode(strconv.FormatInt(n, 10))
	}
	return nil
}

// textList is a list of texts (Category); a lone string or number is
// taken as a list of one. An empty list decodes as nil.
type textList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *textList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if b[0] != '[' {
		var one text
		if err := one.UnmarshalJSON(b); err != nil {
			return err
		}
		*l = textList{string(one)}
		return nil
	}
	var items []text
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*l = nil
	for _, item := range items {
		*l = append(*l, string(item))
	}
	return nil
}

// scalar returns the text of a JSON string (trimmed of spaces) or the
// literal of a number or boolean; objects and arrays are errors.
func scalar(b []byte) (string, error) {
	switch b[0] {
	case '"':
		s, err := unquote(b)
		return strings.TrimSpace(s), err
	case '{', '[':
		return "", fmt.Errorf("want a scalar, got %s", excerpt(b))
	default:
		return string(b), nil
	}
}

// unquote returns the value of b, a valid JSON string. Strings without
// escapes, the usual case, are copied without a second JSON decoder.
func unquote(b []byte) (string, error) {
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// parseInteger parses a decimal integer, or a float with an integral value
// within the range of int64.
func parseInteger(s string) (int64, error) {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("want an integer, got %s", excerpt([]byte(s)))
	}
	return int64(f), nil
}

// isNumber reports whether b, a valid JSON value, is a number.
func isNumber(b []byte) bool {
	return b[0] == '-' || ('0' <= b[0] && b[0] <= '9')
}

// excerpt quotes the start of a JSON value for an error message.
func excerpt(b []byte) string {
	const limit = 40
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "…"
	}
	return strconv.Quote(string(b))
}
