using System.Text.RegularExpressions;
using k8s;
using k8s.Models;

namespace SemanticMIM.Charts.Tests.Helm;

/// <summary>A pod template of the release: a Deployment's, a StatefulSet's or a Job template's (from the ConfigMap).</summary>
public sealed record PodTemplate(string Kind, string Name, V1PodTemplateSpec Template)
{
    public string Component => Template.Metadata.Labels["app.kubernetes.io/component"];

    public override string ToString() => $"{Kind} {Name}";
}

/// <summary>The manifests <c>helm template</c> printed, parsed into KubernetesClient's typed objects.</summary>
public sealed partial class RenderedChart
{
    RenderedChart(string text, IReadOnlyList<object> objects, IReadOnlyList<string> documents)
    {
        Text = text;
        Objects = objects;
        Documents = documents;
        JobTemplates = ParseJobTemplates();
    }

    public string Text { get; }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>The raw text of every document, as helm printed it.</summary>
    public IReadOnlyList<string> Documents { get; }

    /// <summary>The trainer and evaluator Jobs of the ConfigMap <c>mim-semanticmim-job-templates</c>, by file name.</summary>
    public IReadOnlyDictionary<string, V1Job> JobTemplates { get; }

    public static RenderedChart Parse(string text)
    {
        var objects = KubernetesYaml.LoadAllFromString(text, MonitoringResource.TypeMap, strict: true);
        var documents = DocumentSeparator().Split(text)
            .Where(document => DocumentKind(document) is not null)
            .ToList();
        Assert.Equal(objects.Count, documents.Count);
        return new RenderedChart(text, objects, documents);
    }

    /// <summary>The <c>kind</c> a raw document declares, or null for an empty one.</summary>
    public static string? DocumentKind(string document) => KindLine().Match(document) is { Success: true } match ? match.Groups[1].Value : null;

    public static string FullName(string component) => $"{Chart.ReleaseName}-semanticmim-{component}";

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Named<T>(string name)
        where T : IMetadata<V1ObjectMeta>
    {
        var found = All<T>().Where(item => item.Metadata.Name == name).ToList();
        Assert.True(found.Count == 1, $"expected one {typeof(T).Name} named {name}, found {found.Count}");
        return found[0];
    }

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> KubernetesObjects => Objects.OfType<IKubernetesObject<V1ObjectMeta>>();

    public IEnumerable<MonitoringResource> Monitors(string kind) => All<MonitoringResource>().Where(item => item.Kind == kind);

    /// <summary>Every pod template: Deployments, StatefulSets and the Job templates the orchestrator launches.</summary>
    public IReadOnlyList<PodTemplate> PodTemplates =>
    [
        .. All<V1Deployment>().Select(d => new PodTemplate("Deployment", d.Metadata.Name, d.Spec.Template)),
        .. All<V1StatefulSet>().Select(s => new PodTemplate("StatefulSet", s.Metadata.Name, s.Spec.Template)),
        .. JobTemplates.Select(pair => new PodTemplate("Job template", pair.Key, pair.Value.Spec.Template)),
    ];

    /// <summary>Decoded values of every Secret's data, by "secret/key".</summary>
    public IReadOnlyDictionary<string, string> SecretValues =>
        All<V1Secret>()
            .SelectMany(secret => (secret.Data ?? new Dictionary<string, byte[]>()).Select(pair =>
                KeyValuePair.Create($"{secret.Metadata.Name}/{pair.Key}", System.Text.Encoding.UTF8.GetString(pair.Value)))
                .Concat((secret.StringData ?? new Dictionary<string, string>()).Select(pair =>
                    KeyValuePair.Create($"{secret.Metadata.Name}/{pair.Key}", pair.Value))))
            .ToDictionary();

    Dictionary<string, V1Job> ParseJobTemplates()
    {
        var configMap = Objects.OfType<V1ConfigMap>().SingleOrDefault(map => map.Metadata.Name == FullName("job-templates"));
        if (configMap is null)
        {
            return [];
        }

        return configMap.Data.ToDictionary(pair => pair.Key, pair => KubernetesYaml.Deserialize<V1Job>(pair.Value, strict: true));
    }

    [GeneratedRegex(@"^---\s*$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();

    [GeneratedRegex(@"^kind:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex KindLine();
}
