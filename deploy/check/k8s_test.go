package check

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const kubeDir = "deploy/kubernetes"

// webhookComponent is the kustomize component, below kubeDir, that adds the
// Ingress of the webhook receiver.
const webhookComponent = "webhook-ingress"

// componentLabel tells the exporter's objects from the webhook receiver's.
const componentLabel = "app.kubernetes.io/component"

// kustomization is the part of kustomize's Kustomization type that our
// kustomization.yaml uses; decoding it strictly rejects anything else.
type kustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Resources []string `json:"resources"`
	Images    []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images"`
}

// kubeObjects holds the manifests, each decoded strictly into its API type.
type kubeObjects struct {
	serviceAccount *corev1.ServiceAccount
	configMap      *corev1.ConfigMap
	secret         *corev1.Secret
	deployment     *appsv1.Deployment
	service        *corev1.Service
	webhookService *corev1.Service       // component webhook: what Tencent reaches
	ingress        *networkingv1.Ingress // with the webhook-ingress component only
	serviceMonitor *monitoringv1.ServiceMonitor
	prometheusRule *monitoringv1.PrometheusRule
	probe          *monitoringv1.Probe
}

// kubeTypes makes the API type of each apiVersion and kind the deployment
// files may hold.
var kubeTypes = map[string]func() any{
	"v1 ServiceAccount":                       func() any { return &corev1.ServiceAccount{} },
	"v1 ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1 Secret":                               func() any { return &corev1.Secret{} },
	"v1 Service":                              func() any { return &corev1.Service{} },
	"apps/v1 Deployment":                      func() any { return &appsv1.Deployment{} },
	"apps/v1 StatefulSet":                     func() any { return &appsv1.StatefulSet{} },
	"networking.k8s.io/v1 Ingress":            func() any { return &networkingv1.Ingress{} },
	"monitoring.coreos.com/v1 ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1 PodMonitor":     func() any { return &monitoringv1.PodMonitor{} },
	"monitoring.coreos.com/v1 PrometheusRule": func() any { return &monitoringv1.PrometheusRule{} },
	"monitoring.coreos.com/v1 Probe":          func() any { return &monitoringv1.Probe{} },
}

// decodeKube strictly decodes one manifest into the API type its apiVersion
// and kind name, rejecting unknown and duplicate fields.
func decodeKube(doc []byte) (any, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, err
	}
	newObject, ok := kubeTypes[head.APIVersion+" "+head.Kind]
	if !ok {
		return nil, fmt.Errorf("unexpected apiVersion/kind %q %q", head.APIVersion, head.Kind)
	}
	obj := newObject()
	return obj, yaml.UnmarshalStrict(doc, obj)
}

// decode strictly decodes one manifest of the kustomization.
func (o *kubeObjects) decode(doc []byte) error {
	obj, err := decodeKube(doc)
	if err != nil {
		return err
	}
	switch obj := obj.(type) {
	case *corev1.ServiceAccount:
		o.serviceAccount = obj
	case *corev1.ConfigMap:
		o.configMap = obj
	case *corev1.Secret:
		o.secret = obj
	case *appsv1.Deployment:
		o.deployment = obj
	case *corev1.Service:
		if obj.Labels[componentLabel] == "webhook" {
			o.webhookService = obj
		} else {
			o.service = obj
		}
	case *networkingv1.Ingress:
		o.ingress = obj
	case *monitoringv1.ServiceMonitor:
		o.serviceMonitor = obj
	case *monitoringv1.PrometheusRule:
		o.prometheusRule = obj
	case *monitoringv1.Probe:
		o.probe = obj
	default:
		return fmt.Errorf("%T is not part of the kustomization", obj)
	}
	return nil
}

func (o *kubeObjects) complete() error {
	if o.serviceAccount == nil || o.configMap == nil || o.secret == nil || o.deployment == nil ||
		o.service == nil || o.webhookService == nil || o.serviceMonitor == nil || o.prometheusRule == nil || o.probe == nil {
		return fmt.Errorf("missing kinds: %+v", *o)
	}
	return nil
}

