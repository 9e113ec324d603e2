using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemanticMIM.Contracts.Storage;
using SemanticMIM.Platform.Hosting;
using SemanticMIM.Platform.Resilience;

namespace SemanticMIM.Platform.Storage;

public static class ObjectStoreRegistration
{
    /// <summary>
    /// Registers the object store a process uses, from the configuration section <c>Storage</c>
    /// (<see cref="ObjectStoreOptions"/>), bound as <see cref="IOptions{ObjectStoreOptions}"/> and checked by
    /// <see cref="ObjectStoreOptionsValidator"/> when the host starts (or when the store is first resolved): an
    /// invalid section fails with an <see cref="OptionsValidationException"/> listing every problem, a value that
    /// cannot be converted with the binder's exception naming its key. The store is a singleton wrapped in
    /// <see cref="ResilientObjectStore"/>; a folder store is also registered as <see cref="ILocalObjectStore"/>.
    /// </summary>
    public static IServiceCollection AddSemanticMimObjectStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddValidatedOptions<ObjectStoreOptions, ObjectStoreOptionsValidator>(configuration, ObjectStoreOptions.SectionName);
        services.AddSingleton<IObjectStore>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<ObjectStoreOptions>>().Value;
            var logger = provider.GetService<ILoggerFactory>()?.CreateLogger(typeof(ResilientObjectStore).FullName!);
            return ResilientObjectStore.Create(Inner(options), options.Resilience, logger, provider.GetService<TimeProvider>());
        });
        // The services to register are chosen before the container exists: only a folder store is a local one.
        var kind = configuration.GetSection(ObjectStoreOptions.SectionName).GetValue<string>(nameof(ObjectStoreOptions.Kind));
        if (new ObjectStoreOptions { Kind = kind }.IsFolder)
        {
            services.AddSingleton(provider => (ILocalObjectStore)provider.GetRequiredService<IObjectStore>());
        }
        return services;
    }

    /// <summary>The undecorated store of validated options.</summary>
    private static IObjectStore Inner(ObjectStoreOptions options) =>
        options.IsFolder ? new FolderObjectStore(options.Root!) : new S3ObjectStore(options);
}
