package check

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// DashboardPath is the generated Grafana dashboard, relative to the
// repository root; Grafana provisioning loads it from there.
const DashboardPath = "grafana/dashboards/tencent-live.json"

// dashSelectors are the matchers of the dashboard's queries, made from
// Selectors: every query carries process (the $cluster and $job variables).
type dashSelectors struct {
	process string // cluster (when configured) and job
	app     string // process and the $sdkappid variable
	room    string // app and the $room_id variable
}

func (s Selectors) dashboard() dashSelectors {
	process := `job=~"$job"`
	if s.ClusterLabel != "" {
		process = s.ClusterLabel + `=~"$cluster", ` + process
	}
	app := process + `, sdkappid=~"$sdkappid"`
	return dashSelectors{process: process, app: app, room: app + `, room_id=~"$room_id"`}
}

var promDS = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(promDS).Expr(expr).LegendFormat(legend).Range()
}

func instantTable(expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(promDS).Expr(expr).Instant().Format(prometheus.PromQueryFormatTable)
}

func thresholds(steps ...dashboard.Threshold) *dashboard.ThresholdsConfigBuilder {
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(steps)
}

func step(v *float64, color string) dashboard.Threshold {
	return dashboard.Threshold{Value: v, Color: color}
}

func valueText(pairs ...string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+2 < len(pairs)+1; i += 3 {
		opts[pairs[i]] = dashboard.ValueMappingResult{Text: cog.ToPtr(pairs[i+1]), Color: cog.ToPtr(pairs[i+2]), Index: cog.ToPtr(int32(i / 3))}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// hideColumns is a table transformation that drops columns nobody reads.
func hideColumns(names ...string) dashboard.DataTransformerConfig {
	ex := map[string]any{}
	for _, n := range names {
		ex[n] = true
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{"excludeByName": ex}}
}

func statPanel(title, desc string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Datasource(promDS).Height(4).Span(4).
		GraphMode(common.BigValueGraphModeNone).ColorMode(common.BigValueColorModeValue).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false))
}

func tsPanel(title, desc, unit string, w uint32) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(desc).Datasource(promDS).Unit(unit).Height(8).Span(w).
		FillOpacity(10).ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementRight).ShowLegend(true).Calcs([]string{"lastNotNull", "max"})).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
}

func tablePanel(title, desc string, w uint32) *table.PanelBuilder {
	return table.NewPanelBuilder().Title(title).Description(desc).Datasource(promDS).Height(8).Span(w).
		Filterable(true).Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{"sum"})).
		Transformations([]dashboard.DataTransformerConfig{hideColumns("Time", "__name__", "job", "instance", "Value")})
}

// perMinute is the per-minute rate of a room counter over the selected
// rooms, aggregated by agg ("sum", "sum by (sdkappid)", ...).
func (ds dashSelectors) perMinute(agg, counter string) string {
	return perMinuteOf(agg, counter, ds.room)
}

// perMinuteOf is the per-minute rate of the counter's series that the
// matchers sel select, aggregated by agg.
func perMinuteOf(agg, counter, sel string) string {
	return "60 * " + agg + " (rate(" + counter + "{" + sel + "}[$__rate_interval]))"
}

// hintDelaySLO is how soon a webhook event must show on /metrics (the
// spec's 2 s): the detection delay panel turns red above it.
const hintDelaySLO = 2.0

// webhookSilence is the silence after which TencentLiveWebhooksSilent
// fires (alerts.yml.tmpl); the dashboard turns red there too.
const webhookSilence = 6 * 3600.0

