using System.Globalization;
using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Storage;

namespace SemanticMIM.Platform.Storage;

/// <summary>Where and how <see cref="S3ObjectStore"/> reaches its bucket. Nothing here has a built-in credential.</summary>
public sealed partial class S3StoreOptions
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

    /// <summary>How long opening a TCP connection to the server may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Every problem with these options, each naming its setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            problems.Add("Endpoint is missing: the S3 server's address, e.g. http://127.0.0.1:9000");
        }
        else if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            problems.Add($"Endpoint '{Endpoint}' is not an http:// or https:// address without path, query or credentials, e.g. http://127.0.0.1:9000");
        }
        if (string.IsNullOrWhiteSpace(AccessKey))
        {
            problems.Add("AccessKey is missing");
        }
        if (string.IsNullOrWhiteSpace(SecretKey))
        {
            problems.Add("SecretKey is missing");
        }
        if (string.IsNullOrEmpty(Bucket))
        {
            problems.Add("Bucket is missing");
        }
        else if (!BucketName().IsMatch(Bucket) || Bucket.Contains("..", StringComparison.Ordinal)
            || IpAddressLike().IsMatch(Bucket))
        {
            problems.Add($"Bucket '{Bucket}' is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)");
        }
        if (string.IsNullOrWhiteSpace(Region))
        {
            problems.Add("Region is missing (us-east-1 when the server does not care)");
        }
        if (!string.IsNullOrEmpty(KeyPrefix))
        {
            try
            {
                ObjectKey.Validate(KeyPrefix.TrimEnd('/'));
            }
            catch (ArgumentException e)
            {
                problems.Add($"KeyPrefix '{KeyPrefix}' is not a valid key prefix: {e.Message}");
            }
        }
        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"ConnectTimeout {ConnectTimeout.ToString("c", CultureInfo.InvariantCulture)} must be positive");
        }
        return problems;
    }

    /// <summary>The options without the secret key, for logs and messages.</summary>
    public override string ToString() => $"{Endpoint.TrimEnd('/')}/{Bucket}{(string.IsNullOrEmpty(KeyPrefix) ? "" : "/" + KeyPrefix.TrimEnd('/'))}";

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+$")]
    private static partial Regex IpAddressLike();
}
