using System.Text;
using MassTransit;
using RabbitMQ.Client;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Planning.Tests;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SemanticMIM.Orchestration.Tests;

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqFixture>
{
    public const string Name = "orchestrator-broker";
}

/// <summary>
/// Fuzzed start messages, as any AMQP client could publish them, against the orchestrator on a real broker: each is
/// answered (accepted or rejected with its problems) or, when it cannot be read, set aside in the orchestrator's error
/// queue (or, when its envelope names no contract, its skipped queue); none crashes the consumer, none is lost, none
/// hangs, and the orchestrator still serves a good start afterwards.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class MessageFuzzTests(RabbitMqFixture broker, ITestOutputHelper output)
{
    private const int Messages = 1200;
    private const string Queue = "orchestrator";
    private const string StartExchange = "SemanticMIM.Contracts.Messages:StartExperiment";
    private const string StartType = "urn:message:" + StartExchange;

    [Fact]
    public async Task Fuzzed_messages_are_each_answered_or_set_aside_and_none_crashes_or_is_lost()
    {
        await using var harness = await OrchestratorHarness.StartAsync(rabbitMq: broker.AmqpUri, settings: new Dictionary<string, string?>
        {
            ["Data:Roots:0"] = "/data",
            ["Data:Roots:1"] = "/usr/share/datasets",
            ["Validation:TrainerMemoryBytes"] = $"{16L << 30}",
        });
        var fuzzer = new MessageFuzzer(seed: 13);
        var sent = Enumerable.Range(0, Messages).Select(_ => fuzzer.Next()).ToList();

        await using (var connection = await broker.ConnectAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            foreach (var message in sent)
            {
                var properties = new BasicProperties
                {
                    DeliveryMode = DeliveryModes.Persistent, MessageId = Guid.NewGuid().ToString(), ContentType = message.ContentType,
                };
                await channel.BasicPublishAsync(StartExchange, "", mandatory: false, properties, message.Body);
            }
        }

        // Every message ends in exactly one place: an answer naming its id, the error queue or the skipped queue.
        int answered = 0, errors = 0, skipped = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            answered = sent.Count(m => m.Id is { } id && (harness.Messages.Of<ExperimentAccepted>(id).Count + harness.Messages.Of<ExperimentRejected>(id).Count) > 0);
            errors = await DepthAsync(BusRegistration.ErrorQueue(Queue));
            skipped = await DepthAsync($"{Queue}_skipped");
            if (answered + errors + skipped >= Messages)
            {
                break;
            }
            await Task.Delay(250);
        }
        var faults = await ErrorFaultsAsync();
        int accepted = sent.Count(m => m.Id is { } id && harness.Messages.Of<ExperimentAccepted>(id).Count > 0);
        output.WriteLine($"{Messages} sent: {accepted} accepted, {answered - accepted} rejected, {errors} in the error queue, {skipped} skipped; "
            + $"error causes: {string.Join(", ", faults.GroupBy(f => f.Type).Select(g => $"{g.Key} ×{g.Count()}"))}");

        Assert.Equal(Messages, answered + errors + skipped);
        // A message built well-formed (a valid envelope, an id and a spec as text) is always answered, never set aside.
        var unanswered = sent.Where(m => m.WellFormed && (harness.Messages.Of<ExperimentAccepted>(m.Id!.Value).Count
            + harness.Messages.Of<ExperimentRejected>(m.Id.Value).Count) != 1).Select(m => Encoding.UTF8.GetString(m.Body.Span)).ToList();
        Assert.True(unanswered.Count == 0, $"{unanswered.Count} well-formed messages were not answered exactly once, e.g.\n{unanswered.FirstOrDefault()}");
        foreach (var rejection in sent.Where(m => m.Id is not null).SelectMany(m => harness.Messages.Of<ExperimentRejected>(m.Id!.Value)))
        {
            Assert.NotEmpty(rejection.Problems);
        }
        // Set aside only because it could not be read (thrown by the JSON reader or MassTransit's deserializer): a consumer that threw on
        // a readable message would show here.
        Assert.All(faults, fault => Assert.True((fault.StackTrace.Contains("MassTransit.Serialization", StringComparison.Ordinal)
            || fault.StackTrace.Contains("System.Text.Json", StringComparison.Ordinal)) && !fault.StackTrace.Contains(nameof(ExperimentOrchestrator), StringComparison.Ordinal), $"{fault.Type} was not a failure to read:\n{fault.StackTrace}"));
        Assert.Empty(sent.Where(m => m.Id is not null).SelectMany(m => harness.Messages.Of<Fault<StartExperiment>>(m.Id!.Value)));
        Assert.InRange(accepted, 1, Messages / 2);
        Assert.InRange(errors, Messages / 20, Messages * 3 / 4);

        var good = Guid.NewGuid();
        await harness.PublishAsync(new StartExperiment { ExperimentId = good, SpecYaml = "name: after-fuzz\ntraining: { steps: 4 }", RequestedBy = "test" });
        await harness.WaitForAsync<ExperimentAccepted>(good);
    }

    private async Task<int> DepthAsync(string queue)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (int)(await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>The exception MassTransit recorded on each message of the error queue: its type and where it was thrown.</summary>
    private async Task<List<(string Type, string StackTrace)>> ErrorFaultsAsync()
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var faults = new List<(string, string)>();
        while (await channel.BasicGetAsync(BusRegistration.ErrorQueue(Queue), autoAck: false) is { } message)
        {
            string Header(string name) => message.BasicProperties.Headers?.TryGetValue(name, out var value) == true && value is byte[] text
                ? Encoding.UTF8.GetString(text) : "";
            faults.Add((Header("MT-Fault-ExceptionType"), Header("MT-Fault-StackTrace")));
        }
        return faults;
    }

    /// <summary>
    /// Seeded, structure-aware start messages: a well-formed envelope around a fuzzed spec, or one whose fields have
    /// the wrong type, extreme values, control characters, deep nesting or missing parts, or a broken body or content type.
    /// </summary>
    private sealed class MessageFuzzer(int seed)
    {
        private readonly Random _random = new(seed);
        private readonly SpecFuzzer _specs = new(seed);
        private int _count;

        public FuzzedMessage Next()
        {
            var id = Guid.NewGuid();
            // A name of its own, so that an accepted spec does not make every later one a conflicting reuse of "fuzz".
            string spec = Json(_specs.Next().Replace("name: fuzz\n", $"name: fuzz-{++_count}\n", StringComparison.Ordinal));
            string fields = $"\"experimentId\": \"{id}\", \"specYaml\": {spec}, \"requestedBy\": \"fuzz\"";
            const string json = "application/vnd.masstransit+json";
            switch (_random.Next(12))
            {
                case < 5:
                    return new FuzzedMessage(id, true, json, Envelope(fields));
                case 5:
                    var wrongId = Pick("12", "true", "[]", "{}", "\"not-a-guid\"", "\"\"", "1e309", "null", $"\"{id}\\u0000\"");
                    return new FuzzedMessage(id, false, json, Envelope($"\"experimentId\": {wrongId}, \"specYaml\": {spec}, \"requestedBy\": \"fuzz\""));
                case 6:
                    var wrongSpec = Pick("12", "true", "[\"a\"]", "{\"name\": \"x\"}", "null", "-1e309");
                    return new FuzzedMessage(id, false, json, Envelope($"\"experimentId\": \"{id}\", \"specYaml\": {wrongSpec}, \"requestedBy\": \"fuzz\""));
                case 7:
                    var by = Pick("\"\\u0000\\u0007\\u001b[31m\"", "\"\\ud800\"", $"\"{new string('x', 100_000)}\"", "null", "42", "{\"deep\": [[[]]]}");
                    return new FuzzedMessage(id, false, json, Envelope($"\"experimentId\": \"{id}\", \"specYaml\": {spec}, \"requestedBy\": {by}"));
                case 8:
                    int depth = _random.Next(2) == 0 ? _random.Next(2, 60) : _random.Next(65, 5000);
                    string nested = new string('[', depth) + new string(']', depth);
                    return new FuzzedMessage(id, false, json, Envelope($"{fields}, \"extra\": {nested}"));
                case 9:
                    byte[] whole = Encoding.UTF8.GetBytes(Envelope(fields));
                    return _random.Next(2) == 0
                        ? new FuzzedMessage(id, false, json, whole.AsMemory(0, _random.Next(whole.Length)))
                        : new FuzzedMessage(null, false, json, RandomBytes());
                case 10:
                    return new FuzzedMessage(id, false, Pick(json, "text/plain", "application/xml", ""),
                        Encoding.UTF8.GetBytes(Pick($"{{ {fields} }}", "<start/>", "")));
                default:
                    var envelope = Pick(
                        $"{{ \"messageType\": [\"{StartType}\"], \"message\": null }}",
                        $"{{ \"messageType\": [\"{StartType}\"] }}",
                        $"{{ \"messageType\": \"{StartType}\", \"message\": {{ {fields} }} }}",
                        $"{{ \"messageType\": [\"urn:message:Nobody:Knows\"], \"message\": {{ {fields} }} }}",
                        $"[ {{ \"messageType\": [\"{StartType}\"], \"message\": {{ {fields} }} }} ]");
                    return new FuzzedMessage(id, false, json, envelope);
            }
        }

        private static string Envelope(string fields) =>
            $"{{ \"messageId\": \"{Guid.NewGuid()}\", \"messageType\": [\"{StartType}\"], \"message\": {{ {fields} }} }}";

        private byte[] RandomBytes()
        {
            var bytes = new byte[_random.Next(1, 512)];
            _random.NextBytes(bytes);
            return bytes;
        }

        private string Pick(params string[] choices) => choices[_random.Next(choices.Length)];

        private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
    }
}

/// <summary>One fuzzed message: the id it was built around (null for random bytes), and whether it was built well-formed.</summary>
internal sealed record FuzzedMessage(Guid? Id, bool WellFormed, string ContentType, ReadOnlyMemory<byte> Body)
{
    public FuzzedMessage(Guid? id, bool wellFormed, string contentType, string body) : this(id, wellFormed, contentType, Encoding.UTF8.GetBytes(body))
    {
    }
}
