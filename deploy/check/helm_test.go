package check

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// chartKubeVersion is the Kubernetes version the chart is linted and
// rendered for: that of the k8s.io/api types the output is decoded with.
const chartKubeVersion = "v1.37.0"

// chartNamespace and chartRelease name the release the tests render.
const (
	chartNamespace = "monitoring"
	chartRelease   = "live"
)

// chartValueSets are the values files the chart must be tested with, in
// ChartDir/ci; every other ci/*-values.yaml there is tested too.
var chartValueSets = []string{"default", "shards", "webconfig", "webhook"}

// runHelm runs helm with args and returns its standard output.
func runHelm(helm string, args ...string) ([]byte, error) {
	cmd := exec.Command(helm, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stderr.String(), out)
	}
	return out, nil
}

// chartValues returns the chart's values.yaml with the values file over it,
// merged as helm merges them (maps key by key, anything else replaced).
func chartValues(t *testing.T, valuesFile string) map[string]any {
	t.Helper()
	var base, over map[string]any
	if err := yaml.Unmarshal(readRepoFile(t, ChartDir+"/values.yaml"), &base); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(valuesFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &over); err != nil {
		t.Fatal(err)
	}
	return mergeValues(base, over)
}

func mergeValues(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range over {
		if bm, ok := out[k].(map[string]any); ok {
			if om, ok := v.(map[string]any); ok {
				out[k] = mergeValues(bm, om)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// value returns the value at a dotted path of vals, or nil.
func value(vals map[string]any, dotted string) any {
	var v any = vals
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func valueString(vals map[string]any, dotted string) string {
	s, _ := value(vals, dotted).(string)
	return s
}

func valueTrue(vals map[string]any, dotted string) bool {
	b, _ := value(vals, dotted).(bool)
	return b
}

// chartObjects are the objects a values set renders, decoded strictly.
type chartObjects struct {
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	services        map[string]*corev1.Service
	serviceAccounts []*corev1.ServiceAccount
	deployments     []*appsv1.Deployment
	statefulSets    []*appsv1.StatefulSet
	ingresses       []*networkingv1.Ingress
	serviceMonitors []*monitoringv1.ServiceMonitor
	podMonitors     []*monitoringv1.PodMonitor
	prometheusRules []*monitoringv1.PrometheusRule
}

func (o *chartObjects) add(obj any) error {
	switch obj := obj.(type) {
	case *corev1.ConfigMap:
		o.configMaps[obj.Name] = obj
	case *corev1.Secret:
		o.secrets[obj.Name] = obj
	case *corev1.Service:
		o.services[obj.Name] = obj
	case *corev1.ServiceAccount:
		o.serviceAccounts = append(o.serviceAccounts, obj)
	case *appsv1.Deployment:
		o.deployments = append(o.deployments, obj)
	case *appsv1.StatefulSet:
		o.statefulSets = append(o.statefulSets, obj)
	case *networkingv1.Ingress:
		o.ingresses = append(o.ingresses, obj)
	case *monitoringv1.ServiceMonitor:
		o.serviceMonitors = append(o.serviceMonitors, obj)
	case *monitoringv1.PodMonitor:
		o.podMonitors = append(o.podMonitors, obj)
	case *monitoringv1.PrometheusRule:
		o.prometheusRules = append(o.prometheusRules, obj)
	default:
		return fmt.Errorf("the chart renders an unexpected %T", obj)
	}
	return nil
}

// renderChart runs helm template for the values file and decodes every
// object strictly, checking the name, namespace and labels of each.
func renderChart(t *testing.T, helm, release, valuesFile string) *chartObjects {
	t.Helper()
	out, err := runHelm(helm, "template", release, filepath.Join(repoRoot(t), ChartDir),
		"--namespace", chartNamespace, "--kube-version", chartKubeVersion, "--values", valuesFile)
	if err != nil {
		t.Fatal(err)
	}
	o := &chartObjects{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, services: map[string]*corev1.Service{}}
	for i, doc := range bytes.Split(out, []byte("\n---\n")) {
		if len(bytes.TrimSpace(bytes.TrimPrefix(doc, []byte("---")))) == 0 {
			continue
		}
		// The separator takes the document's last line break, which a
		// block scalar ending it (the dashboard's JSON) keeps.
		doc = append(doc, '\n')
		obj, err := decodeKube(doc)
		if err == nil {
			err = o.add(obj)
		}
		if err != nil {
			t.Fatalf("helm template document %d: %v\n%s", i, err, doc)
		}
		var meta struct {
			Metadata struct {
				Name      string            `json:"name"`
				Namespace string            `json:"namespace"`
				Labels    map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatal(err)
		}
		nameErrs := validation.IsDNS1123Subdomain(meta.Metadata.Name)
		if _, ok := obj.(*corev1.Service); ok {
			nameErrs = validation.IsDNS1035Label(meta.Metadata.Name)
		}
		if s, ok := obj.(*appsv1.StatefulSet); ok {
			// Pods are <name>-<ordinal>; revisions <name>-<10-character hash>.
			nameErrs = validation.IsDNS1123Label(fmt.Sprintf("%s-%d", s.Name, *s.Spec.Replicas-1))
			nameErrs = append(nameErrs, validation.IsDNS1123Label(s.Name+"-0123456789")...)
		}
		for _, msg := range nameErrs {
			t.Errorf("name %s: %s", meta.Metadata.Name, msg)
		}
		if meta.Metadata.Namespace != chartNamespace {
			t.Errorf("%s: namespace %q, want the release's %s", meta.Metadata.Name, meta.Metadata.Namespace, chartNamespace)
		}
		checkLabels(t, meta.Metadata.Labels)
	}
	return o
}

// TestHelmChart lints the chart and renders it with every values set of its
// ci directory, decodes every object strictly with the Kubernetes and
// prometheus-operator API types, and checks that the objects fit together
// and do what the values ask.
func TestHelmChart(t *testing.T) {
	helm := lookTool(t, "helm")
	chart := filepath.Join(repoRoot(t), ChartDir)
	sets, err := filepath.Glob(filepath.Join(chart, "ci", "*-values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range chartValueSets {
		if !slices.Contains(sets, filepath.Join(chart, "ci", want+"-values.yaml")) {
			t.Errorf("no values set ci/%s-values.yaml", want)
		}
	}
	for _, set := range sets {
		name := strings.TrimSuffix(filepath.Base(set), "-values.yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := runHelm(helm, "lint", chart, "--strict", "--quiet", "--namespace", chartNamespace,
				"--kube-version", chartKubeVersion, "--values", set); err != nil {
				t.Fatal(err)
			}
			checkChartObjects(t, chartValues(t, set), renderChart(t, helm, chartRelease, set))
		})
	}
}

// checkChartObjects checks the rendered objects against each other and
// against the values vals they were rendered with.
func checkChartObjects(t *testing.T, vals map[string]any, o *chartObjects) {
	t.Helper()
	fullname := chartRelease + "-tencent-live-exporter"
	shards := int(value(vals, "shards").(float64))
	webhook := valueTrue(vals, "webhook.enabled")

	// The workload: a Deployment of one replica, or a StatefulSet of shards.
	var pod corev1.PodTemplateSpec
	switch {
	case shards == 1 && len(o.deployments) == 1 && len(o.statefulSets) == 0:
		d := o.deployments[0]
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Error("deployment: want one replica and strategy Recreate")
		}
		pod = d.Spec.Template
		checkSelects(t, "deployment", d.Spec.Selector.MatchLabels, pod.Labels)
	case shards > 1 && len(o.statefulSets) == 1 && len(o.deployments) == 0:
		s := o.statefulSets[0]
		if s.Spec.Replicas == nil || int(*s.Spec.Replicas) != shards {
			t.Errorf("statefulset: replicas %v, want %d shards", s.Spec.Replicas, shards)
		}
		if s.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			t.Error("statefulset: want podManagementPolicy Parallel")
		}
		if svc := o.services[s.Spec.ServiceName]; svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("statefulset: serviceName %q is not a headless Service of the chart", s.Spec.ServiceName)
		}
		pod = s.Spec.Template
		checkSelects(t, "statefulset", s.Spec.Selector.MatchLabels, pod.Labels)
	default:
		t.Fatalf("%d Deployments and %d StatefulSets for shards=%d", len(o.deployments), len(o.statefulSets), shards)
	}
	c := checkPodHardening(t, pod.Spec)
	args := map[string]string{}
	for _, a := range c.Args {
		k, v, _ := strings.Cut(a, "=")
		args[k] = v
	}
	wantArgs := map[string]string{"--web.listen-address": ":10071"}
	if shards > 1 {
		wantArgs["--shard.count"] = fmt.Sprint(shards)
		wantArgs["--shard.from-hostname"] = ""
	}
	if webhook {
		wantArgs["--webhook.listen-address"] = ":10072"
	}
	for k, v := range wantArgs {
		if got, ok := args[k]; !ok || got != v {
			t.Errorf("args %q: want %s=%s", c.Args, k, v)
		}
	}
	for _, k := range []string{"--shard.count", "--shard.from-hostname", "--shard.index", "--webhook.listen-address"} {
		if _, ok := wantArgs[k]; !ok && args[k] != "" {
			t.Errorf("args %q: unexpected %s", c.Args, k)
		}
	}
	for _, a := range value(vals, "extraArgs").([]any) {
		if !slices.Contains(c.Args, a.(string)) {
			t.Errorf("extraArgs %s is not passed", a)
		}
	}
	extraEnv, _ := value(vals, "extraEnv").([]any)
	for _, e := range extraEnv {
		name := e.(map[string]any)["name"]
		if !slices.ContainsFunc(c.Env, func(v corev1.EnvVar) bool { return v.Name == name }) {
			t.Errorf("extraEnv %s is not set", name)
		}
	}
	if want := valueString(vals, "goMemLimit"); want != "" && !slices.Contains(c.Env, corev1.EnvVar{Name: "GOMEMLIMIT", Value: want}) {
		t.Errorf("env %v: want GOMEMLIMIT=%s from goMemLimit", c.Env, want)
	}
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	wantPorts := map[string]int32{"http-metrics": 10071}
	if webhook {
		wantPorts["webhook"] = 10072
	}
	if !maps.Equal(ports, wantPorts) {
		t.Errorf("container ports %v, want %v", ports, wantPorts)
	}

	// Files: every file an argument or the configuration names is in a
	// volume, and in the ConfigMap or Secret behind it when the chart makes
	// it; the other ConfigMaps and Secrets are named in the values.
	files := chartFiles(t, vals, o, pod.Spec, c)
	configPath := args["--config.file"]
	config, ok := files.read(configPath)
	if !ok && valueString(vals, "config.existingConfigMap") == "" {
		t.Fatalf("--config.file=%s is not in the chart's ConfigMap", configPath)
	}
	if ok {
		var cfg any
		if err := yaml.Unmarshal(config, &cfg); err != nil {
			t.Fatalf("%s: %v", configPath, err)
		}
		for _, f := range fileKeys(cfg, "secret_key_file", "token_file", "usersig_file") {
			if _, ok := files.read(f); !ok && !files.external(f) {
				t.Errorf("configuration names %s, which no mounted volume holds", f)
			}
		}
	}
	var tls, basicAuth bool
	for _, flag := range []string{"--web.config.file", "--webhook.config.file"} {
		p, set := args[flag]
		if !set {
			continue
		}
		web, ok := files.read(p)
		if !ok {
			if !files.external(p) {
				t.Errorf("%s=%s is in no volume", flag, p)
			}
			continue
		}
		var wc struct {
			TLS *struct {
				CertFile string `json:"cert_file"`
				KeyFile  string `json:"key_file"`
			} `json:"tls_server_config"`
			Users map[string]string `json:"basic_auth_users"`
		}
		if err := yaml.UnmarshalStrict(web, &wc); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if wc.TLS != nil {
			for _, f := range []string{wc.TLS.CertFile, wc.TLS.KeyFile} {
				if !files.external(f) {
					t.Errorf("%s: %s is in no volume", p, f)
				}
			}
		}
		if flag == "--web.config.file" {
			tls, basicAuth = wc.TLS != nil, len(wc.Users) > 0
		}
	}
	if _, set := args["--web.config.file"]; set && valueString(vals, "webConfig.existingSecret") != "" {
		tls, basicAuth = valueTrue(vals, "webConfig.tls"), valueTrue(vals, "webConfig.basicAuth")
	}
	checkChartProbes(t, c, tls, basicAuth)

	// Services: the metrics Service, and the webhook's (one per shard).
	metrics := o.services[fullname]
	if metrics == nil {
		t.Fatalf("no Service %s", fullname)
	}
	checkSelects(t, "service "+metrics.Name, metrics.Spec.Selector, pod.Labels)
	if len(metrics.Spec.Ports) != 1 || metrics.Spec.Ports[0].TargetPort.String() != "http-metrics" {
		t.Errorf("service %s: ports %+v, want one to http-metrics", metrics.Name, metrics.Spec.Ports)
	}
	var hookServices []string
	for name, svc := range o.services {
		if name == fullname {
			continue
		}
		hookServices = append(hookServices, name)
		if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.String() != "webhook" {
			t.Errorf("service %s: ports %+v, want one to webhook", name, svc.Spec.Ports)
		}
		sel := maps.Clone(svc.Spec.Selector)
		podName := sel["statefulset.kubernetes.io/pod-name"]
		delete(sel, "statefulset.kubernetes.io/pod-name")
		checkSelects(t, "service "+name, sel, pod.Labels)
		if shards > 1 && podName != strings.Replace(name, "-webhook-", "-", 1) {
			t.Errorf("service %s selects pod %q, not its shard's", name, podName)
		}
	}
	slices.Sort(hookServices)
	var wantHooks []string
	switch {
	case webhook && shards > 1:
		for i := range shards {
			wantHooks = append(wantHooks, fmt.Sprintf("%s-webhook-%d", fullname, i))
		}
		slices.Sort(wantHooks)
	case webhook:
		wantHooks = []string{fullname + "-webhook"}
	}
	if !slices.Equal(hookServices, wantHooks) {
		t.Errorf("webhook Services %v, want %v", hookServices, wantHooks)
	}
	wantIngress := webhook && valueTrue(vals, "webhook.ingress.enabled")
	if (len(o.ingresses) == 1) != wantIngress || len(o.ingresses) > 1 {
		t.Fatalf("%d Ingresses, want webhook.ingress.enabled=%v", len(o.ingresses), wantIngress)
	}
	for _, ing := range o.ingresses {
		for _, r := range ing.Spec.Rules {
			for _, p := range r.HTTP.Paths {
				b := p.Backend.Service
				if p.Path != "/webhook" || b == nil || !slices.Contains(wantHooks, b.Name) || b.Port.Name != "webhook" {
					t.Errorf("ingress: path %s to %+v, want /webhook to a webhook Service", p.Path, b)
				}
			}
		}
	}

	checkChartMonitor(t, vals, o, metrics, pod, tls)
	checkChartRules(t, vals, o)
	checkChartDashboard(t, vals, o)
}

// checkSelects fails unless selector is non-empty and matches podLabels.
func checkSelects(t *testing.T, what string, selector, podLabels map[string]string) {
	t.Helper()
	if len(selector) == 0 || !labels.SelectorFromSet(selector).Matches(labels.Set(podLabels)) {
		t.Errorf("%s: selector %v does not match the pod labels %v", what, selector, podLabels)
	}
}

// checkChartProbes checks that the probes work with the web configuration:
// httpGet on /-/healthy and /-/ready (HTTPS with TLS), or tcpSocket when
// basic auth would answer the kubelet 401.
func checkChartProbes(t *testing.T, c corev1.Container, tls, basicAuth bool) {
	t.Helper()
	for what, p := range map[string]*corev1.Probe{"/-/healthy": c.LivenessProbe, "/-/ready": c.ReadinessProbe} {
		switch {
		case p == nil:
			t.Errorf("no probe for %s", what)
		case basicAuth:
			if p.TCPSocket == nil || p.TCPSocket.Port.String() != "http-metrics" {
				t.Errorf("probe for %s with basic auth: %+v, want tcpSocket on http-metrics", what, p.ProbeHandler)
			}
		default:
			scheme := corev1.URISchemeHTTP
			if tls {
				scheme = corev1.URISchemeHTTPS
			}
			if h := p.HTTPGet; h == nil || h.Path != what || h.Port.String() != "http-metrics" || h.Scheme != scheme {
				t.Errorf("probe for %s: %+v, want httpGet %s on http-metrics over %s", what, p.ProbeHandler, what, scheme)
			}
		}
	}
}

// podFiles resolves paths in the exporter's container to the volumes
// mounted there.
type podFiles struct {
	mounts  map[string]corev1.Volume // mount path -> volume
	objects func(v corev1.Volume) (map[string][]byte, bool)
}

// chartFiles maps the container's mounts to the chart's ConfigMaps and
// Secrets, and checks that every ConfigMap and Secret the pod mounts is the
// chart's or named in the values.
func chartFiles(t *testing.T, vals map[string]any, o *chartObjects, pod corev1.PodSpec, c corev1.Container) podFiles {
	t.Helper()
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	named := valueStrings(vals)
	f := podFiles{mounts: map[string]corev1.Volume{}}
	for _, m := range c.VolumeMounts {
		v, ok := volumes[m.Name]
		if !ok {
			t.Errorf("volume mount %s: no such volume", m.Name)
			continue
		}
		f.mounts[m.MountPath] = v
	}
	f.objects = func(v corev1.Volume) (map[string][]byte, bool) {
		switch {
		case v.ConfigMap != nil:
			if cm := o.configMaps[v.ConfigMap.Name]; cm != nil {
				data := map[string][]byte{}
				for k, s := range cm.Data {
					data[k] = []byte(s)
				}
				return data, true
			}
		case v.Secret != nil:
			if s := o.secrets[v.Secret.SecretName]; s != nil {
				data := maps.Clone(s.Data)
				if data == nil {
					data = map[string][]byte{}
				}
				for k, s := range s.StringData {
					data[k] = []byte(s)
				}
				return data, true
			}
		}
		return nil, false
	}
	for _, v := range volumes {
		name := ""
		switch {
		case v.ConfigMap != nil:
			name = v.ConfigMap.Name
		case v.Secret != nil:
			name = v.Secret.SecretName
		}
		if _, ours := f.objects(v); !ours && !named[name] {
			t.Errorf("volume %s: %q is neither made by the chart nor named in the values", v.Name, name)
		}
	}
	return f
}

// read returns the contents of the file at p when a ConfigMap or Secret of
// the chart holds it.
func (f podFiles) read(p string) ([]byte, bool) {
	v, ok := f.mounts[path.Dir(p)]
	if !ok {
		return nil, false
	}
	data, ours := f.objects(v)
	if !ours {
		return nil, false
	}
	b, ok := data[path.Base(p)]
	return b, ok
}

// external reports whether p is in a mounted volume the chart does not make
// (its contents are the user's).
func (f podFiles) external(p string) bool {
	v, ok := f.mounts[path.Dir(p)]
	if !ok {
		return false
	}
	_, ours := f.objects(v)
	return !ours
}

// valueStrings returns every string in the values.
func valueStrings(v any) map[string]bool {
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out[v] = true
		case map[string]any:
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// fileKeys returns the string values of the keys named in the decoded YAML
// document v, at any depth.
func fileKeys(v any, keys ...string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && slices.Contains(keys, k) {
				out = append(out, s)
			}
			out = append(out, fileKeys(e, keys...)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, fileKeys(e, keys...)...)
		}
	}
	return out
}

// checkChartMonitor checks the ServiceMonitor or PodMonitor: it selects the
// metrics Service or the pods (never the webhook's), scrapes http-metrics
// with the scheme the web configuration needs, and sets the job the rules
// select.
func checkChartMonitor(t *testing.T, vals map[string]any, o *chartObjects, metrics *corev1.Service, pod corev1.PodTemplateSpec, tls bool) {
	t.Helper()
	kind := valueString(vals, "monitor.kind")
	if len(o.serviceMonitors)+len(o.podMonitors) != map[bool]int{true: 0, false: 1}[kind == "none"] {
		t.Fatalf("%d ServiceMonitors and %d PodMonitors for monitor.kind=%s", len(o.serviceMonitors), len(o.podMonitors), kind)
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	job := valueString(vals, "monitor.job")
	checkEndpoint := func(what, port string, got *monitoringv1.Scheme, relabelings []monitoringv1.RelabelConfig) {
		if port != "http-metrics" || got == nil || strings.ToLower(string(*got)) != scheme {
			t.Errorf("%s: port %s scheme %v, want http-metrics over %s", what, port, got, scheme)
		}
		set := ""
		for _, r := range relabelings {
			if r.TargetLabel == "job" && r.Replacement != nil {
				set = *r.Replacement
			}
		}
		if set != job || job == "" {
			t.Errorf("%s sets job=%q, want monitor.job %q", what, set, job)
		}
	}
	for _, sm := range o.serviceMonitors {
		if len(sm.Spec.Endpoints) != 1 {
			t.Fatalf("ServiceMonitor: %d endpoints", len(sm.Spec.Endpoints))
		}
		for _, svc := range o.services {
			sel := labels.SelectorFromSet(sm.Spec.Selector.MatchLabels)
			if sel.Matches(labels.Set(svc.Labels)) != (svc == metrics) {
				t.Errorf("ServiceMonitor selector %v: matches Service %s = %v", sm.Spec.Selector.MatchLabels, svc.Name, svc != metrics)
			}
		}
		e := sm.Spec.Endpoints[0]
		checkEndpoint("ServiceMonitor", e.Port, e.Scheme, e.RelabelConfigs)
	}
	for _, pm := range o.podMonitors {
		if len(pm.Spec.PodMetricsEndpoints) != 1 {
			t.Fatalf("PodMonitor: %d endpoints", len(pm.Spec.PodMetricsEndpoints))
		}
		checkSelects(t, "PodMonitor", pm.Spec.Selector.MatchLabels, pod.Labels)
		e := pm.Spec.PodMetricsEndpoints[0]
		port := ""
		if e.Port != nil {
			port = *e.Port
		}
		checkEndpoint("PodMonitor", port, e.Scheme, e.RelabelConfigs)
	}
}

// checkChartRules checks that the chart's PrometheusRule holds the rules of
// alerts.yml.tmpl with the release's selector: its job and namespace.
func checkChartRules(t *testing.T, vals map[string]any, o *chartObjects) {
	t.Helper()
	if !valueTrue(vals, "prometheusRule.enabled") {
		if len(o.prometheusRules) != 0 {
			t.Error("a PrometheusRule with prometheusRule.enabled false")
		}
		return
	}
	if len(o.prometheusRules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(o.prometheusRules))
	}
	sel := ChartSelectors
	sel.Job = valueString(vals, "prometheusRule.selector")
	if sel.Job == "" {
		sel.Job = fmt.Sprintf("job=%q, namespace=%q", valueString(vals, "monitor.job"), chartNamespace)
	}
	rules, err := AlertRules(sel)
	if err != nil {
		t.Fatal(err)
	}
	var want monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(rules, &want); err != nil {
		t.Fatal(err)
	}
	if got := o.prometheusRules[0].Spec; !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("the chart's PrometheusRule differs from the rules made with selector %s", sel.Job)
	}
}

