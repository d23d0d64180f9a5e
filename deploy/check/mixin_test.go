package check

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

var promql = parser.NewParser(parser.Options{})

// mixinCases are the selector configurations the rules and the dashboard
// are rendered with in the tests: the committed one, another job and
// cluster label, and no cluster label at all.
var mixinCases = map[string]Selectors{
	"default":    DefaultSelectors,
	"custom":     {Job: `job="live-rooms", env="prod"`, ClusterLabel: "k8s_cluster"},
	"no cluster": {Job: `job=~"tencent_live|tencent_live_eu"`},
	"chart":      ChartSelectors,
}

// selectorProblems parses expr and returns what ignores the selectors:
// vector selectors without every matcher of need, and (when process is not
// empty) aggregations and vector matchings that drop a process label.
func selectorProblems(expr string, need []*labels.Matcher, process []string) []string {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		return []string{fmt.Sprintf("does not parse: %v", err)}
	}
	var problems []string
	keeps := func(what string, list []string, exclude bool) {
		for _, l := range process {
			if slices.Contains(list, l) == exclude {
				problems = append(problems, fmt.Sprintf("%s drops %s", what, l))
			}
		}
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			for _, m := range need {
				if !slices.ContainsFunc(n.LabelMatchers, func(h *labels.Matcher) bool {
					return h.Name == m.Name && h.Type == m.Type && h.Value == m.Value
				}) {
					problems = append(problems, fmt.Sprintf("%s lacks %s", n, m))
				}
			}
		case *parser.AggregateExpr:
			keeps(fmt.Sprintf("%s by/without %v", n.Op, n.Grouping), n.Grouping, n.Without)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil && (n.VectorMatching.On || len(n.VectorMatching.MatchingLabels) > 0) {
				keeps(fmt.Sprintf("%s on/ignoring %v", n.Op, n.VectorMatching.MatchingLabels), n.VectorMatching.MatchingLabels, !n.VectorMatching.On)
			}
		}
		return nil
	})
	return problems
}

// TestSelectorProblemsCatches shows the check fails what it must.
func TestSelectorProblemsCatches(t *testing.T) {
	need, err := promql.ParseMetricSelector(`{job="j"}`)
	if err != nil {
		t.Fatal(err)
	}
	process := []string{"cluster", "job", "instance"}
	for _, tc := range []struct {
		expr string
		bad  bool
	}{
		{`up{job="j"} == 0`, false},
		{`sum by (cluster, job, instance, api) (rate(x{job="j", code="1"}[5m]))`, false},
		{`a{job="j"} and on (cluster, job, instance, sdkappid) b{job="j"}`, false},
		{`a{job="j"} and ignoring (room_id) b{job="j"}`, false},
		{`time() - a{job="j"} > 600`, false},
		{`up == 0`, true},
		{`up{job="other"} == 0`, true},
		{`up{job=~"j"} == 0`, true},
		{`a{job="j"} and b`, true},
		{`sum by (job, instance) (a{job="j"})`, true},
		{`sum(a{job="j"})`, true},
		{`sum without (cluster) (a{job="j"})`, true},
		{`a{job="j"} and on (job, instance) b{job="j"}`, true},
		{`a{job="j"} and ignoring (instance) b{job="j"}`, true},
		{`rate(a[5m]`, true},
	} {
		if got := selectorProblems(tc.expr, need, process); (len(got) > 0) != tc.bad {
			t.Errorf("%s: problems %q, want bad=%v", tc.expr, got, tc.bad)
		}
	}
}

