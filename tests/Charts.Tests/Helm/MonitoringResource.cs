using k8s;
using k8s.Models;

namespace SemanticMIM.Charts.Tests.Helm;

/// <summary>
/// A Prometheus Operator object (<c>monitoring.coreos.com/v1</c> ServiceMonitor or PodMonitor), which
/// KubernetesClient has no model for: typed metadata, and the spec as YAML maps and lists.
/// </summary>
public sealed class MonitoringResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "monitoring.coreos.com/v1";

    public string ApiVersion { get; set; } = "";

    public string Kind { get; set; } = "";

    public V1ObjectMeta Metadata { get; set; } = new();

    public Dictionary<string, object> Spec { get; set; } = [];

    /// <summary>The type map entries for <see cref="KubernetesYaml.LoadAllFromString(string, IDictionary{string, Type}, bool)"/>.</summary>
    public static IDictionary<string, Type> TypeMap { get; } = new Dictionary<string, Type>
    {
        [$"{Group}/ServiceMonitor"] = typeof(MonitoringResource),
        [$"{Group}/PodMonitor"] = typeof(MonitoringResource),
    };

    /// <summary>A value in the spec by path of map keys and list indexes, e.g. ("endpoints", 0, "port").</summary>
    public object? At(params object[] path)
    {
        object? current = Spec;
        foreach (var step in path)
        {
            current = (current, step) switch
            {
                (IDictionary<string, object> map, string key) => map.TryGetValue(key, out var value) ? value : null,
                (IDictionary<object, object> map, string key) => map.TryGetValue(key, out var value) ? value : null,
                (IList<object> list, int index) => index < list.Count ? list[index] : null,
                _ => null,
            };
        }

        return current;
    }
}
