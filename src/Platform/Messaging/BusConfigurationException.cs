namespace SemanticMIM.Platform.Messaging;

/// <summary>The bus configuration cannot be used; <see cref="Problems"/> lists every reason.</summary>
public sealed class BusConfigurationException : Exception
{
    public BusConfigurationException(IReadOnlyList<string> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }

    static string Describe(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var noun = problems.Count == 1 ? "problem" : "problems";
        return $"The bus configuration (section '{BusOptions.SectionName}') has {problems.Count} {noun}:{Environment.NewLine}" +
               string.Join(Environment.NewLine, problems.Select(p => "  - " + p));
    }
}
