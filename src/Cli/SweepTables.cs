using System.Globalization;
using SemanticMIM.Contracts.Messages;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>How <c>sweep</c> and <c>submit --follow</c> show a sweep: its cells, and each group's mean and 95% t-interval.</summary>
internal static class SweepTables
{
    public static readonly string[] CellHeader = ["cell", "arm", "point", "seed", "state", "metric"];

    public static IReadOnlyList<string[]> CellRows(IEnumerable<SweepCellStatus> cells) => cells.Select(c => new[]
    {
        c.Name, c.Arm.Length > 0 ? c.Arm : "–", c.Point.Length > 0 ? c.Point : "–", c.Seed.ToString(CultureInfo.InvariantCulture), c.State, Percent(c.Value),
    }).ToList();

    public static void PrintGroups(IAnsiConsole console, string metric, IEnumerable<SweepGroupResult> groups)
    {
        var rows = groups.Select(g => new[]
        {
            g.Label, g.Count.ToString(CultureInfo.InvariantCulture), Percent(g.Mean), g.Low is null ? "–" : $"[{Percent(g.Low)}, {Percent(g.High)}]",
        }).ToList();
        RunCommand.PrintTable(console, $"{metric}: mean and 95% t-interval over seeds", ["group", "seeds", "mean", "95% interval"], rows);
    }

    public static string Percent(double? value) => value is { } v ? (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";
}
