using System.Text.RegularExpressions;

namespace SemanticMIM.Platform.Jobs.Kubernetes;

/// <summary>The Kubernetes API's rules for names, which the options check before any call is made.</summary>
internal static partial class KubernetesNames
{
    /// <summary>A DNS-1123 label of at most 63 characters: the rule for a namespace.</summary>
    public static bool IsNamespace(string name) => name.Length <= 63 && DnsLabel().IsMatch(name);

    /// <summary>A DNS-1123 subdomain of at most 253 characters: the rule for most objects' names (a Lease's among them).</summary>
    public static bool IsObjectName(string name) => name.Length <= 253 && DnsSubdomain().IsMatch(name);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();
}
