package config

import (
	"bytes"
	"encoding/json"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// secretMask stands for a secret in every output.
const secretMask = "<secret>"

// The views below fix what the effective configuration shows, field by field
// and in YAML and JSON alike, so that nothing secret can slip into it through
// a new field or through prometheus/common's config.MarshalSecretValue switch.

type configView struct {
	Global globalView `yaml:"global" json:"global"`
	Apps   []appView  `yaml:"apps" json:"apps"`
}

type globalView struct {
	RefreshInterval model.Duration `yaml:"refresh_interval" json:"refresh_interval"`
	RequestTimeout  model.Duration `yaml:"request_timeout" json:"request_timeout"`
	MaxRetries      int            `yaml:"max_retries" json:"max_retries"`
	StaleAfter      model.Duration `yaml:"stale_after" json:"stale_after"`
}

type appView struct {
	SDKAppID       uint64            `yaml:"sdkappid" json:"sdkappid"`
	Region         string            `yaml:"region,omitempty" json:"region,omitempty"`
	Endpoint       string            `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
	Identifier     string            `yaml:"identifier" json:"identifier"`
	SecretKeyFile  string            `yaml:"secret_key_file,omitempty" json:"secret_key_file,omitempty"`
	SecretKey      string            `yaml:"secret_key,omitempty" json:"secret_key,omitempty"`
	UserSigFile    string            `yaml:"usersig_file,omitempty" json:"usersig_file,omitempty"`
	UserSigTTL     model.Duration    `yaml:"usersig_ttl,omitempty" json:"usersig_ttl,omitempty"`
	QPS            int               `yaml:"qps" json:"qps"`
	MaxConcurrency int               `yaml:"max_concurrency" json:"max_concurrency"`
	ProbeShare     float64           `yaml:"probe_share" json:"probe_share"`
	InfoRefresh    model.Duration    `yaml:"info_refresh_interval" json:"info_refresh_interval"`
	Labels         map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Rooms          []any             `yaml:"rooms,omitempty" json:"rooms,omitempty"`
	RoomFiles      []string          `yaml:"room_files,omitempty" json:"room_files,omitempty"`
	Members        budgetView        `yaml:"members" json:"members"`
	Stats          budgetView        `yaml:"stats" json:"stats"`
	Discovery      discoveryView     `yaml:"discovery" json:"discovery"`
	Webhook        *webhookView      `yaml:"webhook,omitempty" json:"webhook,omitempty"`
}

type webhookView struct {
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	Token     string `yaml:"token,omitempty" json:"token,omitempty"`
}

type roomView struct {
	ID     string            `yaml:"id" json:"id"`
	Labels map[string]string `yaml:"labels" json:"labels"`
}

type budgetView struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	QPS     int  `yaml:"qps" json:"qps"`
}

type discoveryView struct {
	Enabled  bool           `yaml:"enabled" json:"enabled"`
	Interval model.Duration `yaml:"interval" json:"interval"`
	QPS      int            `yaml:"qps" json:"qps"`
}

// MarshalYAML implements yaml.Marshaler: the effective configuration, with
// every default filled in, in the file's syntax. The secret key shows as
// <secret> (and not at all when it was read from secret_key_file), and so does
// the webhook token (not at all when read from token_file); rooms are
// those of the config file, room_files are listed as written, so the output
// parses back to the same configuration.
func (c Config) MarshalYAML() (any, error) {
	v := configView{
		Global: globalView{
			RefreshInterval: c.Global.RefreshInterval,
			RequestTimeout:  c.Global.RequestTimeout,
			MaxRetries:      c.Global.MaxRetries,
			StaleAfter:      c.Global.StaleAfter,
		},
		Apps: make([]appView, 0, len(c.Apps)),
	}
	for _, a := range c.Apps {
		v.Apps = append(v.Apps, a.view())
	}
	return v, nil
}

// MarshalYAML implements yaml.Marshaler, as for Config.
func (a App) MarshalYAML() (any, error) {
	return a.view(), nil
}

// MarshalJSON implements json.Marshaler with the fields and masking of
// MarshalYAML.
func (c Config) MarshalJSON() ([]byte, error) {
	v, _ := c.MarshalYAML()
	return json.Marshal(v)
}

// MarshalJSON implements json.Marshaler, as for Config.
func (a App) MarshalJSON() ([]byte, error) {
	return json.Marshal(a.view())
}

// view returns what the effective configuration shows of a.
func (a *App) view() appView {
	v := appView{
		SDKAppID:       a.SDKAppID,
		Region:         a.Region,
		Endpoint:       a.Endpoint,
		Identifier:     a.Identifier,
		SecretKeyFile:  a.SecretKeyFile,
		UserSigFile:    a.UserSigFile,
		UserSigTTL:     a.UserSigTTL,
		QPS:            a.QPS,
		MaxConcurrency: a.MaxConcurrency,
		ProbeShare:     a.ProbeShare,
		InfoRefresh:    a.InfoRefreshInterval,
		Labels:         a.Labels,
		RoomFiles:      a.RoomFiles,
		Members:        budgetView(a.Members),
		Stats:          budgetView(a.Stats),
		Discovery:      discoveryView(a.Discovery),
	}
	if a.SecretKey != "" && a.SecretKeyFile == "" {
		v.SecretKey = secretMask
	}
	if w := a.Webhook; w != nil {
		v.Webhook = &webhookView{TokenFile: w.TokenFile}
		if w.TokenFile == "" {
			v.Webhook.Token = secretMask
		}
	}
	for _, r := range a.Rooms {
		switch {
		case r.Source == SourceFile:
		case len(r.Labels) == 0:
			v.Rooms = append(v.Rooms, r.ID)
		default:
			v.Rooms = append(v.Rooms, roomView{ID: r.ID, Labels: r.Labels})
		}
	}
	return v
}

// marshal renders v as YAML indented by two spaces.
func marshal(v any) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		// The views hold only strings, numbers and maps of strings.
		return "# cannot render the configuration: " + err.Error() + "\n"
	}
	_ = enc.Close()
	return b.String()
}

// String returns the effective configuration as YAML (see MarshalYAML), for
// the /config endpoint and --config.check.
func (c Config) String() string {
	v, _ := c.MarshalYAML()
	return marshal(v)
}

// String returns the app's effective configuration as YAML, with its secret
// key masked, so that printing an App never shows the key.
func (a App) String() string {
	return marshal(a.view())
}
