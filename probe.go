package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector"
	"github.com/tencent-live-exporter/tencent_live_exporter/shard"
)

// Probe time limits: the scrape timeout less the offset of
// --web.probe-timeout-offset, never below minProbeTimeout;
// defaultProbeTimeout when Prometheus sends none.
const (
	defaultProbeTimeoutOffset = 500 * time.Millisecond
	minProbeTimeout           = 100 * time.Millisecond
	defaultProbeTimeout       = 10 * time.Second
)

// probeHandler serves /probe: one room, named by target=<sdkappid>/<room_id>
// or by sdkappid and room_id, fetched now within the scrape timeout that
// Prometheus announces less offset. An app of another shard is refused like
// an unknown one, with a text naming its shard.
func probeHandler(fetcher *collector.Fetcher, shardFilter *shard.Filter, offset time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sdkappid, roomID, err := probeRoom(r.URL.Query())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), probeTimeout(r.Header, offset))
		defer cancel()
		families, err := fetcher.Probe(ctx, sdkappid, roomID)
		switch {
		case errors.Is(err, collector.ErrUnknownApp):
			if owner, ok := shardFilter.Elsewhere(sdkappid); ok {
				err = fmt.Errorf("the app is watched by %s, not by this process; probe it there", owner)
			}
			http.Error(w, fmt.Sprintf("sdkappid %d: %v", sdkappid, err), http.StatusBadRequest)
			return
		case errors.Is(err, collector.ErrProbeRejected):
			// Answered at once, so that Prometheus records the failed
			// scrape rather than waiting out its timeout.
			http.Error(w, fmt.Sprintf("sdkappid %d: %v; watched rooms keep the rest of the budget", sdkappid, err), http.StatusTooManyRequests)
			return
		}
		gatherer := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) { return families, nil })
		promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	})
}

// probeRoom returns the room a /probe query names: by target, as
// <sdkappid>/<room_id> (the room ID is everything after the first slash), or
// by the sdkappid and room_id parameters, not both. module, which the
// Prometheus Operator's Probe and blackbox-style setups may send, is
// ignored: there is one kind of probe. The error is the answer's text.
func probeRoom(query url.Values) (uint64, string, error) {
	for _, name := range []string{"target", "sdkappid", "room_id"} {
		if len(query[name]) > 1 {
			return 0, "", fmt.Errorf("%s parameter given %d times, want once", name, len(query[name]))
		}
	}
	sdkappidText, roomID := query.Get("sdkappid"), query.Get("room_id")
	sdkappidName := "sdkappid parameter"
	if query.Has("target") {
		if query.Has("sdkappid") || query.Has("room_id") {
			return 0, "", errors.New("target parameter conflicts with sdkappid and room_id; give either target=<sdkappid>/<room_id> or both of sdkappid and room_id")
		}
		var ok bool
		sdkappidText, roomID, ok = strings.Cut(query.Get("target"), "/")
		if !ok {
			return 0, "", fmt.Errorf("target parameter %q is not <sdkappid>/<room_id>", query.Get("target"))
		}
		sdkappidName = "sdkappid of the target parameter"
	}
	sdkappid, err := strconv.ParseUint(sdkappidText, 10, 64)
	if err != nil || sdkappid == 0 {
		return 0, "", fmt.Errorf("%s is missing or not a positive integer", sdkappidName)
	}
	if roomID == "" {
		if query.Has("target") {
			return 0, "", errors.New("room_id of the target parameter is empty")
		}
		return 0, "", errors.New("room_id parameter is missing")
	}
	return sdkappid, roomID, nil
}

// probeTimeout is the scrape timeout of the header Prometheus sends, less
// offset to answer in time, and at least minProbeTimeout;
// defaultProbeTimeout without the header.
func probeTimeout(h http.Header, offset time.Duration) time.Duration {
	seconds, err := strconv.ParseFloat(h.Get("X-Prometheus-Scrape-Timeout-Seconds"), 64)
	if err != nil || seconds <= 0 {
		return defaultProbeTimeout
	}
	return max(time.Duration(seconds*float64(time.Second))-offset, minProbeTimeout)
}
