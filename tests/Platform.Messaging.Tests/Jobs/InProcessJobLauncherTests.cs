using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Messaging.Tests.Infrastructure;

namespace SemanticMIM.Platform.Messaging.Tests.Jobs;

public sealed class InProcessJobLauncherTests
{
    static readonly Guid Experiment = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

    /// <summary>A runner whose behaviour per job name the test scripts; counts its runs.</summary>
    sealed class ScriptedRunner : IJobRunner
    {
        public ConcurrentDictionary<string, Func<CancellationToken, Task>> Scripts { get; } = new();

        public ConcurrentDictionary<string, int> Runs { get; } = new();

        public Task RunAsync(JobSpec job, CancellationToken cancellationToken)
        {
            Runs.AddOrUpdate(job.Name, 1, (_, n) => n + 1);
            return Scripts.TryGetValue(job.Name, out var script) ? script(cancellationToken) : Task.CompletedTask;
        }
    }

    sealed class ErrorLog : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Text, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception), exception));

        public void Dispose()
        {
        }
    }

    sealed class Fixture : IAsyncDisposable
    {
        public Fixture()
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.AddProvider(Log);
            builder.Services.AddSingleton<IJobRunner>(Runner);
            builder.Services.AddInProcessJobLauncher();
            Host = builder.Build();
        }

        public ScriptedRunner Runner { get; } = new();

        public ErrorLog Log { get; } = new();

        public IHost Host { get; }

        public InProcessJobLauncher Launcher => Host.Services.GetRequiredService<InProcessJobLauncher>();

        public IJobLauncher Interface => Host.Services.GetRequiredService<IJobLauncher>();

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TestBus.Timeout);
            await Host.StopAsync(timeout.Token);
            Host.Dispose();
        }
    }

    static async Task<JobState> Finished(InProcessJobLauncher launcher, string name)
    {
        using var timeout = new CancellationTokenSource(TestBus.Timeout);
        return await launcher.WaitForCompletionAsync(name, timeout.Token);
    }

    [Fact]
    public async Task LaunchingARunningOrSucceededJobAgainDoesNothing()
    {
        await using var fixture = new Fixture();
        await fixture.Host.StartAsync();
        var job = JobSpec.Pretraining(Experiment);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Runner.Scripts[job.Name] = _ => gate.Task;
        Assert.Same(fixture.Launcher, fixture.Interface);
        Assert.Equal(JobStatus.NotFound, (await fixture.Interface.GetStateAsync(job.Name, CancellationToken.None)).Status);

        await fixture.Interface.LaunchAsync(job, CancellationToken.None);
        await fixture.Interface.LaunchAsync(job, CancellationToken.None);
        Assert.Equal(JobState.Running, await fixture.Interface.GetStateAsync(job.Name, CancellationToken.None));

        gate.SetResult();
        Assert.Equal(JobState.Succeeded, await Finished(fixture.Launcher, job.Name));
        await fixture.Interface.LaunchAsync(job, CancellationToken.None);

        Assert.Equal(JobState.Succeeded, await fixture.Interface.GetStateAsync(job.Name, CancellationToken.None));
        Assert.Equal(1, fixture.Runner.Runs[job.Name]);
    }

    [Fact]
    public async Task AFailureIsCapturedWithItsMessageAndLoggedAndTheJobCanBeRelaunched()
    {
        await using var fixture = new Fixture();
        await fixture.Host.StartAsync();
        var job = JobSpec.Evaluation(Experiment, 2, new Dictionary<string, string> { ["SEMANTICMIM_DEVICE"] = "cpu" });
        fixture.Runner.Scripts[job.Name] = _ => throw new InvalidOperationException("the encoder checkpoint is missing");

        await fixture.Interface.LaunchAsync(job, CancellationToken.None);

        var failed = await Finished(fixture.Launcher, job.Name);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal("the encoder checkpoint is missing", failed.Message);
        Assert.Contains(fixture.Log.Entries, e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException
                                                                             && e.Text.Contains(job.Name, StringComparison.Ordinal));

        fixture.Runner.Scripts[job.Name] = _ => Task.CompletedTask;
        await fixture.Interface.LaunchAsync(job, CancellationToken.None);

        Assert.Equal(JobState.Succeeded, await Finished(fixture.Launcher, job.Name));
        Assert.Equal(2, fixture.Runner.Runs[job.Name]);
    }

    [Fact]
    public async Task StoppingTheHostCancelsRunningJobs()
    {
        await using var fixture = new Fixture();
        await fixture.Host.StartAsync();
        var job = JobSpec.Pretraining(Experiment);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observedCancellation = false;
        fixture.Runner.Scripts[job.Name] = async token =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, token);
            }
            catch (OperationCanceledException)
            {
                observedCancellation = true;
                throw;
            }
        };
        await fixture.Interface.LaunchAsync(job, CancellationToken.None);
        await started.Task.WaitAsync(TestBus.Timeout);

        using (var timeout = new CancellationTokenSource(TestBus.Timeout))
        {
            await fixture.Host.StopAsync(timeout.Token);
        }

        Assert.True(observedCancellation);
        var state = await fixture.Interface.GetStateAsync(job.Name, CancellationToken.None);
        Assert.Equal(JobState.Failed(InProcessJobLauncher.CancelledMessage), state);
        await Assert.ThrowsAsync<InvalidOperationException>(() => fixture.Interface.LaunchAsync(JobSpec.Pretraining(Guid.NewGuid()), CancellationToken.None));
    }

    [Fact]
    public async Task AnInvalidSpecIsRefusedWithEveryProblem()
    {
        await using var fixture = new Fixture();
        await fixture.Host.StartAsync();
        var job = new JobSpec
        {
            Name = "Pretrain_Exp-",
            Kind = "finetuning",
            ExperimentId = Guid.Empty,
            EvaluationIndex = -1,
            Environment = new Dictionary<string, string> { ["1BAD"] = "x" },
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => fixture.Interface.LaunchAsync(job, CancellationToken.None));

        Assert.Equal(5, job.Validate().Count);
        Assert.Contains("not a DNS-1123 label", error.Message);
        Assert.Contains("Kind 'finetuning'", error.Message);
        Assert.Contains("ExperimentId is empty", error.Message);
        Assert.Contains("EvaluationIndex is -1", error.Message);
        Assert.Contains("'1BAD'", error.Message);
        Assert.Equal(JobStatus.NotFound, (await fixture.Interface.GetStateAsync(job.Name, CancellationToken.None)).Status);
    }

    [Theory]
    [InlineData("pretrain-0123456789abcdef0123456789abcdef", true)]
    [InlineData("a", true)]
    [InlineData("eval-1-2", true)]
    [InlineData("", false)]
    [InlineData("-leading", false)]
    [InlineData("trailing-", false)]
    [InlineData("Upper", false)]
    [InlineData("dots.are.subdomains", false)]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123", false)]
    public void NamesAreDns1123Labels(string name, bool valid) => Assert.Equal(valid, JobSpec.IsValidName(name));

    [Fact]
    public void TheNamedConstructorsMakeValidSpecs()
    {
        var id = Guid.NewGuid();
        Assert.Empty(JobSpec.Pretraining(id).Validate());
        Assert.Empty(JobSpec.Evaluation(id, 12).Validate());
        Assert.Equal($"eval-{id:N}-12", JobSpec.Evaluation(id, 12).Name);
        Assert.Contains("EvaluationIndex is required", Assert.Single((JobSpec.Pretraining(id) with { Kind = JobKinds.Evaluation }).Validate()));
    }
}