// addEventsRow adds the "Events from Tencent" row: the webhooks received,
// the hints they (and discovery's listing) give the refreshes, how soon an
// event shows, members' events and the app's room quota.
func (ds dashSelectors) addEventsRow(b *dashboard.DashboardBuilder) {
	histogram := func(q string) string {
		return "histogram_quantile(" + q + ", sum by (sdkappid, le) (rate(tencent_live_hint_delay_seconds_bucket{" + ds.app + "}[$__rate_interval])))"
	}
	b.WithRow(dashboard.NewRowBuilder("Events from Tencent")).
		WithPanel(statPanel("Since the last webhook", "Time since each app's last authenticated webhook, or since the exporter took the app's webhook token. Apps without a token have none. TencentLiveWebhooksSilent fires after 6 hours.").Span(8).
			Unit("s").
			WithTarget(query("time() - tencent_live_webhook_last_event_timestamp_seconds{"+ds.app+"}", "{{sdkappid}}")).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(webhookSilence/2), "orange"), step(cog.ToPtr(webhookSilence), "red")))).
		WithPanel(statPanel("Webhooks refused, last hour", "Webhook requests answered with an error in the last hour: unauthorized (wrong token or clock), unknown_app (no webhook token for the SdkAppid, counted as sdkappid \"other\"), bad_request or too_large.").Span(8).
			WithTarget(query("sum(increase(tencent_live_webhook_requests_total{"+ds.app+`, outcome!="ok"}[1h])) or vector(0)`, "refused")).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(1.0), "orange")))).
		WithPanel(statPanel("Room quota used", "Rooms the app has as a share of its room quota, from Tencent's room-quota webhook, which is sent only once room creation reaches 70 % of the quota: empty below that.").Span(8).
			Unit("percentunit").Min(0).Max(1).
			WithTarget(query("tencent_live_app_rooms_created{"+ds.app+"} / tencent_live_app_rooms_max{"+ds.app+"}", "{{sdkappid}}")).
			Thresholds(thresholds(step(nil, "orange"), step(cog.ToPtr(0.9), "red")))).
		WithPanel(tsPanel("Webhook requests per minute", "Webhook requests from Tencent by app, command and outcome (ok, unauthorized, unknown_app, bad_request, too_large); undocumented commands and unknown apps count as \"other\".", "short", 12).
			Min(0).
			WithTarget(query(perMinuteOf("sum by (sdkappid, command, outcome)", "tencent_live_webhook_requests_total", ds.app), "{{sdkappid}} {{command}} {{outcome}}"))).
		WithPanel(tsPanel("Hints per minute", "Rooms moved ahead of the regular get_room_info refreshes, by webhook room events and by rooms leaving discovery's listing: queued, coalesced with a hint not yet served, or unwatched (a room the exporter does not watch).", "short", 12).
			Min(0).
			WithTarget(query(perMinuteOf("sum by (sdkappid, result)", "tencent_live_hints_total", ds.app), "{{sdkappid}} {{result}}"))).
		WithPanel(tsPanel("Detection delay", "Time from the event behind a hint (a room dissolved, created or changed) to the room's refreshed state on /metrics: median and 99th percentile. The webhook receiver aims at 2 s; polling alone takes up to refresh_interval.", "s", 8).
			Min(0).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(hintDelaySLO), "red"))).
			WithTarget(query(histogram("0.5"), "{{sdkappid}} p50")).
			WithTarget(query(histogram("0.99"), "{{sdkappid}} p99"))).
		WithPanel(tsPanel("Member events per minute", "Members entering, leaving, losing and recovering their heartbeat, or kicked, over the selected rooms, from Tencent's member-state webhooks (EventCause).", "short", 8).
			Min(0).
			WithTarget(query(ds.perMinute("sum by (sdkappid, cause)", "tencent_live_room_member_events_total"), "{{sdkappid}} {{cause}}"))).
		WithPanel(tsPanel("Room quota", "Rooms the app has (CurRoomCount) and its room quota (MaxRoomCount), from Tencent's room-quota webhook, sent from 70 % of the quota on.", "short", 8).
			Min(0).
			WithTarget(query("tencent_live_app_rooms_created{"+ds.app+"}", "{{sdkappid}} rooms")).
			WithTarget(query("tencent_live_app_rooms_max{"+ds.app+"}", "{{sdkappid}} quota")))
}

