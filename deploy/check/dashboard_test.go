package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"sigs.k8s.io/yaml"
)

// TestDashboardStrict decodes the committed dashboard with the Grafana
// Foundation SDK's strict decoder (unknown fields, wrong types and missing
// required fields are errors, panel options included) and validates it.
func TestDashboardStrict(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(readRepoFile(t, DashboardPath))); err != nil {
		t.Fatalf("%s: %v", DashboardPath, err)
	}
	if err := sdkError(d.Validate()); err != nil {
		t.Fatalf("%s: %v", DashboardPath, err)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, want := range []string{"datasource", "cluster", "job", "sdkappid", "room_id"} {
		if !vars[want] {
			t.Errorf("no %s variable", want)
		}
	}
	ids := map[uint32]bool{}
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		if p.Panel.Id == nil || ids[*p.Panel.Id] {
			t.Errorf("panel %v: missing or duplicate id", p.Panel.Title)
			continue
		}
		ids[*p.Panel.Id] = true
		if p.Panel.Datasource == nil || p.Panel.Datasource.Uid == nil || *p.Panel.Datasource.Uid != "${datasource}" {
			t.Errorf("panel %v does not use the datasource variable", *p.Panel.Title)
		}
	}
}

// sdkError undoes a quirk of the SDK, whose strict decoders can return an
// empty cog.BuildErrors (a non-nil error holding no error) on success.
func sdkError(err error) error {
	var be cog.BuildErrors
	if errors.As(err, &be) && len(be) == 0 {
		return nil
	}
	return err
}

// TestDashboardQueriesCoverMetrics checks that the dashboard shows every
// metric an operator needs, by name.
func TestDashboardQueriesCoverMetrics(t *testing.T) {
	var all bytes.Buffer
	for _, q := range dashboardQueries(t) {
		all.WriteString(q.Expr + "\n")
	}
	for _, m := range []string{
		"tencent_live_room_exists", "tencent_live_room_views_total", "tencent_live_room_max_members",
		"tencent_live_room_max_seats", "tencent_live_room_activity_status", "tencent_live_room_info",
		"tencent_live_room_refresh_success", "tencent_live_room_last_refresh_timestamp_seconds",
		"tencent_live_api_requests_total", "tencent_live_api_request_duration_seconds_bucket",
		"tencent_live_api_rate_limit_qps", "tencent_live_api_up", "tencent_live_refresh_cycle_duration_seconds",
		"tencent_live_rooms", "tencent_live_usersig_expiry_timestamp_seconds",
		"tencent_live_config_last_reload_successful", "tencent_live_exporter_build_info",
		"tencent_live_room_members", "tencent_live_room_viewers_total", "tencent_live_room_likes_total",
		"tencent_live_room_messages_total", "tencent_live_room_gifts_sent_total", "tencent_live_room_gift_coins_total",
		"tencent_live_room_unique_gift_senders_total",
		"tencent_live_webhook_requests_total", "tencent_live_webhook_last_event_timestamp_seconds",
		"tencent_live_hints_total", "tencent_live_hint_delay_seconds_bucket", "tencent_live_room_member_events_total",
		"tencent_live_app_rooms_created", "tencent_live_app_rooms_max", "tencent_live_api_required_qps",
		"tencent_live_rooms_refreshed_total", "tencent_live_probe_rejected_total",
	} {
		if !regexp.MustCompile(`\b` + m + `\b`).Match(all.Bytes()) {
			t.Errorf("no dashboard query uses %s", m)
		}
	}
}

// TestDashboardCommandBudgets checks that the optional commands have their
// rate in force and their requests on the dashboard, that every command's
// rate in force is shown against its documented limit, and that discovered
// rooms are told from configured ones.
func TestDashboardCommandBudgets(t *testing.T) {
	var all bytes.Buffer
	for _, q := range dashboardQueries(t) {
		all.WriteString(q.Expr + "\n")
	}
	// get_room_info has the Tencent API row's panels, by api.
	for _, api := range []string{"get_member_list", "get_room_stats", "get_room_list"} {
		for _, m := range []string{"tencent_live_api_rate_limit_qps", "tencent_live_api_requests_total"} {
			re := regexp.MustCompile(`\b` + m + `\{[^}]*api="` + api + `"`)
			if !re.Match(all.Bytes()) {
				t.Errorf("no dashboard query of %s for api=%q", m, api)
			}
		}
	}
	for _, c := range commandLimits {
		share := fmt.Sprintf(`api="%s"} / %d`, c.api, c.limit)
		if !strings.Contains(all.String(), share) {
			t.Errorf("no share of the %s limit (%q) on the dashboard", c.api, share)
		}
	}
	for _, source := range []string{`source="discovery"`, `source=~"config|file"`} {
		if !strings.Contains(all.String(), "tencent_live_rooms{"+DefaultSelectors.dashboard().app+", "+source+"}") {
			t.Errorf("no tencent_live_rooms query for %s", source)
		}
	}
}

