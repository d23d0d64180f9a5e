package collector

import (
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
)

// appSettings is what one app's fetcher takes from the configuration.
type appSettings struct {
	api             liveAPI
	creds           *credentials
	qps             [laneCount]int // 0 turns a lane off; the info lane is always on
	maxConcurrency  int            // per lane; 0 = derived from the rate and the observed latency
	refreshInterval time.Duration
	staleAfter      time.Duration
	maxRetries      int
	probeShare      float64       // of the info lane's budget, for /probe
	infoRefresh     time.Duration // of rooms that listings keep fresh
	discovery       discoverySettings
	labelNames      []string // of room series: sdkappid, room_id, the app's, then the rooms'
	appLabelValues  []string // values of the app's labels
	endpoint        string   // base URL of the API
}

// discoverySettings configure room discovery through get_room_list.
type discoverySettings struct {
	enabled  bool
	interval time.Duration
	qps      int
}

// wantedRoom is a room the configuration asks to watch, with the values of
// its labels in the order of the settings' label names.
type wantedRoom struct {
	id          string
	source      string
	labelValues []string
}

// credentialIdentity is what a cached UserSig depends on: while it stays the
// same across reloads, the app keeps its credentials and their cache.
type credentialIdentity struct {
	identifier, secretKey, file string
	ttl                         time.Duration
}

// preparedApp is one app of a configuration, ready to apply.
type preparedApp struct {
	settings appSettings
	wanted   []wantedRoom
	identity credentialIdentity
}

// prepare turns cfg.Apps[i] into settings and rooms. running is the app as
// it runs now, or nil: its credentials, and their cached UserSig, are kept
// when they still fit. httpClient sends the app's requests.
func prepare(cfg *config.Config, i int, running *runningApp, httpClient *http.Client) (preparedApp, error) {
	ac := cfg.Apps[i]
	identity := credentialIdentity{identifier: ac.Identifier, secretKey: ac.SecretKeyValue(), file: ac.UserSigFile, ttl: time.Duration(ac.UserSigTTL)}
	var c *credentials
	if running != nil && running.identity == identity {
		c = running.app.exposed.Load().creds
	} else {
		c = &credentials{sdkappid: ac.SDKAppID, identifier: ac.Identifier, secretKey: identity.secretKey, ttl: identity.ttl, file: ac.UserSigFile, now: time.Now}
	}
	baseURL := ac.Endpoint
	if baseURL == "" {
		var err error
		if baseURL, err = tencent.RegionURL(ac.Region); err != nil {
			return preparedApp{}, fmt.Errorf("apps[%d]: %w", i, err)
		}
	}
	client, err := tencent.New(tencent.Options{
		SDKAppID:   ac.SDKAppID,
		Identifier: ac.Identifier,
		BaseURL:    baseURL,
		Timeout:    time.Duration(cfg.Global.RequestTimeout),
		HTTPClient: httpClient,
		UserSig:    c.UserSig,
	})
	if err != nil {
		return preparedApp{}, fmt.Errorf("apps[%d]: %w", i, err)
	}
	s := appSettings{
		api:             client,
		creds:           c,
		maxConcurrency:  ac.MaxConcurrency,
		refreshInterval: time.Duration(cfg.Global.RefreshInterval),
		staleAfter:      time.Duration(cfg.Global.StaleAfter),
		maxRetries:      cfg.Global.MaxRetries,
		probeShare:      ac.ProbeShare,
		infoRefresh:     time.Duration(ac.InfoRefreshInterval),
		endpoint:        baseURL,
		discovery: discoverySettings{
			enabled:  ac.Discovery.Enabled,
			interval: time.Duration(ac.Discovery.Interval),
			qps:      ac.Discovery.QPS,
		},
	}
	s.qps[laneInfo] = ac.QPS
	if ac.Members.Enabled {
		s.qps[laneMembers] = ac.Members.QPS
	}
	if ac.Stats.Enabled {
		s.qps[laneStats] = ac.Stats.QPS
	}
	var wanted []wantedRoom
	s.labelNames, s.appLabelValues, wanted = roomLabels(ac)
	return preparedApp{settings: s, wanted: wanted, identity: identity}, nil
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

// discoveredRoom is a discovered room with the app's labels.
func discoveredRoom(s *appSettings, sdkappid, id string) wantedRoom {
	return wantedRoom{id: id, source: sourceDiscovery, labelValues: unconfiguredValues(s.labelNames, s.appLabelValues, sdkappid, id)}
}

// unconfiguredValues returns the label values of a room the configuration
// does not list: its IDs, the app's labels and empty room labels.
func unconfiguredValues(names, appValues []string, sdkappid, id string) []string {
	values := make([]string, len(names))
	values[0], values[1] = sdkappid, id
	copy(values[2:], appValues)
	return values
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
