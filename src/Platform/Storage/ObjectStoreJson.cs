using System.Text;
using System.Text.Json;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Storage;

/// <summary>Small JSON and text documents in an object store (records, manifests, results).</summary>
public static class ObjectStoreJson
{
    /// <summary>How the platform writes its records in the store: indented camelCase JSON, enums by camelCase name.</summary>
    public static readonly JsonSerializerOptions Records = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>The document at <paramref name="key"/>, or null when there is none.</summary>
    public static async Task<T?> ReadJsonAsync<T>(this IObjectStore store, string key, JsonSerializerOptions options, CancellationToken cancellation = default)
        where T : class
    {
        if (!await store.ExistsAsync(key, cancellation))
        {
            return null;
        }
        await using var stream = await store.GetAsync(key, cancellation);
        return await JsonSerializer.DeserializeAsync<T>(stream, options, cancellation);
    }

    public static Task WriteJsonAsync<T>(this IObjectStore store, string key, T value, JsonSerializerOptions options, CancellationToken cancellation = default) =>
        store.WriteTextAsync(key, JsonSerializer.Serialize(value, options), cancellation);

    public static async Task WriteTextAsync(this IObjectStore store, string key, string text, CancellationToken cancellation = default)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await store.PutAsync(key, content, cancellation);
    }

    public static async Task<string?> ReadTextAsync(this IObjectStore store, string key, CancellationToken cancellation = default)
    {
        if (!await store.ExistsAsync(key, cancellation))
        {
            return null;
        }
        await using var stream = await store.GetAsync(key, cancellation);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellation);
    }
}
