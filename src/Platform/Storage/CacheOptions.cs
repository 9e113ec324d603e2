using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// The local folder for copies of remote objects and for output before upload (configuration section <c>Cache</c>,
/// <c>Cache__Folder</c>; the chart mounts an emptyDir there). Empty: a folder under the temp folder named after the service.
/// </summary>
public sealed class CacheOptions
{
    public const string SectionName = "Cache";

    public string Folder { get; set; } = "";

    public string FolderFor(string serviceName) => Folder.Length > 0 ? Folder : Path.Combine(Path.GetTempPath(), "semanticmim", serviceName);
}

public sealed class CacheOptionsValidator : OptionsValidator<CacheOptions>
{
    protected override IEnumerable<string> Problems(CacheOptions options)
    {
        if (options.Folder.Length > 0 && !Path.IsPathFullyQualified(options.Folder))
        {
            yield return $"{CacheOptions.SectionName}:Folder '{options.Folder}' must be an absolute path.";
        }
    }
}
