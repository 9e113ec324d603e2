using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using SemanticMIM.Charts.Tests.Helm;

namespace SemanticMIM.Charts.Tests;

/// <summary>
/// One broker user and one S3 credential per role, each in a Secret only that role's pods read; broker permissions
/// that cover a role's own queues and exchanges and nothing of another role's.
/// </summary>
public sealed class LeastPrivilegeTests
{
    const string Messages = "SemanticMIM.Contracts.Messages:";

    const string Agents = "SemanticMIM.Platform.Jobs.Agents:";

    /// <summary>
    /// Names the platform declares and uses on RabbitMQ, as rabbitmqctl listed them on a running platform (the five
    /// services and `semanticmim submit --follow`/`status`), by the role that must configure, write and read them.
    /// </summary>
    static readonly Dictionary<string, string[]> Own = new()
    {
        ["orchestrator"] = ["orchestrator", "orchestrator_error", "orchestrator_skipped", "orchestrator-sweeps", "orchestrator-sweeps_error", "mim-semanticmim-orchestrator-6d4b9c7f5-x2x9z_semanticmimorchestrator_bus_hfbyyyy41qbe6ho5bdxin793fg"],
        ["shard"] = ["shard-dataset", "shard-dataset_error", "write-shard", "write-shard_error", "commit-shards", "commit-shards_skipped"],
        ["target"] = ["compute-targets", "compute-targets_error", "write-sweep-report", "write-sweep-report_error"],
        ["trainer"] = ["jobs-pretraining", "jobs-pretraining_error", "jobs-tokens", "jobs-tokens_error", "vm_semanticmimtrainer_endpoint_4byoyyy41qbe9pkzbdxin79py7"],
        ["evaluator"] = ["jobs-evaluation", "jobs-report", "jobs-report_error", "vm_semanticmimevaluator_endpoint_4jyoyyy41qbe95hbbdxin79prz"],
        ["submitter"] = ["vm_semanticmim_endpoint_hfbyyyy41qbe6ho5bdxin793fg", "laptop_semanticmim_bus_4wdoyyfcnyyyyb8ybdpqjqtkbw"],
    };

    /// <summary>Message-type exchanges each role publishes to (declare and write).</summary>
    static readonly Dictionary<string, string[]> Publishes = new()
    {
        ["orchestrator"] = [$"{Messages}ShardDataset", $"{Messages}CommitShards", $"{Messages}ComputeTargets", $"{Messages}RunPretraining", $"{Messages}RunTokens",
            $"{Messages}ExperimentAccepted", $"{Messages}ExperimentRejected", $"{Messages}ExperimentCompleted", $"{Messages}ExperimentCancelled",
            $"{Agents}CancelJob", $"MassTransit:Fault--{Messages}StartExperiment--", $"MassTransit:Fault--{Messages}RunReport--",
            $"{Messages}StartExperiment", $"{Messages}CancelExperiment", $"{Messages}WriteSweepReport", $"{Messages}SweepAccepted", $"{Messages}SweepRejected",
            $"{Messages}SweepProgressed", $"{Messages}SweepCompleted", $"{Messages}SweepFailed", $"{Messages}SweepCancelled", $"MassTransit:Fault--{Messages}StartSweep--"],
        ["shard"] = [$"{Messages}WriteShard", $"{Messages}ShardWritten", $"{Messages}DatasetSharded", $"MassTransit:Fault--{Messages}ShardDataset--"],
        ["target"] = [$"{Messages}TargetsComputed", $"{Messages}SweepReportWritten", $"MassTransit:Fault--{Messages}ComputeTargets--",
            $"MassTransit:Fault--{Messages}WriteSweepReport--"],
        ["trainer"] = [$"{Messages}TrainingProgressed", $"{Messages}CheckpointSaved", $"{Messages}PretrainingCompleted", $"{Messages}TargetsComputed", $"{Messages}ExperimentFailed",
            $"MassTransit:Fault--{Agents}RunJob--"],
        ["evaluator"] = [$"{Messages}EvaluationCompleted", $"{Messages}ReportWritten", $"{Messages}ExperimentFailed"],
        ["submitter"] = [$"{Messages}StartExperiment", $"{Messages}CancelExperiment", $"{Messages}GetExperimentStatus", $"{Messages}StartSweep", $"{Messages}CancelSweep"],
    };

