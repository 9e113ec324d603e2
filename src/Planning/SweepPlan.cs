using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning.Validation;

namespace SemanticMIM.Planning;

/// <summary>One cell of a sweep with its plan.</summary>
public sealed record SweepCellPlan(SweepCell Cell, ExperimentPlan Plan);

/// <summary>
/// A sweep whose every cell passed the one spec validation (<see cref="ExperimentPlan.Read"/>), so that nothing starts
/// unless all of it can: the file's problems, the paths' and every cell's are listed together. A problem every cell has
/// (one in the base spec, say) is listed once, for every cell; the others name their cell.
/// </summary>
public sealed record SweepPlan(SweepSpec Sweep, IReadOnlyList<SweepCellPlan> Cells)
{
    public const string EveryCell = "every cell";

    /// <param name="readBase">Reads a base spec named by path (relative to the sweep file); null where the base must be inline.</param>
    /// <exception cref="InvalidSpecException">Every problem of the sweep and of its cells.</exception>
    public static SweepPlan Read(string yaml, string source, SpecLimits limits, Func<string, string>? readBase)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var sweep = SweepReader.Read(yaml, source, readBase);
        var cells = SweepCells.Expand(sweep, source);
        var plans = new List<SweepCellPlan>();
        var failures = new List<(string Cell, IReadOnlyList<SpecProblem> Problems)>();
        foreach (var cell in cells)
        {
            try
            {
                plans.Add(new SweepCellPlan(cell, ExperimentPlan.Read(cell.SpecYaml, cell.Name, limits)));
            }
            catch (InvalidSpecException invalid)
            {
                failures.Add((cell.Name, invalid.Problems));
            }
        }
        if (failures.Count == 0)
        {
            return new SweepPlan(sweep, plans);
        }
        var shared = cells.Count == failures.Count
            ? failures[0].Problems.Where(p => failures.All(f => f.Problems.Contains(p))).ToList()
            : [];
        var problems = shared.Select(p => new SpecProblem($"{EveryCell}: {p.Field}", p.Reason))
            .Concat(failures.SelectMany(f => f.Problems.Where(p => !shared.Contains(p)).Select(p => new SpecProblem($"{f.Cell}: {p.Field}", p.Reason))))
            .ToList();
        throw new InvalidSpecException(source, problems);
    }
}
