{{/*
Least privilege: one broker user and one S3 credential per role, each in a Secret of its own that only that role's
pods read. See README.md, "Least privilege".
*/}}

{{/* The roles with a broker user: the five workloads, and whoever starts or cancels experiments and sweeps. */}}
{{- define "semanticmim.brokerRoles" -}}
orchestrator,shard,target,trainer,evaluator,submitter
{{- end -}}

{{/* The roles with an S3 credential (the submitter only talks to the broker). */}}
{{- define "semanticmim.storeRoles" -}}
orchestrator,shard,target,trainer,evaluator
{{- end -}}

{{/*
What each role does on the broker, in MassTransit's names (checked against a running platform with rabbitmqctl
list_exchanges/list_queues/list_bindings; tests/Charts.Tests/BrokerPermissionTests.cs holds those names):
- own: queues and exchanges only this role declares, consumes and publishes to: its receive endpoints (kebab-case
  consumer names), their <queue>_error and <queue>_skipped, and its temporary endpoints, named
  <host>_<entry assembly without '-'>_(bus|endpoint)_<id>;
- consumes: message-type exchanges its endpoints bind to (declare and read);
- publishes: message-type exchanges it publishes to, faults of what it consumes included (declare and write);
- sendsTo: endpoints of other roles it sends to directly (declare and write), e.g. the orchestrator's answers to the
  submitter's request client and its job requests to the job agents' queues (which binding them also makes it read).
The orchestrator starts and cancels a sweep's cells as experiments, so it publishes StartExperiment and CancelExperiment too.
Messages: SemanticMIM.Contracts.Messages:<Type>; faults: MassTransit:Fault--<message type>--.
*/}}
{{- define "semanticmim.brokerTopology" -}}
{{- $messages := "SemanticMIM\\.Contracts\\.Messages:" -}}
{{- $agents := "SemanticMIM\\.Platform\\.Jobs\\.Agents:" -}}
{{- $fault := "MassTransit:Fault--" -}}
{{- $temporary := "[A-Za-z0-9_.-]*_%s_(bus|endpoint)_[a-z0-9]+" -}}
{{- $orchestratorConsumes := "StartExperiment|ShardWritten|DatasetSharded|TargetsComputed|TrainingProgressed|PretrainingCompleted|EvaluationCompleted|ReportWritten|ExperimentFailed|CancelExperiment|GetExperimentStatus|RunPretraining|RunEvaluation|RunReport|RunTokens|StartSweep|CancelSweep|SweepReportWritten|ExperimentCompleted|ExperimentCancelled|ExperimentRejected" -}}
{{- $units := "ShardDataset|WriteShard|CommitShards|ComputeTargets|RunPretraining|RunEvaluation|RunReport|RunTokens|WriteSweepReport" -}}
orchestrator:
  own:
    - "orchestrator(-sweeps)?(_error|_skipped)?"
    - {{ printf $temporary "semanticmimorchestrator" | quote }}
  consumes:
    - {{ printf "%s(%s)" $messages $orchestratorConsumes | quote }}
    - {{ printf "%s%s(%s)--" $fault $messages $units | quote }}
  publishes:
    - {{ printf "%s(ShardDataset|CommitShards|ComputeTargets|RunPretraining|RunEvaluation|RunReport|RunTokens|ExperimentAccepted|ExperimentRejected|ExperimentFailed|ExperimentCompleted|ExperimentCancelled)" $messages | quote }}
    - {{ printf "%s(StartExperiment|CancelExperiment|WriteSweepReport|SweepAccepted|SweepRejected|SweepProgressed|SweepCompleted|SweepFailed|SweepCancelled)" $messages | quote }}
    - {{ printf "%sCancelJob" $agents | quote }}
    - {{ printf "%s%s(%s)--" $fault $messages $orchestratorConsumes | quote }}
    - {{ printf "%s%s%s(%s)----" $fault $fault $messages $units | quote }}
  sendsTo:
    - "jobs-(pretraining|evaluation|report|tokens)"
    - {{ printf $temporary "semanticmim" | quote }}
