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

{{- /* Broker */ -}}
{{- if not $v.rabbitmq.enabled -}}
{{- if and (not $v.externalRabbitmq.uri) (not $v.externalRabbitmq.existingSecret) -}}
{{- $problems = append $problems "externalRabbitmq: rabbitmq.enabled is false, so set externalRabbitmq.uri (amqp://user:password@host:5672/) or externalRabbitmq.existingSecret (a Secret with the URI under externalRabbitmq.existingSecretUriKey)" -}}
{{- end -}}
{{- if and $v.externalRabbitmq.uri (not (regexMatch "^(amqp|amqps|rabbitmq|rabbitmqs)://[^/]+" $v.externalRabbitmq.uri)) -}}
{{- $problems = append $problems "externalRabbitmq.uri: not an AMQP URI; write amqp://user:password@host:5672/ (amqps:// for TLS)" -}}
{{- end -}}
{{- if and $v.externalRabbitmq.existingSecret (not $v.externalRabbitmq.existingSecretUriKey) -}}
{{- $problems = append $problems "externalRabbitmq.existingSecretUriKey: empty; name the key of the URI in externalRabbitmq.existingSecret" -}}
{{- end -}}
{{- else -}}
{{- if $v.externalRabbitmq.uri -}}
{{- $problems = append $problems "externalRabbitmq.uri: set while rabbitmq.enabled is true; the bundled broker would be used and this URI ignored (set rabbitmq.enabled=false to use it)" -}}
{{- end -}}
{{- if and $v.rabbitmq.auth.existingSecret $v.rabbitmq.auth.password -}}
{{- $problems = append $problems "rabbitmq.auth: set either password or existingSecret, not both" -}}
{{- end -}}
{{- if and $v.rabbitmq.auth.existingSecret (or (not $v.rabbitmq.auth.existingSecretPasswordKey) (not $v.rabbitmq.auth.existingSecretUriKey)) -}}
{{- $problems = append $problems "rabbitmq.auth: existingSecret needs existingSecretPasswordKey and existingSecretUriKey" -}}
{{- end -}}
{{- end -}}

{{- /* Object store */ -}}
{{- if not $v.minio.enabled -}}
{{- if not $v.externalS3.endpoint -}}
{{- $problems = append $problems "externalS3.endpoint: minio.enabled is false, so set the S3 endpoint (http:// or https://, without path, e.g. https://s3.eu-west-1.amazonaws.com)" -}}
{{- else if not (regexMatch "^https?://[^/?#@]+/?$" $v.externalS3.endpoint) -}}
{{- $problems = append $problems (printf "externalS3.endpoint: '%s' is not an http:// or https:// address without path, query or credentials" $v.externalS3.endpoint) -}}
{{- end -}}
{{- if not $v.externalS3.existingSecret -}}
{{- if or (not $v.externalS3.accessKey) (not $v.externalS3.secretKey) -}}
{{- $problems = append $problems "externalS3: minio.enabled is false, so set externalS3.existingSecret (with the keys externalS3.existingSecretAccessKeyKey and existingSecretSecretKeyKey) or both externalS3.accessKey and externalS3.secretKey" -}}
{{- end -}}
{{- else if or $v.externalS3.accessKey $v.externalS3.secretKey -}}
{{- $problems = append $problems "externalS3: set either existingSecret or accessKey/secretKey, not both" -}}
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

{{- /* Network policy for Prometheus */ -}}
{{- if and $v.networkPolicy.enabled (not $v.networkPolicy.metrics.namespaceSelector) (not $v.networkPolicy.metrics.podSelector) -}}
{{- $problems = append $problems "networkPolicy.metrics: set namespaceSelector and/or podSelector for Prometheus (namespaceSelector: {matchLabels: {}} allows every namespace)" -}}
{{- end -}}

{{- if $problems -}}
{{- fail (printf "\nVALUES VALIDATION:\n  - %s" (join "\n  - " $problems)) -}}
{{- end -}}
{{- end -}}
