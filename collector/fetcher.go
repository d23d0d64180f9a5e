package collector

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/go-kit/log"
	dto "github.com/prometheus/client_model/go"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Fetcher keeps the rooms of every configured app fresh, each app in its
// own loop within its own rate budget. Apply hands it a new configuration;
// the Collector reads its results.
type Fetcher struct {
	ctx     context.Context
	logger  log.Logger
	metrics *apiMetrics
	http    *http.Client // shared by every app, so connections survive reloads

	mu   sync.Mutex
	apps map[uint64]*runningApp
	wg   sync.WaitGroup
}

// runningApp is an app's fetcher with what is needed to stop it and to
// know whether its credentials changed.
type runningApp struct {
	app      *app
	cancel   context.CancelFunc
	stopped  chan struct{} // closed once the app's loops have returned
	identity credentialIdentity
}

// credentialIdentity is what a cached UserSig depends on.
type credentialIdentity struct {
	identifier, secretKey, file string
	ttl                         time.Duration
}

// appView is what scrapes read of one app: its room list with label values,
// immutable once published.
type appView struct {
	labelNames     []string // of room series
	appLabelValues []string
	rooms          []roomView
	creds          *credentials
	staleAfter     time.Duration
}

// roomView is a room with where it comes from and its label pairs.
type roomView struct {
	room        *room
	source      string           // "config", "file" or "discovery"
	labelValues []string         // in the order of the view's label names
	labels      []*dto.LabelPair // sorted by name
}

// count returns the number of rooms from source.
func (v *appView) count(source string) int {
	n := 0
	for i := range v.rooms {
		if v.rooms[i].source == source {
			n++
		}
	}
	return n
}

// NewFetcher returns a fetcher whose app loops run until ctx ends; httpClient
// may be nil for tencent.NewHTTPClient. One client serves every app across
// reloads, so keep-alive connections survive them.
func NewFetcher(ctx context.Context, logger log.Logger, httpClient *http.Client) *Fetcher {
	if httpClient == nil {
		httpClient = tencent.NewHTTPClient()
	}
	return &Fetcher{
		ctx:     ctx,
		logger:  logger,
		metrics: newAPIMetrics(),
		http:    httpClient,
		apps:    map[uint64]*runningApp{},
	}
}

// Apply makes cfg the configuration in force: apps and rooms it no longer
// lists stop at once, new ones start, changed settings apply to the next
// request. cfg must be valid; an error leaves the fetcher as it was.
func (f *Fetcher) Apply(cfg *config.Config) error {
	type prepared struct {
		settings appSettings
		wanted   []wantedRoom
		identity credentialIdentity
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ctx.Err(); err != nil {
		return fmt.Errorf("fetcher stopped: %w", err)
	}

	next := make(map[uint64]prepared, len(cfg.Apps))
	for i, ac := range cfg.Apps {
		identity := credentialIdentity{identifier: ac.Identifier, secretKey: ac.SecretKeyValue(), file: ac.UserSigFile, ttl: time.Duration(ac.UserSigTTL)}
		creds := &credentials{sdkappid: ac.SDKAppID, identifier: ac.Identifier, secretKey: identity.secretKey, ttl: identity.ttl, file: ac.UserSigFile, now: time.Now}
		if running := f.apps[ac.SDKAppID]; running != nil && running.identity == identity {
			creds = running.app.view.Load().creds
		}
		baseURL := ac.Endpoint
		if baseURL == "" {
			var err error
			if baseURL, err = tencent.RegionURL(ac.Region); err != nil {
				return fmt.Errorf("apps[%d]: %w", i, err)
			}
		}
		client, err := tencent.New(tencent.Options{
			SDKAppID:   ac.SDKAppID,
			Identifier: ac.Identifier,
			BaseURL:    baseURL,
			Timeout:    time.Duration(cfg.Global.RequestTimeout),
			HTTPClient: f.http,
			UserSig:    creds.UserSig,
		})
		if err != nil {
			return fmt.Errorf("apps[%d]: %w", i, err)
		}
		settings := appSettings{
			api:             client,
			creds:           creds,
			maxConcurrency:  ac.MaxConcurrency,
			refreshInterval: time.Duration(cfg.Global.RefreshInterval),
			staleAfter:      time.Duration(cfg.Global.StaleAfter),
			maxRetries:      cfg.Global.MaxRetries,
			endpoint:        baseURL,
			discovery: discoverySettings{
				enabled:  ac.Discovery.Enabled,
				interval: time.Duration(ac.Discovery.Interval),
				qps:      ac.Discovery.QPS,
			},
		}
		settings.qps[laneInfo] = ac.QPS
		if ac.Members.Enabled {
			settings.qps[laneMembers] = ac.Members.QPS
		}
		if ac.Stats.Enabled {
			settings.qps[laneStats] = ac.Stats.QPS
		}
		var wanted []wantedRoom
		settings.labelNames, settings.appLabelValues, wanted = roomLabels(ac)
		next[ac.SDKAppID] = prepared{settings: settings, wanted: wanted, identity: identity}
	}

	for id, running := range f.apps {
		if _, ok := next[id]; !ok {
			running.cancel()
			delete(f.apps, id)
			go f.forget(id, running)
		}
	}
	for id, p := range next {
		running := f.apps[id]
		if running == nil {
			ctx, cancel := context.WithCancel(f.ctx)
			running = &runningApp{app: newApp(id, f.logger, f.metrics), cancel: cancel, stopped: make(chan struct{})}
			f.apps[id] = running
			defer f.start(ctx, running)
		}
		running.identity = p.identity
		running.app.apply(p.settings, p.wanted)
	}
	return nil
}

// start runs the app's loops until ctx ends.
func (f *Fetcher) start(ctx context.Context, running *runningApp) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer close(running.stopped)
		running.app.run(ctx)
	}()
}