// loadKustomization reads kustomization.yaml strictly and checks that the
// files it lists exist.
func loadKustomization(t *testing.T) kustomization {
	t.Helper()
	var k kustomization
	if err := yaml.UnmarshalStrict(readRepoFile(t, path.Join(kubeDir, "kustomization.yaml")), &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		t.Fatalf("kustomization.yaml: apiVersion/kind %q %q", k.APIVersion, k.Kind)
	}
	files, _ := filepath.Glob(filepath.Join(repoRoot(t), kubeDir, "*.yaml"))
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range k.Resources {
		listed[r] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("%s is not listed in kustomization.yaml", filepath.Base(f))
		}
	}
	return k
}

// TestKubernetesManifestsStrict decodes every file kustomization.yaml lists
// into its API type, rejecting unknown and duplicate fields, then checks what
// the files promise each other.
func TestKubernetesManifestsStrict(t *testing.T) {
	k := loadKustomization(t)
	var objs kubeObjects
	for _, r := range k.Resources {
		if err := objs.decode(readRepoFile(t, path.Join(kubeDir, r))); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	if err := objs.complete(); err != nil {
		t.Fatal(err)
	}
	checkKubeObjects(t, &objs)
}

// TestKustomizeBuild builds the kustomization with kubectl and decodes every
// resulting object strictly.
func TestKustomizeBuild(t *testing.T) {
	kubectl := lookTool(t, "kubectl")
	loadKustomization(t)
	objs := kustomizeBuild(t, kubectl, filepath.Join(repoRoot(t), kubeDir))
	if objs.ingress != nil {
		t.Error("the kustomization has an Ingress without the webhook-ingress component")
	}
	for _, m := range []string{objs.deployment.Namespace, objs.service.Namespace, objs.webhookService.Namespace, objs.prometheusRule.Namespace} {
		if m != "monitoring" {
			t.Errorf("namespace %q after kustomize, want monitoring", m)
		}
	}
	checkKubeObjects(t, objs)
}

// kustomizeBuild builds the kustomization in dir with kubectl and decodes
// every resulting object strictly.
func kustomizeBuild(t *testing.T, kubectl, dir string) *kubeObjects {
	t.Helper()
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, stderr.String())
	}
	var objs kubeObjects
	for i, doc := range bytes.Split(out, []byte("\n---\n")) {
		if err := objs.decode(doc); err != nil {
			t.Fatalf("kustomize output document %d: %v", i, err)
		}
	}
	if err := objs.complete(); err != nil {
		t.Fatal(err)
	}
	return &objs
}

