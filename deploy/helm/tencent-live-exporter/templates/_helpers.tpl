{{/* Names, labels and the pieces the workload templates share. */}}

{{- define "tencent-live-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's objects are named <release>-<chart>, or <release> when it
already holds the chart's name. Kept to 52 characters so that the
StatefulSet's pod names and the per-shard webhook Services still fit. */}}
{{- define "tencent-live-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tencent-live-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tencent-live-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tencent-live-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tencent-live-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tencent-live-exporter
{{- end }}

{{- define "tencent-live-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tencent-live-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tencent-live-exporter.image" -}}
{{- $tag := default (printf "v%s" .Chart.AppVersion) .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{- define "tencent-live-exporter.configMapName" -}}
{{- default (printf "%s-config" (include "tencent-live-exporter.fullname" .)) .Values.config.existingConfigMap }}
{{- end }}

{{- define "tencent-live-exporter.secretName" -}}
{{- if .Values.secrets.create }}
{{- printf "%s-keys" (include "tencent-live-exporter.fullname" .) }}
{{- else }}
{{- .Values.secrets.existingSecret }}
{{- end }}
{{- end }}

{{/* webConfigSecret names the Secret holding web-config.yml for a listener:
call it with (list $ .Values.webConfig "web") or with the webhook's. Empty
when the listener has no web configuration. */}}
{{- define "tencent-live-exporter.webConfigSecret" -}}
{{- $root := index . 0 }}{{- $wc := index . 1 }}{{- $what := index . 2 }}
{{- if $wc.existingSecret }}
{{- $wc.existingSecret }}
{{- else if $wc.content }}
{{- printf "%s-%s-config" (include "tencent-live-exporter.fullname" $root) $what }}
{{- end }}
{{- end }}

{{/* webTLS is "true" when the metrics port serves TLS. */}}
{{- define "tencent-live-exporter.webTLS" -}}
{{- $wc := .Values.webConfig }}
{{- if or $wc.tls (hasKey $wc.content "tls_server_config") }}true{{ end }}
{{- end }}

{{/* webBasicAuth is "true" when the metrics port asks for basic auth. */}}
{{- define "tencent-live-exporter.webBasicAuth" -}}
{{- $wc := .Values.webConfig }}
{{- if or $wc.basicAuth (hasKey $wc.content "basic_auth_users") }}true{{ end }}
{{- end }}

{{/* ruleSelector holds the matchers of every alerting rule. */}}
{{- define "tencent-live-exporter.ruleSelector" -}}
{{- default (printf "job=%q, namespace=%q" .Values.monitor.job .Release.Namespace) .Values.prometheusRule.selector }}
{{- end }}

{{/* probe is the default liveness (path /-/healthy) or readiness
(/-/ready) probe: see livenessProbe in values.yaml. */}}
{{- define "tencent-live-exporter.probe" -}}
{{- $root := index . 0 }}{{- $path := index . 1 }}
{{- if include "tencent-live-exporter.webBasicAuth" $root }}
tcpSocket:
  port: http-metrics
{{- else }}
httpGet:
  path: {{ $path }}
  port: http-metrics
  scheme: {{ ternary "HTTPS" "HTTP" (eq (include "tencent-live-exporter.webTLS" $root) "true") }}
{{- end }}
{{- end }}

{{/* validate stops rendering on values that cannot work together. */}}
{{- define "tencent-live-exporter.validate" -}}
{{- if and .Values.webhook.enabled .Values.webhook.ingress.enabled (gt (int .Values.shards) 1) }}
{{- fail "webhook.ingress with shards > 1: Tencent calls one URL per SDKAppID, which must reach the shard that watches the app; route to the per-shard Services <fullname>-webhook-<index> yourself" }}
{{- end }}
{{- if and .Values.webhook.ingress.enabled (not .Values.webhook.ingress.host) }}
{{- fail "webhook.ingress.enabled needs webhook.ingress.host" }}
{{- end }}
{{- if and (not .Values.config.existingConfigMap) (not .Values.config.content) }}
{{- fail "set config.content or config.existingConfigMap" }}
{{- end }}
{{- if and .Values.secrets.create .Values.secrets.existingSecret }}
{{- fail "secrets: set existingSecret or create, not both" }}
{{- end }}
{{- if and .Values.webConfig.content .Values.webConfig.existingSecret }}
{{- fail "webConfig: set content or existingSecret, not both" }}
{{- end }}
{{- if and .Values.webhook.webConfig.content .Values.webhook.webConfig.existingSecret }}
{{- fail "webhook.webConfig: set content or existingSecret, not both" }}
{{- end }}
{{- end }}

{{/*
goMemLimit is the container's GOMEMLIMIT: goMemLimit when set, else 90 % of
resources.limits.memory in bytes, else nothing; nothing either when
extraEnv sets GOMEMLIMIT itself. The Go runtime collects its garbage harder
as the heap nears it, instead of growing past the pod's limit.
*/}}
{{- define "tencent-live-exporter.goMemLimit" -}}
{{- $limit := ((.Values.resources).limits).memory }}
{{- $inExtraEnv := false }}
{{- range .Values.extraEnv }}
{{- if eq .name "GOMEMLIMIT" }}{{ $inExtraEnv = true }}{{ end }}
{{- end }}
{{- if $inExtraEnv }}
{{- /* extraEnv's GOMEMLIMIT is the only one */}}
{{- else if .Values.goMemLimit }}
{{- .Values.goMemLimit }}
{{- else if $limit }}
{{- /* A number in a values file arrives as a float64. */}}
{{- $quantity := ternary (printf "%.0f" $limit) (toString $limit) (kindIs "float64" $limit) }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $quantity }}
{{- $suffix := trimPrefix $number $quantity }}
{{- $bytes := dict "" 1 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- if or (not $number) (not (hasKey $bytes $suffix)) }}
{{- fail (printf "resources.limits.memory %q: write it as a number with k, M, G, T, Ki, Mi, Gi or Ti, or set goMemLimit" $quantity) }}
{{- end }}
{{- printf "%.0f" (floor (mulf (float64 $number) (get $bytes $suffix) 0.9)) }}
{{- end }}
{{- end }}
