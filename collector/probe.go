package collector

import (
	"context"
	"errors"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/budget"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// Errors of Probe.
var (
	// ErrUnknownApp is returned for an SDKAppID that no app configures.
	ErrUnknownApp = errors.New("no app with this sdkappid is configured")
	// ErrProbeRejected is returned when the app's probe share of its
	// get_room_info budget has no slot before the probe's deadline.
	ErrProbeRejected = errors.New("no request slot free in the app's probe_share of its get_room_info budget before the scrape timeout")
)

// Probe fetches one room now, configured or not, within its app's
// probe_share of the get_room_info budget, and returns the room's series
// with tencent_live_probe_success and tencent_live_probe_duration_seconds.
// ctx bounds the whole probe, the wait for a slot included: when its
// deadline shows no slot can come in time, Probe returns ErrProbeRejected at
// once and counts it in tencent_live_probe_rejected_total. A probe does not
// change the watched rooms nor the app's health.
func (f *Fetcher) Probe(ctx context.Context, sdkappid uint64, roomID string) ([]*dto.MetricFamily, error) {
	f.mu.Lock()
	running := f.apps[sdkappid]
	f.mu.Unlock()
	if running == nil {
		return nil, ErrUnknownApp
	}
	a := running.app
	// A probe of an app that a reload removes ends with it, and records
	// nothing once it is gone (its metrics are forgotten).
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(running.ctx, cancel)()
	start := time.Now()
	snap, err := a.probe(ctx, roomID)
	if running.ctx.Err() != nil {
		return nil, ErrUnknownApp
	}
	if err != nil {
		a.metrics.probeRejected.WithLabelValues(a.id).Inc()
		return nil, err
	}
	elapsed := time.Since(start)

	view := a.exposed.Load()
	r := newRoom(roomID, "")
	r.info.Store(snap)
	families := newRoomFamilies(1)
	families.add(view.probeLabels(a.id, roomID), r, time.Now(), view.staleAfter)
	out := []*dto.MetricFamily{
		gaugeFamily(namespace+"_probe_success", "1 when the probe got a definitive answer from Tencent (the room, or that it does not exist), else 0.", boolValue(snap.refreshOK)),
		gaugeFamily(namespace+"_probe_duration_seconds", "How long the probe took, the wait for the app's rate budget included.", elapsed.Seconds()),
	}
	return append(out, families.nonEmpty()...), nil
}

// probe makes one get_room_info request for roomID in the probe share of
// the info lane's budget, unless the app is paused or ctx ends first, and
// returns the resulting snapshot (emptySnapshot without a definitive
// answer), or ErrProbeRejected. Of the outcome policy it applies only the
// slowing down: a probe changes neither the rooms nor the app's health.
func (a *app) probe(ctx context.Context, roomID string) (*roomSnapshot, error) {
	l := a.lanes[laneInfo]
	a.mu.Lock()
	api, paused := a.settings.api, !a.pausedUntil(l, time.Now()).IsZero()
	a.mu.Unlock()
	if paused {
		return emptySnapshot, nil
	}
	deadline, _ := ctx.Deadline()
	grant, err := l.budget.Wait(ctx, nil, deadline, l.probe)
	switch {
	case errors.Is(err, budget.ErrNoSlot):
		return nil, ErrProbeRejected
	case err != nil:
		return emptySnapshot, nil
	}
	ctx, start := sending(ctx, grant)
	info, err := api.GetRoomInfo(ctx, roomID)
	if errors.Is(ctx.Err(), context.Canceled) {
		return emptySnapshot, nil // the app was removed: record nothing
	}
	j := judge(err)
	a.metrics.observe(a.id, l.name, j.code, time.Since(start))
	switch j.Class {
	case tencent.ClassOK:
		return withRoom(info, time.Now()), nil
	case tencent.ClassRoomMissing:
		return withMissing(time.Now()), nil
	case tencent.ClassRateLimited:
		l.budget.Throttle()
	}
	return emptySnapshot, nil
}

// probeLabels returns the labels of a probed room: those of the room when
// it is watched, else the app's labels.
func (v *exposed) probeLabels(sdkappid, roomID string) []labelPair {
	for i := range v.rooms {
		if v.rooms[i].room.id == roomID {
			return v.rooms[i].labels
		}
	}
	return sortedLabels(v.labelNames, unconfiguredValues(v.labelNames, v.appLabelValues, sdkappid, roomID))
}

// gaugeFamily returns a family of one unlabelled gauge sample.
func gaugeFamily(name, help string, value float64) *dto.MetricFamily {
	return &dto.MetricFamily{
		Name:   &name,
		Help:   &help,
		Type:   dto.MetricType_GAUGE.Enum(),
		Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: &value}}},
	}
}