func checkKubeObjects(t *testing.T, o *kubeObjects) {
	t.Helper()
	d := o.deployment
	checkLabels(t, d.Labels, d.Spec.Template.Labels, o.service.Labels)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Error("deployment: want exactly one replica (two would spend the API budget twice)")
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("deployment: want strategy Recreate")
	}
	pod := d.Spec.Template.Spec
	checkReleaseImage(t, pod)
	c := checkPodHardening(t, pod)
	ports := map[int32]string{} // container port -> name
	for _, p := range c.Ports {
		ports[p.ContainerPort] = p.Name
	}
	if len(c.Ports) != 2 || ports[10071] == "" || ports[10072] == "" {
		t.Fatalf("container: ports %+v, want 10071 (metrics) and 10072 (webhook)", c.Ports)
	}
	portName, hookPort := ports[10071], ports[10072]
	if !slices.Contains(c.Args, "--webhook.listen-address=:10072") {
		t.Errorf("container: args %v, want --webhook.listen-address=:10072 for port %s", c.Args, hookPort)
	}
	probe := func(what string, p *corev1.Probe, wantPath string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: missing or not httpGet", what)
			return
		}
		if p.HTTPGet.Path != wantPath || p.HTTPGet.Port.String() != portName {
			t.Errorf("%s probe: %s on %s, want %s on %s", what, p.HTTPGet.Path, p.HTTPGet.Port.String(), wantPath, portName)
		}
	}
	probe("liveness", c.LivenessProbe, "/-/healthy")
	probe("readiness", c.ReadinessProbe, "/-/ready")

	// The config file and the secret key reach the paths the arguments and
	// the config name.
	mounts := map[string]string{} // volume name -> mount path
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	var configFile, secretDir string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--config.file="); ok {
			configFile = v
		}
	}
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil:
			if v.ConfigMap.Name != o.configMap.Name {
				t.Errorf("volume %s: ConfigMap %s, manifest names %s", v.Name, v.ConfigMap.Name, o.configMap.Name)
			}
			if _, ok := o.configMap.Data[path.Base(configFile)]; !ok || path.Dir(configFile) != mounts[v.Name] {
				t.Errorf("--config.file=%s is not a key of the ConfigMap mounted at %s", configFile, mounts[v.Name])
			}
		case v.Secret != nil:
			if v.Secret.SecretName != o.secret.Name {
				t.Errorf("volume %s: Secret %s, manifest names %s", v.Name, v.Secret.SecretName, o.secret.Name)
			}
			secretDir = mounts[v.Name]
		}
	}
	var cfg struct {
		Apps []struct {
			SDKAppID      int64  `json:"sdkappid"`
			SecretKeyFile string `json:"secret_key_file"`
			Webhook       *struct {
				TokenFile string `json:"token_file"`
			} `json:"webhook"`
		} `json:"apps"`
	}
	if err := yaml.Unmarshal([]byte(o.configMap.Data[path.Base(configFile)]), &cfg); err != nil {
		t.Fatalf("config in ConfigMap: %v", err)
	}
	inSecret := func(file string) bool {
		key := path.Base(file)
		_, inData := o.secret.Data[key]
		_, inString := o.secret.StringData[key]
		return path.Dir(file) == secretDir && (inData || inString)
	}
	for i, a := range cfg.Apps {
		if !inSecret(a.SecretKeyFile) {
			t.Errorf("apps[%d].secret_key_file %s is not a key of the Secret mounted at %s", i, a.SecretKeyFile, secretDir)
		}
		if a.Webhook != nil && !inSecret(a.Webhook.TokenFile) {
			t.Errorf("apps[%d].webhook.token_file %s is not a key of the Secret mounted at %s", i, a.Webhook.TokenFile, secretDir)
		}
	}

	// Service -> pods, ServiceMonitor -> Service.
	for k, v := range o.service.Spec.Selector {
		if pod := d.Spec.Template.Labels[k]; pod != v {
			t.Errorf("service selector %s=%s does not match the pod labels", k, v)
		}
	}
	if len(o.service.Spec.Ports) != 1 || o.service.Spec.Ports[0].TargetPort.String() != portName {
		t.Errorf("service: ports %+v, want one targeting %s", o.service.Spec.Ports, portName)
	}
	for k, v := range o.serviceMonitor.Spec.Selector.MatchLabels {
		if o.service.Labels[k] != v {
			t.Errorf("ServiceMonitor selector %s=%s does not match the Service labels", k, v)
		}
	}

	// The webhook Service reaches the pods' webhook port alone, and nothing
	// scrapes it.
	hook := o.webhookService
	checkLabels(t, hook.Labels)
	for k, v := range hook.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("webhook service selector %s=%s does not match the pod labels", k, v)
		}
	}
	if len(hook.Spec.Ports) != 1 || hook.Spec.Ports[0].TargetPort.String() != hookPort {
		t.Errorf("webhook service: ports %+v, want one targeting %s", hook.Spec.Ports, hookPort)
	}
	if selects(o.serviceMonitor.Spec.Selector.MatchLabels, hook.Labels) {
		t.Error("the ServiceMonitor selects the webhook Service: it would scrape the webhook port")
	}
	if o.ingress != nil {
		checkWebhookIngress(t, o.ingress, hook)
	}
	eps := o.serviceMonitor.Spec.Endpoints
	if len(eps) != 1 || eps[0].Port != o.service.Spec.Ports[0].Name {
		t.Fatalf("ServiceMonitor endpoints %+v, want one on port %s", eps, o.service.Spec.Ports[0].Name)
	}
	job := ""
	for _, r := range eps[0].RelabelConfigs {
		if r.TargetLabel == "job" && r.Replacement != nil {
			job = *r.Replacement
		}
	}
	if job != "tencent_live" {
		t.Errorf("ServiceMonitor sets job=%q, the alert rules expect tencent_live", job)
	}

	// The Probe asks the Service's /probe for rooms of configured apps,
	// in a job the rules do not select.
	apps := map[string]bool{}
	for _, a := range cfg.Apps {
		apps[fmt.Sprint(a.SDKAppID)] = true
	}
	checkProbe(t, o.probe, fmt.Sprintf("%s.monitoring.svc:%d", o.service.Name, o.service.Spec.Ports[0].Port), apps)
}