// forget drops the request metrics of a removed app once its last attempt
// has returned, unless a reload brought the app back meanwhile.
func (f *Fetcher) forget(id uint64, running *runningApp) {
	<-running.stopped
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.apps[id] == nil {
		f.metrics.forget(running.app.id)
	}
}

// Wait returns once every app loop has stopped after the fetcher's context
// ended, in-flight requests included.
func (f *Fetcher) Wait() {
	f.wg.Wait()
}

// Ready reports whether every app has finished its first pass over its
// rooms, or is paused by an app-wide failure (its metrics say why).
func (f *Fetcher) Ready() bool {
	for _, a := range f.appList() {
		a.mu.Lock()
		ready := a.passes.firstDone || !a.health.up
		a.mu.Unlock()
		if !ready {
			return false
		}
	}
	return true
}

// appList returns the running apps in SDKAppID order.
func (f *Fetcher) appList() []*app {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]uint64, 0, len(f.apps))
	for id := range f.apps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	apps := make([]*app, len(ids))
	for i, id := range ids {
		apps[i] = f.apps[id].app
	}
	return apps
}

// roomLabels returns the label names of an app's room series (sdkappid,
// room_id, the app's labels, then every label any of its rooms has, each
// group sorted), the values of the app's labels, and each configured room
// with its label values. A room without one of its app's room labels has it
// empty, which Prometheus reads as absent.
func roomLabels(ac *config.App) (names, appValues []string, wanted []wantedRoom) {
	appNames := sortedKeys(ac.Labels)
	roomNameSet := map[string]bool{}
	for _, r := range ac.Rooms {
		for name := range r.Labels {
			roomNameSet[name] = true
		}
	}
	roomNames := sortedKeys(roomNameSet)
	names = append(append([]string{labelSDKAppID, labelRoomID}, appNames...), roomNames...)
	for _, name := range appNames {
		appValues = append(appValues, ac.Labels[name])
	}

	id := formatID(ac.SDKAppID)
	wanted = make([]wantedRoom, len(ac.Rooms))
	for i, r := range ac.Rooms {
		values := make([]string, 0, len(names))
		values = append(append(values, id, r.ID), appValues...)
		for _, name := range roomNames {
			values = append(values, r.Labels[name])
		}
		wanted[i] = wantedRoom{id: r.ID, source: r.Source, labelValues: values}
	}
	return names, appValues, wanted
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