    /// <summary>Exchanges each role binds its endpoints to (declare and read).</summary>
    static readonly Dictionary<string, string[]> Consumes = new()
    {
        ["orchestrator"] = [$"{Messages}StartExperiment", $"{Messages}CancelExperiment", $"{Messages}ShardWritten", $"{Messages}TrainingProgressed",
            $"{Messages}GetExperimentStatus", $"MassTransit:Fault--{Messages}WriteShard--", $"MassTransit:Fault--{Messages}RunEvaluation--",
            $"{Messages}StartSweep", $"{Messages}CancelSweep", $"{Messages}SweepReportWritten", $"{Messages}ExperimentCompleted", $"{Messages}ExperimentCancelled",
            $"{Messages}ExperimentRejected", $"MassTransit:Fault--{Messages}WriteSweepReport--"],
        ["shard"] = [$"{Messages}ShardDataset", $"{Messages}WriteShard", $"{Messages}CommitShards"],
        ["target"] = [$"{Messages}ComputeTargets", $"{Messages}WriteSweepReport"],
        ["trainer"] = [$"{Agents}CancelJob"],
        ["evaluator"] = [$"{Agents}CancelJob"],
        ["submitter"] = [$"{Messages}ExperimentAccepted", $"{Messages}ExperimentRejected", $"{Messages}TrainingProgressed", $"{Messages}ExperimentCompleted",
            $"{Messages}ExperimentFailed", $"{Messages}ExperimentCancelled", $"{Messages}SweepRejected", $"{Messages}SweepProgressed", $"{Messages}SweepCompleted",
            $"{Messages}SweepFailed", $"{Messages}SweepCancelled"],
    };

    public static TheoryData<string> BrokerRoles => new(RenderMatrix.BrokerRoles);

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EveryPodReadsItsOwnRolesSecretsOnly(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        string minioRoot = RenderedChart.FullName("minio");

        foreach (var pod in chart.PodTemplates.Where(pod => RenderMatrix.Workloads.Contains(pod.Component)))
        {
            var references = SecretReferences(pod).ToList();
            var env = Assert.Single(pod.Template.Spec.Containers).Env.ToDictionary(e => e.Name);
            string broker = env["Bus__RabbitMq"].ValueFrom.SecretKeyRef.Name;
            string store = env["Storage__AccessKey"].ValueFrom.SecretKeyRef.Name;
            Assert.Equal(store, env["Storage__SecretKey"].ValueFrom.SecretKeyRef.Name);
            Assert.Equal(valuesFile == RenderMatrix.External ? $"mim-broker-{pod.Component}" : RenderedChart.FullName($"broker-{pod.Component}"), broker);
            string expectedStore = valuesFile switch
            {
                RenderMatrix.External => $"mim-s3-{pod.Component}",
                RenderMatrix.LeastPrivilege => pod.Component is "shard" or "target" ? RenderedChart.FullName($"s3-{pod.Component}") : $"mim-s3-{pod.Component}",
                // Without credentials of their own, the roles fall back to the bundled MinIO's root user (the notes say so).
                _ => minioRoot,
            };
            Assert.Equal(expectedStore, store);
            Assert.Equal(new[] { broker, store }.Order(), references.Distinct().Order());
        }

        if (valuesFile is RenderMatrix.External or RenderMatrix.LeastPrivilege)
        {
            // No Secret is read by the pods of two roles.
            var readers = chart.PodTemplates.Where(pod => RenderMatrix.Workloads.Contains(pod.Component))
                .SelectMany(pod => SecretReferences(pod).Select(secret => (secret, pod.Component)))
                .Distinct()
                .GroupBy(pair => pair.secret);
            Assert.All(readers, group => Assert.True(group.Count() == 1, $"{group.Key} is read by {string.Join(", ", group.Select(pair => pair.Component))}"));
        }
    }

    [Fact]
    public async Task TheBundledBrokerHasOneUserPerRoleWhoseUriIsInThatRolesSecret()
    {
        var chart = await Chart.RenderAsync(null, [.. RenderMatrix.BrokerRoles.SelectMany(role => new[] { "--set", $"rabbitmq.users.{role}.password=Pw-{role}-42" })]);
        var definitions = Definitions(chart);

        var users = definitions.GetProperty("users").EnumerateArray().ToDictionary(user => user.GetProperty("name").GetString()!, user => user.GetProperty("password").GetString());
        Assert.Equal(RenderMatrix.BrokerRoles.Select(role => $"semanticmim-{role}").Order(), users.Keys.Order());
        foreach (var role in RenderMatrix.BrokerRoles)
        {
            Assert.Equal($"Pw-{role}-42", users[$"semanticmim-{role}"]);
            Assert.Equal($"amqp://semanticmim-{role}:Pw-{role}-42@{RenderedChart.FullName("rabbitmq")}:5672/", chart.SecretValues[$"{RenderedChart.FullName($"broker-{role}")}/rabbitmq-uri"]);
        }

        // The administrator is not among them: it keeps its own Secret, which no pod but the broker reads.
        Assert.DoesNotContain("semanticmim", users.Keys);
        Assert.Equal(RenderMatrix.BrokerRoles.Length, definitions.GetProperty("permissions").GetArrayLength());
    }

