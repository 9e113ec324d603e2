using System.CommandLine;
using System.Globalization;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Workers;
using Spectre.Console;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim submit SPEC --broker amqp://…</c>: validates the spec, publishes <see cref="StartExperiment"/>
/// to a running platform and prints the experiment id; with <c>--follow</c> it prints the experiment's events
/// until it completes or fails. A sweep file is validated whole and sent as one <see cref="StartSweep"/>; with
/// <c>--follow</c> its cells show as a table. <c>semanticmim status ID</c> asks the orchestrator where an experiment stands.
/// </summary>
internal static class SubmitCommand
{
    // System.CommandLine 2.0 has no built-in conversion to Uri: parse it here, with a clear error.
    internal static Option<Uri> Broker() => new("--broker")
    {
        Description = "The platform's RabbitMQ broker (amqp://user:password@host:5672/; default $SEMANTICMIM_BROKER or the local one)",
        DefaultValueFactory = _ => new Uri(Environment.GetEnvironmentVariable("SEMANTICMIM_BROKER") ?? "amqp://guest:guest@127.0.0.1:5672/"),
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                return uri;
            }
            result.AddError($"--broker: '{text}' is not an absolute URI such as amqp://user:password@host:5672/");
            return null;
        },
    };

    /// <param name="console">Where a sweep's table goes; the terminal unless a test captures it.</param>
    public static Command Create(IAnsiConsole? console = null)
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Experiment spec file, or sweep file (YAML with a top-level 'sweep' key)" };
        var broker = Broker();
        var follow = new Option<bool>("--follow") { Description = "Print the experiment's progress, or the sweep's table of cells, until it ends" };
        var id = new Option<Guid?>("--id") { Description = "Experiment or sweep id (default: a new one); submitting the same id again is harmless" };
        var command = new Command("submit", "Start an experiment or a sweep on a running platform") { spec, broker, follow, id };
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            string yaml;
            try
            {
                yaml = SpecReader.ReadText(file.FullName);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"{file.Name}: {error.Message}");
                return 2;
            }
            var submission = new Submission(file, yaml, parse.GetValue(broker)!, parse.GetValue(id) ?? Guid.NewGuid(), parse.GetValue(follow));
            return SweepReader.IsSweep(yaml)
                ? await SubmitSweepAsync(console ?? AnsiConsole.Console, submission, cancellation)
                : await SubmitExperimentAsync(submission, cancellation);
        });
        return command;
    }

    private sealed record Submission(FileInfo File, string Yaml, Uri Broker, Guid Id, bool Follow);

    private static async Task<int> SubmitExperimentAsync(Submission submission, CancellationToken cancellation)
    {
        ExperimentPlan plan;
        try
        {
            // The platform's orchestrator checks its own limits (trainer memory, data roots) when the spec arrives.
            plan = ExperimentPlan.Read(submission.Yaml, submission.File.Name, SpecLimits.None);
        }
        catch (InvalidSpecException invalid)
        {
            return InputProblems.Refuse("Nothing was submitted", invalid.Problems.Select(problem => $"{submission.File.Name}: {problem}"));
        }
        await using var client = await BusClient.CreateAsync(submission.Broker, cancellation);
        var follower = new ExperimentFollower(submission.Id, plan, progress =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{DateTime.Now:HH:mm:ss} {progress.Stage,-9} {progress.Done}/{(progress.Total > 0 ? progress.Total : "?")} {progress.Detail}")));
        await using var subscription = submission.Follow ? await client.SubscribeAsync(follower.ListenTo, cancellation) : null;
        await client.PublishAsync(new StartExperiment { ExperimentId = submission.Id, SpecYaml = submission.Yaml, RequestedBy = Environment.UserName }, cancellation);
        Console.WriteLine(submission.Id.ToString("D"));
        if (subscription is null)
        {
            return 0;
        }
        var end = await follower.Completion.WaitAsync(cancellation);
        Console.WriteLine($"{plan.Id} {end.Summary}");
        return end.Succeeded ? 0 : 1;
    }

    /// <summary>
    /// Validates every cell as <c>semanticmim sweep</c> does (the orchestrator checks its own limits again) and sends one
    /// <see cref="StartSweep"/> with the base spec's text; with <c>--follow</c>, the cells' table until the sweep ends, then
    /// each group's mean and interval and where the report is.
    /// </summary>
    private static async Task<int> SubmitSweepAsync(IAnsiConsole console, Submission submission, CancellationToken cancellation)
    {
        SweepPlan plan;
        string? baseYaml = null;
        try
        {
            string folder = submission.File.DirectoryName ?? ".";
            plan = SweepPlan.Read(submission.Yaml, submission.File.Name, SpecLimits.None,
                path => baseYaml = SpecReader.ReadText(Path.GetFullPath(path, folder)));
        }
        catch (InvalidSpecException invalid)
        {
            return InputProblems.Refuse("Nothing was submitted", invalid.Problems.Select(problem => $"{submission.File.Name}: {problem}"));
        }
        await using var client = await BusClient.CreateAsync(submission.Broker, cancellation);
        var shown = new SweepDisplay(console);
        var follower = new SweepFollower(submission.Id, shown.Update);
        await using var subscription = submission.Follow ? await client.SubscribeAsync(follower.ListenTo, cancellation) : null;
        await client.PublishAsync(new StartSweep { SweepId = submission.Id, SweepYaml = submission.Yaml, BaseSpecYaml = baseYaml, RequestedBy = Environment.UserName },
            cancellation);
        console.WriteLine(submission.Id.ToString("D"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{plan.Sweep.Name}: {plan.Cells.Count} cells, {(plan.Sweep.Concurrency > 0 ? plan.Sweep.Concurrency.ToString(CultureInfo.InvariantCulture) : "all")} at a time"));
        if (subscription is null)
        {
            return 0;
        }
        var end = await shown.WhileRunningAsync(follower.Completion, cancellation);
        RunCommand.PrintTable(console, plan.Sweep.Name, SweepTables.CellHeader, SweepTables.CellRows(end.Cells));
        if (end.Completed is { } completed)
        {
            SweepTables.PrintGroups(console, completed.Metric, completed.Groups);
        }
        console.WriteLine($"{plan.Sweep.Name} {end.Summary}");
        return end.Succeeded ? 0 : 1;
    }

    public static Command CreateStatus()
    {
        var id = new Argument<Guid>("id") { Description = "Experiment id, as submit printed it" };
        var broker = Broker();
        var command = new Command("status", "Ask the orchestrator where an experiment stands") { id, broker };
        command.SetAction(async (parse, cancellation) =>
        {
            await using var client = await BusClient.CreateAsync(parse.GetValue(broker)!, cancellation);
            var status = await client.RequestAsync<GetExperimentStatus, ExperimentStatus>(new GetExperimentStatus { ExperimentId = parse.GetValue(id) },
                cancellationToken: cancellation);
            string name = string.IsNullOrEmpty(status.Name) ? "-" : status.Name;
            Console.WriteLine($"{status.ExperimentId:D} {name}: {status.State} ({status.Stage}) {status.Detail}".TrimEnd());
            return status.State is "failed" or "cancelled" or "rejected" or "unknown" ? 1 : 0;
        });
        return command;
    }
}