// dashQuery is one PromQL expression of the dashboard, where it is used.
type dashQuery struct {
	Where   string // panel title, variable or annotation name
	Row     string // title of the panel's row; "" for variables and annotations
	Expr    string
	Instant bool
	// Variable queries are label_values(...) calls Grafana resolves itself.
	Variable bool
	// VarName names the variable a variable query defines.
	VarName string
}

// dashboardQueries returns every PromQL expression of the committed dashboard:
// panel targets (rows included), variable queries (in the order of the
// variables) and annotation queries.
func dashboardQueries(t testing.TB) []dashQuery {
	t.Helper()
	return dashboardQueriesOf(t, readRepoFile(t, DashboardPath))
}

// dashboardQueriesOf returns every PromQL expression of the dashboard JSON
// data, as dashboardQueries does.
func dashboardQueriesOf(t testing.TB, data []byte) []dashQuery {
	t.Helper()
	var raw struct {
		Panels []struct {
			Type    string            `json:"type"`
			Title   string            `json:"title"`
			Targets []json.RawMessage `json:"targets"`
			Panels  []struct {
				Title   string            `json:"title"`
				Targets []json.RawMessage `json:"targets"`
			} `json:"panels"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Annotations struct {
			List []struct {
				Name string `json:"name"`
				Expr string `json:"expr"`
			} `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var out []dashQuery
	row := ""
	addTargets := func(title string, targets []json.RawMessage) {
		for _, tr := range targets {
			var q struct {
				Expr    string `json:"expr"`
				Instant bool   `json:"instant"`
			}
			if err := json.Unmarshal(tr, &q); err != nil {
				t.Fatal(err)
			}
			if q.Expr != "" {
				out = append(out, dashQuery{Where: "panel " + title, Row: row, Expr: q.Expr, Instant: q.Instant})
			}
		}
	}
	for _, p := range raw.Panels {
		if p.Type == "row" {
			row = p.Title
		}
		addTargets(p.Title, p.Targets)
		for _, c := range p.Panels {
			addTargets(c.Title, c.Targets)
		}
	}
	for _, v := range raw.Templating.List {
		if s, ok := v.Query.(string); ok && v.Type == "query" {
			out = append(out, dashQuery{Where: "variable " + v.Name, Expr: s, Variable: true, VarName: v.Name})
		}
	}
	for _, a := range raw.Annotations.List {
		if a.Expr != "" {
			out = append(out, dashQuery{Where: "annotation " + a.Name, Expr: a.Expr})
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d queries found in the dashboard", len(out))
	}
	return out
}

// TestGrafanaProvisioning decodes the provisioning files strictly into the
// fields Grafana reads and checks they point at the dashboard and Prometheus.
func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `json:"apiVersion"`
		Datasources []struct {
			Name      string         `json:"name"`
			UID       string         `json:"uid"`
			Type      string         `json:"type"`
			Access    string         `json:"access"`
			URL       string         `json:"url"`
			IsDefault bool           `json:"isDefault"`
			Editable  bool           `json:"editable"`
			JSONData  map[string]any `json:"jsonData"`
		} `json:"datasources"`
	}
	if err := yaml.UnmarshalStrict(readRepoFile(t, "grafana/provisioning/datasources/prometheus.yml"), &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].Access != "proxy" {
		t.Errorf("datasource provisioning: %+v", ds)
	}
	var dp struct {
		APIVersion int `json:"apiVersion"`
		Providers  []struct {
			Name                  string `json:"name"`
			Folder                string `json:"folder"`
			Type                  string `json:"type"`
			DisableDeletion       bool   `json:"disableDeletion"`
			AllowUIUpdates        bool   `json:"allowUiUpdates"`
			UpdateIntervalSeconds int    `json:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `json:"path"`
				FoldersFromFilesStructure bool   `json:"foldersFromFilesStructure"`
			} `json:"options"`
		} `json:"providers"`
	}
	if err := yaml.UnmarshalStrict(readRepoFile(t, "grafana/provisioning/dashboards/tencent-live.yml"), &dp); err != nil {
		t.Fatal(err)
	}
	if dp.APIVersion != 1 || len(dp.Providers) != 1 || dp.Providers[0].Type != "file" || dp.Providers[0].Options.Path != "/var/lib/grafana/dashboards" {
		t.Errorf("dashboard provisioning: %+v", dp)
	}
}

// TestDashboardStrictRejects shows the strict decoder catches a typo.
func TestDashboardStrictRejects(t *testing.T) {
	plugins.RegisterDefaultPlugins()
	bad := bytes.Replace(readRepoFile(t, DashboardPath), []byte(`"title": "Missing rooms",`), []byte(`"title": "Missing rooms", "bogus": 1,`), 1)
	var d dashboard.Dashboard
	if err := sdkError(d.UnmarshalJSONStrict(bad)); err == nil {
		t.Fatal("an unknown panel field was accepted")
	}
}
