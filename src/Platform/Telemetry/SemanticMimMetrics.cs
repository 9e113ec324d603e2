using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SemanticMIM.Platform.Telemetry;

/// <summary>
/// The platform's own instruments, on one meter named <see cref="MeterName"/>. Through the OpenTelemetry
/// Prometheus exporter they appear as (label <c>experiment</c> on all of them):
/// <list type="table">
/// <item><term><c>semanticmim_training_loss</c>, <c>semanticmim_training_learning_rate</c>, <c>semanticmim_training_step</c>,
/// <c>semanticmim_training_images_per_second</c>, <c>semanticmim_training_data_wait_ratio</c></term>
/// <description>gauges: the last value reported per experiment</description></item>
/// <item><term><c>semanticmim_checkpoint_duration_seconds</c> (<c>_bucket</c>, <c>_sum</c>, <c>_count</c>)</term>
/// <description>histogram of checkpoint save times</description></item>
/// <item><term><c>semanticmim_samples_written_total</c>, <c>semanticmim_samples_skipped_total</c>,
/// <c>semanticmim_units_completed_total</c>, <c>semanticmim_units_failed_total</c></term>
/// <description>counters with a <c>stage</c> label (<see cref="Contracts.Messages.Stages"/>)</description></item>
/// <item><term><c>semanticmim_evaluation_result</c></term>
/// <description>gauge with <c>protocol</c>, <c>encoder</c>, <c>feature</c>, <c>layer</c>, <c>metric</c> labels</description></item>
/// <item><term><c>semanticmim_sweep_cells</c></term>
/// <description>gauge: a sweep's cells in each state (labels <c>sweep</c>, <c>state</c>; no <c>experiment</c>)</description></item>
/// <item><term><c>semanticmim_sweep_cell_result</c></term>
/// <description>gauge: a finished cell's metric (labels <c>sweep</c>, <c>cell</c>, <c>arm</c>, <c>point</c>, <c>seed</c>)</description></item>
/// </list>
/// </summary>
public sealed class SemanticMimMetrics
{
    public const string MeterName = "SemanticMIM";

    /// <summary>Seconds; checkpoints range from a fraction of a second (tiny models) to minutes (ViT-L to object storage).</summary>
    static readonly double[] CheckpointBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    readonly Gauge<double> _loss;
    readonly Gauge<double> _learningRate;
    readonly Gauge<long> _step;
    readonly Gauge<double> _imagesPerSecond;
    readonly Gauge<double> _dataWait;
    readonly Histogram<double> _checkpointDuration;
    readonly Counter<long> _samplesWritten;
    readonly Counter<long> _samplesSkipped;
    readonly Counter<long> _unitsCompleted;
    readonly Counter<long> _unitsFailed;
    readonly Gauge<double> _evaluation;
    readonly Gauge<long> _sweepCells;
    readonly Gauge<double> _sweepCellResult;

    /// <summary>Creates the meter through the host's <see cref="IMeterFactory"/> (the DI registration does this).</summary>
    public SemanticMimMetrics(IMeterFactory meterFactory)
        : this(CreateMeter(meterFactory))
    {
    }

    /// <summary>Uses <paramref name="meter"/>, which must be named <see cref="MeterName"/>; its owner disposes it.</summary>
    public SemanticMimMetrics(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        if (meter.Name != MeterName)
        {
            throw new ArgumentException($"The meter must be named '{MeterName}', not '{meter.Name}'.", nameof(meter));
        }

        Meter = meter;
        _loss = meter.CreateGauge<double>("semanticmim.training.loss", description: "Training loss of the last reported step.");
        _learningRate = meter.CreateGauge<double>("semanticmim.training.learning_rate", description: "Learning rate of the last reported step.");
        _step = meter.CreateGauge<long>("semanticmim.training.step", description: "Last completed optimizer step.");
        _imagesPerSecond = meter.CreateGauge<double>("semanticmim.training.images_per_second",
            description: "Training throughput over the last reporting interval, in images per second.");
        _dataWait = meter.CreateGauge<double>("semanticmim.training.data_wait_ratio",
            description: "Share (0 to 1) of the last reporting interval the training step spent waiting for data.");
        _checkpointDuration = meter.CreateHistogram<double>("semanticmim.checkpoint.duration", unit: "s",
            description: "Time to write one checkpoint, manifest included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CheckpointBuckets });
        _samplesWritten = meter.CreateCounter<long>("semanticmim.samples.written", description: "Samples written to shards or target files.");
        _samplesSkipped = meter.CreateCounter<long>("semanticmim.samples.skipped", description: "Source samples skipped as corrupt.");
        _unitsCompleted = meter.CreateCounter<long>("semanticmim.units.completed", description: "Work units (a split, a shard, a job) finished.");
        _unitsFailed = meter.CreateCounter<long>("semanticmim.units.failed", description: "Work units that failed.");
        _evaluation = meter.CreateGauge<double>("semanticmim.evaluation.result",
            description: "Evaluation results (top-1 accuracy, mIoU, …) per protocol, encoder, feature, layer and metric.");
        _sweepCells = meter.CreateGauge<long>("semanticmim.sweep.cells", description: "Cells of a sweep in each state (queued, running, completed, failed, cancelled).");
        _sweepCellResult = meter.CreateGauge<double>("semanticmim.sweep.cell_result",
            description: "The sweep's metric (e.g. linear-probe top-1) of each completed cell.");
    }

    public Meter Meter { get; }

    /// <summary>Reports the state after a training step (or the average over the last reporting interval).</summary>
    public void RecordTrainingStep(string experiment, long step, double loss, double learningRate, double imagesPerSecond)
    {
        var tags = Experiment(experiment);
        _step.Record(step, tags);
        _loss.Record(loss, tags);
        _learningRate.Record(learningRate, tags);
        _imagesPerSecond.Record(imagesPerSecond, tags);
    }

    /// <summary>Reports the share (0 to 1) of recent training time spent waiting on the data loader.</summary>
    public void RecordDataWait(string experiment, double share)
    {
        if (share is < 0 or > 1 || double.IsNaN(share))
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "The data-wait share must lie between 0 and 1.");
        }