shard:
  own:
    - "(shard-dataset|write-shard|commit-shards)(_error|_skipped)?"
    - {{ printf $temporary "semanticmimshard" | quote }}
  consumes:
    - {{ printf "%s(ShardDataset|WriteShard|CommitShards)" $messages | quote }}
  publishes:
    - {{ printf "%s(WriteShard|ShardWritten|DatasetSharded)" $messages | quote }}
    - {{ printf "%s%s(ShardDataset|WriteShard|CommitShards)--" $fault $messages | quote }}
target:
  own:
    - "(compute-targets|write-sweep-report)(_error|_skipped)?"
    - {{ printf $temporary "semanticmimtarget" | quote }}
  consumes:
    - {{ printf "%s(ComputeTargets|WriteSweepReport)" $messages | quote }}
  publishes:
    - {{ printf "%s(TargetsComputed|SweepReportWritten)" $messages | quote }}
    - {{ printf "%s%s(ComputeTargets|WriteSweepReport)--" $fault $messages | quote }}
trainer:
  own:
    - "jobs-(pretraining|tokens)(_error|_skipped)?"
    - {{ printf $temporary "semanticmimtrainer" | quote }}
  consumes:
    - {{ printf "%sCancelJob" $agents | quote }}
  publishes:
    - {{ printf "%s(TrainingProgressed|CheckpointSaved|PretrainingCompleted|TargetsComputed|ExperimentFailed)" $messages | quote }}
    - {{ printf "%s%s(RunJob|CancelJob)--" $fault $agents | quote }}
evaluator:
  own:
    - "jobs-(evaluation|report)(_error|_skipped)?"
    - {{ printf $temporary "semanticmimevaluator" | quote }}
  consumes:
    - {{ printf "%sCancelJob" $agents | quote }}
  publishes:
    - {{ printf "%s(EvaluationCompleted|ReportWritten|ExperimentFailed)" $messages | quote }}
    - {{ printf "%s%s(RunJob|CancelJob)--" $fault $agents | quote }}
submitter:
  own:
    - {{ printf $temporary "semanticmim" | quote }}
  consumes:
    - {{ printf "%s(ExperimentAccepted|ExperimentRejected|ShardWritten|DatasetSharded|TargetsComputed|TrainingProgressed|PretrainingCompleted|EvaluationCompleted|ReportWritten|ExperimentCompleted|ExperimentFailed|ExperimentCancelled)" $messages | quote }}
    - {{ printf "%s(SweepRejected|SweepProgressed|SweepCompleted|SweepFailed|SweepCancelled)" $messages | quote }}
  publishes:
    - {{ printf "%s(StartExperiment|CancelExperiment|GetExperimentStatus|StartSweep|CancelSweep)" $messages | quote }}
{{- end -}}

{{/*
A role's RabbitMQ permissions on the vhost as a dict of configure, write and read regexes, each anchored: RabbitMQ
matches them unanchored, so "orchestrator" alone would also grant "orchestrator-anything".
AMQP needs configure to declare (MassTransit declares whatever it uses), write to publish to an exchange or bind
something to a queue or exchange, read to consume from a queue or bind from an exchange.
Usage: {{ include "semanticmim.brokerPermissions" (dict "role" "shard") | fromYaml }}
*/}}
{{- define "semanticmim.brokerPermissions" -}}
{{- $topology := include "semanticmim.brokerTopology" . | fromYaml -}}
{{- $r := index $topology .role -}}
{{- $own := $r.own | default list -}}
{{- $consumes := $r.consumes | default list -}}
{{- $publishes := $r.publishes | default list -}}
{{- $sendsTo := $r.sendsTo | default list -}}
configure: {{ printf "^(%s)$" (join "|" (concat $own $consumes $publishes $sendsTo)) | quote }}
write: {{ printf "^(%s)$" (join "|" (concat $own $publishes $sendsTo)) | quote }}
read: {{ printf "^(%s)$" (join "|" (concat $own $consumes $sendsTo)) | quote }}
{{- end -}}

{{/*
Broker credential of a role: the Secret and key holding its AMQP URI. Bundled broker: <fullname>-broker-<role>,
generated. External broker: externalRabbitmq.<role>.existingSecret, or <fullname>-broker-<role> from its uri.
Usage: {{ include "semanticmim.broker.secretName" (dict "role" "shard" "context" $) }}
*/}}
{{- define "semanticmim.broker.secretName" -}}
{{- $external := index .context.Values.externalRabbitmq .role -}}
{{- if and (not .context.Values.rabbitmq.enabled) $external.existingSecret -}}
{{- $external.existingSecret -}}
{{- else -}}
{{- include "semanticmim.componentName" (dict "component" (printf "broker-%s" .role) "context" .context) -}}
{{- end -}}
{{- end -}}

