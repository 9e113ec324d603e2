using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Resilience;

namespace SemanticMIM.Platform.Storage;

/// <summary>The configuration section "Storage" is wrong; <see cref="Problems"/> names every wrong setting.</summary>
public sealed class ObjectStoreConfigurationException(IReadOnlyList<string> problems)
    : InvalidOperationException(
        $"the object store configuration (section '{ObjectStoreRegistration.SectionName}') is invalid:{Environment.NewLine}"
        + string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Registers the object store a process uses, from configuration:
/// <code>
/// "Storage": {
///   "Kind": "folder", "Root": "/data/store"
///   // or
///   "Kind": "s3", "Endpoint": "http://minio:9000", "AccessKey": "...", "SecretKey": "...",
///   "Bucket": "semanticmim", "Region": "us-east-1", "KeyPrefix": "optional/prefix", "ConnectTimeout": "00:00:10",
///   "Resilience": { "MaxRetryAttempts": 4, "BaseDelay": "00:00:00.200", "AttemptTimeout": "00:00:30", ... }
/// }
/// </code>
/// Durations are invariant <c>[d.]hh:mm:ss[.fff]</c>. The store is a singleton wrapped in
/// <see cref="ResilientObjectStore"/>; a folder store is also registered as <see cref="ILocalObjectStore"/>.
/// </summary>
public static class ObjectStoreRegistration
{
    public const string SectionName = "Storage";

    /// <exception cref="ObjectStoreConfigurationException">Settings are missing or invalid; it lists all of them.</exception>
    public static IServiceCollection AddSemanticMimObjectStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var settings = Read(configuration.GetSection(SectionName));
        services.AddSingleton<IObjectStore>(provider =>
        {
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger(typeof(ResilientObjectStore).FullName!);
            return ResilientObjectStore.Create(settings.CreateInner(), settings.Resilience, logger, provider.GetService<TimeProvider>());
        });
        if (settings.Kind == StoreKind.Folder)
        {
            services.AddSingleton(provider => (ILocalObjectStore)provider.GetRequiredService<IObjectStore>());
        }
        return services;
    }

    /// <summary>Reads and validates the section; throws with every problem at once.</summary>
    public static ObjectStoreSettings Read(IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var problems = new List<string>();
        string Key(string name) => $"{section.Path}:{name}";

        string? kind = section["Kind"]?.Trim();
        StoreKind storeKind = StoreKind.Folder;
        string? root = null;
        S3StoreOptions? s3 = null;
        switch (kind?.ToLowerInvariant())
        {
            case null or "":
                problems.Add($"{Key("Kind")} is missing: set it to 'folder' (with {Key("Root")}) or 's3' (with {Key("Endpoint")}, {Key("AccessKey")}, {Key("SecretKey")})");
                break;
            case "folder":
                storeKind = StoreKind.Folder;
                root = section["Root"];
                if (string.IsNullOrWhiteSpace(root))
                {
                    problems.Add($"{Key("Root")} is missing: the folder that holds the objects");
                }
                break;
            case "s3":
                storeKind = StoreKind.S3;
                s3 = new S3StoreOptions
                {
                    Endpoint = section["Endpoint"] ?? "",
                    AccessKey = section["AccessKey"] ?? "",
                    SecretKey = section["SecretKey"] ?? "",
                    Bucket = section["Bucket"] ?? S3StoreOptions.DefaultBucket,
                    Region = section["Region"] ?? S3StoreOptions.DefaultRegion,
                    KeyPrefix = section["KeyPrefix"],
                };
                s3.ConnectTimeout = ReadTimeSpan(section, "ConnectTimeout", s3.ConnectTimeout, problems);
                problems.AddRange(s3.Validate().Select(p => Key(p)));
                break;
            default:
                problems.Add($"{Key("Kind")} '{kind}' is not a store kind: use 'folder' or 's3'");
                break;
        }

        var resilience = new ObjectStoreResilienceOptions();
        var resilienceSection = section.GetSection("Resilience");
        resilience.MaxRetryAttempts = ReadInt(resilienceSection, "MaxRetryAttempts", resilience.MaxRetryAttempts, problems);
        resilience.BaseDelay = ReadTimeSpan(resilienceSection, "BaseDelay", resilience.BaseDelay, problems);
        resilience.MaxDelay = ReadTimeSpan(resilienceSection, "MaxDelay", resilience.MaxDelay, problems);
        resilience.AttemptTimeout = ReadTimeSpan(resilienceSection, "AttemptTimeout", resilience.AttemptTimeout, problems);
        resilience.MinimumTransferBytesPerSecond = ReadLong(resilienceSection, "MinimumTransferBytesPerSecond", resilience.MinimumTransferBytesPerSecond, problems);
        resilience.FailureRatio = ReadDouble(resilienceSection, "FailureRatio", resilience.FailureRatio, problems);
        resilience.MinimumThroughput = ReadInt(resilienceSection, "MinimumThroughput", resilience.MinimumThroughput, problems);
        resilience.SamplingDuration = ReadTimeSpan(resilienceSection, "SamplingDuration", resilience.SamplingDuration, problems);
        resilience.BreakDuration = ReadTimeSpan(resilienceSection, "BreakDuration", resilience.BreakDuration, problems);
        // A value that does not parse keeps its (valid) default, so Validate does not report it twice.
        problems.AddRange(resilience.Validate().Select(p => $"{Key("Resilience")}:{p}"));

        if (problems.Count > 0)
        {
            throw new ObjectStoreConfigurationException(problems);
        }
        return new ObjectStoreSettings(storeKind, root, s3, resilience);
    }

    private static string? Value(IConfigurationSection section, string name, out string key)
    {
        key = $"{section.Path}:{name}";
        string? value = section[name];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static int ReadInt(IConfigurationSection section, string name, int fallback, List<string> problems)
    {
        if (Value(section, name, out string key) is not { } value)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed))
        {
            return parsed;
        }
        problems.Add($"{key} '{value}' is not a whole number");
        return fallback;
    }

    private static long ReadLong(IConfigurationSection section, string name, long fallback, List<string> problems)
    {
        if (Value(section, name, out string key) is not { } value)
        {
            return fallback;
        }
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed))
        {
            return parsed;
        }
        problems.Add($"{key} '{value}' is not a whole number");
        return fallback;
    }

    private static double ReadDouble(IConfigurationSection section, string name, double fallback, List<string> problems)
    {
        if (Value(section, name, out string key) is not { } value)
        {
            return fallback;
        }
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
        {
            return parsed;
        }
        problems.Add($"{key} '{value}' is not a number");
        return fallback;
    }

    private static TimeSpan ReadTimeSpan(IConfigurationSection section, string name, TimeSpan fallback, List<string> problems)
    {
        if (Value(section, name, out string key) is not { } value)
        {
            return fallback;
        }
        if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }
        problems.Add($"{key} '{value}' is not a duration ([d.]hh:mm:ss[.fff], e.g. 00:00:30)");
        return fallback;
    }
}

public enum StoreKind
{
    Folder,
    S3,
}

/// <summary>The validated contents of the "Storage" section.</summary>
public sealed record ObjectStoreSettings(StoreKind Kind, string? Root, S3StoreOptions? S3, ObjectStoreResilienceOptions Resilience)
{
    /// <summary>The undecorated store these settings describe.</summary>
    public IObjectStore CreateInner() => Kind switch
    {
        StoreKind.Folder => new FolderObjectStore(Root!),
        StoreKind.S3 => new S3ObjectStore(S3!),
        _ => throw new InvalidOperationException($"unknown store kind {Kind}"),
    };
}
