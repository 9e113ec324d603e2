using System.CommandLine;
using System.Globalization;
using System.Text;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Evaluation.Reports;
using SemanticMIM.Pipeline;
using SemanticMIM.Pipeline.Stages;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Training.Tokenizers;
using SemanticMIM.Workers;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim run SPEC...</c>: validates every spec first (all problems of all files listed, against this machine's
/// memory; exit code 2 and nothing written when any is invalid), then runs the
/// experiments one after the other through the platform's own consumers in this process (in-memory bus, folder
/// store, in-process jobs), with progress bars, and writes the comparison report. Stages already done in the run
/// folder are reused.
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
            return InputProblems.Refuse("No work was started", problems);
        }
        string report = reportName ?? string.Join("-vs-", plans.Select(p => p.Plan.Id));
        var store = new FolderObjectStore(runs.FullName);
        var files = new StoreFiles(store, Path.Combine(runs.FullName, ".cache"));
        var followers = new List<ExperimentFollower>();
        ExperimentEnd? failure = null;
        async Task RunAllAsync(Action<PipelineProgress> update)
        {
            await using var pipeline = await EmbeddedPipeline.StartAsync(runs.FullName, cancellation: cancellation);
            foreach (var (plan, yaml) in plans)
            {
                var follower = new ExperimentFollower(Guid.NewGuid(), plan, update);
                followers.Add(follower);
                var start = new StartExperiment { ExperimentId = follower.ExperimentId, SpecYaml = yaml, RequestedBy = Environment.UserName };
                var end = await pipeline.RunAsync(start, follower, cancellation);
                if (!end.Succeeded)
                {
                    failure = end;
                    return;
                }
            }
        }
        await WithProgressAsync(console, RunAllAsync);
        if (failure is not null)
        {
            console.MarkupLineInterpolated($"[red]{plans[followers.Count - 1].Plan.Id} {failure.Summary}[/]");
            return 1;
        }

        var planned = plans.Select(p => p.Plan).ToList();
        var (arms, reportKey) = await ReportStage.WriteComparisonReportAsync(files, planned, report, await NotesAsync(files, planned, followers, cancellation), cancellation);

        PrintTable(console, "In the shape of the paper's Table 1", ExperimentReport.PaperTableHeader, ExperimentReport.PaperTable(arms));
        PrintTable(console, "Linear probe, top-1 on the test set", ExperimentReport.ProbeTableHeader, ExperimentReport.ProbeTable(arms));
        PrintTable(console, "Fine-tuning, on the test set", ExperimentReport.FineTuneTableHeader, ExperimentReport.FineTuneTable(arms));
        PrintTable(console, "Segmentation, on the evaluation split", ExperimentReport.SegmentationTableHeader, ExperimentReport.SegmentationTable(arms));
        foreach (var (follower, plan) in followers.Zip(plans.Select(p => p.Plan)).Where(pair => pair.First.ReusedStages.Count > 0))
        {
            console.MarkupLineInterpolated($"[grey]{plan.Id}: reused {string.Join(", ", StageOrder(follower.ReusedStages))}[/]");
        }
        console.MarkupLineInterpolated($"Report: [bold]{store.LocalPath(reportKey)}[/]");
        return 0;
    }

    /// <summary>Runs <paramref name="work"/> with its progress shown as bars in a terminal, as lines otherwise.</summary>
    internal static async Task WithProgressAsync(IAnsiConsole console, Func<Action<PipelineProgress>, Task> work)
    {
        if (console.Profile.Capabilities.Interactive)
        {
            await console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(context => work(ProgressBars(context)));
        }
        else
        {
            await work(ProgressLines(console));
        }
    }

    // One bar per experiment and stage, updated in place.
    private static Action<PipelineProgress> ProgressBars(ProgressContext context)
    {
        var tasks = new Dictionary<(string, string), ProgressTask>();
        var gate = new Lock();
        return progress =>
        {
            lock (gate)
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
        };
    }

    // Without a terminal (a log, a pipe): a line when a stage reports, and for long stages every tenth of the way.
    private static Action<PipelineProgress> ProgressLines(IAnsiConsole console)
    {
        var last = new Dictionary<(string, string), string>();
        var gate = new Lock();
        return progress =>
        {
            lock (gate)
            {
                // Stages with few units print every report; long ones (pretraining) every tenth of the way.
                string state = progress.Total > 20 ? (10 * progress.Done / progress.Total).ToString(CultureInfo.InvariantCulture) : $"{progress.Done} {progress.Detail}";
                if (last.TryGetValue((progress.Experiment, progress.Stage), out var previous) && previous == state)
                {
                    return;
                }
                last[(progress.Experiment, progress.Stage)] = state;
                string amount = progress.Total > 0 ? $"{progress.Done}/{progress.Total}" : "";
                string line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {progress.Experiment}: {progress.Stage} {amount} {progress.Detail}");
                console.WriteLine(line.TrimEnd());
            }
        };
    }

    private static IEnumerable<string> StageOrder(IEnumerable<string> stages) =>
        stages.OrderBy(s => Stages.InOrder.ToList().IndexOf(s));

    // Each file is read once: the text validated is the text the experiment starts with.
    private static List<(ExperimentPlan Plan, string Yaml)> ReadPlans(FileInfo[] specFiles, out List<string> problems)
    {
        problems = [];
        var plans = new List<(ExperimentPlan Plan, string Yaml)>();
        var limits = SpecLimits.ThisMachine();
        foreach (var file in specFiles)
        {
            try
            {
                string yaml = SpecReader.ReadText(file.FullName);
                if (SweepReader.IsSweep(yaml))
                {
                    problems.Add($"{file.Name}: is a sweep file, not a spec: run it with `semanticmim sweep {file.Name}`");
                    continue;
                }
                plans.Add((ExperimentPlan.Read(yaml, file.Name, limits), yaml));
            }
            catch (InvalidSpecException invalid)
            {
                problems.AddRange(invalid.Problems.Select(p => $"{file.Name}: {p}"));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                problems.Add($"{file.Name}: {error.Message}");
            }
        }
        problems.AddRange(plans.GroupBy(p => p.Plan.Id).Where(g => g.Count() > 1)
            .Select(g => $"name: '{g.Key}' is used by {g.Count()} specs; experiment names must differ"));
        return plans;
    }

    private static async Task<string> NotesAsync(StoreFiles files, IReadOnlyList<ExperimentPlan> plans, IReadOnlyList<ExperimentFollower> followers,
        CancellationToken cancellation)
    {
        var notes = new StringBuilder();
        foreach (var (plan, follower) in plans.Zip(followers))
        {
            var pretraining = follower.Pretraining;
            string training = pretraining is null || pretraining.Reused
                ? $"pretraining {plan.PretrainingId} was already complete"
                : string.Create(CultureInfo.InvariantCulture, $"the training step waited on data for {pretraining.DataWaitShare:P1} of its time")
                  + (pretraining.ResumedFromStep > 0 ? $"; resumed from step {pretraining.ResumedFromStep}" : "");
            string reused = follower.ReusedStages.Count > 0 ? $"; reused: {string.Join(", ", StageOrder(follower.ReusedStages))}" : "";
            notes.AppendLine(CultureInfo.InvariantCulture, $"- {plan.Id}: {training}{reused}.");
            if (plan.Targets.TokenizerId is { } tokenizerId)
            {
                string? json = await files.ReadTextAsync(StoreLayout.Key(StoreLayout.Tokenizer(plan.Dataset.Id, tokenizerId), TokenizerStage.ReportFile), cancellation);
                if (json is not null)
                {
                    var tokenizer = VqTokenizerReport.FromJson(json);
                    notes.AppendLine(CultureInfo.InvariantCulture,
                        $"- {plan.Id}: VQ tokenizer ({tokenizer.Steps} steps) uses {tokenizer.CodesUsed} of {tokenizer.VocabSize} codes, perplexity {tokenizer.Perplexity:F1}, reconstruction MSE {tokenizer.ReconstructionMse:F4}.");
                }
            }
        }
        notes.AppendLine("- Controls: \"random-init\" is the same encoder architecture untrained, \"raw-pixels\" a linear classifier on the normalised pixels, both probed exactly like the pretrained encoder. At tiny scale, mean-pooled features can fall below raw pixels; read the pretrained rows against both controls.");
        return notes.ToString().TrimEnd();
    }

    internal static void PrintTable(IAnsiConsole console, string title, string[] header, IReadOnlyList<string[]> rows)
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
