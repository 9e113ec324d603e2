using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>Bad values are refused before anything is installed, with messages that name the problem.</summary>
public sealed class ValuesValidationTests
{
    public static TheoryData<string, string[]> SchemaRejections => new()
    {
        { "invalid/missing-image-repository.yaml", ["/shard/image/repository", "/jobs/trainer/image/repository", "minLength: got 0, want 1"] },
        { "invalid/zero-replicas.yaml", ["/target/replicaCount", "minimum: got 0, want 1"] },
        { "invalid/port-out-of-range.yaml", ["/orchestrator/containerPort", "maximum: got 70,000, want 65,535", "/rabbitmq/service/ports/amqp"] },
        { "invalid/wrong-types.yaml", ["/shard/replicaCount", "got string, want integer", "/rabbitmq/enabled", "got string, want boolean", "/jobs/trainer/backoffLimit"] },
        { "invalid/insecure.yaml", ["/containerSecurityContext/readOnlyRootFilesystem", "/containerSecurityContext/allowPrivilegeEscalation", "/podSecurityContext/runAsNonRoot"] },
        { "invalid/too-many-gpus.yaml", ["/jobs/trainer/gpu/count", "maximum: got 2, want 1"] },
        { "invalid/external-without-endpoints.yaml", ["/externalRabbitmq/orchestrator/uri", "/externalRabbitmq/evaluator/existingSecret", "/externalS3/endpoint"] },
        { "invalid/bad-kueue.yaml", ["/jobs/kueue/queueName': 'GPU_Batch' does not match pattern", "/jobs/kueue/priorityClassName': maxLength: got 67, want 63",
            "/jobs/kueue/enabled': got string, want boolean", "/jobs/kueue': additional properties 'report' not allowed",
            "/jobs/tokens': additional properties 'kueueQueue' not allowed"] },
        { "invalid/bad-egress.yaml", ["/networkPolicy/egress/broker/cidrs/0': 'rabbitmq.example.org' does not match pattern", "/networkPolicy/egress/broker/ports/0': maximum: got 70,000", "/networkPolicy/egress/kubernetesApi/ports': minItems: got 0, want 1"] },
    };

