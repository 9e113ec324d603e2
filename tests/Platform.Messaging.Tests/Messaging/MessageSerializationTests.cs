using System.Text.Json;
using MassTransit.Serialization;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Platform.Messaging.Tests.Messaging;

/// <summary>The wire rules, on a copy of MassTransit's own serializer options (the end-to-end proof is in RabbitMqBusTests).</summary>
public sealed class MessageSerializationTests
{
    static readonly JsonSerializerOptions Options = MessageSerialization.Apply(new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options));

    static readonly Guid Id = Guid.Parse("0b4f6a4e-33a4-4c2e-9a55-3f4d5c6b7a81");

    [Fact]
    public void ACompleteMessageReadsInAnyCase()
    {
        var message = JsonSerializer.Deserialize<StartExperiment>($$"""{"ExperimentId":"{{Id}}","specYaml":"name: a","REQUESTEDBY":null}""", Options)!;

        Assert.Equal(Id, message.ExperimentId);
        Assert.Equal("name: a", message.SpecYaml);
        Assert.Null(message.RequestedBy);
    }

    [Fact]
    public void UnknownFieldsAreIgnored()
    {
        var message = JsonSerializer.Deserialize<StartExperiment>(
            $$$"""{"experimentId":"{{{Id}}}","specYaml":"name: a","addedInVersion2":{"nested":[1,2]}}""", Options)!;

        Assert.Equal("name: a", message.SpecYaml);
    }

    [Theory]
    [InlineData("""{"experimentId":"0b4f6a4e-33a4-4c2e-9a55-3f4d5c6b7a81"}""", "missing required properties including: 'specYaml'")]
    [InlineData("""{"specYaml":"name: a"}""", "missing required properties including: 'experimentId'")]
    [InlineData("""{"experimentId":"0b4f6a4e-33a4-4c2e-9a55-3f4d5c6b7a81","specYaml":null}""", "'specYaml' of StartExperiment is null")]
    public void AMissingOrNullRequiredMemberIsRefused(string json, string reason)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<StartExperiment>(json, Options));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NullIsRefusedForNonNullableCollectionsAndAcceptedWhereTheContractAllowsIt()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DatasetSharded>(
            $$"""{"experimentId":"{{Id}}","split":"train","samples":3,"shards":null}""", Options));

        var status = JsonSerializer.Deserialize<ExperimentStatus>($$"""{"experimentId":"{{Id}}","state":"unknown","name":null,"stage":null}""", Options)!;
        Assert.Null(status.Name);
    }

    [Fact]
    public void ApplyingTheRulesTwiceDoesNotStackThem()
    {
        var again = MessageSerialization.Apply(new JsonSerializerOptions(Options));

        Assert.Same(Options.TypeInfoResolver, again.TypeInfoResolver);
    }
}
