using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SemanticMIM.Planning;

/// <summary>Short, stable fingerprints of the settings that fix a stage's output, used in object-store names.</summary>
public static class ContentHash
{
    public static string Of(params object?[] parts)
    {
        string canonical = string.Join('\u001f', parts.Select(p => Convert.ToString(p, CultureInfo.InvariantCulture) ?? "∅"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..10];
    }
}