    [Fact]
    public async Task TheBundledBrokerImportsTheDefinitionsAtEveryStart()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.Defaults);
        var broker = chart.Named<V1StatefulSet>(RenderedChart.FullName("rabbitmq")).Spec.Template;

        var volume = Assert.Single(broker.Spec.Volumes, v => v.Secret is not null);
        Assert.Equal(RenderedChart.FullName("rabbitmq-definitions"), volume.Secret.SecretName);
        var container = Assert.Single(broker.Spec.Containers);
        Assert.Equal("/etc/rabbitmq/definitions", container.VolumeMounts.Single(m => m.Name == volume.Name).MountPath);
        Assert.Contains("rabbitmqctl -q import_definitions /etc/rabbitmq/definitions/definitions.json", string.Join('\n', container.Lifecycle.PostStart.Exec.Command), StringComparison.Ordinal);
        Assert.Contains("checksum/definitions", broker.Metadata.Annotations.Keys);
        // No other pod mounts the definitions: they hold every role's password.
        Assert.All(chart.PodTemplates.Where(pod => pod.Component != "rabbitmq"), pod => Assert.DoesNotContain(RenderedChart.FullName("rabbitmq-definitions"), SecretReferences(pod)));
    }

    [Theory]
    [MemberData(nameof(BrokerRoles))]
    public async Task EachRolesBrokerPermissionsCoverItsOwnNamesAndNoneOfAnotherRoles(string role)
    {
        var bundled = Permissions(Definitions(await Chart.RenderAsync(RenderMatrix.Defaults)), role);
        var external = ExternalPermissions(await Chart.RenderAsync(RenderMatrix.External), role);
        Assert.Equal(bundled, external);
        var (configure, write, read) = bundled;

        foreach (var name in Own[role])
        {
            Assert.True(Grants(configure, name) && Grants(write, name) && Grants(read, name), $"{role} lacks configure, write or read on its own {name}");
        }

        Assert.All(Publishes[role], name => Assert.True(Grants(configure, name) && Grants(write, name), $"{role} cannot publish to {name}"));
        Assert.All(Consumes[role], name => Assert.True(Grants(configure, name) && Grants(read, name), $"{role} cannot bind to {name}"));

        foreach (var (other, names) in Own.Where(pair => pair.Key != role))
        {
            foreach (var name in names)
            {
                // The orchestrator answers the submitter's requests and sends job requests, so it may write there.
                bool sends = role == "orchestrator" && (other == "submitter" || name.StartsWith("jobs-", StringComparison.Ordinal) && !name.Contains('_'));
                Assert.False(Grants(read, name) && !sends, $"{role} may read {other}'s {name}");
                Assert.False(Grants(write, name) && !sends, $"{role} may write {other}'s {name}");
                Assert.False(Grants(configure, name) && !sends, $"{role} may declare or delete {other}'s {name}");
            }
        }

        // Starting and cancelling sweeps is the submitter's alone; experiments the orchestrator starts and cancels too, as a sweep's cells.
        foreach (var command in new[] { $"{Messages}StartSweep", $"{Messages}CancelSweep" })
        {
            Assert.Equal(role == "submitter", Grants(write, command));
        }
        foreach (var command in new[] { $"{Messages}StartExperiment", $"{Messages}CancelExperiment" })
        {
            Assert.Equal(role is "submitter" or "orchestrator", Grants(write, command));
        }

        // Nothing outside the platform's names: the broker's own exchanges, the default exchange, other applications.
        foreach (var foreign in new[] { "amq.direct", "amq.default", "", "billing-events", "SemanticMIM.Contracts.Messages:Other", "orchestrator-2" })
        {
            Assert.False(Grants(configure, foreign) || Grants(write, foreign) || Grants(read, foreign), $"{role} has rights on '{foreign}'");
        }
    }

    [Fact]
    public async Task SetPermissionsScriptRunsRabbitmqctlOncePerRole()
    {
        var chart = await Chart.RenderAsync(RenderMatrix.External);
        string script = chart.Named<V1ConfigMap>(RenderedChart.FullName("broker-permissions")).Data["set-permissions.sh"];

        foreach (var role in RenderMatrix.BrokerRoles)
        {
            var (configure, write, read) = ExternalPermissions(chart, role);
            string command = $"rabbitmqctl set_permissions -p \"${{VHOST:-/}}\" \"${{{role.ToUpperInvariant()}_USER:-semanticmim-{role}}}\" \\\n  '{configure}' \\\n  '{write}' \\\n  '{read}'";
            Assert.Contains(command, script, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RenderMatrix.All), MemberType = typeof(RenderMatrix))]
    public async Task EachWorkloadMayReachDnsTheBrokerAndTheStoreAndOnlyTheOrchestratorTheApi(string valuesFile)
    {
        var chart = await Chart.RenderAsync(valuesFile);
        bool external = valuesFile == RenderMatrix.External;
        var deny = chart.Named<V1NetworkPolicy>(RenderedChart.FullName("default-deny"));
        Assert.Equal(["Ingress", "Egress"], deny.Spec.PolicyTypes);
        Assert.Empty(deny.Spec.Egress ?? []);

        var workloads = chart.PodTemplates.Select(pod => pod.Component).Distinct().ToList();
        Assert.Equal(external ? 5 : 7, workloads.Count);
        foreach (var component in workloads)
        {
            var policies = chart.All<V1NetworkPolicy>().Where(p => p.Spec.PolicyTypes.Contains("Egress") && p.Metadata.Name != deny.Metadata.Name
                && NetworkPolicyTests.Selects(p.Spec.PodSelector, chart.PodTemplates.First(pod => pod.Component == component))).ToList();
            var policy = Assert.Single(policies);
            Assert.Equal(RenderedChart.FullName($"egress-{component}"), policy.Metadata.Name);
            var rules = policy.Spec.Egress;

            var dns = rules[0];
            Assert.Equal([("UDP", 53), ("TCP", 53)], dns.Ports.Select(p => (p.Protocol, int.Parse(p.Port.Value))));
            var resolver = Assert.Single(dns.To);
            Assert.Equal("kube-system", resolver.NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"]);
            Assert.Equal("kube-dns", resolver.PodSelector.MatchLabels["k8s-app"]);

            if (component is "rabbitmq" or "minio")
            {
                Assert.Single(rules);
                continue;
            }

            var (broker, store) = (rules[1], rules[2]);
            if (external)
            {
                Assert.Equal(["10.20.0.15/32"], broker.To.Select(peer => peer.IpBlock.Cidr));
                Assert.Equal(["5671"], broker.Ports.Select(p => p.Port.Value));
                Assert.Equal(["52.95.150.0/24", "52.218.0.0/17"], store.To.Select(peer => peer.IpBlock.Cidr));
                // The port of https://s3.eu-west-1.amazonaws.com.
                Assert.Equal(["443"], store.Ports.Select(p => p.Port.Value));
            }
            else
            {
                AssertSelectsOnly(chart, Assert.Single(broker.To), "rabbitmq");
                Assert.Equal(["5672"], broker.Ports.Select(p => p.Port.Value));
                AssertSelectsOnly(chart, Assert.Single(store.To), "minio");
                Assert.Equal(["9000"], store.Ports.Select(p => p.Port.Value));
            }

            Assert.All(rules.SelectMany(rule => rule.Ports), port => Assert.NotEqual("0", port.Port.Value));
            if (component == "orchestrator")
            {
                var api = Assert.Single(rules.Skip(3));
                string[] expectedCidrs = valuesFile switch
                {
                    RenderMatrix.External => ["172.20.0.10/32"],
                    RenderMatrix.LeastPrivilege => ["10.0.0.1/32", "10.0.0.2/32"],
                    _ => [],
                };
                Assert.Equal(expectedCidrs, (api.To ?? []).Select(peer => peer.IpBlock.Cidr));
                Assert.Equal(external ? ["6443"] : ["443", "6443"], api.Ports.Select(p => p.Port.Value));
            }
            else
            {
                Assert.Equal(3, rules.Count);
            }
        }
    }

    [Fact]
    public async Task EgressCanBeLeftOpen()
    {
        var chart = await Chart.RenderAsync(null, "--set", "networkPolicy.egress.enabled=false");

        Assert.Equal(["Ingress"], chart.Named<V1NetworkPolicy>(RenderedChart.FullName("default-deny")).Spec.PolicyTypes);
        Assert.DoesNotContain(chart.All<V1NetworkPolicy>(), p => p.Spec.PolicyTypes.Contains("Egress"));
    }

    [Fact]
    public async Task EveryRolesBucketPolicyIsValidJsonOverItsOwnPrefixes()
    {
        foreach (var role in RenderMatrix.Workloads)
        {
            using var policy = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Chart.ChartFolder, "policies", $"{role}.json")));
            var statements = policy.RootElement.GetProperty("Statement").EnumerateArray().ToList();
            var written = WrittenPrefixes(role);
            Assert.NotEmpty(written);
            Assert.All(written, resource => Assert.Matches(@"^arn:aws:s3:::semanticmim/[a-z]+/\*$", resource));
            Assert.DoesNotContain(statements, s => s.GetProperty("Action").EnumerateArray().Any(a => a.GetString() is "s3:*" or "s3:CreateBucket" or "s3:DeleteBucket" or "s3:PutBucketPolicy"));
        }

        // Only the shard service (and the evaluator, which shards evaluation data sets) writes data sets.
        Assert.Equal(["evaluator", "shard"], RenderMatrix.Workloads.Where(role => WrittenPrefixes(role).Contains("arn:aws:s3:::semanticmim/datasets/*")).Order());
        Assert.Equal(["orchestrator"], RenderMatrix.Workloads.Where(role => WrittenPrefixes(role).Contains("arn:aws:s3:::semanticmim/orchestrator/*")));
        // The trainer writes a shared pretraining; the orchestrator only its claim.
        Assert.Equal(["orchestrator", "trainer"], RenderMatrix.Workloads.Where(role => WrittenPrefixes(role).Contains("arn:aws:s3:::semanticmim/pretraining/*")).Order());
    }

    static List<string?> WrittenPrefixes(string role)
    {
        using var policy = JsonDocument.Parse(File.ReadAllText(Path.Combine(Chart.ChartFolder, "policies", $"{role}.json")));
        return [.. policy.RootElement.GetProperty("Statement").EnumerateArray().Single(s => s.GetProperty("Sid").GetString() == "WritePrefixes")
            .GetProperty("Resource").EnumerateArray().Select(r => r.GetString())];
    }

    static void AssertSelectsOnly(RenderedChart chart, V1NetworkPolicyPeer peer, string component)
    {
        Assert.Null(peer.NamespaceSelector);
        Assert.Null(peer.IpBlock);
        Assert.Equal([component], chart.PodTemplates.Where(pod => NetworkPolicyTests.Selects(peer.PodSelector, pod)).Select(pod => pod.Component).Distinct());
    }

    /// <summary>RabbitMQ matches a permission's regex anywhere in the name (unanchored), as Regex.IsMatch does.</summary>
    static bool Grants(string pattern, string name) => Regex.IsMatch(name, pattern);

    static IEnumerable<string> SecretReferences(PodTemplate pod) =>
        pod.Template.Spec.Containers.SelectMany(c => c.Env ?? []).Select(e => e.ValueFrom?.SecretKeyRef?.Name)
            .Concat(pod.Template.Spec.Containers.SelectMany(c => c.EnvFrom ?? []).Select(e => e.SecretRef?.Name))
            .Concat((pod.Template.Spec.Volumes ?? []).Select(v => v.Secret?.SecretName))
            .OfType<string>();

    static JsonElement Definitions(RenderedChart chart) =>
        JsonDocument.Parse(chart.SecretValues[$"{RenderedChart.FullName("rabbitmq-definitions")}/definitions.json"]).RootElement;

    static (string Configure, string Write, string Read) Permissions(JsonElement definitions, string role)
    {
        var entry = definitions.GetProperty("permissions").EnumerateArray().Single(p => p.GetProperty("user").GetString() == $"semanticmim-{role}");
        Assert.Equal("/", entry.GetProperty("vhost").GetString());
        return (entry.GetProperty("configure").GetString()!, entry.GetProperty("write").GetString()!, entry.GetProperty("read").GetString()!);
    }

    static (string Configure, string Write, string Read) ExternalPermissions(RenderedChart chart, string role)
    {
        var entry = JsonDocument.Parse(chart.Named<V1ConfigMap>(RenderedChart.FullName("broker-permissions")).Data["permissions.json"]).RootElement.GetProperty(role);
        return (entry.GetProperty("configure").GetString()!, entry.GetProperty("write").GetString()!, entry.GetProperty("read").GetString()!);
    }
}
