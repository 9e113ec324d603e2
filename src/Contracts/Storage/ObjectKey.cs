using System.Text.RegularExpressions;

namespace SemanticMIM.Contracts.Storage;

/// <summary>Rules for object keys: relative, '/'-separated, no empty, '.' or '..' segments, a safe character set.</summary>
public static partial class ObjectKey
{
    public static string Validate(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 1024)
        {
            throw new ArgumentException("an object key must have 1 to 1024 characters", nameof(key));
        }
        if (!SafeKey().IsMatch(key))
        {
            throw new ArgumentException($"object key '{key}' may contain only letters, digits, '-', '_', '.', and '/' between segments", nameof(key));
        }
        if (key.Split('/').Any(segment => segment is "" or "." or ".."))
        {
            throw new ArgumentException($"object key '{key}' has an empty, '.' or '..' segment", nameof(key));
        }
        return key;
    }

    /// <summary>Joins segments into a key and validates it.</summary>
    public static string Join(params string[] segments) => Validate(string.Join('/', segments));

    // \z, not $: '$' also matches before a final line feed, which would let "name\n" through.
    [GeneratedRegex(@"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex SafeKey();
}