// selects reports whether every label of selector is among labels.
func selects(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// checkWebhookIngress checks the Ingress of the webhook receiver: TLS for
// every host, and the exact path /webhook alone, to the webhook Service's
// port.
func checkWebhookIngress(t *testing.T, ing *networkingv1.Ingress, hook *corev1.Service) {
	t.Helper()
	checkLabels(t, ing.Labels)
	if ing.Spec.DefaultBackend != nil {
		t.Error("Ingress: a default backend would expose more than /webhook")
	}
	tlsHosts := map[string]bool{}
	for _, tls := range ing.Spec.TLS {
		for _, h := range tls.Hosts {
			tlsHosts[h] = tls.SecretName != ""
		}
	}
	if len(ing.Spec.Rules) == 0 {
		t.Fatal("Ingress: no rules")
	}
	for _, r := range ing.Spec.Rules {
		if !tlsHosts[r.Host] {
			t.Errorf("Ingress: host %q has no TLS with a Secret: Tencent would send webhooks in clear", r.Host)
		}
		if r.HTTP == nil || len(r.HTTP.Paths) != 1 {
			t.Errorf("Ingress: host %q: want exactly one path", r.Host)
			continue
		}
		p := r.HTTP.Paths[0]
		if p.Path != "/webhook" || p.PathType == nil || *p.PathType != networkingv1.PathTypeExact {
			t.Errorf("Ingress: path %q (type %v), want exactly /webhook", p.Path, p.PathType)
		}
		b := p.Backend.Service
		if b == nil || b.Name != hook.Name || len(hook.Spec.Ports) != 1 || b.Port.Name != hook.Spec.Ports[0].Name {
			t.Errorf("Ingress: backend %+v, want the %s Service's port %s", p.Backend, hook.Name, hook.Spec.Ports[0].Name)
		}
	}
}

// component is the part of kustomize's Component type that the
// webhook-ingress component uses; decoding it strictly rejects anything else.
type component struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}

// TestKubernetesWebhookIngress decodes the webhook-ingress component and its
// Ingress strictly, then builds the kustomization with the component turned
// on as kustomization.yaml says, and checks every resulting object: the
// Ingress routes /webhook alone, over TLS, to the webhook Service.
func TestKubernetesWebhookIngress(t *testing.T) {
	var c component
	if err := yaml.UnmarshalStrict(readRepoFile(t, path.Join(kubeDir, webhookComponent, "kustomization.yaml")), &c); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", webhookComponent, err)
	}
	if c.APIVersion != "kustomize.config.k8s.io/v1alpha1" || c.Kind != "Component" || len(c.Resources) != 1 {
		t.Fatalf("%s: %+v, want a Component of one resource", webhookComponent, c)
	}
	var objs kubeObjects
	for _, r := range append(loadKustomization(t).Resources, path.Join(webhookComponent, c.Resources[0])) {
		if err := objs.decode(readRepoFile(t, path.Join(kubeDir, r))); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	if objs.ingress == nil {
		t.Fatalf("%s holds no Ingress", webhookComponent)
	}
	checkKubeObjects(t, &objs)

	// The kustomization with its commented components lines turned on, in a
	// copy of the directory.
	kubectl := lookTool(t, "kubectl")
	overlay := t.TempDir()
	if err := os.CopyFS(overlay, os.DirFS(filepath.Join(repoRoot(t), kubeDir))); err != nil {
		t.Fatal(err)
	}
	const commented = "# components:\n#   - " + webhookComponent + "\n"
	k := string(readRepoFile(t, path.Join(kubeDir, "kustomization.yaml")))
	if !strings.Contains(k, commented) {
		t.Fatalf("kustomization.yaml lacks the commented lines %q that turn %s on", commented, webhookComponent)
	}
	k = strings.Replace(k, commented, "components:\n  - "+webhookComponent+"\n", 1)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	built := kustomizeBuild(t, kubectl, overlay)
	if built.ingress == nil || built.ingress.Namespace != "monitoring" {
		t.Fatalf("kustomize with %s: Ingress %+v, want one in namespace monitoring", webhookComponent, built.ingress)
	}
	checkKubeObjects(t, built)
}

var probeTargetRE = regexp.MustCompile(`^([0-9]+)/([^/]+)$`)