// addQuotaSharingRow adds the "Quota sharing" row: what each command's
// budget must sustain against what it can, where room refreshes come from
// (discovery's listing or get_room_info), and the probes turned away to
// keep the watched rooms fresh.
func (ds dashSelectors) addQuotaSharingRow(b *dashboard.DashboardBuilder) {
	required := "tencent_live_api_required_qps{" + ds.app + "}"
	inForce := "tencent_live_api_rate_limit_qps{" + ds.app + "}"
	b.WithRow(dashboard.NewRowBuilder("Quota sharing")).
		WithPanel(bargauge.NewPanelBuilder().Title("Budget needed").
			Description("Requests/s each command needs to refresh every watched room within refresh_interval (tencent_live_api_required_qps), as a share of what its rate in force sustains (about 97.5 % of it). Above 100 % rooms go stale; TencentLiveBudgetShortfall fires after 15 minutes.").
			Datasource(promDS).Height(8).Span(8).Unit("percentunit").Min(0).Max(1.2).
			DisplayMode(common.BarGaugeDisplayModeGradient).Orientation(common.VizOrientationHorizontal).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(0.8), "orange"), step(cog.ToPtr(1.0), "red"))).
			WithTarget(query(required+" / (0.975 * "+inForce+")", "{{sdkappid}} {{api}}"))).
		WithPanel(tsPanel("Required rate and rate in force", "Per command, the requests/s the watched rooms need (rooms listed by discovery need get_room_info only every info_refresh_interval) against the rate in force, lowered after rate-limit answers.", "reqps", 16).
			Min(0).
			WithTarget(query(required, "{{sdkappid}} {{api}} required")).
			WithTarget(query(inForce, "{{sdkappid}} {{api}} in force"))).
		WithPanel(tsPanel("Rooms refreshed per second, by source", "Definitive room refreshes by the command that brought them: get_room_list for rooms a discovery listing refreshed (20 per request, from discovery's own budget), get_room_info otherwise.", "short", 16).
			Min(0).
			WithTarget(query("sum by (sdkappid, api) (rate(tencent_live_rooms_refreshed_total{"+ds.app+"}[$__rate_interval]))", "{{sdkappid}} {{api}}"))).
		WithPanel(statPanel("Probes rejected, last hour", "/probe requests answered 429 because the app's probe_share of its get_room_info budget had no slot before the scrape timeout: the watched rooms keep the rest. Lower the probes' rate, or raise probe_share or qps.").
			Height(8).Span(8).
			WithTarget(query("sum(increase(tencent_live_probe_rejected_total{"+ds.app+"}[1h])) or vector(0)", "rejected")).
			Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(1.0), "orange"))))
}

// commandLimits are Tencent's documented limits of the commands the exporter
// sends, in requests per second per SDKAppID. Everything that uses the
// SDKAppID shares them; the exporter's budgets (qps) are its part.
var commandLimits = []struct {
	api   string
	limit int
}{
	{"get_room_info", 200},
	{"get_member_list", 200},
	{"get_room_stats", 100},
	{"get_room_list", 10},
}

// commandLimit returns the documented limit of api.
func commandLimit(api string) int {
	for _, c := range commandLimits {
		if c.api == api {
			return c.limit
		}
	}
	panic("no documented limit for " + api)
}

// limitSharePanel shows, per app and command, the rate the exporter allows
// itself now as a share of Tencent's documented limit: what is left is for
// the app's other users.
func (ds dashSelectors) limitSharePanel() *bargauge.PanelBuilder {
	var terms, limits []string
	for _, c := range commandLimits {
		terms = append(terms, fmt.Sprintf(`tencent_live_api_rate_limit_qps{%s, api="%s"} / %d`, ds.app, c.api, c.limit))
		limits = append(limits, fmt.Sprintf("%s %d/s", c.api, c.limit))
	}
	return bargauge.NewPanelBuilder().Title("Share of Tencent's limits claimed").
		Description("Rate in force of each command (tencent_live_api_rate_limit_qps) as a share of Tencent's documented per-SDKAppID limit: " + strings.Join(limits, ", ") + ". Your other services that use the SDKAppID share the rest.").
		Datasource(promDS).Height(8).Span(12).Unit("percentunit").Min(0).Max(1).
		DisplayMode(common.BarGaugeDisplayModeGradient).Orientation(common.VizOrientationHorizontal).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Values(false)).
		Thresholds(thresholds(step(nil, "green"), step(cog.ToPtr(0.5), "orange"), step(cog.ToPtr(0.8), "red"))).
		WithTarget(query(strings.Join(terms, " or "), "{{sdkappid}} {{api}}"))
}

