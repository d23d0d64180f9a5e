package check

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

// loadRuleSpec strictly decodes every rule file into the prometheus-operator
// spec type, concatenating their groups in file-name order.
func loadRuleSpec(t *testing.T) monitoringv1.PrometheusRuleSpec {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), RulesGlob))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files (%v)", err)
	}
	sort.Strings(files)
	var all monitoringv1.PrometheusRuleSpec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var spec monitoringv1.PrometheusRuleSpec
		if err := yaml.UnmarshalStrict(data, &spec); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all.Groups = append(all.Groups, spec.Groups...)
	}
	return all
}

// TestPrometheusRuleInSync checks that deploy/kubernetes/prometheusrule.yaml
// decodes strictly to the same rule groups as deploy/prometheus/rules.
func TestPrometheusRuleInSync(t *testing.T) {
	var pr monitoringv1.PrometheusRule
	if err := yaml.UnmarshalStrict(readRepoFile(t, PrometheusRulePath), &pr); err != nil {
		t.Fatalf("%s: %v", PrometheusRulePath, err)
	}
	if spec := loadRuleSpec(t); !equality.Semantic.DeepEqual(pr.Spec, spec) {
		t.Fatalf("%s decodes to other groups than deploy/prometheus/rules", PrometheusRulePath)
	}
}

// TestAlertsComplete checks every alert's metadata: a known severity, a
// summary, a description, a runbook URL whose anchor is a runbook heading in
// the README, and a promtool unit test that names it.
func TestAlertsComplete(t *testing.T) {
	tests := string(readRepoFile(t, "deploy/prometheus/tests/tencent_live_alerts_test.yml"))
	headings := runbookHeadings(t)
	seen := map[string]bool{}
	n := 0
	for _, g := range loadRuleSpec(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			name := r.Alert
			if seen[name] {
				t.Errorf("alert %s defined twice", name)
			}
			seen[name] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("%s: severity %q, want critical, warning or info", name, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("%s: no %s annotation", name, a)
				}
			}
			anchor := strings.ToLower(name)
			if u := r.Annotations["runbook_url"]; !strings.HasSuffix(u, "README.md#"+anchor) {
				t.Errorf("%s: runbook_url %q does not end in README.md#%s", name, u, anchor)
			}
			if !headings[anchor] {
				t.Errorf("%s: no runbook heading %q in README.md", name, name)
			}
			if !strings.Contains(tests, "alertname: "+name+"\n") {
				t.Errorf("%s: no promtool unit test", name)
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts found")
	}
}

var headingRE = regexp.MustCompile(`(?m)^#{2,6}\s+(.+?)\s*$`)

// runbookHeadings returns the GitHub anchors of the headings of README.md.
func runbookHeadings(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range headingRE.FindAllStringSubmatch(string(data), -1) {
		anchors[strings.ToLower(strings.Trim(m[1], "`"))] = true
	}
	return anchors
}
