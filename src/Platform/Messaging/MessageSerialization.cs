using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MassTransit;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Platform.Messaging;

/// <summary>
/// The wire rules of SemanticMIM messages (System.Text.Json inside MassTransit's JSON envelope):
/// unknown fields are ignored, so a newer sender can add optional members; a missing C# <c>required</c>
/// member fails deserialisation, so the message is moved to the endpoint's <c>_error</c> queue with the
/// reason in its <c>MT-Fault-Message</c> header instead of being consumed with default values; so does an explicit
/// <c>null</c> for a member of a contract type that the C# code declares non-nullable.
/// </summary>
/// <remarks>
/// MassTransit 8.5 deserialises a message type with <c>JsonElement.Deserialize&lt;T&gt;</c> and its shared
/// <see cref="MassTransit.Serialization.SystemTextJsonMessageSerializer.Options"/>, whose resolver chain ends in
/// System.Text.Json's <c>DefaultJsonTypeInfoResolver</c>: that resolver marks <c>required</c> members as
/// required JSON properties and throws a <c>JsonException</c> naming them. The exception escapes the consume
/// pipe before any consumer runs, and the receive endpoint's error filter moves the message to <c>_error</c>.
/// These options are process-wide in MassTransit (one static instance), so every bus in the process shares them.
/// </remarks>
public static class MessageSerialization
{
    static readonly Assembly Contracts = typeof(StartExperiment).Assembly;

    /// <summary>Resolvers this class produced, so that configuring a second bus does not stack the modifier again.</summary>
    static readonly HashSet<IJsonTypeInfoResolver> Configured = new(ReferenceEqualityComparer.Instance);

    /// <summary>Applies the SemanticMIM JSON rules to the (process-wide) MassTransit serializer options.</summary>
    public static void UseSemanticMimJson(this IBusFactoryConfigurator configurator)
    {
        ArgumentNullException.ThrowIfNull(configurator);
        configurator.ConfigureJsonSerializerOptions(Apply);
    }

    /// <summary>Applies the SemanticMIM JSON rules to <paramref name="options"/> (a copy of MassTransit's) and returns them.</summary>
    public static JsonSerializerOptions Apply(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The default already, stated so that no later change of defaults makes unknown fields fatal.
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        lock (Configured)
        {
            if (options.TypeInfoResolver is { } resolver && !Configured.Contains(resolver))
            {
                options.TypeInfoResolver = resolver.WithAddedModifier(RejectNullForNonNullableContractMembers);
                Configured.Add(options.TypeInfoResolver);
            }
        }

        return options;
    }

    /// <summary>
    /// <c>required</c> only demands that a member be present; <c>"specYaml": null</c> would still pass. For the
    /// contract types (and only those: MassTransit's own types are left as they are) a null for a member declared
    /// non-nullable is refused as well, as System.Text.Json's <c>RespectNullableAnnotations</c> would do process-wide.
    /// Members bound through a constructor (positional records) are not covered: contracts use init properties.
    /// </summary>
    static void RejectNullForNonNullableContractMembers(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object || typeInfo.Type.Assembly != Contracts)
        {
            return;
        }

        var nullability = new NullabilityInfoContext();
        foreach (var property in typeInfo.Properties)
        {
            if (property.PropertyType.IsValueType || property.Set is null)
            {
                continue;
            }

            var state = property.AttributeProvider switch
            {
                PropertyInfo member => nullability.Create(member).WriteState,
                FieldInfo member => nullability.Create(member).WriteState,
                _ => NullabilityState.Unknown,
            };
            if (state == NullabilityState.NotNull)
            {
                // IsSetNullable = false alone is only enforced under the options-wide RespectNullableAnnotations,
                // which would also apply to MassTransit's own types: check in the setter instead.
                var set = property.Set;
                var name = property.Name;
                var type = typeInfo.Type.Name;
                property.Set = (target, value) =>
                {
                    if (value is null)
                    {
                        throw new JsonException($"'{name}' of {type} is null, which the contract does not allow.");
                    }

                    set(target, value);
                };
            }
        }
    }
}
