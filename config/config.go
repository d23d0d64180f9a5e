// Package config holds the exporter's configuration: its types and defaults,
// a strict YAML decoder whose errors name the line and field path of every
// problem, the room files that extend an app's room list, and SafeConfig, which
// publishes a new configuration only when it is valid.
//
// A *Config is immutable once Load or Parse has returned it: readers share it
// without locks, and every change (reload, room files) produces a new one.
//
// The package imports none of the exporter's other packages.
package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// Room sources, the values of Room.Source. The collector adds "discovery" for
// rooms it finds itself; the configuration never produces it.
const (
	// SourceConfig marks a room listed under an app's rooms key.
	SourceConfig = "config"
	// SourceFile marks a room read from one of an app's room_files.
	SourceFile = "file"
)

// Limits of the settings, kept in one place for the decoder and the docs.
const (
	// MaxQPS is the highest get_room_info qps (Tencent's documented limit).
	MaxQPS = 200
	// MaxMembersQPS is the highest get_member_list qps.
	MaxMembersQPS = 200
	// MaxStatsQPS is the highest get_room_stats qps.
	MaxStatsQPS = 100
	// MaxDiscoveryQPS is the highest get_room_list qps.
	MaxDiscoveryQPS = 10
	// MaxRetries is the highest max_retries.
	MaxRetries = 10
	// MinUserSigTTL is the shortest usersig_ttl: a UserSig must outlive the
	// requests signed with it by a comfortable margin.
	MinUserSigTTL = model.Duration(time.Minute)
	// MaxWebhookTokenLength is the longest webhook token, in characters:
	// Tencent's limit for set_callback_token.
	MaxWebhookTokenLength = 128
)

// Regions lists the region keys accepted in an app's region field, in the
// order Tencent's documentation gives them. The collector maps each to the
// API host of its region (collector/tencent.Regions).
var Regions = []string{"china", "singapore", "usa", "korea", "japan", "germany", "india", "indonesia"}

// ReservedLabelNames are label names that app and room labels must not use,
// because the exporter puts them on room series itself: the identity labels
// sdkappid and room_id, the labels of tencent_live_room_info, cause of
// tencent_live_room_member_events_total, and the labels of the per-app
// series (source, api, code, result). Names starting with "__" are reserved
// too.
var ReservedLabelNames = []string{
	"sdkappid", "room_id",
	"room_name", "room_type", "owner_account", "take_seat_mode", "category", "cause",
	"source", "api", "code", "result",
}

// DefaultGlobal is the global section used when the file leaves it out; fields
// the file leaves out keep these values. StaleAfter 0 means 3 x
// RefreshInterval, which Parse fills in.
var DefaultGlobal = Global{
	RefreshInterval: model.Duration(30 * time.Second),
	RequestTimeout:  model.Duration(5 * time.Second),
	MaxRetries:      2,
}

// DefaultInfoRefreshFactor is how many refresh intervals an app's
// info_refresh_interval lasts unless set.
const DefaultInfoRefreshFactor = 5

// DefaultApp holds the defaults of every app entry. UserSigTTL applies only to
// apps that generate their UserSig from a secret key.
var DefaultApp = App{
	UserSigTTL:     model.Duration(24 * time.Hour),
	QPS:            50,
	MaxConcurrency: 0,
	ProbeShare:     0.25,
	Members:        APIBudget{Enabled: false, QPS: 50},
	Stats:          APIBudget{Enabled: false, QPS: 20},
	Discovery:      Discovery{Enabled: false, Interval: model.Duration(5 * time.Minute), QPS: 2},
}

// Config is a loaded, validated configuration with every default filled in.
// Treat it as read-only: it is shared by every reader of a SafeConfig.
type Config struct {
	// Global holds the settings that apply to every app.
	Global Global
	// Apps lists one entry per SDKAppID, in file order.
	Apps []*App

	// roomFilesFingerprint is the fingerprint of the room files read to
	// build the apps' room lists (see RoomFilesFingerprint).
	roomFilesFingerprint string
}

// Global holds the settings shared by every app.
type Global struct {
	// RefreshInterval is the wanted time between two refreshes of a room.
	RefreshInterval model.Duration
	// RequestTimeout bounds one API request; it is below RefreshInterval.
	RequestTimeout model.Duration
	// MaxRetries is the number of extra attempts after a retryable failure.
	MaxRetries int
	// StaleAfter is how long a room's last values are kept after its last
	// definitive answer; 3 x RefreshInterval unless set, never below it.
	StaleAfter model.Duration
}

