{{/* Names and labels shared by every template. */}}

{{- define "andon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already contains the chart's. */}}
{{- define "andon.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "andon.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "andon.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Cluster-scoped objects carry the namespace too, so two releases of the same name do not collide. */}}
{{- define "andon.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "andon.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "andon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "andon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "andon.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "andon.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "andon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "andon.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is needed when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* What Andon's Kubernetes source reads: in a ClusterRole (whole cluster) or a Role per namespace. */}}
{{- define "andon.readRules" -}}
- apiGroups: [""]
  resources: [pods, events]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, replicasets]
  verbs: [get, list, watch]
{{- end }}

{{- define "andon.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* Refuse values that would deploy something broken. */}}
{{- define "andon.validate" -}}
{{- if not (has .Values.mode (list "socket" "http")) }}
{{- fail (printf "mode must be socket or http, not %q" (toString .Values.mode)) }}
{{- end }}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.env.ANDON_DATABASE_URL) (not (has "ANDON_DATABASE_URL" .Values.secretEnv)) }}
{{- fail "replicaCount > 1 needs ANDON_DATABASE_URL (in env or secretEnv): replicas share PostgreSQL, not SQLite" }}
{{- end }}
{{- end }}
