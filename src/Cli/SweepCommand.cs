using System.CommandLine;
using System.Globalization;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Pipeline;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Workers;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim sweep FILE [--parallel N]</c>: validates every cell of a sweep first (all problems listed; exit code 2
/// and nothing written when any is invalid), runs the cells through the same embedded pipeline as <c>run</c>, one after
/// another or N at a time, and writes the sweep's report (mean and t-interval per group, paired comparisons, plots)
/// under <c>sweeps/&lt;name&gt;/</c>. Finished cells and shared targets are reused, as <c>run</c> reuses stages.
/// </summary>
internal static class SweepCommand
{
    /// <param name="console">Where progress and tables go; the terminal unless a test captures them.</param>
    public static Command Create(IAnsiConsole? console = null)
    {
        var file = new Argument<FileInfo>("sweep") { Description = "Sweep file (YAML with a top-level 'sweep' key)" };
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Run folder: the object store holding data sets, targets, experiments and reports", DefaultValueFactory = _ => new DirectoryInfo("runs") };
        var parallel = new Option<int>("--parallel")
        {
            Description = "Cells run at once (default 1). Cells in one process share torch's global generator, so only cells run one at a time are bit-reproducible",
            DefaultValueFactory = _ => 1,
        };
        parallel.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--parallel must be at least 1");
            }
        });
        var command = new Command("sweep", "Run every cell of a sweep (arms × axes × seeds) in this process and report mean ± 95% interval per group")
        {
            file, runs, parallel,
        };
        command.SetAction((parse, cancellation) => RunAsync(console ?? AnsiConsole.Console, parse.GetValue(file)!, parse.GetValue(runs)!, parse.GetValue(parallel), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, FileInfo file, DirectoryInfo runs, int parallel, CancellationToken cancellation)
    {
        SweepPlan sweep;
        try
        {
            string folder = file.DirectoryName ?? ".";
            sweep = SweepPlan.Read(SpecReader.ReadText(file.FullName), file.Name, SpecLimits.ThisMachine(),
                path => SpecReader.ReadText(Path.GetFullPath(path, folder)));
        }
        catch (InvalidSpecException invalid)
        {
            return InputProblems.Refuse("No work was started", invalid.Problems.Select(problem => $"{file.Name}: {problem}"));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{file.Name}: {error.Message}");
            return 2;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{sweep.Sweep.Name}: {sweep.Cells.Count} cells ({sweep.Cells.Select(c => c.Cell.Group).Distinct().Count()} groups, seeds {string.Join(", ", sweep.Sweep.Seeds)}), {parallel} at a time"));
        var failures = new List<(string Cell, string Summary)>();
        var gate = new Lock();
        async Task RunAllAsync(Action<PipelineProgress> update)
        {
            await using var pipeline = await EmbeddedPipeline.StartAsync(runs.FullName, cancellation: cancellation);
            using var slots = new SemaphoreSlim(parallel);
            await Task.WhenAll(sweep.Cells.Select(async cell =>
            {
                await slots.WaitAsync(cancellation);
                try
                {
                    var follower = new ExperimentFollower(Guid.NewGuid(), cell.Plan, update);
                    var start = new StartExperiment { ExperimentId = follower.ExperimentId, SpecYaml = cell.Cell.SpecYaml, RequestedBy = Environment.UserName };
                    var end = await pipeline.RunAsync(start, follower, cancellation);
                    if (!end.Succeeded)
                    {
                        lock (gate)
                        {
                            failures.Add((cell.Cell.Name, end.Summary));
                        }
                    }
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        await RunCommand.WithProgressAsync(console, RunAllAsync);
        if (failures.Count > 0)
        {
            foreach (var (cell, reason) in failures.OrderBy(f => f.Cell, StringComparer.Ordinal))
            {
                console.MarkupLineInterpolated($"[red]{cell} {reason}[/]");
            }
            console.MarkupLineInterpolated($"[red]{failures.Count} of {sweep.Cells.Count} cells failed; no sweep report was written. Run the sweep again to retry them (finished cells are reused).[/]");
            return 1;
        }

        var store = new FolderObjectStore(runs.FullName);
        var files = new StoreFiles(store, Path.Combine(runs.FullName, ".cache"));
        var (summary, reportKey) = await ReportStage.WriteSweepReportAsync(files, sweep, cancellation);
        SweepTables.PrintGroups(console, summary.Metric, summary.GroupResults());
        console.MarkupLineInterpolated($"Report: [bold]{store.LocalPath(reportKey)}[/]");
        return 0;
    }
}
