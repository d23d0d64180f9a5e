// Package usersig generates and verifies Tencent Cloud Chat UserSig v2
// credentials, the bearer tokens that sign every REST call of the Live API.
//
// The exported functions mirror those of Tencent's tls-sig-api-v2-golang
// library (GenUserSig, VerifyUserSig), which is not available to this
// project; the algorithm is implemented from its published description:
// an HMAC-SHA256 over a fixed text, wrapped in JSON, zlib-compressed and
// encoded in a URL-safe variant of base64.
package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// version is the value of TLS.ver for UserSig v2.
const version = "2.0"

// maxDecodedSize caps the decompressed size of a UserSig under verification,
// so a hostile input cannot make the verifier allocate without bound.
const maxDecodedSize = 64 << 10

// Errors returned by VerifyUserSig. They never contain the UserSig itself.
var (
	ErrMalformed          = errors.New("usersig: malformed")
	ErrExpired            = errors.New("usersig: expired")
	ErrIdentifierMismatch = errors.New("usersig: identifier mismatch")
	ErrSDKAppIDMismatch   = errors.New("usersig: sdkappid mismatch")
	ErrSignatureMismatch  = errors.New("usersig: signature mismatch")
)

// urlReplacer turns standard base64 into Tencent's URL-safe form ('+', '/'
// and '=' become '*', '-' and '_'); urlReverser undoes it.
var urlReplacer = strings.NewReplacer("+", "*", "/", "-", "=", "_")
var urlReverser = strings.NewReplacer("*", "+", "-", "/", "_", "=")

// document is the JSON object inside a UserSig.
type document struct {
	Version    string `json:"TLS.ver"`
	Identifier string `json:"TLS.identifier"`
	SDKAppID   uint64 `json:"TLS.sdkappid"`
	Expire     int64  `json:"TLS.expire"`
	Time       int64  `json:"TLS.time"`
	UserBuf    string `json:"TLS.userbuf,omitempty"`
	Sig        string `json:"TLS.sig"`
}

// GenUserSig returns a UserSig for identifier, valid for expire seconds from
// now, signed with the app's secret key (the console's key string, used as
// its bytes).
func GenUserSig(sdkappid uint64, key, identifier string, expire int64) (string, error) {
	return GenUserSigAt(sdkappid, key, identifier, expire, nil, time.Now())
}

// GenUserSigWithBuf is GenUserSig with a user buffer carried in the UserSig.
func GenUserSigWithBuf(sdkappid uint64, key, identifier string, expire int64, buf []byte) (string, error) {
	return GenUserSigAt(sdkappid, key, identifier, expire, buf, time.Now())
}

// GenUserSigAt is GenUserSig with an explicit issue time, for tests and for
// callers that keep their own clock. buf may be nil.
func GenUserSigAt(sdkappid uint64, key, identifier string, expire int64, buf []byte, now time.Time) (string, error) {
	if expire <= 0 {
		return "", fmt.Errorf("usersig: expire must be positive, got %d", expire)
	}
	if identifier == "" {
		return "", errors.New("usersig: empty identifier")
	}
	doc := document{
		Version:    version,
		Identifier: identifier,
		SDKAppID:   sdkappid,
		Expire:     expire,
		Time:       now.Unix(),
	}
	if buf != nil {
		doc.UserBuf = base64.StdEncoding.EncodeToString(buf)
	}
	doc.Sig = Signature(key, identifier, sdkappid, doc.Time, expire, doc.UserBuf)
	raw, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("usersig: encoding: %w", err)
	}
	var compressed bytes.Buffer
	w, err := zlib.NewWriterLevel(&compressed, zlib.BestCompression)
	if err != nil {
		return "", fmt.Errorf("usersig: compressing: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return "", fmt.Errorf("usersig: compressing: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("usersig: compressing: %w", err)
	}
	return urlReplacer.Replace(base64.StdEncoding.EncodeToString(compressed.Bytes())), nil
}

