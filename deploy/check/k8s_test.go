package check

import (
	"bytes"
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const kubeDir = "deploy/kubernetes"

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
	serviceMonitor *monitoringv1.ServiceMonitor
	prometheusRule *monitoringv1.PrometheusRule
}

// decodeKube strictly decodes one manifest into the type its kind names.
func (o *kubeObjects) decode(doc []byte) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return err
	}
	var target any
	switch head.APIVersion + " " + head.Kind {
	case "v1 ServiceAccount":
		o.serviceAccount = &corev1.ServiceAccount{}
		target = o.serviceAccount
	case "v1 ConfigMap":
		o.configMap = &corev1.ConfigMap{}
		target = o.configMap
	case "v1 Secret":
		o.secret = &corev1.Secret{}
		target = o.secret
	case "apps/v1 Deployment":
		o.deployment = &appsv1.Deployment{}
		target = o.deployment
	case "v1 Service":
		o.service = &corev1.Service{}
		target = o.service
	case "monitoring.coreos.com/v1 ServiceMonitor":
		o.serviceMonitor = &monitoringv1.ServiceMonitor{}
		target = o.serviceMonitor
	case "monitoring.coreos.com/v1 PrometheusRule":
		o.prometheusRule = &monitoringv1.PrometheusRule{}
		target = o.prometheusRule
	default:
		return fmt.Errorf("unexpected apiVersion/kind %q %q", head.APIVersion, head.Kind)
	}
	return yaml.UnmarshalStrict(doc, target)
}

func (o *kubeObjects) complete() error {
	if o.serviceAccount == nil || o.configMap == nil || o.secret == nil || o.deployment == nil ||
		o.service == nil || o.serviceMonitor == nil || o.prometheusRule == nil {
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
	cmd := exec.Command(kubectl, "kustomize", filepath.Join(repoRoot(t), kubeDir))
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
	for _, m := range []string{objs.deployment.Namespace, objs.service.Namespace, objs.prometheusRule.Namespace} {
		if m != "monitoring" {
			t.Errorf("namespace %q after kustomize, want monitoring", m)
		}
	}
	checkKubeObjects(t, &objs)
}

func checkKubeObjects(t *testing.T, o *kubeObjects) {
	t.Helper()
	d := o.deployment
	for _, m := range []map[string]string{d.Labels, d.Spec.Template.Labels, o.service.Labels} {
		for k, v := range m {
			for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
				t.Errorf("label %s=%s: %s", k, v, msg)
			}
		}
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Error("deployment: want exactly one replica (two would spend the API budget twice)")
	}
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("deployment: want strategy Recreate")
	}
	pod := d.Spec.Template.Spec
	checkReleaseImage(t, pod)
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("pod: runAsNonRoot not set")
	}
	if pod.SecurityContext != nil && (pod.SecurityContext.RunAsUser == nil || *pod.SecurityContext.RunAsUser == 0) {
		t.Error("pod: runAsUser must be a non-zero UID")
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
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 10071 {
		t.Errorf("container: ports %+v, want 10071", c.Ports)
	}
	portName := c.Ports[0].Name
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
		if !m.ReadOnly {
			t.Errorf("volume mount %s is writable", m.Name)
		}
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
			SecretKeyFile string `json:"secret_key_file"`
		} `json:"apps"`
	}
	if err := yaml.Unmarshal([]byte(o.configMap.Data[path.Base(configFile)]), &cfg); err != nil {
		t.Fatalf("config in ConfigMap: %v", err)
	}
	for i, a := range cfg.Apps {
		key := path.Base(a.SecretKeyFile)
		_, inData := o.secret.Data[key]
		_, inString := o.secret.StringData[key]
		if path.Dir(a.SecretKeyFile) != secretDir || (!inData && !inString) {
			t.Errorf("apps[%d].secret_key_file %s is not a key of the Secret mounted at %s", i, a.SecretKeyFile, secretDir)
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
