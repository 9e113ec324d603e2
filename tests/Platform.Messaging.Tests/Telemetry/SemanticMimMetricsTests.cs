using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SemanticMIM.Platform.Telemetry;
using SemanticMIM.Contracts.Messages;

namespace SemanticMIM.Platform.Messaging.Tests.Telemetry;

public sealed class SemanticMimMetricsTests
{
    sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags);

    [Fact]
    public void EveryRecordingReachesItsInstrumentWithItsTags()
    {
        using var provider = new ServiceCollection().AddSemanticMimMetrics().BuildServiceProvider();
        var metrics = provider.GetRequiredService<SemanticMimMetrics>();
        Assert.Same(metrics, provider.GetRequiredService<SemanticMimMetrics>());
        var measurements = new ConcurrentQueue<Measurement>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
            where T : struct
        {
            var copy = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value?.ToString();
            }

            measurements.Enqueue(new Measurement(instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copy));
        }

        listener.SetMeasurementEventCallback<double>(Record);
        listener.SetMeasurementEventCallback<long>(Record);
        listener.Start();

        metrics.RecordTrainingStep("exp-a", 10, loss: 3.25, learningRate: 0.001, imagesPerSecond: 64);
        metrics.RecordDataWait("exp-a", 0.5);
        metrics.RecordCheckpoint("exp-a", TimeSpan.FromMilliseconds(2500));
        metrics.RecordSamplesWritten(Stages.Shard, "exp-a", written: 100, skipped: 3);
        metrics.UnitCompleted(Stages.Targets, "exp-a");
        metrics.UnitFailed(Stages.Evaluate, "exp-a");
        metrics.RecordEvaluation("exp-a", "linear-probe", "random-init", "cls", "last", "top1", 0.12);

        var byName = measurements.ToLookup(m => m.Instrument);
        Assert.Equal(SemanticMimMetrics.MeterName, metrics.Meter.Name);
        Assert.Equal(3.25, Assert.Single(byName["semanticmim.training.loss"]).Value);
        Assert.Equal(10, Assert.Single(byName["semanticmim.training.step"]).Value);
        Assert.Equal(0.001, Assert.Single(byName["semanticmim.training.learning_rate"]).Value);
        Assert.Equal(64, Assert.Single(byName["semanticmim.training.images_per_second"]).Value);
        Assert.Equal(0.5, Assert.Single(byName["semanticmim.training.data_wait_ratio"]).Value);
        Assert.Equal(2.5, Assert.Single(byName["semanticmim.checkpoint.duration"]).Value);
        Assert.Equal(100, Assert.Single(byName["semanticmim.samples.written"]).Value);
        Assert.Equal(3, Assert.Single(byName["semanticmim.samples.skipped"]).Value);
        var completed = Assert.Single(byName["semanticmim.units.completed"]);
        Assert.Equal("targets", completed.Tags["stage"]);
        Assert.Equal("evaluate", Assert.Single(byName["semanticmim.units.failed"]).Tags["stage"]);
        var evaluation = Assert.Single(byName["semanticmim.evaluation.result"]);
        Assert.Equal(0.12, evaluation.Value);
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["experiment"] = "exp-a", ["protocol"] = "linear-probe", ["encoder"] = "random-init", ["feature"] = "cls", ["layer"] = "last",
                ["metric"] = "top1",
            },
            evaluation.Tags);
        Assert.All(measurements, m => Assert.Equal("exp-a", m.Tags["experiment"]));
    }

    [Fact]
    public void ADataWaitShareOutsideZeroToOneIsRefused()
    {
        using var meter = new Meter(SemanticMimMetrics.MeterName);
        var metrics = new SemanticMimMetrics(meter);

        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.RecordDataWait("x", 1.5));
        Assert.Throws<ArgumentException>(() => metrics.UnitCompleted("shard", " "));
        using var other = new Meter("Other");
        Assert.Throws<ArgumentException>(() => new SemanticMimMetrics(other));
    }
}