    [Theory]
    [MemberData(nameof(SchemaRejections))]
    public async Task TheSchemaRejectsBadValuesNamingEachOne(string valuesFile, string[] messages)
    {
        var result = await Chart.TemplateAsync(valuesFile);

        Assert.False(result.Succeeded, $"{valuesFile} was accepted");
        Assert.Contains("values don't meet the specifications of the schema", result.Error, StringComparison.Ordinal);
        Assert.All(messages, message => Assert.Contains(message, result.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheValidateHelperListsEveryProblemAtOnce()
    {
        var result = await Chart.TemplateAsync("invalid/several-problems.yaml");

        Assert.False(result.Succeeded);
        Assert.Contains("VALUES VALIDATION:", result.Error, StringComparison.Ordinal);
        string[] problems =
        [
            "  - rabbitmq.auth: set either password or existingSecret, not both",
            "  - storage.credentials.shard: set both accessKey and secretKey",
            "  - shard.pdb.minAvailable: 2 with 2 replica(s) would block every voluntary eviction",
            "  - target.pdb: set minAvailable or maxUnavailable, not both",
            "  - jobs.trainer.resources.limits: do not set nvidia.com/gpu here",
        ];
        Assert.All(problems, problem => Assert.Contains(problem, result.Error, StringComparison.Ordinal));
        Assert.Equal(problems.Length, result.Error.Split('\n').Count(line => line.StartsWith("  - ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BothBrokerAndStoreExternalWithoutEndpointsListsBothEvenWithoutTheSchema()
    {
        var result = await Chart.TemplateAsync("invalid/external-without-endpoints.yaml", "--skip-schema-validation");

        Assert.False(result.Succeeded);
        Assert.Contains("VALUES VALIDATION:", result.Error, StringComparison.Ordinal);
        foreach (var role in RenderMatrix.Workloads)
        {
            Assert.Contains($"  - externalRabbitmq.{role}: rabbitmq.enabled is false, so set externalRabbitmq.{role}.uri (amqp://user:password@host:5672/vhost) or externalRabbitmq.{role}.existingSecret", result.Error, StringComparison.Ordinal);
            Assert.Contains($"  - storage.credentials.{role}: minio.enabled is false, so give the {role} its own S3 credential", result.Error, StringComparison.Ordinal);
        }

        // The submitter's credential is for people and CI, not for a pod: an external broker may leave it out.
        Assert.DoesNotContain("externalRabbitmq.submitter", result.Error, StringComparison.Ordinal);
        Assert.Contains("  - externalS3.endpoint: minio.enabled is false, so set the S3 endpoint", result.Error, StringComparison.Ordinal);
        Assert.Contains("  - networkPolicy.egress.broker.cidrs: the broker is external, so list its addresses", result.Error, StringComparison.Ordinal);
        Assert.Contains("  - networkPolicy.egress.store.cidrs: the S3 store is external, so list its addresses", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("externalRabbitmq.shard.uri=http://broker:5672/", "rabbitmq.enabled=false", "externalRabbitmq.shard.uri: not an AMQP URI")]
    [InlineData("externalRabbitmq.trainer.uri=amqp://t:p@broker:5672/", "rabbitmq.enabled=true", "externalRabbitmq.trainer: set while rabbitmq.enabled is true")]
    [InlineData("rabbitmq.users.target.username=semanticmim-shard", "rabbitmq.enabled=true", "rabbitmq.users.target.username: 'semanticmim-shard' is already the name of another user")]
    [InlineData("storage.credentials.trainer.existingSecret=s3-trainer", "storage.credentials.trainer.accessKey=AKIA", "storage.credentials.trainer: set either existingSecret or accessKey/secretKey, not both")]
    [InlineData("externalS3.endpoint=https://s3.example.org/bucket", "minio.enabled=false", "externalS3.endpoint: 'https://s3.example.org/bucket' is not an http:// or https:// address without path")]
    [InlineData("storage.bucket=Bad_Bucket", "rabbitmq.enabled=true", "storage.bucket: 'Bad_Bucket' is not an S3 bucket name")]
    [InlineData("jobs.kueue.enabled=true", "jobs.kueue.trainer.queueName=gpu-batch",
        "jobs.kueue.queueName: jobs.kueue.enabled is true, so name the LocalQueue the Jobs wait in (no queue for: evaluator; or set jobs.kueue.<kind>.queueName for each)")]
    [InlineData("jobs.kueue.queueName=gpu-batch", "jobs.kueue.tokens.priorityClassName=high",
        "jobs.kueue: jobs.kueue.queueName, jobs.kueue.tokens.priorityClassName set while jobs.kueue.enabled is false; the Jobs would not be queued (set jobs.kueue.enabled=true)")]
    [InlineData("networkPolicy.metrics.namespaceSelector=null", "networkPolicy.metrics.podSelector=null", "networkPolicy.metrics: set namespaceSelector and/or podSelector")]
    public async Task SingleProblemsAreNamedPlainly(string setting, string other, string message)
    {
        var result = await Chart.TemplateAsync(null, "--skip-schema-validation", "--set", setting, "--set", other,
            "--set", "externalRabbitmq.orchestrator.existingSecret=broker");

        Assert.False(result.Succeeded, $"{setting} was accepted");
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheNotesTellHowToTriggerAnExperimentAndWhereTheDashboardsAre()
    {
        var result = await Chart.InstallDryRunAsync(RenderMatrix.Defaults);

        Assert.True(result.Succeeded, result.ToString());
        string notes = result.Output[result.Output.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains($"kubectl -n {Chart.Namespace} port-forward svc/{RenderedChart.FullName("rabbitmq")} 5672:5672", notes, StringComparison.Ordinal);
        Assert.Contains("semanticmim.dll submit deploy/examples/fashion-mnist-maskfeat.yaml", notes, StringComparison.Ordinal);
        Assert.Contains("--broker \"$SEMANTICMIM_BROKER\"", notes, StringComparison.Ordinal);
        Assert.Contains("\"SemanticMIM.Contracts.Messages:StartExperiment\"", notes, StringComparison.Ordinal);
        Assert.Contains("urn:message:SemanticMIM.Contracts.Messages:StartExperiment", notes, StringComparison.Ordinal);
        Assert.Contains($"{RenderedChart.FullName("dashboard-experiments")} and {RenderedChart.FullName("dashboard-services")}", notes, StringComparison.Ordinal);
        Assert.Contains("grafana_dashboard=\"1\"", notes, StringComparison.Ordinal);
    }
}
