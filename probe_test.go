package main

import (
	"net/http"
	"testing"
	"time"
)

// TestProbeTimeout checks the probe's time limit: the announced scrape
// timeout less the offset, at least minProbeTimeout, and
// defaultProbeTimeout without a usable header.
func TestProbeTimeout(t *testing.T) {
	tests := []struct {
		header string
		offset time.Duration
		want   time.Duration
	}{
		{"", defaultProbeTimeoutOffset, defaultProbeTimeout},
		{"abc", defaultProbeTimeoutOffset, defaultProbeTimeout},
		{"0", defaultProbeTimeoutOffset, defaultProbeTimeout},
		{"-3", defaultProbeTimeoutOffset, defaultProbeTimeout},
		{"10", defaultProbeTimeoutOffset, 9500 * time.Millisecond},
		{"1.5", defaultProbeTimeoutOffset, time.Second},
		{"1.5", 0, 1500 * time.Millisecond},
		{"2.5", time.Second, 1500 * time.Millisecond},
		{"0.3", defaultProbeTimeoutOffset, minProbeTimeout},
		{"5", 10 * time.Second, minProbeTimeout},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("X-Prometheus-Scrape-Timeout-Seconds", tt.header)
		}
		if got := probeTimeout(h, tt.offset); got != tt.want {
			t.Errorf("header %q, offset %s: %s, want %s", tt.header, tt.offset, got, tt.want)
		}
	}
}
