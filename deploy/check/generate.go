package check

// Paths of the Helm chart's generated files, relative to the repository root.
const (
	// ChartDir is the Helm chart of the exporter.
	ChartDir = "deploy/helm/tencent-live-exporter"
	// ChartDashboardPath is the dashboard the chart's ConfigMap carries.
	ChartDashboardPath = ChartDir + "/files/tencent-live.json"
	// ChartRulesPath holds the rule groups of the chart's PrometheusRule,
	// with ChartRuleSelector where the chart puts its rule selector.
	ChartRulesPath = ChartDir + "/files/prometheus-rules.yaml"
)

// GeneratedFiles returns the contents of every generated file of the
// repository by path relative to its root: the dashboard and the rules made
// with DefaultSelectors, the kustomize PrometheusRule, and the chart's copies
// of the dashboard and of the rules made with ChartSelectors.
func GeneratedFiles() (map[string][]byte, error) {
	dashboard, err := DashboardJSON(DefaultSelectors)
	if err != nil {
		return nil, err
	}
	rules, err := AlertRules(DefaultSelectors)
	if err != nil {
		return nil, err
	}
	promRule, err := GeneratePrometheusRule(rules)
	if err != nil {
		return nil, err
	}
	chartRules, err := AlertRules(ChartSelectors)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		DashboardPath:      dashboard,
		AlertRulesPath:     rules,
		PrometheusRulePath: promRule,
		ChartDashboardPath: dashboard,
		ChartRulesPath:     chartRules,
	}, nil
}
