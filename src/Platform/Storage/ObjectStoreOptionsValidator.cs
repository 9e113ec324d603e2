using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Resilience;

namespace SemanticMIM.Platform.Storage;

/// <summary>
/// Every problem of the <c>Storage</c> section (<see cref="ObjectStoreOptions"/>): the kind, the folder store's root
/// or the S3 settings (<see cref="S3StoreOptionsValidator"/>), and the resilience settings
/// (<see cref="ObjectStoreResilienceOptionsValidator"/>), each named by its key.
/// </summary>
public sealed class ObjectStoreOptionsValidator : OptionsValidator<ObjectStoreOptions>
{
    const string Section = ObjectStoreOptions.SectionName;

    static readonly S3StoreOptionsValidator S3 = new();

    static readonly ObjectStoreResilienceOptionsValidator Resilience = new();

    protected override IEnumerable<string> Problems(ObjectStoreOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Kind))
        {
            yield return $"{Section}:Kind is missing: set it to '{ObjectStoreOptions.FolderKind}' (with {Section}:Root) " +
                         $"or '{ObjectStoreOptions.S3Kind}' (with {Section}:Endpoint, {Section}:AccessKey, {Section}:SecretKey)";
        }
        else if (options.IsFolder)
        {
            if (string.IsNullOrWhiteSpace(options.Root))
            {
                yield return $"{Section}:Root is missing: the folder that holds the objects";
            }
        }
        else if (options.IsS3)
        {
            foreach (var problem in S3.ProblemsOf(options))
            {
                yield return problem;
            }
        }
        else
        {
            yield return $"{Section}:Kind '{options.Kind}' is not a store kind: use '{ObjectStoreOptions.FolderKind}' or '{ObjectStoreOptions.S3Kind}'";
        }

        if (options.Resilience is null)
        {
            yield return $"{Section}:Resilience is null";
        }
        else
        {
            foreach (var problem in Resilience.ProblemsOf(options.Resilience))
            {
                yield return problem;
            }
        }
    }
}