// checkProbe checks a Probe resource of the exporter: prober at proberURL
// on /probe, targets <sdkappid>/<room_id> of the apps given, and a job
// that the alerting rules' selectors do not match.
func checkProbe(t *testing.T, p *monitoringv1.Probe, proberURL string, apps map[string]bool) {
	t.Helper()
	if p.Spec.ProberSpec.URL != proberURL || p.Spec.ProberSpec.Path != "/probe" {
		t.Errorf("Probe: prober %s%s, want %s/probe", p.Spec.ProberSpec.URL, p.Spec.ProberSpec.Path, proberURL)
	}
	if p.Spec.Module != "" {
		t.Errorf("Probe: module %q, the exporter has none", p.Spec.Module)
	}
	if p.Spec.Targets.StaticConfig == nil || len(p.Spec.Targets.StaticConfig.Targets) == 0 {
		t.Fatal("Probe: no static targets")
	}
	for _, target := range p.Spec.Targets.StaticConfig.Targets {
		m := probeTargetRE.FindStringSubmatch(target)
		if m == nil || !apps[m[1]] {
			t.Errorf("Probe: target %q is not <sdkappid>/<room_id> of a configured app %v", target, apps)
		}
	}
	matchers, err := promql.ParseMetricSelector("{" + DefaultSelectors.Job + "}")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range matchers {
		if m.Name == "job" && m.Matches(p.Spec.JobName) {
			t.Errorf("Probe: job %q is selected by the rules (%s): probed rooms would raise room alerts", p.Spec.JobName, DefaultSelectors.Job)
		}
	}
}

// checkLabels checks that every key and value of the label maps is valid.
func checkLabels(t *testing.T, maps ...map[string]string) {
	t.Helper()
	for _, m := range maps {
		for k, v := range m {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("label %s=%s: %s", k, v, msg)
			}
		}
	}
}

// checkPodHardening checks what every exporter pod needs: a non-root user,
// one container with a read-only root filesystem, no privilege escalation
// nor capabilities, resource requests and a memory limit, and read-only
// mounts. It returns the container.
func checkPodHardening(t *testing.T, pod corev1.PodSpec) corev1.Container {
	t.Helper()
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("pod: runAsNonRoot not set")
	}
	if pod.SecurityContext != nil && (pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0) {
		t.Error("pod: runAsUser must be a non-zero UID")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("pod: the service-account token must not be mounted")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("pod: %d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("container: readOnlyRootFilesystem not set")
	}
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("container: allowPrivilegeEscalation must be false")
	}
	if sc == nil || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Error("container: capabilities must drop ALL")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Error("container: cpu/memory requests and a memory limit are required")
	}
	checkGoMemLimit(t, c)
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("volume mount %s is writable", m.Name)
		}
	}
	return c
}

// checkGoMemLimit checks that the container sets GOMEMLIMIT once, between
// 80 and 95 % of its memory limit: below it, with room for what is not Go
// heap.
func checkGoMemLimit(t *testing.T, c corev1.Container) {
	t.Helper()
	names := map[string]bool{}
	for _, e := range c.Env {
		if names[e.Name] {
			t.Errorf("container: %s is set twice", e.Name)
		}
		names[e.Name] = true
	}
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" })
	if i < 0 {
		t.Error("container: GOMEMLIMIT is not set")
		return
	}
	soft, err := parseGoMemLimit(c.Env[i].Value)
	if err != nil {
		t.Errorf("container: GOMEMLIMIT: %v", err)
		return
	}
	limit := c.Resources.Limits.Memory().Value()
	if ratio := float64(soft) / float64(limit); ratio < 0.8 || ratio > 0.95 {
		t.Errorf("container: GOMEMLIMIT %s is %.0f %% of the memory limit %s, want 80-95 %%", c.Env[i].Value, 100*ratio, c.Resources.Limits.Memory())
	}
}

// parseGoMemLimit returns the bytes of a GOMEMLIMIT value as the Go runtime
// reads it: a whole number with an optional B, KiB, MiB, GiB or TiB.
func parseGoMemLimit(s string) (int64, error) {
	number := strings.TrimRight(s, "BKMGTi")
	unit := map[string]int64{"": 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[s[len(number):]]
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || unit == 0 {
		return 0, fmt.Errorf("%q is not a size the Go runtime reads", s)
	}
	return n * unit, nil
}

// TestStrictDecodeRejectsTypos shows the strict decoding catches what a lenient
// one would silently drop.
func TestStrictDecodeRejectsTypos(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 1}\n",
		"duplicate field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {type: ClusterIP, type: NodePort}\n",
		"wrong type":      "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec: {endpoints: {port: x}}\n",
	} {
		var o kubeObjects
		if err := o.decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
