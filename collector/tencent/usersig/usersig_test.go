package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// The test vectors of tencent-api.md.
const (
	vecSDKAppID   = 1400000000
	vecKey        = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	vecIdentifier = "xiaojun"
	vecExpire     = 15552000
	vecTime       = 1700000000
	vecSig        = "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
	vecSigBuf     = "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM="
	vecBuf        = "abc"
	vecBufBase64  = "YWJj"
)

var vecNow = time.Unix(vecTime, 0)

func TestSignatureVectors(t *testing.T) {
	if got := Signature(vecKey, vecIdentifier, vecSDKAppID, vecTime, vecExpire, ""); got != vecSig {
		t.Errorf("without user buffer: %s, want %s", got, vecSig)
	}
	if got := Signature(vecKey, vecIdentifier, vecSDKAppID, vecTime, vecExpire, vecBufBase64); got != vecSigBuf {
		t.Errorf("with user buffer: %s, want %s", got, vecSigBuf)
	}
}

// open reverses the encoding of a UserSig by hand and returns its JSON
// object, numbers kept as json.Number.
func open(t *testing.T, sig string) map[string]any {
	t.Helper()
	std := strings.NewReplacer("*", "+", "-", "/", "_", "=").Replace(sig)
	compressed, err := base64.StdEncoding.DecodeString(std)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	r, err := zlib.NewReader(bytes.NewReader(compressed))
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("json: %v", err)
	}
	return doc
}

func TestGenUserSigAtVectors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		buf     []byte
		sig     string
		userbuf any
	}{
		{"without user buffer", nil, vecSig, nil},
		{"with user buffer", []byte(vecBuf), vecSigBuf, vecBufBase64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, tc.buf, vecNow)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(sig, "+/=") {
				t.Errorf("UserSig %q holds characters that are not URL-safe", sig)
			}
			doc := open(t, sig)
			want := map[string]any{
				"TLS.ver":        "2.0",
				"TLS.identifier": vecIdentifier,
				"TLS.sdkappid":   json.Number("1400000000"),
				"TLS.expire":     json.Number("15552000"),
				"TLS.time":       json.Number("1700000000"),
				"TLS.sig":        tc.sig,
			}
			if tc.userbuf != nil {
				want["TLS.userbuf"] = tc.userbuf
			}
			if len(doc) != len(want) {
				t.Errorf("document has %d keys, want %d: %v", len(doc), len(want), doc)
			}
			for k, v := range want {
				if doc[k] != v {
					t.Errorf("%s = %#v, want %#v", k, doc[k], v)
				}
			}
		})
	}
}

func TestGenUserSigAtRejects(t *testing.T) {
	if _, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, 0, nil, vecNow); err == nil {
		t.Error("expire 0 accepted")
	}
	if _, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, -1, nil, vecNow); err == nil {
		t.Error("negative expire accepted")
	}
	if _, err := GenUserSigAt(vecSDKAppID, vecKey, "", vecExpire, nil, vecNow); err == nil {
		t.Error("empty identifier accepted")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func() (string, error)
		buf  []byte
	}{
		{"GenUserSig", func() (string, error) {
			return GenUserSig(vecSDKAppID, vecKey, vecIdentifier, 86400)
		}, nil},
		{"GenUserSigWithBuf", func() (string, error) {
			return GenUserSigWithBuf(vecSDKAppID, vecKey, vecIdentifier, 86400, []byte{0, 1, 0xff, 'x'})
		}, []byte{0, 1, 0xff, 'x'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			sig, err := tc.gen()
			if err != nil {
				t.Fatal(err)
			}
			info, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if info.Identifier != vecIdentifier || info.SDKAppID != vecSDKAppID || !bytes.Equal(info.UserBuf, tc.buf) {
				t.Errorf("info = %+v", info)
			}
			if info.Issued.Before(before) || info.Issued.After(time.Now()) {
				t.Errorf("Issued = %v, want about now", info.Issued)
			}
			if got := info.Expires.Sub(info.Issued); got != 86400*time.Second {
				t.Errorf("lifetime = %v", got)
			}
			expiry, err := Expiry(sig)
			if err != nil || !expiry.Equal(info.Expires) {
				t.Errorf("Expiry = %v, %v; want %v", expiry, err, info.Expires)
			}
		})
	}
}

