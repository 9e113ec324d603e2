using SemanticMIM.Platform.Resilience;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// The object store a process uses, bound from the configuration section <c>Storage</c> and checked by
/// <see cref="ObjectStoreOptionsValidator"/>:
/// <code>
/// "Storage": {
///   "Kind": "folder", "Root": "/data/store"
///   // or
///   "Kind": "s3", "Endpoint": "http://minio:9000", "AccessKey": "...", "SecretKey": "...",
///   "Bucket": "semanticmim", "Region": "us-east-1", "KeyPrefix": "optional/prefix", "ConnectTimeout": "00:00:10",
///   "Resilience": { "MaxRetryAttempts": 4, "BaseDelay": "00:00:00.200", "AttemptTimeout": "00:00:30", ... }
/// }
/// </code>
/// The S3 settings are those of <see cref="S3StoreOptions"/>, at the top of the section (environment variables
/// <c>Storage__Endpoint</c>, …); they apply when <see cref="Kind"/> is <c>s3</c>.
/// </summary>
public sealed class ObjectStoreOptions : S3StoreOptions
{
    public const string SectionName = "Storage";

    /// <summary>A <see cref="FolderObjectStore"/> under <see cref="Root"/>.</summary>
    public const string FolderKind = "folder";

    /// <summary>An <see cref="S3ObjectStore"/>.</summary>
    public const string S3Kind = "s3";

    /// <summary><c>folder</c> or <c>s3</c>, in any case; required.</summary>
    public string? Kind { get; set; }

    /// <summary>The folder that holds the objects, when <see cref="Kind"/> is <c>folder</c>.</summary>
    public string? Root { get; set; }

    /// <summary>How the store is retried, timed out and cut off (<c>Storage:Resilience</c>).</summary>
    public ObjectStoreResilienceOptions Resilience { get; set; } = new();

    public bool IsFolder => string.Equals(Kind, FolderKind, StringComparison.OrdinalIgnoreCase);

    public bool IsS3 => string.Equals(Kind, S3Kind, StringComparison.OrdinalIgnoreCase);
}
