package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// countingSink counts events, as cheaply as a real sink should be.
type countingSink struct{ n atomic.Int64 }

func (s *countingSink) Event(uint64, tencent.Event) { s.n.Add(1) }

// reportRate adds events/s to a benchmark's results.
func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkServeHTTP measures what one webhook costs the receiver itself:
// query parsing, the Sign check, reading and decoding the body, counting and
// routing to the sink, without the network.
func BenchmarkServeHTTP(b *testing.B) {
	sink := &countingSink{}
	recv := New(Options{Sink: sink, Now: func() time.Time { return testNow }})
	recv.SetTokens(map[uint64]string{appA: tokenA, appB: tokenB})
	target := Path + "?" + signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow).Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(destroyBody))
		w := httptest.NewRecorder()
		recv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
	reportRate(b)
	if sink.n.Load() < int64(b.N) {
		b.Fatalf("%d events routed of %d", sink.n.Load(), b.N)
	}
}

// BenchmarkHTTP measures webhooks end to end over loopback HTTP, on one
// kept-alive connection: the client's cost is included.
func BenchmarkHTTP(b *testing.B) {
	sink := &countingSink{}
	recv := New(Options{Sink: sink, Now: func() time.Time { return testNow }})
	recv.SetTokens(map[uint64]string{appA: tokenA})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer(recv, nil)
	srv.Start()
	defer srv.Close()
	target := srv.URL + Path + "?" + signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow).Encode()
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(target, "application/json", strings.NewReader(destroyBody))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	reportRate(b)
}