// TestRulesUseSelectors renders the rules with each selector configuration
// and fails when a rule expression ignores the job matchers or drops a
// process label (cluster, job, instance) in a join or aggregation, or when a
// query in an annotation does not pin the alert's process labels.
func TestRulesUseSelectors(t *testing.T) {
	for name, sel := range mixinCases {
		t.Run(name, func(t *testing.T) {
			rules, err := AlertRules(sel)
			if err != nil {
				t.Fatal(err)
			}
			var spec monitoringv1.PrometheusRuleSpec
			if err := yaml.UnmarshalStrict(rules, &spec); err != nil {
				t.Fatal(err)
			}
			need, err := promql.ParseMetricSelector("{" + sel.Job + "}")
			if err != nil {
				// The chart's placeholder is not PromQL: check it with a
				// stand-in, as the chart replaces it.
				if sel.Job != ChartRuleSelector {
					t.Fatalf("Job %q: %v", sel.Job, err)
				}
				rules = []byte(strings.ReplaceAll(string(rules), ChartRuleSelector, `job="chart", namespace="ns"`))
				if err := yaml.UnmarshalStrict(rules, &spec); err != nil {
					t.Fatal(err)
				}
				need, _ = promql.ParseMetricSelector(`{job="chart", namespace="ns"}`)
			}
			process := sel.processLabels()
			queryArgs := regexp.MustCompile(`\$labels\.(\w+)`)
			n := 0
			for _, g := range spec.Groups {
				for _, r := range g.Rules {
					n++
					for _, p := range selectorProblems(r.Expr.String(), need, process) {
						t.Errorf("%s: %s", r.Alert, p)
					}
					for key, text := range r.Annotations {
						if !strings.Contains(text, "| query") {
							continue
						}
						for _, l := range process {
							if !strings.Contains(text, l+`="%s"`) || !slices.ContainsFunc(queryArgs.FindAllStringSubmatch(text, -1), func(m []string) bool { return m[1] == l }) {
								t.Errorf("%s: annotation %s queries without %s", r.Alert, key, l)
							}
						}
					}
				}
			}
			if n < 10 {
				t.Fatalf("only %d rules", n)
			}
			if sel != DefaultSelectors && strings.Contains(string(rules), `"tencent_live"`) {
				t.Errorf("the default job is hard-coded in rules rendered for %+v", sel)
			}
		})
	}
}

// grafanaDurations replaces Grafana's interval variables, which PromQL only
// accepts once Grafana has filled them in.
var grafanaDurations = strings.NewReplacer("$__rate_interval", "1m", "$__interval", "15s", "$__range", "5m")

// TestDashboardUsesSelectors renders the dashboard with each selector
// configuration and fails when a query ignores the $job variable or, with a
// cluster label, the $cluster variable. Variable queries filter by the
// selector variables that come before them, as Grafana chains them.
func TestDashboardUsesSelectors(t *testing.T) {
	for name, sel := range mixinCases {
		t.Run(name, func(t *testing.T) {
			data, err := DashboardJSON(sel)
			if err != nil {
				t.Fatal(err)
			}
			selectorVars := []string{"job"}
			matchers := map[string]string{"job": `job=~"$job"`}
			if sel.ClusterLabel != "" {
				selectorVars = []string{"cluster", "job"}
				matchers["cluster"] = sel.ClusterLabel + `=~"$cluster"`
			}
			var seen []string
			for _, q := range dashboardQueriesOf(t, data) {
				expr := q.Expr
				want := selectorVars
				if q.Variable {
					m := labelValuesRE.FindStringSubmatch(expr)
					if m == nil {
						t.Errorf("%s: not label_values(selector, label): %s", q.Where, expr)
						continue
					}
					expr, want = m[1], seen
					seen = append(seen, q.VarName)
				}
				var need []*labels.Matcher
				for _, v := range want {
					if ms := matchers[v]; ms != "" {
						m, err := promql.ParseMetricSelector("{" + ms + "}")
						if err != nil {
							t.Fatal(err)
						}
						need = append(need, m...)
					}
				}
				for _, p := range selectorProblems(grafanaDurations.Replace(expr), need, nil) {
					t.Errorf("%s: %s", q.Where, p)
				}
			}
			if !slices.Equal(seen[:len(selectorVars)], selectorVars) {
				t.Errorf("variables %v, want %v first", seen, selectorVars)
			}
		})
	}
}
