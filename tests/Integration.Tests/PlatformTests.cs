using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Integration.Tests.Infrastructure;

namespace SemanticMIM.Integration.Tests;

/// <summary>
/// The orchestrator, shard and target services as processes on a real RabbitMQ and a real S3 server, driven as a
/// user would (the CLI) and as other clients may (BusClient, a plain AMQP client). The experiments of this class
/// share a bucket, so the later ones reuse the data set shards and targets of the first.
/// </summary>
[Collection(InfrastructureCollection.Name)]
public sealed partial class PlatformTests(InfrastructureFixture infrastructure, PlatformFixture platform, ITestOutputHelper output)
    : IClassFixture<PlatformFixture>
{
    /// <summary>The exchange MassTransit publishes <see cref="StartExperiment"/> to (its message-type convention).</summary>
    private const string StartExperimentExchange = "SemanticMIM.Contracts.Messages:StartExperiment";

    private const string OrchestratorErrorQueue = "orchestrator_error";

    /// <summary>How long to keep listening for events that must not come.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan Short = TimeSpan.FromSeconds(60);

    [Fact]
    public Task Submit_through_the_cli_follows_the_experiment_to_completion_and_fills_the_store() => platform.RunAsync(infrastructure, output, async events =>
    {
        const string name = "cli-submit";
        string yaml = TinySpecs.FashionMnist(name);
        string specFile = Path.Combine(platform.ScratchFolder, $"{name}.yaml");
        await File.WriteAllTextAsync(specFile, yaml);
        // The broker through SEMANTICMIM_BROKER, the CLI's other way to name it: '--broker' cannot be parsed yet
        // (see The_cli_accepts_the_broker_as_an_option).
        var broker = new Dictionary<string, string> { ["SEMANTICMIM_BROKER"] = infrastructure.AmqpUri.ToString() };

        var submit = await CliProcess.RunAsync(PlatformFixture.ExperimentTimeout, platform.ScratchFolder, broker, "submit", specFile, "--follow");

        Assert.True(submit.ExitCode == 0, $"semanticmim submit --follow failed: {submit}");
        var idLine = IdLine().Match(submit.Output);
        Assert.True(idLine.Success, $"semanticmim submit printed no experiment id: {submit}");
        var id = Guid.Parse(idLine.Groups["id"].Value);
        Assert.True(Regex.IsMatch(submit.Output, $@"(?m)^{name} completed: results in experiments/{name}/results\.json\s*$"),
            $"semanticmim submit printed no completed line: {submit}");

        var status = await CliProcess.RunAsync(Short, platform.ScratchFolder, broker, "status", id.ToString("D"));
        Assert.True(status.ExitCode == 0, $"semanticmim status failed: {status}");
        Assert.Contains($"{id:D} {name}: completed", status.Output, StringComparison.Ordinal);

        // The recorder, subscribed before the CLI ran, saw the same experiment end.
        var completed = await events.WaitForAsync<ExperimentCompleted>(id, "ExperimentCompleted of the submitted experiment", Short);
        Assert.Equal(name, completed.Name);

        var plan = StoreChecks.Plan(yaml);
        var train = await StoreChecks.VerifyTrainingShardsAsync(platform.Store, plan);
        await StoreChecks.VerifyTargetsAsync(platform.Store, plan, train);
        Assert.Equal([2, 4], await StoreChecks.CheckpointStepsAsync(platform.Store, plan));
        await StoreChecks.VerifyOutcomeAsync(platform.Store, plan);
    });

    [Fact]
    public Task The_cli_accepts_the_broker_as_an_option() => platform.RunAsync(infrastructure, output, async events =>
    {
        string broker = infrastructure.AmqpUri.ToString();
        var id = Guid.NewGuid();

        var status = await CliProcess.RunAsync(Short, platform.ScratchFolder, "status", id.ToString("D"), "--broker", broker);

        // An id the orchestrator never saw: it answers "unknown", and status exits 1 for it.
        Assert.True(status.ExitCode == 1 && status.Output.Contains($"{id:D} -: unknown", StringComparison.Ordinal), $"semanticmim status --broker: {status}");
        string specFile = Path.Combine(platform.ScratchFolder, "broker-option.yaml");
        await File.WriteAllTextAsync(specFile, TinySpecs.FashionMnist("broker-option"));
        var submit = await CliProcess.RunAsync(Short, platform.ScratchFolder, "submit", specFile, "--broker", broker);
        var idLine = IdLine().Match(submit.Output);
        Assert.True(submit.ExitCode == 0 && idLine.Success, $"semanticmim submit --broker: {submit}");
        // Leaves the platform idle for the next test.
        await events.WaitForAsync<ExperimentCompleted>(Guid.Parse(idLine.Groups["id"].Value), "ExperimentCompleted of the experiment submitted with --broker",
            PlatformFixture.ExperimentTimeout);
    });

    [Fact]
    public Task A_duplicate_start_yields_one_acceptance_and_one_completion() => platform.RunAsync(infrastructure, output, async events =>
    {
        var start = new StartExperiment { ExperimentId = Guid.NewGuid(), SpecYaml = TinySpecs.FashionMnist("duplicate"), RequestedBy = "integration-tests" };

        await platform.Client.PublishAsync(start);
        await platform.Client.PublishAsync(start);
        await events.WaitForAsync<ExperimentCompleted>(start.ExperimentId, "ExperimentCompleted", PlatformFixture.ExperimentTimeout);
        // A late duplicate, after the experiment finished, changes nothing either.
        await platform.Client.PublishAsync(start);
        await Task.Delay(Quiet);

        Assert.Single(events.Of<ExperimentAccepted>(start.ExperimentId));
        Assert.Single(events.Of<ExperimentCompleted>(start.ExperimentId));
        Assert.Empty(events.Of<ExperimentRejected>(start.ExperimentId));
        Assert.Equal(2, events.Of<DatasetSharded>(start.ExperimentId).Count); // train and test, once each
        var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = start.ExperimentId });
        Assert.Equal("completed", status.State);
    });

    [Fact]
    public Task An_invalid_spec_is_rejected_with_every_problem_and_the_orchestrator_stays_healthy() => platform.RunAsync(infrastructure, output, async events =>
    {
        // Published directly: the CLI would refuse it before sending.
        string yaml = TinySpecs.FashionMnist("invalid", steps: 0).Replace("ratio: 0.6", "ratio: 1.5", StringComparison.Ordinal);
        var id = Guid.NewGuid();

        await platform.Client.PublishAsync(new StartExperiment { ExperimentId = id, SpecYaml = yaml });
        var rejected = await events.WaitForAsync<ExperimentRejected>(id, "ExperimentRejected", Short);

        Assert.Collection(rejected.Problems.Order(StringComparer.Ordinal),
            problem => Assert.StartsWith("masking.ratio: must lie in (0, 1) (got 1.5)", problem, StringComparison.Ordinal),
            problem => Assert.StartsWith("training: set exactly one of steps and epochs", problem, StringComparison.Ordinal));
        await Task.Delay(Quiet);
        Assert.Empty(events.Of<ExperimentAccepted>(id));
        Assert.Empty(events.Of<DatasetSharded>(id));
        await AssertOrchestratorHealthyAsync();
        var status = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = id });
        Assert.Equal("rejected", status.State);
    });

    [Fact]
    public Task A_malformed_start_ends_in_the_error_queue_and_the_orchestrator_still_completes_experiments() => platform.RunAsync(infrastructure, output, async events =>
    {
        var id = Guid.NewGuid();
        string messageId = Guid.NewGuid().ToString();
        string envelope = $$"""
            {
              "messageId": "{{messageId}}",
              "messageType": ["urn:message:SemanticMIM.Contracts.Messages:StartExperiment"],
              "message": { "experimentId": "{{id}}", "requestedBy": "forgot-the-spec" }
            }
            """;

        await using (var connection = await infrastructure.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            // The orchestrator declared the exchange: a passive declare fails if the convention were different.
            await channel.ExchangeDeclarePassiveAsync(StartExperimentExchange);
            var properties = new BasicProperties
            {
                DeliveryMode = DeliveryModes.Persistent,
                MessageId = messageId,
                ContentType = "application/vnd.masstransit+json",
            };
            await channel.BasicPublishAsync(StartExperimentExchange, routingKey: "", mandatory: false, properties, Encoding.UTF8.GetBytes(envelope));
        }

        var faulted = await WaitForErrorAsync(OrchestratorErrorQueue, messageId, Short);
        string reason = Header(faulted, "MT-Fault-Message");
        Assert.Contains("specYaml", reason, StringComparison.Ordinal);
        Assert.Contains("JsonException", Header(faulted, "MT-Fault-ExceptionType"), StringComparison.Ordinal);
        Assert.Contains(id.ToString(), Encoding.UTF8.GetString(faulted.Body.Span), StringComparison.Ordinal);
        output.WriteLine($"{OrchestratorErrorQueue}: {reason}");

        await AssertOrchestratorHealthyAsync();
        Assert.Empty(events.Of<ExperimentAccepted>(id));
        Assert.Empty(events.Of<ExperimentRejected>(id));
        var unknown = await platform.Client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new() { ExperimentId = id });
        Assert.Equal("unknown", unknown.State);

        var valid = new StartExperiment { ExperimentId = Guid.NewGuid(), SpecYaml = TinySpecs.FashionMnist("after-malformed") };
        await platform.Client.PublishAsync(valid);
        var completed = await events.WaitForAsync<ExperimentCompleted>(valid.ExperimentId, "ExperimentCompleted of a valid experiment after the malformed one",
            PlatformFixture.ExperimentTimeout);
        Assert.Equal("after-malformed", completed.Name);
    });

    private async Task AssertOrchestratorHealthyAsync()
    {
        Assert.True(platform.Orchestrator.IsRunning, "the orchestrator process exited");
        Assert.Equal(HttpStatusCode.OK, await platform.Orchestrator.ReadinessAsync());
    }

    /// <summary>Takes messages off <paramref name="queue"/> until the one with <paramref name="messageId"/> comes, within <paramref name="timeout"/>.</summary>
    private async Task<BasicGetResult> WaitForErrorAsync(string queue, string messageId, TimeSpan timeout)
    {
        await using var connection = await infrastructure.ConnectAsync();
        IChannel? channel = null;
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                channel ??= await connection.CreateChannelAsync();
                try
                {
                    var result = await channel.BasicGetAsync(queue, autoAck: true);
                    if (result is null)
                    {
                        await Task.Delay(200);
                        continue;
                    }
                    if (result.BasicProperties.MessageId == messageId || Encoding.UTF8.GetString(result.Body.Span).Contains(messageId, StringComparison.Ordinal))
                    {
                        return result;
                    }
                    seen.Add($"{result.BasicProperties.MessageId}: {Header(result, "MT-Fault-Message")}");
                }
                catch (OperationInterruptedException)
                {
                    // The error queue does not exist before the first fault, and the broker closed the channel.
                    await channel.DisposeAsync();
                    channel = null;
                    await Task.Delay(200);
                }
            }
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync();
            }
        }
        throw new TimeoutException($"message {messageId} did not reach {queue} within {timeout.TotalSeconds:0} s; other messages there: {(seen.Count == 0 ? "none" : string.Join("; ", seen))}");
    }

    private static string Header(BasicGetResult result, string name) =>
        result.BasicProperties.Headers is { } headers && headers.TryGetValue(name, out var value)
            ? value switch { byte[] bytes => Encoding.UTF8.GetString(bytes), _ => value?.ToString() ?? "" }
            : $"(no {name} header)";

    [GeneratedRegex(@"(?m)^(?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\s*$")]
    private static partial Regex IdLine();
}
