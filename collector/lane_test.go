package collector

import (
	"net/http"
	"net/http/httptrace"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/budget"
)

// stallingWriter is a transport that, like net/http's on a machine that
// stalls for a moment, writes no request between stallFrom and stallUntil:
// those requests are written at stallUntil, together. It calls the trace's
// WroteRequest when a request is written and notes when each arrives.
// Requests are sent without waiting for earlier ones, as lanes send them.
type stallingWriter struct {
	stallFrom, stallUntil time.Time
	mu                    sync.Mutex
	arrivals              []time.Time
}

// RoundTrip implements http.RoundTripper.
func (s *stallingWriter) RoundTrip(req *http.Request) (*http.Response, error) {
	if now := time.Now(); !now.Before(s.stallFrom) && now.Before(s.stallUntil) {
		time.Sleep(s.stallUntil.Sub(now))
	}
	if trace := httptrace.ContextClientTrace(req.Context()); trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
	s.mu.Lock()
	s.arrivals = append(s.arrivals, time.Now())
	s.mu.Unlock()
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
}

func TestRequestsWrittenLateKeepTheBudgetsWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := budget.New(50)
		share := b.NewShare(1, rankRefresh)
		start := time.Now()
		transport := &stallingWriter{stallFrom: start.Add(2 * time.Second), stallUntil: start.Add(2300 * time.Millisecond)}
		client := &http.Client{Transport: transport}
		var wg sync.WaitGroup
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
			grant, err := b.Wait(t.Context(), nil, time.Time{}, share)
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				ctx, _ := sending(t.Context(), grant)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://tencent.invalid/", http.NoBody)
				if err != nil {
					t.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		wg.Wait()
		if got := mostInOneSecond(transport.arrivals); got > 50 {
			t.Errorf("%d requests arrived within one second, budget 50", got)
		}
		if len(transport.arrivals) < 400 {
			t.Errorf("%d requests in 10 s at qps 50: the budget held back too much", len(transport.arrivals))
		}
	})
}

// mostInOneSecond returns the most times within any window of one second.
func mostInOneSecond(times []time.Time) int {
	sorted := slices.SortedFunc(slices.Values(times), time.Time.Compare)
	most := 0
	for i, first := 0, 0; i < len(sorted); i++ {
		for sorted[i].Sub(sorted[first]) >= time.Second {
			first++
		}
		most = max(most, i-first+1)
	}
	return most
}