// commandBudgetPanel shows one command's requests sent against the rate in
// force and the budget (the highest rate in force over the range, normally
// the configured qps).
func (ds dashSelectors) commandBudgetPanel(api, what string) *timeseries.PanelBuilder {
	sel := fmt.Sprintf(`%s, api="%s"`, ds.app, api)
	return tsPanel(fmt.Sprintf("%s budget (%s)", what, api),
		fmt.Sprintf("%s requests sent per second, the rate the exporter allows itself now (lowered after rate-limit answers) and its budget (the highest rate in force over the range, normally the configured qps). Tencent's documented limit is %d/s per SDKAppID, shared with your other services.", api, commandLimit(api)),
		"reqps", 8).
		Min(0).
		WithTarget(query("sum by (sdkappid) (rate(tencent_live_api_requests_total{"+sel+"}[$__rate_interval]))", "{{sdkappid}} sent")).
		WithTarget(query("tencent_live_api_rate_limit_qps{"+sel+"}", "{{sdkappid}} in force")).
		WithTarget(query("max_over_time(tencent_live_api_rate_limit_qps{"+sel+"}[$__range])", "{{sdkappid}} budget"))
}

// labelVariable is a multi-value variable over the values of label in the
// series q selects. Its "All" stands for the values listed, unless the caller
// sets an AllValue.
func labelVariable(name, title, label, q string) *dashboard.QueryVariableBuilder {
	q = "label_values(" + q + ", " + label + ")"
	return dashboard.NewQueryVariableBuilder(name).Label(title).Datasource(promDS).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")}, Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}}})
}

// variables returns the dashboard's variables after the data source: the
// cluster (when s has a cluster label), the job, the app and the room, each
// listing only the values of those chosen before it.
//
// The cluster variable's "All" is ".*", which also matches series without
// the label, so it works where there is no such label. The job variable lists
// the jobs whose targets report tencent_live_exporter_build_info, and its
// "All" stands for those alone: a /probe job's series, which lack it, stay
// out of every panel until picked.
func (s Selectors) variables() []*dashboard.QueryVariableBuilder {
	ds := s.dashboard()
	var vars []*dashboard.QueryVariableBuilder
	jobQuery := "tencent_live_exporter_build_info"
	if s.ClusterLabel != "" {
		vars = append(vars, labelVariable("cluster", "Cluster", s.ClusterLabel, "tencent_live_exporter_build_info").AllValue(".*"))
		jobQuery += "{" + s.ClusterLabel + `=~"$cluster"}`
	}
	return append(vars,
		labelVariable("job", "Job", "job", jobQuery),
		labelVariable("sdkappid", "SDKAppID", "sdkappid", "tencent_live_rooms{"+ds.process+"}").AllValue(".*"),
		labelVariable("room_id", "Room", "room_id", "tencent_live_room_refresh_success{"+ds.app+"}").AllValue(".*"))
}