// Signature returns TLS.sig: the standard base64 of the HMAC-SHA256, keyed
// with key, over the UserSig's fields. userBuf is the base64 of the user
// buffer, or "" when there is none.
func Signature(key, identifier string, sdkappid uint64, issued, expire int64, userBuf string) string {
	var b strings.Builder
	b.WriteString("TLS.identifier:")
	b.WriteString(identifier)
	b.WriteString("\nTLS.sdkappid:")
	b.WriteString(strconv.FormatUint(sdkappid, 10))
	b.WriteString("\nTLS.time:")
	b.WriteString(strconv.FormatInt(issued, 10))
	b.WriteString("\nTLS.expire:")
	b.WriteString(strconv.FormatInt(expire, 10))
	b.WriteString("\n")
	if userBuf != "" {
		b.WriteString("TLS.userbuf:")
		b.WriteString(userBuf)
		b.WriteString("\n")
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Info is what a verified UserSig says about itself.
type Info struct {
	Identifier string
	SDKAppID   uint64
	Issued     time.Time
	Expires    time.Time
	UserBuf    []byte
}

// VerifyUserSig checks that sig was signed with key for sdkappid and
// identifier and has not expired at now. It returns one of the package's
// errors (wrapped) on failure and never panics on garbage input.
func VerifyUserSig(sdkappid uint64, key, identifier, sig string, now time.Time) (Info, error) {
	doc, err := decode(sig)
	if err != nil {
		return Info{}, err
	}
	if doc.SDKAppID != sdkappid {
		return Info{}, ErrSDKAppIDMismatch
	}
	if doc.Identifier != identifier {
		return Info{}, ErrIdentifierMismatch
	}
	want := Signature(key, doc.Identifier, doc.SDKAppID, doc.Time, doc.Expire, doc.UserBuf)
	if !hmac.Equal([]byte(want), []byte(doc.Sig)) {
		return Info{}, ErrSignatureMismatch
	}
	info := Info{
		Identifier: doc.Identifier,
		SDKAppID:   doc.SDKAppID,
		Issued:     time.Unix(doc.Time, 0),
		Expires:    time.Unix(doc.Time+doc.Expire, 0),
	}
	if doc.UserBuf != "" {
		if info.UserBuf, err = base64.StdEncoding.DecodeString(doc.UserBuf); err != nil {
			return Info{}, fmt.Errorf("%w: user buffer", ErrMalformed)
		}
	}
	if now.Unix() > doc.Time+doc.Expire {
		return info, ErrExpired
	}
	return info, nil
}

// Expiry returns when sig stops being valid, without checking its signature.
// The exporter uses it for a usersig_file, whose key it does not know.
func Expiry(sig string) (time.Time, error) {
	doc, err := decode(sig)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(doc.Time+doc.Expire, 0), nil
}

// decode reverses the encoding steps and parses the JSON document.
func decode(sig string) (document, error) {
	compressed, err := base64.StdEncoding.DecodeString(urlReverser.Replace(strings.TrimSpace(sig)))
	if err != nil {
		return document{}, fmt.Errorf("%w: base64", ErrMalformed)
	}
	r, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return document{}, fmt.Errorf("%w: zlib", ErrMalformed)
	}
	defer r.Close()
	raw, err := io.ReadAll(io.LimitReader(r, maxDecodedSize+1))
	if err != nil {
		return document{}, fmt.Errorf("%w: zlib", ErrMalformed)
	}
	if len(raw) > maxDecodedSize {
		return document{}, fmt.Errorf("%w: too large", ErrMalformed)
	}
	var doc document
	if err := json.Unmarshal(raw, &doc); err != nil {
		return document{}, fmt.Errorf("%w: json", ErrMalformed)
	}
	if doc.Version != version || doc.Sig == "" || doc.Expire <= 0 {
		return document{}, fmt.Errorf("%w: not a v2 UserSig", ErrMalformed)
	}
	return doc, nil
}
