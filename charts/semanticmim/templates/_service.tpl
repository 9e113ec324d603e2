{{/*
One long-running SemanticMIM service (orchestrator, shard, target): its Deployment, its Service (metrics and health
only; nothing else talks to a service over HTTP) and its PodDisruptionBudget.
Usage:
  {{ include "semanticmim.service" (dict "component" "shard" "values" .Values.shard "context" $) }}
Optional keys: "serviceAccountName", "automountToken" (bool), "env" (rendered EnvVar list), "volumes",
"volumeMounts" (rendered lists), "podAnnotations" (map).
*/}}
{{- define "semanticmim.service" -}}
{{- $ctx := .context -}}
{{- $v := .values -}}
{{- $component := .component -}}
{{- $name := include "semanticmim.componentName" (dict "component" $component "context" $ctx) -}}
{{- $podAnnotations := merge (deepCopy (.podAnnotations | default dict)) (deepCopy ($v.podAnnotations | default dict)) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ include "semanticmim.namespace" $ctx }}
  labels:
    {{- include "semanticmim.labels" (dict "component" $component "context" $ctx) | nindent 4 }}
  {{- include "semanticmim.annotations" (dict "context" $ctx) }}
spec:
  replicas: {{ $v.replicaCount }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "semanticmim.selectorLabels" (dict "component" $component "context" $ctx) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "semanticmim.labels" (dict "component" $component "context" $ctx) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ .serviceAccountName | default (include "semanticmim.workload.serviceAccountName" $ctx) }}
      automountServiceAccountToken: {{ .automountToken | default false }}
      {{- with include "semanticmim.imagePullSecrets" $ctx }}{{ . | nindent 6 }}{{ end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . | quote }}
      {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $v.affinity }}
      affinity:
        {{- toYaml $v.affinity | nindent 8 }}
      {{- else if gt (int $v.replicaCount) 1 }}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "semanticmim.selectorLabels" (dict "component" $component "context" $ctx) | nindent 20 }}
      {{- end }}
      containers:
        - name: {{ $component }}
          image: {{ include "semanticmim.image" (dict "image" $v.image "context" $ctx) | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          securityContext:
            {{- toYaml $ctx.Values.containerSecurityContext | nindent 12 }}
          ports:
            - name: http-metrics
              containerPort: {{ $v.containerPort }}
              protocol: TCP
          env:
            {{- include "semanticmim.platformEnv" (dict "role" $component "port" $v.containerPort "extraEnv" $v.extraEnv "context" $ctx) | nindent 12 }}
            {{- with .env }}
            {{- . | nindent 12 }}
            {{- end }}
          {{- if $v.livenessProbe.enabled }}
          livenessProbe:
            {{- include "semanticmim.probe" (dict "probe" $v.livenessProbe "path" "/health/live") | nindent 12 }}
          {{- end }}
          {{- if $v.readinessProbe.enabled }}
          readinessProbe:
            {{- include "semanticmim.probe" (dict "probe" $v.readinessProbe "path" "/health/ready") | nindent 12 }}
          {{- end }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          volumeMounts:
            {{- include "semanticmim.workVolumeMounts" . | nindent 12 }}
            {{- with .volumeMounts }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "semanticmim.workVolumes" $v | nindent 8 }}
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ include "semanticmim.namespace" $ctx }}
  labels:
    {{- include "semanticmim.labels" (dict "component" $component "context" $ctx) | nindent 4 }}
  {{- include "semanticmim.annotations" (dict "context" $ctx) }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "semanticmim.selectorLabels" (dict "component" $component "context" $ctx) | nindent 4 }}
  ports:
    - name: http-metrics
      port: {{ $v.service.port }}
      targetPort: http-metrics
      protocol: TCP
{{- if $v.pdb.create }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $name }}
  namespace: {{ include "semanticmim.namespace" $ctx }}
  labels:
    {{- include "semanticmim.labels" (dict "component" $component "context" $ctx) | nindent 4 }}
  {{- include "semanticmim.annotations" (dict "context" $ctx) }}
spec:
  {{- include "semanticmim.pdbBudget" $v.pdb | trim | nindent 2 }}
  selector:
    matchLabels:
      {{- include "semanticmim.selectorLabels" (dict "component" $component "context" $ctx) | nindent 6 }}
{{- end }}
{{- end -}}
