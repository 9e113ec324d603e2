{{/*
Checks the values that values.schema.json cannot (or that are worth a plainer message), and fails the rendering
with every problem listed at once, one line each:

  Error: execution error at (semanticmim/templates/validate.yaml:2:3):
  VALUES VALIDATION:
    - externalRabbitmq: rabbitmq.enabled is false, so set externalRabbitmq.uri ... or externalRabbitmq.existingSecret ...
    - externalS3: ...
*/}}
{{- define "semanticmim.validateValues" -}}
{{- $v := .Values -}}
{{- $problems := list -}}

{{- /* Broker: one user per role */ -}}
{{- range $role := splitList "," (include "semanticmim.brokerRoles" $) -}}
{{- $external := index $v.externalRabbitmq $role -}}
{{- if not $v.rabbitmq.enabled -}}
{{- if and (not $external.uri) (not $external.existingSecret) (ne $role "submitter") -}}
{{- $problems = append $problems (printf "externalRabbitmq.%s: rabbitmq.enabled is false, so set externalRabbitmq.%s.uri (amqp://user:password@host:5672/vhost) or externalRabbitmq.%s.existingSecret (a Secret with the %s user's URI under existingSecretUriKey)" $role $role $role $role) -}}
{{- end -}}
{{- if and $external.uri $external.existingSecret -}}
{{- $problems = append $problems (printf "externalRabbitmq.%s: set either uri or existingSecret, not both" $role) -}}
{{- end -}}
{{- if and $external.uri (not (regexMatch "^(amqp|amqps|rabbitmq|rabbitmqs)://[^/]+" $external.uri)) -}}
{{- $problems = append $problems (printf "externalRabbitmq.%s.uri: not an AMQP URI; write amqp://user:password@host:5672/vhost (amqps:// for TLS)" $role) -}}
{{- end -}}
{{- if and $external.existingSecret (not $external.existingSecretUriKey) -}}
{{- $problems = append $problems (printf "externalRabbitmq.%s.existingSecretUriKey: empty; name the key of the URI in externalRabbitmq.%s.existingSecret" $role $role) -}}
{{- end -}}
{{- else if or $external.uri $external.existingSecret -}}
{{- $problems = append $problems (printf "externalRabbitmq.%s: set while rabbitmq.enabled is true; the bundled broker creates the %s user itself (rabbitmq.users.%s), so this would be ignored" $role $role $role) -}}
{{- end -}}
{{- end -}}
{{- if $v.rabbitmq.enabled -}}
{{- if and $v.rabbitmq.auth.existingSecret $v.rabbitmq.auth.password -}}
{{- $problems = append $problems "rabbitmq.auth: set either password or existingSecret, not both" -}}
{{- end -}}
{{- if and $v.rabbitmq.auth.existingSecret (not $v.rabbitmq.auth.existingSecretPasswordKey) -}}
{{- $problems = append $problems "rabbitmq.auth: existingSecret needs existingSecretPasswordKey" -}}
{{- end -}}
{{- $names := list $v.rabbitmq.auth.username -}}
{{- range $role := splitList "," (include "semanticmim.brokerRoles" $) -}}
{{- $name := (index $v.rabbitmq.users $role).username -}}
{{- if has $name $names -}}
{{- $problems = append $problems (printf "rabbitmq.users.%s.username: '%s' is already the name of another user; every role needs a user of its own" $role $name) -}}
{{- end -}}
{{- $names = append $names $name -}}
{{- end -}}
{{- end -}}