        _dataWait.Record(share, Experiment(experiment));
    }

    public void RecordCheckpoint(string experiment, TimeSpan duration) =>
        _checkpointDuration.Record(duration.TotalSeconds, Experiment(experiment));

    /// <summary>Counts samples written (and source samples skipped as corrupt) by a stage.</summary>
    public void RecordSamplesWritten(string stage, string experiment, long written, long skipped = 0)
    {
        var tags = Stage(stage, experiment);
        if (written > 0)
        {
            _samplesWritten.Add(written, tags);
        }

        if (skipped > 0)
        {
            _samplesSkipped.Add(skipped, tags);
        }
    }

    public void UnitCompleted(string stage, string experiment) => _unitsCompleted.Add(1, Stage(stage, experiment));

    public void UnitFailed(string stage, string experiment) => _unitsFailed.Add(1, Stage(stage, experiment));

    /// <summary>Reports one result, e.g. (<c>linear-probe</c>, <c>pretrained</c>, <c>mean-pool</c>, <c>12</c>, <c>top1</c>, 0.71).</summary>
    public void RecordEvaluation(string experiment, string protocol, string encoder, string feature, string layer, string metric, double value)
    {
        var tags = new TagList
        {
            { "experiment", Required(experiment, nameof(experiment)) },
            { "protocol", Required(protocol, nameof(protocol)) },
            { "encoder", Required(encoder, nameof(encoder)) },
            { "feature", Required(feature, nameof(feature)) },
            { "layer", Required(layer, nameof(layer)) },
            { "metric", Required(metric, nameof(metric)) },
        };
        _evaluation.Record(value, tags);
    }

    /// <summary>Reports how many of a sweep's cells are in each state; every state is reported, zero included.</summary>
    public void RecordSweepCells(string sweep, IReadOnlyDictionary<string, int> cellsByState)
    {
        ArgumentNullException.ThrowIfNull(cellsByState);
        foreach (var (state, count) in cellsByState)
        {
            _sweepCells.Record(count, new TagList { { "sweep", Required(sweep, nameof(sweep)) }, { "state", Required(state, nameof(state)) } });
        }
    }

    /// <summary>Reports a completed cell's metric; <paramref name="arm"/> and <paramref name="point"/> read "none" where the sweep has none.</summary>
    public void RecordSweepCellResult(string sweep, string cell, string arm, string point, int seed, double value)
    {
        var tags = new TagList
        {
            { "sweep", Required(sweep, nameof(sweep)) },
            { "cell", Required(cell, nameof(cell)) },
            { "arm", arm.Length > 0 ? arm : "none" },
            { "point", point.Length > 0 ? point : "none" },
            { "seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
        _sweepCellResult.Record(value, tags);
    }

    static Meter CreateMeter(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        return meterFactory.Create(MeterName);
    }

    static KeyValuePair<string, object?> Experiment(string experiment) => new("experiment", Required(experiment, nameof(experiment)));

    static TagList Stage(string stage, string experiment) => new()
    {
        { "stage", Required(stage, nameof(stage)) },
        { "experiment", Required(experiment, nameof(experiment)) },
    };

    static string Required(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }
}
