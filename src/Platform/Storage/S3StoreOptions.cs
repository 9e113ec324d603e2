namespace SemanticMIM.Platform.Storage;

/// <summary>
/// Where and how <see cref="S3ObjectStore"/> reaches its bucket, checked by <see cref="S3StoreOptionsValidator"/>.
/// Nothing here has a built-in credential. From configuration, these are the S3 settings of the <c>Storage</c>
/// section (<see cref="ObjectStoreOptions"/>).
/// </summary>
public class S3StoreOptions
{
    public const string DefaultBucket = "semanticmim";
    public const string DefaultRegion = "us-east-1";

    /// <summary>The server's base address, scheme included: <c>http://127.0.0.1:9000</c>, <c>https://s3.example.org</c>.</summary>
    public string Endpoint { get; set; } = "";

    public string AccessKey { get; set; } = "";

    public string SecretKey { get; set; } = "";

    /// <summary>The bucket, created when missing.</summary>
    public string Bucket { get; set; } = DefaultBucket;

    public string Region { get; set; } = DefaultRegion;

    /// <summary>An optional folder inside the bucket that every key lives under (e.g. <c>tenant-a</c>).</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>How long opening a TCP connection to the server may take (<c>hh:mm:ss</c>).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The options without the secret key, for logs and messages.</summary>
    public override string ToString() => $"{Endpoint.TrimEnd('/')}/{Bucket}{(string.IsNullOrEmpty(KeyPrefix) ? "" : "/" + KeyPrefix.TrimEnd('/'))}";
}
