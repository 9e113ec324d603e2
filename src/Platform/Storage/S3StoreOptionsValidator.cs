using System.Text.RegularExpressions;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Hosting;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// Every problem of <see cref="S3StoreOptions"/>, each named by its key in the <c>Storage</c> section
/// (<c>Storage:Endpoint</c>, …), the only place these settings are configured.
/// </summary>
public sealed partial class S3StoreOptionsValidator : OptionsValidator<S3StoreOptions>
{
    const string Section = ObjectStoreOptions.SectionName;

    protected override IEnumerable<string> Problems(S3StoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Endpoint))
        {
            yield return $"{Section}:Endpoint is missing: the S3 server's address, e.g. http://127.0.0.1:9000";
        }
        else if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.UserInfo.Length > 0)
        {
            yield return $"{Section}:Endpoint '{options.Endpoint}' is not an http:// or https:// address without path, query or credentials, e.g. http://127.0.0.1:9000";
        }
        if (string.IsNullOrWhiteSpace(options.AccessKey))
        {
            yield return $"{Section}:AccessKey is missing";
        }
        if (string.IsNullOrWhiteSpace(options.SecretKey))
        {
            yield return $"{Section}:SecretKey is missing";
        }
        if (string.IsNullOrEmpty(options.Bucket))
        {
            yield return $"{Section}:Bucket is missing";
        }
        else if (!BucketName().IsMatch(options.Bucket) || options.Bucket.Contains("..", StringComparison.Ordinal)
            || IpAddressLike().IsMatch(options.Bucket))
        {
            yield return $"{Section}:Bucket '{options.Bucket}' is not a valid S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit)";
        }
        if (string.IsNullOrWhiteSpace(options.Region))
        {
            yield return $"{Section}:Region is missing (us-east-1 when the server does not care)";
        }
        if (!string.IsNullOrEmpty(options.KeyPrefix) && KeyPrefixProblem(options.KeyPrefix) is { } problem)
        {
            yield return $"{Section}:KeyPrefix '{options.KeyPrefix}' is not a valid key prefix: {problem}";
        }
        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            yield return $"{Section}:ConnectTimeout {Format(options.ConnectTimeout)} must be positive";
        }
    }

    static string? KeyPrefixProblem(string keyPrefix)
    {
        try
        {
            ObjectKey.Validate(keyPrefix.TrimEnd('/'));
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    [GeneratedRegex(@"^\d+\.\d+\.\d+\.\d+$")]
    private static partial Regex IpAddressLike();
}
