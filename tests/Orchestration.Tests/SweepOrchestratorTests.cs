using System.Diagnostics.Metrics;
using SemanticMIM.Contracts.Messages;
using SemanticMIM.Contracts.Results;
using SemanticMIM.Planning;
using SemanticMIM.Platform.Jobs;
using SemanticMIM.Platform.Storage;
using SemanticMIM.Platform.Telemetry;

namespace SemanticMIM.Orchestration.Tests;

public sealed class SweepOrchestratorTests : IAsyncLifetime
{
    private static readonly string[] Cells = ["fan-proxies2-s0", "fan-proxies2-s1", "fan-proxies4-s0", "fan-proxies4-s1"];

    private OrchestratorHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await OrchestratorHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Fact]
    public async Task At_most_the_concurrency_runs_the_next_cell_starts_when_one_ends_and_the_report_completes_the_sweep()
    {
        using var gauges = new SweepGauges();
        var id = Guid.NewGuid();

        await _harness.PublishAsync(new StartSweep { SweepId = id, SweepYaml = Specs.Sweep("fan", concurrency: 2), RequestedBy = "test" });
        var accepted = await _harness.WaitForAsync<SweepAccepted>(id);
        var record = await _harness.WaitForSweepAsync(id, r => r.Outbox.Count == 0);
        Assert.Equal(("fan", 4, 2), (accepted.Name, accepted.Cells, accepted.Concurrency));
        Assert.Equal(Cells, record.Cells.Select(c => c.Name));
        Assert.Equal(Cells.Select(name => SweepCellIds.ExperimentId(id, name)), record.Cells.Select(c => c.ExperimentId));
        Assert.Equal(["model.proxies=2", "model.proxies=2", "model.proxies=4", "model.proxies=4"], record.Cells.Select(c => c.Point));
        Assert.Equal([0, 1, 0, 1], record.Cells.Select(c => c.Seed));
        Assert.Equal([SweepCellStates.Running, SweepCellStates.Running, SweepCellStates.Queued, SweepCellStates.Queued], States(record));
        var cells = record.Cells;

        // The first cell completes: the third starts in its place, with its own spec.
        await _harness.CompleteAsync(cells[0], top1: 0.5);
        record = await _harness.WaitForSweepAsync(id, r => r.Cells[2].State == SweepCellStates.Running);
        var third = await _harness.WaitForAsync<ExperimentAccepted>(cells[2].ExperimentId);
        Assert.Equal("fan-proxies4-s0", third.Name);
        Assert.Contains("proxies: 4", _harness.Messages.Of<StartExperiment>(cells[2].ExperimentId).Single().SpecYaml, StringComparison.Ordinal);
        Assert.Equal((SweepCellStates.Completed, 0.5), (record.Cells[0].State, record.Cells[0].Value));

        // The second fails: the fourth starts; then the last two complete and the report is asked for, once.
        await _harness.WaitForRecordAsync(cells[1].ExperimentId, r => r.Outbox.Count == 0);
        await _harness.PublishAsync(new ExperimentFailed { ExperimentId = cells[1].ExperimentId, Stage = Stages.Pretrain, Reason = "out of memory" });
        await _harness.WaitForSweepAsync(id, r => r.Cells[3].State == SweepCellStates.Running);
        await _harness.CompleteAsync(cells[2], top1: 0.7);
        await _harness.CompleteAsync(cells[3], top1: 0.8);
        record = await _harness.WaitForSweepAsync(id, r => r.Phase == SweepPhase.Reporting);
        await _harness.WaitForAsync<WriteSweepReport>(id);

        Assert.Equal([SweepCellStates.Completed, SweepCellStates.Failed, SweepCellStates.Completed, SweepCellStates.Completed], States(record));
        Assert.Equal([0.5, null, 0.7, 0.8], record.Cells.Select(c => c.Value));
        Assert.Equal("pretrain: out of memory", record.Cells[1].Reason);
        // Every state the sweep published had at most two cells running, and each cell was started once.
        var progress = _harness.Messages.Of<SweepProgressed>(id);
        Assert.All(progress, p => Assert.InRange(p.Cells.Count(c => c.State == SweepCellStates.Running), 0, 2));
        Assert.All(cells, cell => Assert.Single(_harness.Messages.Of<StartExperiment>(cell.ExperimentId)));

        SweepGroupResult[] groups = [new() { Label = "model.proxies=2", Count = 1, Mean = 0.5 }, new() { Label = "model.proxies=4", Count = 2, Mean = 0.75, Low = 0.1, High = 1.4 }];
        await _harness.PublishAsync(new SweepReportWritten { SweepId = id, ReportKey = "sweeps/fan/report.md", Metric = "linear-probe cls top1, last layer", Groups = groups });
        var completed = await _harness.WaitForAsync<SweepCompleted>(id);

        Assert.Equal(("fan", "sweeps/fan/report.md", "linear-probe cls top1, last layer"), (completed.Name, completed.ReportKey, completed.Metric));
        Assert.Equal(groups, completed.Groups);
        Assert.Equal(record.Cells, completed.Cells);
        Assert.Equal(SweepPhase.Completed, (await _harness.Sweeps.GetAsync(id)).Phase);
        Assert.Single(_harness.Messages.Of<WriteSweepReport>(id));
        Assert.Equal(new Dictionary<string, long> { ["queued"] = 0, ["running"] = 0, ["completed"] = 3, ["failed"] = 1, ["cancelled"] = 0 }, gauges.Cells("fan"));
        Assert.Equal(new Dictionary<string, double>
        {
            ["fan-proxies2-s0 none model.proxies=2 0"] = 0.5, ["fan-proxies4-s0 none model.proxies=4 0"] = 0.7, ["fan-proxies4-s1 none model.proxies=4 1"] = 0.8,
        }, gauges.Results("fan"));
    }

    [Fact]
    public async Task A_duplicate_start_and_a_restart_change_nothing_and_a_cell_that_ended_meanwhile_is_recorded()
    {
        using var store = new TempDirectory();
        var id = Guid.NewGuid();
        var start = new StartSweep { SweepId = id, SweepYaml = Specs.Sweep("restart", concurrency: 1) };
        await using var first = await OrchestratorHarness.StartAsync(store: store);
        await first.PublishAsync(start);
        var cells = (await first.WaitForSweepAsync(id, r => r.Outbox.Count == 0)).Cells;
        await first.WaitForRecordAsync(cells[0].ExperimentId, r => r.Outbox.Count == 0);
        await first.PublishAsync(start);
        await Task.Delay(300);
        await first.StopAsync();

        Assert.Single(first.Messages.Of<SweepAccepted>(id));
        Assert.Single(first.Messages.Of<StartExperiment>(cells[0].ExperimentId));
        Assert.Empty(first.Messages.Of<StartExperiment>(cells[1].ExperimentId));

        // While no orchestrator runs, the first cell's experiment completes (its end event is lost with the in-memory bus).
        var objects = new FolderObjectStore(store.Path);
        var experiments = new ExperimentRepository(objects, TimeProvider.System);
        await objects.WriteJsonAsync(SweepCellPlayer.ResultsKey(cells[0].Name), new[]
        {
            new EvaluationResult { Protocol = ProtocolNames.LinearProbe, Encoder = EncoderKinds.Pretrained, Layer = 2, Feature = "cls", Metric = "top1", Value = 0.625 },
        }, ObjectStoreJson.Records);
        var experiment = await experiments.GetAsync(cells[0].ExperimentId);
        await experiments.SaveAsync(experiment with { Phase = ExperimentPhase.Completed, ResultsKey = SweepCellPlayer.ResultsKey(cells[0].Name) });

        await using var restarted = await OrchestratorHarness.StartAsync(store: store);
        var record = await restarted.WaitForSweepAsync(id, r => r.Cells[1].State == SweepCellStates.Running && r.Outbox.Count == 0);
        await restarted.WaitForAsync<ExperimentAccepted>(cells[1].ExperimentId);
        await restarted.PublishAsync(start);
        await Task.Delay(300);

        Assert.Equal((SweepCellStates.Completed, 0.625), (record.Cells[0].State, record.Cells[0].Value));
        Assert.Equal([SweepCellStates.Completed, SweepCellStates.Running, SweepCellStates.Queued, SweepCellStates.Queued], States(await restarted.Sweeps.GetAsync(id)));
        Assert.Empty(restarted.Messages.Of<SweepAccepted>(id));
        Assert.Empty(restarted.Messages.Of<StartExperiment>(cells[0].ExperimentId));
        Assert.Single(restarted.Messages.Of<StartExperiment>(cells[1].ExperimentId));
        Assert.Empty(restarted.Messages.Of<StartExperiment>(cells[2].ExperimentId));
    }

    [Fact]
    public async Task A_cancel_cancels_the_running_cells_experiments_and_their_jobs_and_the_queued_cells_never_start()
    {
        var id = Guid.NewGuid();
        await _harness.PublishAsync(new StartSweep { SweepId = id, SweepYaml = Specs.Sweep("stop", concurrency: 2) });
        var cells = (await _harness.WaitForSweepAsync(id, r => r.Outbox.Count == 0)).Cells;
        await _harness.WaitForRecordAsync(cells[0].ExperimentId, r => r.Outbox.Count == 0);
        await _harness.WaitForRecordAsync(cells[1].ExperimentId, r => r.Outbox.Count == 0);

        await _harness.PublishAsync(new CancelSweep { SweepId = id, Reason = "wrong grid" });
        var cancelled = await _harness.WaitForAsync<SweepCancelled>(id);
        var record = await _harness.WaitForSweepAsync(id, r => r.IsFinished);
        await _harness.PublishAsync(new CancelSweep { SweepId = id, Reason = "again" });
        await Task.Delay(300);

        Assert.Equal("wrong grid", cancelled.Reason);
        Assert.Equal(SweepPhase.Cancelled, record.Phase);
        Assert.All(record.Cells, c => Assert.Equal(SweepCellStates.Cancelled, c.State));
        Assert.Equal("sweep stop cancelled: wrong grid", record.Cells[0].Reason);
        Assert.Equal("the sweep was cancelled before it started", record.Cells[2].Reason);
        foreach (var running in cells.Take(2))
        {
            Assert.Equal(ExperimentPhase.Cancelled, (await _harness.Repository.GetAsync(running.ExperimentId)).Phase);
            Assert.Contains(JobSpec.Pretraining(running.ExperimentId).Name, _harness.Launcher.Cancelled);
        }
        foreach (var queued in cells.Skip(2))
        {
            Assert.Empty(_harness.Messages.Of<StartExperiment>(queued.ExperimentId));
            Assert.Null(await _harness.Repository.FindAsync(queued.ExperimentId));
        }
        Assert.Single(_harness.Messages.Of<SweepCancelled>(id));
        Assert.Empty(_harness.Messages.Of<WriteSweepReport>(id));
    }

    [Fact]
    public async Task An_invalid_sweep_is_rejected_with_every_cells_problems_and_starts_nothing()
    {
        var bad = Guid.NewGuid();
        var byPath = Guid.NewGuid();

        await _harness.PublishAsync(new StartSweep { SweepId = bad, SweepYaml = Specs.Sweep("bad", concurrency: 0).Replace("[2, 4]", "[2, 400]", StringComparison.Ordinal) });
        await _harness.PublishAsync(new StartSweep { SweepId = byPath, SweepYaml = "sweep: { name: by-path, base: arm.yaml, seeds: [0] }" });
        var rejected = await _harness.WaitForAsync<SweepRejected>(bad);
        var unread = await _harness.WaitForAsync<SweepRejected>(byPath);

        Assert.Equal(["bad-proxies400-s0: model.proxies: must lie in [0, 256] (got 400)", "bad-proxies400-s1: model.proxies: must lie in [0, 256] (got 400)"], rejected.Problems);
        Assert.Equal(["sweep.base: 'arm.yaml': a path cannot be read here; write the base spec inline"], unread.Problems);
        Assert.Equal(SweepPhase.Rejected, (await _harness.Sweeps.GetAsync(bad)).Phase);
        Assert.Empty(_harness.Messages.Of<StartExperiment>(SweepCellIds.ExperimentId(bad, "bad-proxies2-s0")));
    }

    [Fact]
    public void A_cells_experiment_id_depends_on_the_sweep_and_the_cell_only()
    {
        var sweep = Guid.Parse("00000000-0000-0000-0000-000000000001");

        Assert.Equal(SweepCellIds.ExperimentId(sweep, "a-s0"), SweepCellIds.ExperimentId(sweep, "a-s0"));
        Assert.NotEqual(SweepCellIds.ExperimentId(sweep, "a-s0"), SweepCellIds.ExperimentId(sweep, "a-s1"));
        Assert.NotEqual(SweepCellIds.ExperimentId(sweep, "a-s0"), SweepCellIds.ExperimentId(Guid.NewGuid(), "a-s0"));
        Assert.Equal(8, SweepCellIds.ExperimentId(sweep, "a-s0").Version);
    }

    private static string[] States(SweepRecord record) => record.Cells.Select(c => c.State).ToArray();

    /// <summary>The last value of the sweep gauges the orchestrator recorded, as Prometheus would scrape them.</summary>
    private sealed class SweepGauges : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<(string Sweep, string Key), long> _cells = [];
        private readonly Dictionary<(string Sweep, string Key), double> _results = [];

        public SweepGauges()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == SemanticMimMetrics.MeterName && instrument.Name.StartsWith("semanticmim.sweep.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(_cells, tags, value, "state"));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(_results, tags, value, "cell", "arm", "point", "seed"));
            _listener.Start();
        }

        public Dictionary<string, long> Cells(string sweep) => Of(_cells, sweep);

        public Dictionary<string, double> Results(string sweep) => Of(_results, sweep);

        public void Dispose() => _listener.Dispose();

        private void Record<T>(Dictionary<(string, string), T> into, ReadOnlySpan<KeyValuePair<string, object?>> tags, T value, params string[] keys)
        {
            var byName = tags.ToArray().ToDictionary(t => t.Key, t => (string)t.Value!);
            lock (into)
            {
                into[(byName["sweep"], string.Join(' ', keys.Select(k => byName[k])))] = value;
            }
        }

        private static Dictionary<string, T> Of<T>(Dictionary<(string Sweep, string Key), T> values, string sweep)
        {
            lock (values)
            {
                return values.Where(v => v.Key.Sweep == sweep).ToDictionary(v => v.Key.Key, v => v.Value);
            }
        }
    }
}
