{{/* vim: set filetype=mustache: */}}

{{/*
Chart name, truncated to 63 characters (the limit of a label value).
*/}}
{{- define "semanticmim.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name: the prefix of every object name. Truncated so that the longest suffix the chart adds
("-job-templates", 14 characters) still fits in 63.
*/}}
{{- define "semanticmim.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 49 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 49 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 49 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Name of one component's objects: <fullname>-<component>.
Usage: {{ include "semanticmim.componentName" (dict "component" "shard" "context" $) }}
*/}}
{{- define "semanticmim.componentName" -}}
{{- printf "%s-%s" (include "semanticmim.fullname" .context) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "semanticmim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The release namespace (every namespaced object lives there unless a value says otherwise).
*/}}
{{- define "semanticmim.namespace" -}}
{{- .Release.Namespace -}}
{{- end -}}

{{/*
Standard labels of every object. Usage: {{ include "semanticmim.labels" (dict "component" "shard" "context" $) }}
An optional "managedBy" replaces Helm as app.kubernetes.io/managed-by (the Jobs the orchestrator creates).
*/}}
{{- define "semanticmim.labels" -}}
helm.sh/chart: {{ include "semanticmim.chart" .context }}
{{ include "semanticmim.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .managedBy | default .context.Release.Service }}
app.kubernetes.io/part-of: semanticmim
{{- with .context.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Selector labels: name, instance and component. Usage as for semanticmim.labels.
*/}}
{{- define "semanticmim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "semanticmim.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Labels that select every pod of the release (whatever its component).
*/}}
{{- define "semanticmim.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "semanticmim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
metadata.annotations of an object, from commonAnnotations and extra annotations.
Usage: {{ include "semanticmim.annotations" (dict "annotations" .Values.x.annotations "context" $) }}
*/}}
{{- define "semanticmim.annotations" -}}
{{- $all := merge (deepCopy (.annotations | default dict)) (deepCopy (.context.Values.commonAnnotations | default dict)) -}}
{{- if $all -}}
{{- printf "annotations:\n%s" (toYaml $all | indent 2) | nindent 2 -}}
{{- end -}}
{{- end -}}

{{/*
Full image reference. Usage: {{ include "semanticmim.image" (dict "image" .Values.shard.image "context" $) }}
global.imageRegistry (a mirror) wins over the image's own registry; a digest wins over the tag; the tag defaults
to the chart's appVersion.
*/}}
{{- define "semanticmim.image" -}}
{{- $registry := .context.Values.global.imageRegistry | default .image.registry -}}
{{- $repository := .image.repository -}}
{{- $name := ternary (printf "%s/%s" $registry $repository) $repository (not (empty $registry)) -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $name .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name (toString (.image.tag | default .context.Chart.AppVersion)) -}}
{{- end -}}
{{- end -}}

{{- define "semanticmim.imagePullSecrets" -}}
{{- with .Values.global.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
ServiceAccounts: the orchestrator's (API access through the Role) and the workload one (no API access).
*/}}
{{- define "semanticmim.orchestrator.serviceAccountName" -}}
{{- if .Values.serviceAccount.orchestrator.create -}}
{{- default (include "semanticmim.componentName" (dict "component" "orchestrator" "context" .)) .Values.serviceAccount.orchestrator.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.orchestrator.name -}}
{{- end -}}
{{- end -}}

{{- define "semanticmim.workload.serviceAccountName" -}}
{{- if .Values.serviceAccount.workload.create -}}
{{- default (include "semanticmim.componentName" (dict "component" "workload" "context" .)) .Values.serviceAccount.workload.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.workload.name -}}
{{- end -}}
{{- end -}}

{{/*
The Lease the orchestrator replicas elect their leader through (also the resourceName in its Role).
*/}}
{{- define "semanticmim.orchestrator.leaseName" -}}
{{- include "semanticmim.componentName" (dict "component" "orchestrator" "context" .) -}}
{{- end -}}

{{/*
Broker: the bundled RabbitMQ's name (each role's credential is in _roles.tpl).
*/}}
{{- define "semanticmim.rabbitmq.fullname" -}}
{{- include "semanticmim.componentName" (dict "component" "rabbitmq" "context" .) -}}
{{- end -}}

{{/*
Object store: endpoint (each role's credential is in _roles.tpl).
*/}}
{{- define "semanticmim.minio.fullname" -}}
{{- include "semanticmim.componentName" (dict "component" "minio" "context" .) -}}
{{- end -}}

{{- define "semanticmim.store.endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "http://%s:%d" (include "semanticmim.minio.fullname" .) (int .Values.minio.service.ports.api) -}}
{{- else -}}
{{- .Values.externalS3.endpoint -}}
{{- end -}}
{{- end -}}

{{/* MinIO's root user: the Secret and keys (the bundled store's administrator). */}}
{{- define "semanticmim.minio.rootSecretName" -}}
{{- .Values.minio.auth.existingSecret | default (include "semanticmim.minio.fullname" .) -}}
{{- end -}}

{{- define "semanticmim.minio.rootUserKey" -}}
{{- ternary .Values.minio.auth.existingSecretUserKey "root-user" (not (empty .Values.minio.auth.existingSecret)) -}}
{{- end -}}

{{- define "semanticmim.minio.rootPasswordKey" -}}
{{- ternary .Values.minio.auth.existingSecretPasswordKey "root-password" (not (empty .Values.minio.auth.existingSecret)) -}}
{{- end -}}

{{/*
A credential that stays the same across upgrades: the value given, else the one already in the release's Secret
(read with lookup on install/upgrade), else a new random alphanumeric one. `helm template` cannot look anything up,
so it renders a fresh random value every time.
Usage: {{ include "semanticmim.secretValue" (dict "secret" "name" "key" "rabbitmq-password" "value" .Values.x "length" 24 "context" $) }}
*/}}
{{- define "semanticmim.secretValue" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" (include "semanticmim.namespace" .context) .secret -}}
{{- $data := ($existing.data | default dict) -}}
{{- if hasKey $data .key -}}
{{- index $data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int (.length | default 24)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The platform's environment, shared by the orchestrator, shard and target containers and the Job templates:
where health and metrics listen, the bus (the role's URI from its Secret), the S3 store (the role's keys from its
Secret), the cache folder.
Usage: {{ include "semanticmim.platformEnv" (dict "role" "shard" "port" 8080 "extraEnv" .Values.shard.extraEnv "context" $) }}
*/}}
{{- define "semanticmim.platformEnv" -}}
{{- $values := .context.Values -}}
- name: ASPNETCORE_URLS
  value: {{ printf "http://0.0.0.0:%d" (int .port) | quote }}
- name: Bus__Transport
  value: rabbitmq
- name: Bus__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ include "semanticmim.broker.secretName" (dict "role" .role "context" .context) }}
      key: {{ include "semanticmim.broker.uriKey" (dict "role" .role "context" .context) }}
{{- if not (kindIs "invalid" $values.bus.prefetch) }}
- name: Bus__Prefetch
  value: {{ $values.bus.prefetch | toString | quote }}
{{- end }}
{{- with $values.bus.startTimeout }}
- name: Bus__StartTimeout
  value: {{ . | quote }}
{{- end }}
- name: Storage__Kind
  value: s3
- name: Storage__Endpoint
  value: {{ include "semanticmim.store.endpoint" .context | quote }}
- name: Storage__Bucket
  value: {{ $values.storage.bucket | quote }}
{{- with $values.storage.region }}
- name: Storage__Region
  value: {{ . | quote }}
{{- end }}
{{- with $values.storage.keyPrefix }}
- name: Storage__KeyPrefix
  value: {{ . | quote }}
{{- end }}
- name: Storage__AccessKey
  valueFrom:
    secretKeyRef:
      name: {{ include "semanticmim.store.secretName" (dict "role" .role "context" .context) }}
      key: {{ include "semanticmim.store.accessKeyKey" (dict "role" .role "context" .context) }}
- name: Storage__SecretKey
  valueFrom:
    secretKeyRef:
      name: {{ include "semanticmim.store.secretName" (dict "role" .role "context" .context) }}
      key: {{ include "semanticmim.store.secretKeyKey" (dict "role" .role "context" .context) }}
- name: Cache__Folder
  value: /cache
{{- range $index, $interval := $values.retry.intervals }}
- name: {{ printf "Retry__Intervals__%d" $index }}
  value: {{ $interval | quote }}
{{- end }}
{{- with $values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- with .extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Writable paths of a service or job container: /tmp and /cache on emptyDirs (the root filesystem is read-only).
*/}}
{{- define "semanticmim.workVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: cache
  mountPath: /cache
{{- end -}}

{{- define "semanticmim.workVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 1Gi
- name: cache
  emptyDir:
    {{- with .cache.sizeLimit }}
    sizeLimit: {{ . }}
    {{- else }}
    {}
    {{- end }}
{{- end -}}

{{/*
Probes on the health endpoints of a service (see src/Platform/Hosting/ServiceDefaults.cs).
Usage: {{ include "semanticmim.probe" (dict "probe" .Values.shard.livenessProbe "path" "/health/live") }}
*/}}
{{- define "semanticmim.probe" -}}
httpGet:
  path: {{ .path }}
  port: http-metrics
initialDelaySeconds: {{ .probe.initialDelaySeconds }}
periodSeconds: {{ .probe.periodSeconds }}
timeoutSeconds: {{ .probe.timeoutSeconds }}
failureThreshold: {{ .probe.failureThreshold }}
{{- end -}}

{{/*
A PodDisruptionBudget's budget. Usage: {{ include "semanticmim.pdbBudget" .Values.shard.pdb }}
*/}}
{{- define "semanticmim.pdbBudget" -}}
{{- if and (not (kindIs "invalid" .minAvailable)) (ne (toString .minAvailable) "") }}
minAvailable: {{ .minAvailable }}
{{- end }}
{{- if and (not (kindIs "invalid" .maxUnavailable)) (ne (toString .maxUnavailable) "") }}
maxUnavailable: {{ .maxUnavailable }}
{{- end }}
{{- end -}}

{{/*
Components whose pods are clients of the broker and the store: the services and the jobs.
*/}}
{{- define "semanticmim.clientComponents" -}}
orchestrator,shard,target,trainer,evaluator
{{- end -}}

{{/*
The orchestrator's own environment: the job launcher (Jobs__*), leader election (LeaderElection__*) and the
watchdog (Orchestrator__StageTimeout). Documented in charts/README.md, "Job launcher configuration".
*/}}
{{- define "semanticmim.orchestrator.env" -}}
- name: Jobs__Launcher
  value: {{ .Values.jobs.launcher | quote }}
- name: Jobs__Namespace
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: Jobs__Templates__Pretraining
  value: /etc/semanticmim/jobs/pretraining.yaml
- name: Jobs__Templates__Evaluation
  value: /etc/semanticmim/jobs/evaluation.yaml
- name: LeaderElection__LeaseName
  value: {{ include "semanticmim.orchestrator.leaseName" . | quote }}
- name: LeaderElection__Namespace
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: LeaderElection__Identity
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- with .Values.orchestrator.stageTimeout }}
- name: Orchestrator__StageTimeout
  value: {{ . | quote }}
{{- end }}
{{- with .Values.jobs.tokens }}
{{- if gt (int .gpu.count) 0 }}
- name: Jobs__Templates__Tokens
  value: /etc/semanticmim/jobs/tokens.yaml
- name: Orchestrator__Tokens__Gpus
  value: {{ int .gpu.count | quote }}
- name: Orchestrator__Tokens__SampleThreshold
  value: {{ int64 .sampleThreshold | quote }}
- name: Orchestrator__Tokens__Parts
  value: {{ int .parts | quote }}
{{- end }}
{{- end }}
{{- end -}}