// checkChartDashboard checks that the dashboard ConfigMap carries the
// committed dashboard and the label Grafana's sidecar looks for.
func checkChartDashboard(t *testing.T, vals map[string]any, o *chartObjects) {
	t.Helper()
	var found int
	for _, cm := range o.configMaps {
		if _, ok := cm.Data["tencent-live.json"]; !ok {
			continue
		}
		found++
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("dashboard ConfigMap %s: label grafana_dashboard=%q, want \"1\"", cm.Name, cm.Labels["grafana_dashboard"])
		}
		if cm.Data["tencent-live.json"] != string(readRepoFile(t, DashboardPath)) {
			t.Errorf("dashboard ConfigMap %s differs from %s", cm.Name, DashboardPath)
		}
	}
	if want := map[bool]int{true: 1, false: 0}[valueTrue(vals, "dashboard.enabled")]; found != want {
		t.Errorf("%d dashboard ConfigMaps, want %d", found, want)
	}
}

// TestHelmChartLongNames renders the chart with a release name at the limit
// Helm allows (53 characters) and the most shards, and fails when an
// object's name, a shard's pod name or a webhook Service's name would be
// refused by Kubernetes.
func TestHelmChartLongNames(t *testing.T) {
	helm := lookTool(t, "helm")
	f := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(f, []byte("shards: 100\nwebhook: {enabled: true}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := renderChart(t, helm, strings.Repeat("r", 53), f)
	if len(o.statefulSets) != 1 || len(o.services) != 101 {
		t.Errorf("%d StatefulSets and %d Services, want 1 and 101", len(o.statefulSets), len(o.services))
	}
}

// TestHelmChartGoMemLimit renders the chart with memory limits in the forms
// a values file or --set gives them and checks the GOMEMLIMIT each derives
// (90 % of the limit, in bytes), that goMemLimit overrides it, and that a
// GOMEMLIMIT of extraEnv is the only one.
func TestHelmChartGoMemLimit(t *testing.T) {
	helm := lookTool(t, "helm")
	for _, tc := range []struct{ name, values, want string }{
		{"Mi", "resources: {limits: {memory: 256Mi}}\n", "241591910"},
		{"Gi fraction", "resources: {limits: {memory: 1.5Gi}}\n", "1449551462"},
		{"M", "resources: {limits: {memory: 512M}}\n", "460800000"},
		{"Ki", "resources: {limits: {memory: 500Ki}}\n", "460800"},
		{"T", "resources: {limits: {memory: 2T}}\n", "1800000000000"},
		{"bytes", "resources: {limits: {memory: 536870912}}\n", "483183820"}, // a float64 to Helm
		{"goMemLimit", "goMemLimit: 400MiB\n", "400MiB"},
		{"goMemLimit off", "goMemLimit: \"off\"\n", "off"},
		{"no limit", "resources: {limits: null}\n", ""},
		{"extraEnv", "extraEnv: [{name: GOMEMLIMIT, value: 300MiB}]\n", "300MiB"},
	} {
		values, want := tc.values, tc.want
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(f, []byte(values), 0o644); err != nil {
				t.Fatal(err)
			}
			o := renderChart(t, helm, chartRelease, f)
			if len(o.deployments) != 1 {
				t.Fatalf("%d Deployments, want 1", len(o.deployments))
			}
			var got []string
			for _, e := range o.deployments[0].Spec.Template.Spec.Containers[0].Env {
				if e.Name == "GOMEMLIMIT" {
					got = append(got, e.Value)
				}
			}
			if want == "" && len(got) != 0 || want != "" && !slices.Equal(got, []string{want}) {
				t.Errorf("GOMEMLIMIT %q, want %q", got, want)
			}
		})
	}
}