// handMade builds a UserSig the way other implementations do: the JSON
// document (keys in another order), zlib at level, base64, URL-safe
// replacement.
func handMade(t testing.TB, level int, doc map[string]any) string {
	t.Helper()
	raw, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	var compressed bytes.Buffer
	w, err := zlib.NewWriterLevel(&compressed, level)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	std := base64.StdEncoding.EncodeToString(compressed.Bytes())
	return strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(std)
}

// vectorDoc is the document of the first test vector, with extra applied.
func vectorDoc(extra map[string]any) map[string]any {
	doc := map[string]any{
		"TLS.ver":        "2.0",
		"TLS.identifier": vecIdentifier,
		"TLS.sdkappid":   vecSDKAppID,
		"TLS.expire":     vecExpire,
		"TLS.time":       vecTime,
		"TLS.sig":        vecSig,
	}
	for k, v := range extra {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	return doc
}

func TestVerifyOtherCompressionLevels(t *testing.T) {
	for _, level := range []int{zlib.NoCompression, zlib.DefaultCompression, 6, zlib.BestCompression} {
		for _, withBuf := range []bool{false, true} {
			doc := vectorDoc(nil)
			if withBuf {
				doc = vectorDoc(map[string]any{"TLS.userbuf": vecBufBase64, "TLS.sig": vecSigBuf})
			}
			sig := handMade(t, level, doc)
			info, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, vecNow)
			if err != nil {
				t.Errorf("level %d, buffer %v: %v", level, withBuf, err)
				continue
			}
			if withBuf && string(info.UserBuf) != vecBuf {
				t.Errorf("level %d: UserBuf = %q", level, info.UserBuf)
			}
		}
	}
}

func TestVerifyExpiryBoundary(t *testing.T) {
	sig, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, nil, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	last := vecNow.Add(vecExpire * time.Second)
	for _, tc := range []struct {
		now  time.Time
		want error
	}{
		{vecNow, nil},
		{last.Add(-time.Second), nil},
		{last, nil},
		{last.Add(999 * time.Millisecond), nil}, // still the same second
		{last.Add(time.Second), ErrExpired},
		{last.Add(1000 * time.Hour), ErrExpired},
	} {
		info, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, tc.now)
		if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("at %v: %v, want %v", tc.now.Unix(), err, tc.want)
		}
		if !info.Expires.Equal(last) {
			t.Errorf("at %v: Expires = %v, want %v", tc.now.Unix(), info.Expires, last)
		}
	}
	expiry, err := Expiry(sig)
	if err != nil || !expiry.Equal(last) {
		t.Errorf("Expiry = %v, %v; want %v", expiry, err, last)
	}
}