{{- /* Object store */ -}}
{{- if not $v.minio.enabled -}}
{{- if not $v.externalS3.endpoint -}}
{{- $problems = append $problems "externalS3.endpoint: minio.enabled is false, so set the S3 endpoint (http:// or https://, without path, e.g. https://s3.eu-west-1.amazonaws.com)" -}}
{{- else if not (regexMatch "^https?://[^/?#@]+/?$" $v.externalS3.endpoint) -}}
{{- $problems = append $problems (printf "externalS3.endpoint: '%s' is not an http:// or https:// address without path, query or credentials" $v.externalS3.endpoint) -}}
{{- end -}}
{{- else -}}
{{- if $v.externalS3.endpoint -}}
{{- $problems = append $problems "externalS3.endpoint: set while minio.enabled is true; the bundled MinIO would be used and this endpoint ignored (set minio.enabled=false to use it)" -}}
{{- end -}}
{{- if and $v.minio.auth.existingSecret (or $v.minio.auth.rootUser $v.minio.auth.rootPassword) -}}
{{- $problems = append $problems "minio.auth: set either rootUser/rootPassword or existingSecret, not both" -}}
{{- end -}}
{{- if and $v.minio.auth.rootPassword (lt (len $v.minio.auth.rootPassword) 8) -}}
{{- $problems = append $problems "minio.auth.rootPassword: MinIO needs at least 8 characters" -}}
{{- end -}}
{{- if and $v.minio.auth.rootUser (lt (len $v.minio.auth.rootUser) 3) -}}
{{- $problems = append $problems "minio.auth.rootUser: MinIO needs at least 3 characters" -}}
{{- end -}}
{{- end -}}
{{- range $role := splitList "," (include "semanticmim.storeRoles" $) -}}
{{- $c := index $v.storage.credentials $role -}}
{{- if $c.existingSecret -}}
{{- if or $c.accessKey $c.secretKey -}}
{{- $problems = append $problems (printf "storage.credentials.%s: set either existingSecret or accessKey/secretKey, not both" $role) -}}
{{- end -}}
{{- if or (not $c.existingSecretAccessKeyKey) (not $c.existingSecretSecretKeyKey) -}}
{{- $problems = append $problems (printf "storage.credentials.%s: existingSecret needs existingSecretAccessKeyKey and existingSecretSecretKeyKey" $role) -}}
{{- end -}}
{{- else if or $c.accessKey $c.secretKey -}}
{{- if or (not $c.accessKey) (not $c.secretKey) -}}
{{- $problems = append $problems (printf "storage.credentials.%s: set both accessKey and secretKey" $role) -}}
{{- end -}}
{{- else if not $v.minio.enabled -}}
{{- $problems = append $problems (printf "storage.credentials.%s: minio.enabled is false, so give the %s its own S3 credential: existingSecret (with existingSecretAccessKeyKey and existingSecretSecretKeyKey) or accessKey and secretKey" $role $role) -}}
{{- end -}}
{{- end -}}
{{- if not (regexMatch "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" (toString $v.storage.bucket)) -}}
{{- $problems = append $problems (printf "storage.bucket: '%s' is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)" (toString $v.storage.bucket)) -}}
{{- end -}}