{{- define "semanticmim.broker.uriKey" -}}
{{- $external := index .context.Values.externalRabbitmq .role -}}
{{- ternary $external.existingSecretUriKey "rabbitmq-uri" (and (not .context.Values.rabbitmq.enabled) (not (empty $external.existingSecret))) -}}
{{- end -}}

{{/*
Whether the chart renders the role's broker Secret: always for the bundled broker, and for an external one when
its URI is given inline.
*/}}
{{- define "semanticmim.broker.rendersSecret" -}}
{{- $external := index .context.Values.externalRabbitmq .role -}}
{{- if or .context.Values.rabbitmq.enabled (and (not $external.existingSecret) $external.uri) -}}true{{- end -}}
{{- end -}}

{{/*
S3 credential of a role: storage.credentials.<role>.existingSecret, or <fullname>-s3-<role> from its inline keys,
or (bundled MinIO only, when neither is set) MinIO's root Secret.
Usage: {{ include "semanticmim.store.secretName" (dict "role" "shard" "context" $) }}
*/}}
{{- define "semanticmim.store.secretName" -}}
{{- $c := index .context.Values.storage.credentials .role -}}
{{- if $c.existingSecret -}}
{{- $c.existingSecret -}}
{{- else if $c.accessKey -}}
{{- include "semanticmim.componentName" (dict "component" (printf "s3-%s" .role) "context" .context) -}}
{{- else -}}
{{- include "semanticmim.minio.rootSecretName" .context -}}
{{- end -}}
{{- end -}}

{{- define "semanticmim.store.accessKeyKey" -}}
{{- $c := index .context.Values.storage.credentials .role -}}
{{- if $c.existingSecret -}}
{{- $c.existingSecretAccessKeyKey -}}
{{- else if $c.accessKey -}}
access-key
{{- else -}}
{{- include "semanticmim.minio.rootUserKey" .context -}}
{{- end -}}
{{- end -}}

{{- define "semanticmim.store.secretKeyKey" -}}
{{- $c := index .context.Values.storage.credentials .role -}}
{{- if $c.existingSecret -}}
{{- $c.existingSecretSecretKeyKey -}}
{{- else if $c.accessKey -}}
secret-key
{{- else -}}
{{- include "semanticmim.minio.rootPasswordKey" .context -}}
{{- end -}}
{{- end -}}

{{/* The roles that fall back to MinIO's root credential (no credential of their own), comma-separated. */}}
{{- define "semanticmim.store.rootRoles" -}}
{{- $roles := list -}}
{{- range $role := splitList "," (include "semanticmim.storeRoles" .) -}}
{{- $c := index $.Values.storage.credentials $role -}}
{{- if and $.Values.minio.enabled (not $c.existingSecret) (not $c.accessKey) -}}
{{- $roles = append $roles $role -}}
{{- end -}}
{{- end -}}
{{- join "," $roles -}}
{{- end -}}

{{/* The Secret with the bundled broker's definitions (role users, passwords included, and permissions). */}}
{{- define "semanticmim.rabbitmq.definitionsSecretName" -}}
{{- printf "%s-definitions" (include "semanticmim.rabbitmq.fullname" .) -}}
{{- end -}}

{{/*
The S3 store's TCP port, for the egress policies: MinIO's API port, or the port of externalS3.endpoint (443 for
https:// and 80 for http:// when it names none).
*/}}
{{- define "semanticmim.store.port" -}}
{{- if .Values.minio.enabled -}}
{{- .Values.minio.service.ports.api -}}
{{- else -}}
{{- $endpoint := .Values.externalS3.endpoint | trimSuffix "/" -}}
{{- $port := regexFind ":[0-9]+$" (regexReplaceAll "^https?://" $endpoint "") | trimPrefix ":" -}}
{{- $port | default (ternary "443" "80" (hasPrefix "https://" $endpoint)) -}}
{{- end -}}
{{- end -}}
