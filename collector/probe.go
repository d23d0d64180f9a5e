package collector

import (
	"context"
	"errors"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// ErrUnknownApp is returned by Probe for an SDKAppID that no app configures.
var ErrUnknownApp = errors.New("no app with this sdkappid is configured")

// Probe fetches one room now, configured or not, within its app's
// get_room_info budget, and returns the room's series with
// tencent_live_probe_success and tencent_live_probe_duration_seconds. ctx
// bounds the whole probe, the wait for a slot of the budget included.
// A probe does not change the watched rooms nor the app's health.
func (f *Fetcher) Probe(ctx context.Context, sdkappid uint64, roomID string) ([]*dto.MetricFamily, error) {
	f.mu.Lock()
	running := f.apps[sdkappid]
	f.mu.Unlock()
	if running == nil {
		return nil, ErrUnknownApp
	}
	a := running.app
	start := time.Now()
	snap := a.probe(ctx, roomID)
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

// probe makes one get_room_info request for roomID on the info lane's
// budget, unless the app is paused or ctx ends first, and returns the
// resulting snapshot (emptySnapshot without a definitive answer). Of the
// outcome policy it applies only the slowing down: a probe changes neither
// the rooms nor the app's health.
func (a *app) probe(ctx context.Context, roomID string) *roomSnapshot {
	l := a.lanes[laneInfo]
	a.mu.Lock()
	api, paused := a.settings.api, !a.pausedUntil(l, time.Now()).IsZero()
	a.mu.Unlock()
	if paused {
		return emptySnapshot
	}
	deadline, _ := ctx.Deadline()
	grant, err := l.budget.Wait(ctx, nil, deadline, l.refresh)
	if err != nil {
		return emptySnapshot
	}
	start := time.Now()
	grant.Sent(start)
	info, err := api.GetRoomInfo(ctx, roomID)
	j := judge(err)
	a.metrics.observe(a.id, l.name, j.code, time.Since(start))
	switch j.Class {
	case tencent.ClassOK:
		return withRoom(info, time.Now(), nil)
	case tencent.ClassRoomMissing:
		return withMissing(time.Now())
	case tencent.ClassRateLimited:
		l.budget.Throttle()
	}
	return emptySnapshot
}

// probeLabels returns the label pairs of a probed room: those of the room
// when it is watched, else the app's labels.
func (v *exposed) probeLabels(sdkappid, roomID string) []*dto.LabelPair {
	for i := range v.rooms {
		if v.rooms[i].room.id == roomID {
			return v.rooms[i].labels
		}
	}
	return labelPairs(v.labelNames, unconfiguredValues(v.labelNames, v.appLabelValues, sdkappid, roomID), nil)
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
