using System.CommandLine;
using System.Globalization;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning;
using SemanticMIM.Planning.Validation;
using SemanticMIM.Platform.Messaging;
using SemanticMIM.Workers;

namespace SemanticMIM.Cli;

/// <summary>
/// <c>semanticmim submit SPEC --broker amqp://…</c>: validates the spec, publishes <see cref="StartExperiment"/>
/// to a running platform and prints the experiment id; with <c>--follow</c> it prints the experiment's events
/// until it completes or fails. <c>semanticmim status ID</c> asks the orchestrator where an experiment stands.
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

    public static Command Create()
    {
        var spec = new Argument<FileInfo>("spec") { Description = "Experiment spec file (YAML)" };
        var broker = Broker();
        var follow = new Option<bool>("--follow") { Description = "Print the experiment's progress until it ends" };
        var id = new Option<Guid?>("--id") { Description = "Experiment id (default: a new one); submitting the same id again is harmless" };
        var command = new Command("submit", "Start an experiment on a running platform") { spec, broker, follow, id };
        command.SetAction(async (parse, cancellation) =>
        {
            var file = parse.GetValue(spec)!;
            ExperimentPlan plan;
            string yaml;
            try
            {
                yaml = SpecReader.ReadText(file.FullName);
                if (SweepReader.IsSweep(yaml))
                {
                    Console.Error.WriteLine($"Nothing was submitted: {file.Name} is a sweep file, and the orchestrator does not take sweeps yet. "
                        + $"Run it in this process with `semanticmim sweep {file.Name}`, or submit its cells' specs one by one.");
                    return 2;
                }
                // The platform's orchestrator checks its own limits (trainer memory, data roots) when the spec arrives.
                plan = ExperimentPlan.Read(yaml, file.Name, SpecLimits.None);
            }
            catch (InvalidSpecException invalid)
            {
                return InputProblems.Refuse("Nothing was submitted", invalid.Problems.Select(problem => $"{file.Name}: {problem}"));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"{file.Name}: {error.Message}");
                return 2;
            }
            var experimentId = parse.GetValue(id) ?? Guid.NewGuid();
            await using var client = await BusClient.CreateAsync(parse.GetValue(broker)!, cancellation);
            var follower = new ExperimentFollower(experimentId, plan, progress =>
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.Now:HH:mm:ss} {progress.Stage,-9} {progress.Done}/{(progress.Total > 0 ? progress.Total : "?")} {progress.Detail}")));
            await using var subscription = parse.GetValue(follow) ? await client.SubscribeAsync(follower.ListenTo, cancellation) : null;
            await client.PublishAsync(new StartExperiment { ExperimentId = experimentId, SpecYaml = yaml, RequestedBy = Environment.UserName }, cancellation);
            Console.WriteLine(experimentId.ToString("D"));
            if (subscription is null)
            {
                return 0;
            }
            var end = await follower.Completion.WaitAsync(cancellation);
            Console.WriteLine($"{plan.Id} {end.Summary}");
            return end.Succeeded ? 0 : 1;
        });
        return command;
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
