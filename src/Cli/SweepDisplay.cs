using SemanticMIM.Contracts.Messages;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>
/// A sweep's cells while it runs: a table redrawn in place in a terminal, and otherwise (a log, a pipe) a line for each
/// cell whose state changed.
/// </summary>
internal sealed class SweepDisplay(IAnsiConsole console)
{
    private static readonly TimeSpan Redraw = TimeSpan.FromMilliseconds(500);

    private readonly Lock _gate = new();
    private IReadOnlyList<SweepCellStatus> _cells = [];
    private bool _shown;

    /// <summary>The cells' new state (from the bus's thread); shown once <see cref="WhileRunningAsync"/> began.</summary>
    public void Update(IReadOnlyList<SweepCellStatus> cells)
    {
        lock (_gate)
        {
            var before = _cells;
            _cells = cells;
            if (_shown)
            {
                PrintChanges(before, cells);
            }
        }
    }

    /// <summary>Shows the table (in a terminal) until <paramref name="end"/> completes; returns how the sweep ended.</summary>
    public async Task<SweepEnd> WhileRunningAsync(Task<SweepEnd> end, CancellationToken cancellation)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            // What arrived while the submission was printed comes first, then each change as it arrives.
            lock (_gate)
            {
                _shown = true;
                PrintChanges([], _cells);
            }
            return await end.WaitAsync(cancellation);
        }
        return await console.Live(Table()).StartAsync(async live =>
        {
            while (!end.IsCompleted)
            {
                await Task.WhenAny(end, Task.Delay(Redraw, cancellation));
                cancellation.ThrowIfCancellationRequested();
                live.UpdateTarget(Table());
            }
            return await end;
        });
    }

    private void PrintChanges(IReadOnlyList<SweepCellStatus> before, IReadOnlyList<SweepCellStatus> cells)
    {
        var previous = before.ToDictionary(c => c.Name, c => c.State, StringComparer.Ordinal);
        foreach (var cell in cells.Where(c => previous.GetValueOrDefault(c.Name) != c.State))
        {
            string detail = cell.Value is not null ? SweepTables.Percent(cell.Value) : cell.Reason ?? "";
            console.WriteLine($"{DateTime.Now:HH:mm:ss} {cell.Name} {cell.State} {detail}".TrimEnd());
        }
    }

    private Table Table()
    {
        IReadOnlyList<SweepCellStatus> cells;
        lock (_gate)
        {
            cells = _cells;
        }
        var table = new Table();
        foreach (var column in SweepTables.CellHeader)
        {
            table.AddColumn(column);
        }
        foreach (var row in SweepTables.CellRows(cells))
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        return table;
    }
}
