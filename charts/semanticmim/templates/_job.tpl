{{/*
The Job a kind of job runs as: everything but its name. The orchestrator's Kubernetes launcher reads it from
/etc/semanticmim/jobs/<kind>.yaml, sets metadata.name (JobSpec.Name), adds the experiment's labels and the
Job__Name, Job__ExperimentId, (for evaluations) Job__EvaluationIndex and (for tokens jobs) Job__Part and Job__Parts
variables to the container, and creates it. With jobs.kueue.enabled the Job is created suspended, in the LocalQueue
(and with the WorkloadPriorityClass) of its kueueKind (trainer, evaluator or tokens; see semanticmim.kueue).
Usage: {{ include "semanticmim.jobTemplate" (dict "component" "trainer" "values" .Values.jobs.trainer "kueueKind" "trainer" "context" $) }}
*/}}
{{- define "semanticmim.jobTemplate" -}}
{{- $ctx := .context -}}
{{- $v := .values -}}
{{- $component := .component -}}
{{- $kueue := include "semanticmim.kueue" (dict "kind" .kueueKind "context" $ctx) | fromYaml -}}
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
    {{- with $kueue.queueName }}
    kueue.x-k8s.io/queue-name: {{ . | quote }}
    {{- end }}
    {{- with $kueue.priorityClassName }}
    kueue.x-k8s.io/priority-class: {{ . | quote }}
    {{- end }}
  {{- include "semanticmim.annotations" (dict "context" $ctx) }}
spec:
  {{- if $kueue.enabled }}
  # Kueue admits the Job (sets suspend to false) once its ClusterQueue has quota for it; no pod starts before.
  suspend: true
  {{- end }}
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

{{/*
The Kueue settings of a kind of Job (trainer, evaluator or tokens), as YAML: enabled, and its queueName and
priorityClassName (its own in jobs.kueue.<kind>, else the shared ones), both empty while Kueue is off.
Usage: {{ include "semanticmim.kueue" (dict "kind" "trainer" "context" $) | fromYaml }}
*/}}
{{- define "semanticmim.kueue" -}}
{{- $kueue := .context.Values.jobs.kueue -}}
{{- $own := index $kueue .kind | default dict -}}
enabled: {{ $kueue.enabled }}
queueName: {{ ternary ($own.queueName | default $kueue.queueName) "" $kueue.enabled | quote }}
priorityClassName: {{ ternary ($own.priorityClassName | default $kueue.priorityClassName) "" $kueue.enabled | quote }}
{{- end -}}