// Dashboard builds the "Tencent Live rooms" Grafana dashboard with the
// selectors of sel. It answers an operator's questions top to bottom: is
// anything missing or down, what do the rooms do, are the exporter's
// refreshes healthy, how is the API budget spent, and is the exporter itself
// well.
func Dashboard(sel Selectors) (dashboard.Dashboard, error) {
	if err := sel.validate(); err != nil {
		return dashboard.Dashboard{}, err
	}
	ds := sel.dashboard()
	selApp, selRoom, selJob := ds.app, ds.room, ds.process
	one := cog.ToPtr(1.0)
	b := dashboard.NewDashboardBuilder("Tencent Live rooms").
		Uid("tencent-live-rooms").
		Description("Tencent Cloud Live rooms as seen by tencent_live_exporter. Room values come from the exporter's last refresh, not from the scrape.").
		Tags([]string{"tencent-live", "prometheus"}).
		Refresh("30s").
		Time("now-3h", "now").
		Timezone(common.TimeZoneBrowser).
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").Label("Data source").Type("prometheus")).
		Annotation(dashboard.NewAnnotationQueryBuilder().Name("Configuration reloads").Datasource(promDS).Enable(true).IconColor("blue").
			Expr("changes(tencent_live_config_last_reload_success_timestamp_seconds{" + selJob + "}[2m]) > 0").
			TitleFormat("Configuration reloaded").Step("1m")).

		// Overview: the alerts' questions at a glance.
		WithRow(dashboard.NewRowBuilder("Overview")).
		WithPanel(statPanel("Missing rooms", "Configured rooms for which Tencent answered 100004 (never created or dissolved). API outages never count here.").
			WithTarget(query("count(tencent_live_room_exists{"+selRoom+"} == 0) or vector(0)", "missing")).
			Thresholds(thresholds(step(nil, "green"), step(one, "red")))).
		WithPanel(statPanel("Rooms watched", "Rooms the exporter keeps fresh, over all selected apps.").
			WithTarget(query("sum(tencent_live_rooms{"+selApp+"})", "rooms"))).
		WithPanel(statPanel("Refreshed OK", "Share of rooms whose last refresh got a definitive answer.").
			Unit("percentunit").Min(0).Max(1).
			WithTarget(query("avg(tencent_live_room_refresh_success{"+selRoom+"})", "ok")).
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(0.9), "orange"), step(cog.ToPtr(0.99), "green")))).
		WithPanel(statPanel("API", "0 while an app's requests fail for an app-wide cause (auth, package, IP allow-list, network); see the TencentLiveApiDown alert for the code.").
			Mappings(valueText("0", "down", "red", "1", "up", "green")).
			WithTarget(query("tencent_live_api_up{"+selApp+"}", "{{sdkappid}}"))).
		WithPanel(statPanel("UserSig expires in", "Time left on the UserSig in use, per app. Generated UserSigs renew at 80 % of usersig_ttl.").
			Unit("s").
			WithTarget(query("tencent_live_usersig_expiry_timestamp_seconds{"+selApp+"} - time()", "{{sdkappid}}")).
			Thresholds(thresholds(step(nil, "red"), step(cog.ToPtr(3600.0), "orange"), step(cog.ToPtr(4*3600.0), "green")))).
		WithPanel(statPanel("Config reload", "Whether the exporter's last configuration reload succeeded.").
			Mappings(valueText("0", "failed", "red", "1", "ok", "green")).
			WithTarget(query("tencent_live_config_last_reload_successful{"+selJob+"}", "{{instance}}"))).

		// Rooms: what the rooms look like.
		WithRow(dashboard.NewRowBuilder("Rooms")).
		WithPanel(tablePanel("Missing rooms", "Rooms that do not exist (exists = 0), with their labels: the room's owner is in the team label if you set one.", 12).
			WithTarget(instantTable("tencent_live_room_exists{" + selRoom + "} == 0"))).
		WithPanel(tablePanel("Room info", "Name, type, owner and seat mode of each room, from get_room_info.", 12).
			WithTarget(instantTable("tencent_live_room_info{" + selRoom + "}"))).
		WithPanel(tsPanel("Views per minute", "Room entries per minute (ViewCount). The exporter refreshes every refresh_interval, so the line moves in steps.", "short", 12).
			WithTarget(query("60 * sum by (sdkappid, room_id) (rate(tencent_live_room_views_total{"+selRoom+"}[$__rate_interval]))", "{{room_id}}"))).
		WithPanel(tsPanel("Room capacity", "MaxMemberCount and MaxSeatCount per room.", "short", 12).
			WithTarget(query("tencent_live_room_max_members{"+selRoom+"}", "{{room_id}} members")).
			WithTarget(query("tencent_live_room_max_seats{"+selRoom+"}", "{{room_id}} seats"))).
		WithPanel(statetimeline.NewPanelBuilder().Title("Activity status").Description("ActivityStatus per room (an integer your application defines).").
			Datasource(promDS).Height(8).Span(12).ShowValue(common.VisibilityModeAuto).MergeValues(true).
			WithTarget(query("tencent_live_room_activity_status{"+selRoom+"}", "{{room_id}}"))).
		WithPanel(tablePanel("Room settings", "Seat, message and visibility switches of each room (1 = on).", 12).
			WithTarget(instantTable("tencent_live_room_seat_enabled{" + selRoom + "}").RefId("seats")).
			WithTarget(instantTable("tencent_live_room_message_disabled{" + selRoom + "}").RefId("messages_disabled")).
			WithTarget(instantTable("tencent_live_room_public_visible{" + selRoom + "}").RefId("public"))).

		// Audience and engagement: needs members/stats enabled for the app
		// (get_member_list, get_room_stats); empty otherwise.
		WithRow(dashboard.NewRowBuilder("Audience and engagement")).
		WithPanel(statPanel("People in rooms now", "Sum of MemberCount (get_member_list) over the selected rooms. Empty unless members.enabled for the app.").Span(6).
			WithTarget(query("sum(tencent_live_room_members{"+selRoom+"})", "people"))).
		WithPanel(statPanel("Viewers per minute", "New viewers per minute over the selected rooms (TotalViewers, get_room_stats). Empty unless stats.enabled for the app.").Span(6).
			WithTarget(query(ds.perMinute("sum", "tencent_live_room_viewers_total"), "viewers"))).
		WithPanel(statPanel("Gift coins per minute", "Coins spent on gifts per minute over the selected rooms (TotalGiftCoins, get_room_stats).").Span(6).
			WithTarget(query(ds.perMinute("sum", "tencent_live_room_gift_coins_total"), "coins"))).
		WithPanel(statPanel("Rooms with audience data", "Rooms with a current MemberCount. Fewer than the rooms watched while members are being fetched for the first time, or for rooms whose get_member_list answers fail.").Span(6).
			WithTarget(query("count(tencent_live_room_members{"+selRoom+"}) or vector(0)", "rooms"))).
		WithPanel(tsPanel("People in the room now, top rooms", "MemberCount from get_member_list (about 40 s granularity): the ten rooms with the most people at each moment.", "short", 12).
			Min(0).
			WithTarget(query("topk(10, tencent_live_room_members{"+selRoom+"})", "{{room_id}}"))).
		WithPanel(tsPanel("People in rooms, total per app", "Sum of MemberCount over each app's selected rooms; a person in two rooms counts twice.", "short", 12).
			Min(0).
			WithTarget(query("sum by (sdkappid) (tencent_live_room_members{"+selRoom+"})", "{{sdkappid}}"))).
		WithPanel(tsPanel("Viewers per minute, top rooms", "New viewers per minute (TotalViewers from get_room_stats) of the ten busiest rooms. Room statistics are refreshed every refresh_interval, so lines move in steps.", "short", 12).
			Min(0).
			WithTarget(query("topk(10, "+ds.perMinute("sum by (sdkappid, room_id)", "tencent_live_room_viewers_total")+")", "{{room_id}}"))).
		WithPanel(tsPanel("Engagement per minute, per app", "Viewers, likes, messages and gifts per minute over each app's selected rooms (get_room_stats).", "short", 12).
			Min(0).
			WithTarget(query(ds.perMinute("sum by (sdkappid)", "tencent_live_room_viewers_total"), "{{sdkappid}} viewers")).
			WithTarget(query(ds.perMinute("sum by (sdkappid)", "tencent_live_room_likes_total"), "{{sdkappid}} likes")).
			WithTarget(query(ds.perMinute("sum by (sdkappid)", "tencent_live_room_messages_total"), "{{sdkappid}} messages")).
			WithTarget(query(ds.perMinute("sum by (sdkappid)", "tencent_live_room_gifts_sent_total"), "{{sdkappid}} gifts"))).
		WithPanel(tsPanel("Gift coins per minute", "Coins spent on gifts per minute: each app's total and the five rooms earning most (TotalGiftCoins, get_room_stats).", "short", 12).
			Min(0).
			WithTarget(query(ds.perMinute("sum by (sdkappid)", "tencent_live_room_gift_coins_total"), "{{sdkappid}} total")).
			WithTarget(query("topk(5, "+ds.perMinute("sum by (sdkappid, room_id)", "tencent_live_room_gift_coins_total")+")", "{{room_id}}"))).
		WithPanel(tablePanel("Gifting, top rooms", "Total gift coins and unique gift senders per room since the room was created.", 12).
			WithTarget(instantTable("topk(10, tencent_live_room_gift_coins_total{" + selRoom + "})").RefId("coins")).
			WithTarget(instantTable("topk(10, tencent_live_room_unique_gift_senders_total{" + selRoom + "})").RefId("senders"))).

		// Discovery and command budgets: where the rooms come from, and what
		// each command's budget claims of Tencent's per-app limits.
		WithRow(dashboard.NewRowBuilder("Discovery and command budgets")).
		WithPanel(statPanel("Configured rooms", "Rooms listed in the configuration or in room files.").Span(8).
			WithTarget(query("sum(tencent_live_rooms{"+selApp+`, source=~"config|file"})`, "configured"))).
		WithPanel(statPanel("Discovered rooms", "Rooms found by discovery (get_room_list) and not configured. Discovered rooms that end leave quietly: they are never reported missing.").Span(8).
			WithTarget(query("sum(tencent_live_rooms{"+selApp+`, source="discovery"})`, "discovered"))).
		WithPanel(statPanel("Discovery requests, last hour", "get_room_list requests in the last hour: one page per 20 listed rooms per discovery interval, plus retries.").Span(8).
			WithTarget(query("sum(increase(tencent_live_api_requests_total{"+selApp+`, api="get_room_list"}[1h]))`, "requests"))).
		WithPanel(tsPanel("Rooms watched by source", "Configured (config), room-file (file) and discovered (discovery) rooms per app.", "short", 12).
			Min(0).
			WithTarget(query("sum by (sdkappid, source) (tencent_live_rooms{"+selApp+"})", "{{sdkappid}} {{source}}"))).
		WithPanel(ds.limitSharePanel()).
		WithPanel(ds.commandBudgetPanel("get_member_list", "Members")).
		WithPanel(ds.commandBudgetPanel("get_room_stats", "Stats")).
		WithPanel(ds.commandBudgetPanel("get_room_list", "Discovery"))

	// Quota sharing and events from Tencent: what the budgets must carry,
	// and the webhooks that move rooms ahead of their turn.
	ds.addQuotaSharingRow(b)
	ds.addEventsRow(b)

	// Refresh health: is the data fresh.
	b.WithRow(dashboard.NewRowBuilder("Refresh health")).
		WithPanel(tsPanel("Rooms refreshed OK", "Share of each app's rooms whose last refresh got a definitive answer.", "percentunit", 8).
			Min(0).Max(1).
			WithTarget(query("avg by (sdkappid) (tencent_live_room_refresh_success{"+selRoom+"})", "{{sdkappid}}"))).
		WithPanel(tsPanel("Data age, oldest rooms", "Time since each room's last definitive answer; it should stay near refresh_interval. The TencentLiveRoomStale alert fires above 10 minutes.", "s", 8).
			Min(0).
			WithTarget(query("topk(10, time() - tencent_live_room_last_refresh_timestamp_seconds{"+selRoom+"})", "{{room_id}}"))).
		WithPanel(tsPanel("Refresh cycle duration", "Duration of the last full pass over each app's rooms: about rooms / qps.", "s", 8).
			Min(0).
			WithTarget(query("tencent_live_refresh_cycle_duration_seconds{"+selApp+"}", "{{sdkappid}}"))).
		WithPanel(tablePanel("Rooms failing to refresh", "Rooms whose last refresh got no definitive answer; their values are kept until stale_after.", 24).
			WithTarget(instantTable("tencent_live_room_refresh_success{" + selRoom + "} == 0"))).

		// Tencent API: how the budget is spent.
		WithRow(dashboard.NewRowBuilder("Tencent API")).
		WithPanel(tsPanel("Requests by code", "API requests per second by command and answer code (0 = OK; see the README for codes).", "reqps", 12).
			WithTarget(query("sum by (sdkappid, api, code) (rate(tencent_live_api_requests_total{"+selApp+"}[$__rate_interval]))", "{{api}} {{code}}"))).
		WithPanel(tsPanel("Request rate and rate in force", "Requests sent per second against the rate the exporter allows itself now (lowered after rate-limit answers) and the highest rate in force over the range, normally the configured qps.", "reqps", 12).
			Min(0).
			WithTarget(query("sum by (sdkappid, api) (rate(tencent_live_api_requests_total{"+selApp+"}[$__rate_interval]))", "{{sdkappid}} {{api}} sent")).
			WithTarget(query("tencent_live_api_rate_limit_qps{"+selApp+"}", "{{sdkappid}} {{api}} in force")).
			WithTarget(query("max_over_time(tencent_live_api_rate_limit_qps{"+selApp+"}[$__range])", "{{sdkappid}} {{api}} budget"))).
		WithPanel(tsPanel("Failed requests", "Share of requests not answered with code 0.", "percentunit", 8).
			Min(0).
			WithTarget(query("sum by (sdkappid, api) (rate(tencent_live_api_requests_total{"+selApp+`, code!="0"}[$__rate_interval])) / sum by (sdkappid, api) (rate(tencent_live_api_requests_total{`+selApp+"}[$__rate_interval]))", "{{sdkappid}} {{api}}"))).
		WithPanel(tsPanel("Rate-limit answers", "Answers 60007, 60011, 60018, 60019: the per-app limit is shared with everything else that uses the SDKAppID.", "reqps", 8).
			Min(0).
			WithTarget(query("sum by (sdkappid, api, code) (rate(tencent_live_api_requests_total{"+selApp+`, code=~"60007|60011|60018|60019"}[$__rate_interval]))`, "{{api}} {{code}}"))).
		WithPanel(tsPanel("Request latency", "Median and 99th percentile of API request durations.", "s", 8).
			Min(0).
			WithTarget(query("histogram_quantile(0.5, sum by (sdkappid, api, le) (rate(tencent_live_api_request_duration_seconds_bucket{"+selApp+"}[$__rate_interval])))", "{{api}} p50")).
			WithTarget(query("histogram_quantile(0.99, sum by (sdkappid, api, le) (rate(tencent_live_api_request_duration_seconds_bucket{"+selApp+"}[$__rate_interval])))", "{{api}} p99"))).

		// Exporter: the process itself.
		WithRow(dashboard.NewRowBuilder("Exporter")).
		WithPanel(tablePanel("Build", "Version of each running exporter.", 8).
			WithTarget(instantTable("tencent_live_exporter_build_info{" + selJob + "}"))).
		WithPanel(tsPanel("Memory", "Resident memory of the exporter processes.", "bytes", 8).
			Min(0).
			WithTarget(query("process_resident_memory_bytes{"+selJob+"}", "{{instance}}"))).
		WithPanel(tsPanel("CPU", "CPU used by the exporter processes.", "percentunit", 8).
			Min(0).
			WithTarget(query("rate(process_cpu_seconds_total{"+selJob+"}[$__rate_interval])", "{{instance}}")))
	for _, v := range sel.variables() {
		b.WithVariable(v)
	}
	d, err := b.Build()
	if err != nil {
		return d, err
	}
	numberPanels(&d)
	return d, nil
}

// numberPanels gives every panel and row a unique id and every query a refId
// (A, B, ...) where none was set, as Grafana would on first save.
func numberPanels(d *dashboard.Dashboard) {
	id := uint32(0)
	for _, p := range d.Panels {
		id++
		switch {
		case p.RowPanel != nil:
			p.RowPanel.Id = id
		case p.Panel != nil:
			p.Panel.Id = cog.ToPtr(id)
			for i, t := range p.Panel.Targets {
				if q, ok := t.(prometheus.Dataquery); ok && q.RefId == nil {
					q.RefId = cog.ToPtr(string(rune('A' + i)))
					p.Panel.Targets[i] = q
				}
			}
		}
	}
}

// DashboardJSON renders Dashboard with sel as a file's contents.
func DashboardJSON(sel Selectors) ([]byte, error) {
	d, err := Dashboard(sel)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
