using System.CommandLine;
using System.Globalization;
using System.Text;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Pipeline;
using SemanticMIM.Pipeline.Storage;
using SemanticMIM.Platform.Storage;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim run SPEC...</c>: validates every spec first (all problems of all files listed), then runs each
/// experiment's stages in this process against a folder store, with progress bars, and writes the comparison
/// report. Stages already done in the run folder are reused.
/// </summary>
internal static class RunCommand
{
    /// <param name="console">Where progress and tables go; the terminal unless a test captures them.</param>
    public static Command Create(IAnsiConsole? console = null)
    {
        var specs = new Argument<FileInfo[]>("spec") { Description = "Experiment spec files (YAML); several are compared in one report", Arity = ArgumentArity.OneOrMore };
        var runs = new Option<DirectoryInfo>("--runs") { Description = "Run folder: the object store holding data sets, targets, experiments and reports", DefaultValueFactory = _ => new DirectoryInfo("runs") };
        var reportName = new Option<string?>("--report") { Description = "Name of the report folder under reports/ (default: the experiment names joined by -vs-)" };
        var command = new Command("run", "Shard, compute targets, pretrain and evaluate one or more experiments in this process")
        {
            specs, runs, reportName,
        };
        command.SetAction((parse, cancellation) => RunAsync(console ?? AnsiConsole.Console, parse.GetValue(specs)!, parse.GetValue(runs)!, parse.GetValue(reportName), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, FileInfo[] specFiles, DirectoryInfo runs, string? reportName, CancellationToken cancellation)
    {
        var plans = ReadPlans(specFiles, out var problems);
        if (problems.Count > 0)
        {
            Console.Error.WriteLine("No work was started; fix these problems first:");
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"  {problem}");
            }
            return 2;
        }
        string report = reportName ?? string.Join("-vs-", plans.Select(p => p.Id));
        var store = new FolderObjectStore(runs.FullName);
        var files = new StoreFiles(store, Path.Combine(runs.FullName, ".cache"));
        var outcomes = new List<ExperimentOutcome>();
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<(string, string), ProgressTask>();
                void Update(PipelineProgress progress)
                {
                    if (!tasks.TryGetValue((progress.Experiment, progress.Stage), out var task))
                    {
                        task = context.AddTask(Markup.Escape($"{progress.Experiment}: {progress.Stage}"));
                        tasks[(progress.Experiment, progress.Stage)] = task;
                    }
                    task.IsIndeterminate = progress.Total <= 0;
                    task.MaxValue = Math.Max(progress.Total, 1);
                    task.Value = Math.Min(progress.Done, task.MaxValue);
                    task.Description = Markup.Escape($"{progress.Experiment}: {progress.Stage} {progress.Detail}".TrimEnd());
                    if (progress.Total > 0 && progress.Done >= progress.Total)
                    {
                        task.StopTask();
                    }
                }
                var runner = new ExperimentRunner(files, Update);
                foreach (var plan in plans)
                {
                    outcomes.Add(await runner.RunAsync(plan, cancellation));
                }
            });

        var arms = outcomes.Select(o => o.Arm).ToList();
        string reportPrefix = StoreLayout.Key("reports", report);
        string scratch = files.ScratchFolder(reportPrefix);
        ExperimentReport.Write(scratch, $"SemanticMIM experiment report: {report}", arms, Notes(outcomes));
        await files.UploadFolderAsync(scratch, reportPrefix, "report.md", cancellation);
        Directory.Delete(scratch, recursive: true);

        PrintTable(console, "Linear probe, top-1 on the test set", ExperimentReport.ProbeTableHeader, ExperimentReport.ProbeTable(arms));
        PrintTable(console, "Linear segmentation probe", ExperimentReport.SegmentationTableHeader, ExperimentReport.SegmentationTable(arms));
        foreach (var outcome in outcomes.Where(o => o.ReusedStages.Count > 0))
        {
            console.MarkupLineInterpolated($"[grey]{outcome.Plan.Id}: reused {string.Join(", ", outcome.ReusedStages)}[/]");
        }
        console.MarkupLineInterpolated($"Report: [bold]{store.LocalPath(reportPrefix + "/report.md")}[/]");
        return 0;
    }

    private static List<ExperimentPlan> ReadPlans(FileInfo[] specFiles, out List<string> problems)
    {
        problems = [];
        var plans = new List<ExperimentPlan>();
        foreach (var file in specFiles)
        {
            try
            {
                plans.Add(ExperimentPlan.From(SpecReader.ReadFile(file.FullName), file.Name));
            }
            catch (InvalidSpecException invalid)
            {
                problems.AddRange(invalid.Problems.Select(p => $"{file.Name}: {p}"));
            }
            catch (IOException error)
            {
                problems.Add($"{file.Name}: {error.Message}");
            }
        }
        problems.AddRange(plans.GroupBy(p => p.Id).Where(g => g.Count() > 1)
            .Select(g => $"name: '{g.Key}' is used by {g.Count()} specs; experiment names must differ"));
        return plans;
    }

    private static string Notes(IReadOnlyList<ExperimentOutcome> outcomes)
    {
        var notes = new StringBuilder();
        foreach (var outcome in outcomes)
        {
            var id = outcome.Plan.Id;
            string resumed = outcome.Pretraining.ResumedFromStep > 0 ? $"; resumed from step {outcome.Pretraining.ResumedFromStep}" : "";
            string reused = outcome.ReusedStages.Count > 0 ? $"; reused: {string.Join(", ", outcome.ReusedStages)}" : "";
            string training = outcome.ReusedStages.Contains(PipelineProgress.Pretrain)
                ? "pretraining was already complete"
                : string.Create(CultureInfo.InvariantCulture, $"the training step waited on data for {outcome.Pretraining.DataWaitShare:P1} of its time");
            notes.AppendLine(CultureInfo.InvariantCulture, $"- {id}: {training}{resumed}{reused}.");
            if (outcome.Tokenizer is { } tokenizer)
            {
                notes.AppendLine(CultureInfo.InvariantCulture,
                    $"- {id}: VQ tokenizer ({tokenizer.Steps} steps) uses {tokenizer.CodesUsed} of {tokenizer.VocabSize} codes, perplexity {tokenizer.Perplexity:F1}, reconstruction MSE {tokenizer.ReconstructionMse:F4}.");
            }
        }
        notes.AppendLine("- Controls: \"random-init\" is the same encoder architecture untrained, \"raw-pixels\" a linear classifier on the normalised pixels, both probed exactly like the pretrained encoder. At tiny scale, mean-pooled features can fall below raw pixels; read the pretrained rows against both controls.");
        return notes.ToString().TrimEnd();
    }

    private static void PrintTable(IAnsiConsole console, string title, string[] header, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0)
        {
            return;
        }
        var table = new Table { Title = new TableTitle(title) };
        foreach (var column in header)
        {
            table.AddColumn(column);
        }
        foreach (var row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
    }
}
