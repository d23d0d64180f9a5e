package tencent

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetRoomInfoLoopback measures a signed get_room_info round trip
// over a kept-alive loopback connection: building and signing the request,
// the HTTP exchange, and decoding the documentation's sample answer.
func BenchmarkGetRoomInfoLoopback(b *testing.B) {
	sig := testSig(b)
	body := []byte(docSample)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("usersig") != sig {
			http.Error(w, "unsigned", http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	c := newTestClient(b, srv.URL, sig)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetRoomInfo(ctx, "rid-123"); err != nil {
			b.Fatal(err)
		}
	}
}