{{- /* Disruption budgets: one of the two, and none that blocks every eviction */ -}}
{{- range $component := list "orchestrator" "shard" "target" "rabbitmq" "minio" -}}
{{- $c := index $v $component -}}
{{- $enabled := or (has $component (list "orchestrator" "shard" "target")) (index $c "enabled") -}}
{{- if and $enabled $c.pdb.create -}}
{{- $min := ternary "" (toString $c.pdb.minAvailable) (kindIs "invalid" $c.pdb.minAvailable) -}}
{{- $max := ternary "" (toString $c.pdb.maxUnavailable) (kindIs "invalid" $c.pdb.maxUnavailable) -}}
{{- $replicas := int ($c.replicaCount | default 1) -}}
{{- if and (ne $min "") (ne $max "") -}}
{{- $problems = append $problems (printf "%s.pdb: set minAvailable or maxUnavailable, not both" $component) -}}
{{- else if and (eq $min "") (eq $max "") -}}
{{- $problems = append $problems (printf "%s.pdb: set minAvailable or maxUnavailable (or pdb.create=false)" $component) -}}
{{- else if and (ne $min "") (not (contains "%" $min)) (ge (int $min) $replicas) -}}
{{- $problems = append $problems (printf "%s.pdb.minAvailable: %s with %d replica(s) would block every voluntary eviction (node drains); lower it or add replicas" $component $min $replicas) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Jobs */ -}}
{{- if not (has $v.jobs.launcher (list "kubernetes" "agents")) -}}
{{- $problems = append $problems (printf "jobs.launcher: '%s' is not 'kubernetes' or 'agents'" (toString $v.jobs.launcher)) -}}
{{- end -}}
{{- range $kind := list "trainer" "evaluator" -}}
{{- $job := index $v.jobs $kind -}}
{{- if and (gt (int $job.gpu.count) 0) (not $job.gpu.resourceName) -}}
{{- $problems = append $problems (printf "jobs.%s.gpu.resourceName: empty while gpu.count is %d; name the GPU resource (nvidia.com/gpu)" $kind (int $job.gpu.count)) -}}
{{- end -}}
{{- range $section := list "requests" "limits" -}}
{{- $given := index ($job.resources | default dict) $section | default dict -}}
{{- if and $job.gpu.resourceName (hasKey $given $job.gpu.resourceName) -}}
{{- $problems = append $problems (printf "jobs.%s.resources.%s: do not set %s here; jobs.%s.gpu.count puts it in requests and limits" $kind $section $job.gpu.resourceName $kind) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Kueue: a LocalQueue for every kind of Job rendered, and no queue settings that would be ignored */ -}}
{{- $kueue := $v.jobs.kueue -}}
{{- if $kueue.enabled -}}
{{- $kinds := list "trainer" "evaluator" -}}
{{- if gt (int $v.jobs.tokens.gpu.count) 0 -}}
{{- $kinds = append $kinds "tokens" -}}
{{- end -}}
{{- $unqueued := list -}}
{{- range $kind := $kinds -}}
{{- if not ((index $kueue $kind | default dict).queueName | default $kueue.queueName) -}}
{{- $unqueued = append $unqueued $kind -}}
{{- end -}}
{{- end -}}
{{- if $unqueued -}}
{{- $problems = append $problems (printf "jobs.kueue.queueName: jobs.kueue.enabled is true, so name the LocalQueue the Jobs wait in (no queue for: %s; or set jobs.kueue.<kind>.queueName for each)" (join ", " $unqueued)) -}}
{{- end -}}
{{- else -}}
{{- $ignored := list -}}
{{- range $key := list "queueName" "priorityClassName" -}}
{{- if index $kueue $key -}}
{{- $ignored = append $ignored (printf "jobs.kueue.%s" $key) -}}
{{- end -}}
{{- end -}}
{{- range $kind := list "trainer" "evaluator" "tokens" -}}
{{- range $key := list "queueName" "priorityClassName" -}}
{{- if index (index $kueue $kind | default dict) $key -}}
{{- $ignored = append $ignored (printf "jobs.kueue.%s.%s" $kind $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $ignored -}}
{{- $problems = append $problems (printf "jobs.kueue: %s set while jobs.kueue.enabled is false; the Jobs would not be queued (set jobs.kueue.enabled=true)" (join ", " $ignored)) -}}
{{- end -}}
{{- end -}}

{{- /* Egress: external endpoints are reached by address */ -}}
{{- if and $v.networkPolicy.enabled $v.networkPolicy.egress.enabled -}}
{{- if and (not $v.rabbitmq.enabled) (not $v.networkPolicy.egress.broker.cidrs) -}}
{{- $problems = append $problems "networkPolicy.egress.broker.cidrs: the broker is external, so list its addresses (e.g. [10.20.0.15/32]) for the egress policies, or set networkPolicy.egress.enabled=false" -}}
{{- end -}}
{{- if and (not $v.minio.enabled) (not $v.networkPolicy.egress.store.cidrs) -}}
{{- $problems = append $problems "networkPolicy.egress.store.cidrs: the S3 store is external, so list its addresses for the egress policies, or set networkPolicy.egress.enabled=false" -}}
{{- end -}}
{{- end -}}

{{- /* Network policy for Prometheus */ -}}
{{- if and $v.networkPolicy.enabled (not $v.networkPolicy.metrics.namespaceSelector) (not $v.networkPolicy.metrics.podSelector) -}}
{{- $problems = append $problems "networkPolicy.metrics: set namespaceSelector and/or podSelector for Prometheus (namespaceSelector: {matchLabels: {}} allows every namespace)" -}}
{{- end -}}

{{- if $problems -}}
{{- fail (printf "\nVALUES VALIDATION:\n  - %s" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