// App is one SDKAppID to watch: where and how to call its API, its rate
// budget, its labels and its rooms.
type App struct {
	// SDKAppID identifies the app; unique across apps.
	SDKAppID uint64
	// Region is a key of Regions, or empty when Endpoint is set.
	Region string
	// Endpoint is a base URL used instead of Region (proxies, tests), or
	// empty.
	Endpoint string
	// Identifier is the App Administrator account that signs requests.
	Identifier string
	// SecretKeyFile is the file the secret key was read from (resolved
	// against the config file's directory), or empty.
	SecretKeyFile string
	// SecretKey is the secret key: the inline secret_key, or the trimmed
	// content of SecretKeyFile read at load time. Empty with UserSigFile.
	SecretKey config.Secret
	// UserSigFile is a file holding a pre-generated UserSig (resolved against
	// the config file's directory), or empty. The fetcher reads it and re-reads
	// it when it changes; Load only checks that it is readable.
	UserSigFile string
	// UserSigTTL is the lifetime of generated UserSigs; 0 with UserSigFile.
	UserSigTTL model.Duration
	// QPS is the get_room_info request budget per second, 1..MaxQPS.
	QPS int
	// MaxConcurrency caps in-flight requests; 0 lets the fetcher derive it.
	MaxConcurrency int
	// ProbeShare is the share of the get_room_info budget /probe may take,
	// in (0, 1].
	ProbeShare float64
	// InfoRefreshInterval is how long the get_room_info refresh of a room
	// that listings keep fresh may wait; DefaultInfoRefreshFactor x
	// RefreshInterval unless set, never below it.
	InfoRefreshInterval model.Duration
	// Labels are extra constant labels on the app's room series; nil if none.
	Labels map[string]string
	// Rooms is the merged room list: the rooms of the config file in file
	// order (Source "config"), then those of the room files, file by file in
	// glob and name order (Source "file"). Room IDs are unique.
	Rooms []Room
	// RoomFiles are the room_files globs as written in the config file.
	RoomFiles []string
	// Members is the get_member_list budget.
	Members APIBudget
	// Stats is the get_room_stats budget.
	Stats APIBudget
	// Discovery configures room discovery through get_room_list.
	Discovery Discovery
	// Webhook authenticates the webhooks Tencent sends about the app, or is
	// nil: the app then refuses webhooks.
	Webhook *Webhook

	// roomGlobs are RoomFiles resolved against the config file's directory,
	// with where they were written, for re-reading the room files.
	roomGlobs []roomGlob
	// origins tells, for each room ID of the config file, where it was
	// defined, for duplicate messages when room files are re-read.
	origins map[string]string
	// path is the app's field path, e.g. apps[1].
	path string
}

// Webhook holds the token of an app's webhooks (Tencent's callback token),
// with which the receiver checks their Sign.
type Webhook struct {
	// TokenFile is the file the token was read from (resolved against the
	// config file's directory), or empty.
	TokenFile string
	// Token is the token: the inline token, or the trimmed content of
	// TokenFile read at load time. 1..MaxWebhookTokenLength characters.
	Token config.Secret
}

// Room is one room to watch.
type Room struct {
	// ID is the RoomId passed to the API; never empty.
	ID string
	// Labels are the room's own extra labels; nil if none. They never repeat
	// a name of the app's Labels.
	Labels map[string]string
	// Source is SourceConfig or SourceFile.
	Source string
}

// APIBudget enables an optional API and sets its request budget.
type APIBudget struct {
	// Enabled turns the API on for the app.
	Enabled bool
	// QPS is the API's requests per second for the app.
	QPS int
}

// Discovery configures room discovery through get_room_list.
type Discovery struct {
	// Enabled turns discovery on for the app.
	Enabled bool
	// Interval is the time between two passes over the room list.
	Interval model.Duration
	// QPS is get_room_list's requests per second for the app.
	QPS int
}

// roomGlob is one room_files entry, resolved.
type roomGlob struct {
	pattern string // resolved against the config file's directory
	path    string // field path, e.g. apps[0].room_files[1]
	line    int    // line of the entry in the config file
}

// Load reads, decodes and validates the configuration file at path, reading
// the secret key files and room files it names. Relative paths in the file
// resolve against the file's directory, and are kept absolute so that they
// mean the same whatever the working directory. The error, if any, is an
// Errors value or an error about reading the file itself.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return Parse(data, dir)
}

// SecretKeyValue returns the app's secret key in clear, for signing UserSigs;
// empty when the app uses a UserSig file. Never log or print it.
func (a *App) SecretKeyValue() string {
	return string(a.SecretKey)
}

// WebhookToken returns the app's webhook token in clear, for checking the
// Sign of its webhooks; empty when the app refuses webhooks. Never log or
// print it.
func (a *App) WebhookToken() string {
	if a.Webhook == nil {
		return ""
	}
	return string(a.Webhook.Token)
}

// App returns the app with the given SDKAppID, or nil.
func (c *Config) App(sdkappid uint64) *App {
	for _, a := range c.Apps {
		if a.SDKAppID == sdkappid {
			return a
		}
	}
	return nil
}
