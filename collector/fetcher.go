package collector

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/go-kit/log"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// Fetcher keeps the rooms of every configured app fresh, each app in its
// own loops within its own rate budgets. Apply hands it a new configuration;
// the Collector and the Gatherer read its results.
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
	ctx      context.Context // ends when the app stops
	cancel   context.CancelFunc
	stopped  chan struct{} // closed once the app's loops have returned
	identity credentialIdentity
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
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.ctx.Err(); err != nil {
		return fmt.Errorf("fetcher stopped: %w", err)
	}
	next := make(map[uint64]preparedApp, len(cfg.Apps))
	for i, ac := range cfg.Apps {
		p, err := prepare(cfg, i, f.apps[ac.SDKAppID], f.http)
		if err != nil {
			return err
		}
		next[ac.SDKAppID] = p
	}
	for id, running := range f.apps {
		if _, ok := next[id]; !ok {
			f.stop(id, running)
		}
	}
	for id, p := range next {
		running := f.apps[id]
		if running == nil {
			running = f.start(id)
		}
		running.identity = p.identity
		running.app.apply(p.settings, p.wanted)
	}
	return nil
}

// start creates the app of sdkappid and runs its loops until the fetcher's
// context ends or stop; f.mu is held. The loops start at once and wait for
// the app's first apply to give them rooms.
func (f *Fetcher) start(sdkappid uint64) *runningApp {
	ctx, cancel := context.WithCancel(f.ctx)
	running := &runningApp{app: newApp(sdkappid, f.logger, f.metrics), ctx: ctx, cancel: cancel, stopped: make(chan struct{})}
	f.apps[sdkappid] = running
	f.wg.Go(func() {
		defer close(running.stopped)
		running.app.run(ctx)
	})
	return running
}

// stop stops a removed app at once and, once its last attempt has returned,
// drops its request metrics, unless a reload brought the app back
// meanwhile; f.mu is held.
func (f *Fetcher) stop(sdkappid uint64, running *runningApp) {
	running.cancel()
	delete(f.apps, sdkappid)
	go func() {
		<-running.stopped
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.apps[sdkappid] == nil {
			f.metrics.forget(running.app.id)
		}
	}()
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
		if st := a.status(); !st.firstPass && st.up {
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
