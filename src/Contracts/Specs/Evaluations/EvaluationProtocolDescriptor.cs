namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>
/// What a spec needs to know about one evaluation protocol, free of any ML code: the name a spec gives it, the name
/// its results carry, the options it reads, its named recipes, the labels its data set must have, and any rule of its
/// own. <see cref="SpecValidator"/> checks every evaluation against its descriptor; the evaluator runs the
/// implementation registered under the same <see cref="SpecName"/>.
/// </summary>
/// <param name="specName">The value of <c>protocol:</c> in a spec, e.g. <c>linearProbe</c>; a spec may spell it with any case and dashes.</param>
/// <param name="resultName">The protocol as results, reports and result files name it (<see cref="Results.ProtocolNames"/>).</param>
/// <param name="labels">The labels the evaluated data set must carry.</param>
/// <param name="options">The options of <see cref="EvaluationSpec"/> the protocol reads.</param>
/// <param name="recipes">The recipe names it accepts; none when it takes no recipe.</param>
public abstract class EvaluationProtocolDescriptor(string specName, string resultName, LabelKind labels,
    IReadOnlyCollection<EvaluationOption> options, IReadOnlyList<string>? recipes = null)
{
    public string SpecName { get; } = specName;

    public string ResultName { get; } = resultName;

    public LabelKind Labels { get; } = labels;

    public IReadOnlySet<EvaluationOption> Options { get; } = options.ToHashSet();

    public IReadOnlyList<string> Recipes { get; } = recipes ?? [];

    /// <summary>Rules of this protocol beyond the generic ones; each problem's field lies under <paramref name="at"/> (<c>evaluations[i]</c>).</summary>
    public virtual IEnumerable<SpecProblem> Validate(EvaluationSpec evaluation, string at) => [];
}
