{{/*
The Job a kind of job runs as: everything but its name. The orchestrator's Kubernetes launcher reads it from
/etc/semanticmim/jobs/<kind>.yaml, sets metadata.name (JobSpec.Name), adds the experiment's labels and the
Job__Name, Job__ExperimentId, (for evaluations) Job__EvaluationIndex and (for tokens jobs) Job__Part and Job__Parts
variables to the container, and creates it. A kueueQueue value puts the Job in that Kueue LocalQueue.
Usage: {{ include "semanticmim.jobTemplate" (dict "component" "trainer" "values" .Values.jobs.trainer "context" $) }}
*/}}
{{- define "semanticmim.jobTemplate" -}}
{{- $ctx := .context -}}
{{- $v := .values -}}
{{- $component := .component -}}
{{- $resources := deepCopy ($v.resources | default dict) -}}
{{- if gt (int $v.gpu.count) 0 -}}
{{- $gpu := dict $v.gpu.resourceName (toString (int $v.gpu.count)) -}}
{{- $_ := set $resources "requests" (merge (deepCopy $gpu) ($resources.requests | default dict)) -}}
{{- $_ := set $resources "limits" (merge (deepCopy $gpu) ($resources.limits | default dict)) -}}
{{- end -}}
apiVersion: batch/v1
kind: Job
metadata:
  namespace: {{ include "semanticmim.namespace" $ctx }}
  labels:
    {{- include "semanticmim.labels" (dict "component" $component "managedBy" "semanticmim-orchestrator" "context" $ctx) | nindent 4 }}
    {{- with $v.kueueQueue }}
    kueue.x-k8s.io/queue-name: {{ . | quote }}
    {{- end }}
  {{- include "semanticmim.annotations" (dict "context" $ctx) }}
spec:
  backoffLimit: {{ $v.backoffLimit }}
  ttlSecondsAfterFinished: {{ $v.ttlSecondsAfterFinished }}
  {{- if not (kindIs "invalid" $v.activeDeadlineSeconds) }}
  activeDeadlineSeconds: {{ $v.activeDeadlineSeconds }}
  {{- end }}
  {{- if $ctx.Values.jobs.ignorePodDisruptions }}
  podFailurePolicy:
    rules:
      # An evicted or preempted pod (node drain, higher-priority work) is retried without counting as a failure.
      - action: Ignore
        onPodConditions:
          - type: DisruptionTarget
            status: "True"
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "semanticmim.labels" (dict "component" $component "managedBy" "semanticmim-orchestrator" "context" $ctx) | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "semanticmim.workload.serviceAccountName" $ctx }}
      automountServiceAccountToken: false
      {{- with include "semanticmim.imagePullSecrets" $ctx }}{{ . | nindent 6 }}{{ end }}
      securityContext:
        {{- toYaml $ctx.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 60
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
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
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
          resources:
            {{- toYaml $resources | nindent 12 }}
          volumeMounts:
            {{- include "semanticmim.workVolumeMounts" . | nindent 12 }}
            {{- with $v.extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "semanticmim.workVolumes" $v | nindent 8 }}
        {{- with $v.extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