func TestVerifyMismatches(t *testing.T) {
	sig, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, []byte(vecBuf), vecNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		sdkappid   uint64
		key, ident string
		sig        string
		want       error
	}{
		{"identifier", vecSDKAppID, vecKey, "xiaoming", sig, ErrIdentifierMismatch},
		{"sdkappid", vecSDKAppID + 1, vecKey, vecIdentifier, sig, ErrSDKAppIDMismatch},
		{"key", vecSDKAppID, vecKey[1:] + "0", vecIdentifier, sig, ErrSignatureMismatch},
		{"tampered expire", vecSDKAppID, vecKey, vecIdentifier,
			handMade(t, 6, vectorDoc(map[string]any{"TLS.expire": vecExpire * 2})), ErrSignatureMismatch},
		{"tampered user buffer", vecSDKAppID, vecKey, vecIdentifier,
			handMade(t, 6, vectorDoc(map[string]any{"TLS.userbuf": "YWJk", "TLS.sig": vecSigBuf})), ErrSignatureMismatch},
		{"user buffer dropped", vecSDKAppID, vecKey, vecIdentifier,
			handMade(t, 6, vectorDoc(map[string]any{"TLS.sig": vecSigBuf})), ErrSignatureMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyUserSig(tc.sdkappid, tc.key, tc.ident, tc.sig, vecNow)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// zlibOf compresses s.
func zlibOf(s string) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

// urlSafe encodes b as a UserSig's outer layer.
func urlSafe(b []byte) string {
	return strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString(b))
}

func TestVerifyGarbage(t *testing.T) {
	valid, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, nil, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	for name, sig := range map[string]string{
		"empty":              "",
		"punctuation":        "!!!",
		"spaces":             "   ",
		"standard base64":    "aGVsbG8=",
		"base64 of non-zlib": urlSafe([]byte("hello, world")),
		"truncated":          valid[:len(valid)/2],
		"zlib of non-JSON":   urlSafe(zlibOf("not json")),
		"zlib of array":      urlSafe(zlibOf("[1,2]")),
		"zlib of null":       urlSafe(zlibOf("null")),
		"missing fields":     urlSafe(zlibOf(`{"TLS.ver":"2.0"}`)),
		"no sig":             handMade(t, 6, vectorDoc(map[string]any{"TLS.sig": nil})),
		"version 1":          handMade(t, 6, vectorDoc(map[string]any{"TLS.ver": "1.0"})),
		"zero expire":        handMade(t, 6, vectorDoc(map[string]any{"TLS.expire": 0})),
		"negative expire":    handMade(t, 6, vectorDoc(map[string]any{"TLS.expire": -5})),
		"sdkappid string":    handMade(t, 6, vectorDoc(map[string]any{"TLS.sdkappid": "1400000000"})),
		"sdkappid negative":  handMade(t, 6, vectorDoc(map[string]any{"TLS.sdkappid": -1})),
		"bad user buffer": handMade(t, 6, vectorDoc(map[string]any{"TLS.userbuf": "%%%",
			"TLS.sig": Signature(vecKey, vecIdentifier, vecSDKAppID, vecTime, vecExpire, "%%%")})),
		"huge input":  strings.Repeat("A", 4<<20),
		"huge inside": urlSafe(zlibOf(`{"TLS.ver":"2.0","pad":"` + strings.Repeat("x", 1<<20) + `"}`)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, vecNow); !errors.Is(err, ErrMalformed) {
				t.Errorf("VerifyUserSig: %v, want %v", err, ErrMalformed)
			}
			// Expiry does not look at the user buffer.
			if _, err := Expiry(sig); err == nil && name != "bad user buffer" {
				t.Error("Expiry accepted it")
			}
		})
	}
}

func TestErrorsHideTheUserSig(t *testing.T) {
	sig, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, nil, vecNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{sig, sig[:40], sig + "x"} {
		for _, id := range []string{vecIdentifier, "other"} {
			_, err := VerifyUserSig(vecSDKAppID, vecKey, id, s, vecNow.Add(vecExpire*2*time.Second))
			if err == nil || strings.Contains(err.Error(), s[:20]) {
				t.Errorf("error %v", err)
			}
		}
	}
}

func FuzzVerifyUserSig(f *testing.F) {
	valid, err := GenUserSigAt(vecSDKAppID, vecKey, vecIdentifier, vecExpire, []byte(vecBuf), vecNow)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(handMade(f, 0, vectorDoc(nil)))
	f.Add(urlSafe(zlibOf(`{"TLS.ver":"2.0"}`)))
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, sig string) {
		info, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, vecNow)
		expiry, expiryErr := Expiry(sig)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrExpired) &&
			!errors.Is(err, ErrIdentifierMismatch) && !errors.Is(err, ErrSDKAppIDMismatch) &&
			!errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("error outside the package's set: %v", err)
		}
		if err == nil {
			if info.Identifier != vecIdentifier || info.SDKAppID != vecSDKAppID || vecNow.After(info.Expires) {
				t.Fatalf("accepted %+v", info)
			}
			if expiryErr != nil || !expiry.Equal(info.Expires) {
				t.Fatalf("Expiry = %v, %v; VerifyUserSig says %v", expiry, expiryErr, info.Expires)
			}
		}
	})
}

func BenchmarkGenUserSig(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GenUserSig(vecSDKAppID, vecKey, vecIdentifier, 86400); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyUserSig(b *testing.B) {
	sig, err := GenUserSig(vecSDKAppID, vecKey, vecIdentifier, 86400)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyUserSig(vecSDKAppID, vecKey, vecIdentifier, sig, now); err != nil {
			b.Fatal(err)
		}
	}
}
