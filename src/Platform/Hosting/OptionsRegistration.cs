using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace SemanticMIM.Platform.Hosting;

/// <summary>
/// The one way options are read here: bound from a configuration section with <c>BindConfiguration</c>, checked by
/// an <see cref="IValidateOptions{TOptions}"/> that lists every problem at once, and validated when the host starts
/// (<c>ValidateOnStart</c>), so a bad setting stops the process before it takes any work. A value the binder cannot
/// convert fails at the same moment, with the binder's message naming its key.
/// </summary>
public static class OptionsRegistration
{
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string sectionName)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(sectionName);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddOptions<TOptions>().BindConfiguration(sectionName).ValidateOnStart();
    }

    /// <summary>
    /// As <see cref="AddValidatedOptions{TOptions, TValidator}"/> for options with list-valued settings: the binder
    /// appends configured items to a list's initial items, so such options start with empty lists, and
    /// <paramref name="applyDefaults"/> fills the lists the configuration left empty. A configured list thus
    /// replaces its default instead of extending it.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string sectionName,
        Action<TOptions> applyDefaults)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(applyDefaults);
        return services.AddValidatedOptions<TOptions, TValidator>(sectionName).PostConfigure(applyDefaults);
    }

    /// <summary>
    /// As <see cref="AddValidatedOptions{TOptions, TValidator}"/>, for a registration method that is handed the
    /// configuration: <c>BindConfiguration</c> reads the container's <see cref="IConfiguration"/> (a host's is the one it
    /// hands over), and a collection without one (a test's, a tool's) gets <paramref name="configuration"/>.
    /// <paramref name="applyDefaults"/>, when given, runs after binding (see the overload with it).
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, IConfiguration configuration,
        string sectionName, Action<TOptions>? applyDefaults = null)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(configuration);
        return applyDefaults is null
            ? services.AddValidatedOptions<TOptions, TValidator>(sectionName)
            : services.AddValidatedOptions<TOptions, TValidator>(sectionName, applyDefaults);
    }
}

/// <summary>A validator that collects every problem of the options before answering (<see cref="Problems"/>).</summary>
public abstract class OptionsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var problems = ProblemsOf(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Every problem of <paramref name="options"/>; empty when they are usable. Lets a validator include those of nested options.</summary>
    public IReadOnlyList<string> ProblemsOf(TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Problems(options).ToList();
    }

    /// <summary>
    /// Throws <see cref="OptionsValidationException"/> listing every problem, for options handed over as an instance
    /// instead of bound from configuration (a component built without the container).
    /// </summary>
    public TOptions EnsureValid(TOptions options)
    {
        var problems = ProblemsOf(options);
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TOptions), problems);
        }

        return options;
    }

    /// <summary>Every problem, each naming its configuration key (<c>Section:Key</c>).</summary>
    protected abstract IEnumerable<string> Problems(TOptions options);

    /// <summary>A duration as the binder reads it (<c>[-][d.]hh:mm:ss[.fffffff]</c>), for problems that quote one.</summary>
    protected static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