// TestHelmChartRefuses checks that values which cannot work are refused
// with a message naming them: unknown keys (values.schema.json), an Ingress
// for sharded webhooks, and two sources for one thing.
func TestHelmChartRefuses(t *testing.T) {
	helm := lookTool(t, "helm")
	chart := filepath.Join(repoRoot(t), ChartDir)
	for name, tc := range map[string]struct{ values, want string }{
		"unknown key":        {"shard: 3\n", "shard"},
		"unknown nested":     {"webhook: {enable: true}\n", "enable"},
		"shards not number":  {"shards: three\n", "shards"},
		"zero shards":        {"shards: 0\n", "shards"},
		"monitor kind":       {"monitor: {kind: Probe}\n", "kind"},
		"sharded ingress":    {"shards: 2\nwebhook: {enabled: true, ingress: {enabled: true, host: h.example.com}}\n", "shards > 1"},
		"two secret sources": {"secrets: {existingSecret: a, create: true, data: {k: v}}\n", "existingSecret or create"},
		"no config":          {"config: {content: null}\n", "config.content or config.existingConfigMap"},
		"millibytes memory":  {"resources: {limits: {memory: 100m}}\n", "resources.limits.memory"},
		"goMemLimit unit":    {"goMemLimit: 400Mi\n", "goMemLimit"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := filepath.Join(t.TempDir(), "values.yaml")
			if err := os.WriteFile(f, []byte(tc.values), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := runHelm(helm, "template", chartRelease, chart, "--kube-version", chartKubeVersion, "--values", f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("values %q: error %v, want one naming %q", tc.values, err, tc.want)
			}
		})
	}
}
