using System.Diagnostics;
using SemanticMIM.Model;
using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Model.Layers;
using SemanticMIM.Model.Masking;
using SemanticMIM.Planning.Configs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Training;

/// <summary>
/// Runs masked-image-modelling updates: masks from a dedicated seeded generator, the model's loss, backward
/// with gradient accumulation, global-norm clipping, AdamW with the per-update schedule, and checkpoints
/// that resume bit-identically on the CPU. With <see cref="TrainingPrecision.Bf16"/> the forward runs inside a
/// <see cref="MixedPrecision"/> scope: the model's parameters, their gradients, AdamW's moments and therefore the
/// checkpoints stay fp32, and nothing in bf16 outlives a step, so resuming is as exact as in fp32.
/// </summary>
public sealed class PretrainingEngine : IDisposable
{
    public const string ModelFileName = "model.safetensors";
    public const string OptimizerFileName = "optimizer.bin";

    private readonly IBatchSource _batches;
    private readonly string? _checkpointRoot;
    private readonly IProgress<TrainingProgress>? _progress;
    private readonly AdamW _optimizer;
    private readonly List<Parameter> _parameters;
    private readonly MaskGenerator _masker;
    private readonly Generator _maskGenerator;
    private readonly WarmupCosineSchedule _schedule;
    private readonly ScalarType? _computeType;
    private readonly TimeProvider _clock;
    private int _checkpointedStep;
    private long _checkpointedAt;

    private PretrainingEngine(MimPretrainingModel model, TrainingConfig config, IBatchSource batches, string? checkpointRoot,
        IProgress<TrainingProgress>? progress, Device? device, TimeProvider? clock)
    {
        _clock = clock ?? TimeProvider.System;
        _checkpointedAt = _clock.GetTimestamp();
        Device = device ?? CPU;
        ApplyTf32(Device, config.Tf32);
        // Moved before the optimizer takes the parameters: moving replaces them.
        model.to(Device);
        Model = model;
        Config = config;
        _batches = batches;
        _checkpointRoot = checkpointRoot;
        _progress = progress;
        _optimizer = ParameterGroups.CreateAdamW(model, config);
        _parameters = _optimizer.parameters().ToList();
        int grid = model.Config.Encoder.GridSize;
        _masker = config.Masking == MaskingStrategy.Blockwise
            ? new BlockwiseMasker(grid, MaskGenerator.CountFor(grid * grid, config.MaskRatio))
            : new RandomPatchMasker(grid, config.MaskRatio);
        _maskGenerator = new Generator(unchecked((ulong)config.Seed));
        _schedule = WarmupCosineSchedule.From(config);
        _computeType = config.Precision == TrainingPrecision.Bf16 ? ScalarType.BFloat16 : null;
        model.train();
    }

    public MimPretrainingModel Model { get; }

    /// <summary>Where the model trains; batches and masks are made on the CPU and moved here per micro-batch.</summary>
    public Device Device { get; }

    public TrainingConfig Config { get; }

    /// <summary>Optimizer updates done.</summary>
    public int Step { get; private set; }

    public bool IsComplete => Step >= Config.Steps;

    /// <summary>Raised with the folder of every checkpoint once it is committed (its manifest written).</summary>
    public event Action<string>? CheckpointSaved;

    /// <summary>The folder of the newest checkpoint this engine wrote or resumed from.</summary>
    public string? LastCheckpoint { get; private set; }

    /// <summary>A fresh run: seeds torch's global generator with <see cref="TrainingConfig.Seed"/> and builds the model.</summary>
    /// <param name="clock">Measures the training time between checkpoints (<see cref="TrainingConfig.CheckpointPeriod"/>).</param>
    public static PretrainingEngine Start(MimModelConfig modelConfig, TrainingConfig config, IBatchSource batches,
        string? checkpointRoot = null, IProgress<TrainingProgress>? progress = null, Device? device = null, TimeProvider? clock = null)
    {
        config.EnsureValid();
        modelConfig.Encoder.EnsureValid();
        random.manual_seed(config.Seed);
        return new PretrainingEngine(new MimPretrainingModel(modelConfig), config, batches, checkpointRoot, progress, device, clock);
    }

    /// <summary>
    /// Continues from a checkpoint folder: weights, optimizer moments, step, batch position and both generators
    /// are restored, so the run continues exactly as if it had never stopped (on the CPU; a GPU's own generator,
    /// which drop path draws from there, is not part of the checkpoint).
    /// </summary>
    public static PretrainingEngine Resume(string checkpointFolder, IBatchSource batches,
        string? checkpointRoot = null, IProgress<TrainingProgress>? progress = null, Device? device = null, TimeProvider? clock = null)
    {
        if (CheckpointManifest.Check(checkpointFolder).Problem is { } problem)
        {
            throw new InvalidDataException($"{checkpointFolder} is not a complete checkpoint: {problem}");
        }
        var state = TrainingState.Load(Path.Combine(checkpointFolder, TrainingState.FileName));
        try
        {
            state.Config.EnsureValid();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{checkpointFolder}: {e.Message}", e);
        }
        var model = ModelCheckpoint.LoadPretraining(Path.Combine(checkpointFolder, ModelFileName));
        var engine = new PretrainingEngine(model, state.Config, batches, checkpointRoot, progress, device, clock)
        {
            Step = state.Step,
            LastCheckpoint = checkpointFolder,
            _checkpointedStep = state.Step,
        };
        try
        {
            engine._optimizer.load_state_dict(Path.Combine(checkpointFolder, OptimizerFileName));
            CheckGeneratorState(checkpointFolder, "mask", state.MaskGeneratorState, engine._maskGenerator);
            using (var fresh = new Generator(0))
            {
                CheckGeneratorState(checkpointFolder, "torch", state.TorchCpuGeneratorState, fresh);
            }
            using var maskState = tensor(state.MaskGeneratorState);
            engine._maskGenerator.set_state(maskState);
            // Restored last: building the model above drew from the global generator.
            using var torchState = tensor(state.TorchCpuGeneratorState);
            random.set_rng_state(torchState);
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        batches.Seek(state.SamplerPosition);
        return engine;
    }

    /// <summary>
    /// Trains until <see cref="TrainingConfig.Steps"/>, checkpointing every <see cref="TrainingConfig.CheckpointInterval"/>
    /// updates, whenever <see cref="TrainingConfig.CheckpointPeriod"/> has passed since the last checkpoint, and at the end.
    /// On cancellation it stops between updates and checkpoints what it has.
    /// </summary>
    public void Run(CancellationToken cancellation = default)
    {
        while (!IsComplete)
        {
            if (cancellation.IsCancellationRequested)
            {
                CheckpointIfBehind();
                return;
            }
            TrainStep();
            bool interval = Config.CheckpointInterval > 0 && Step % Config.CheckpointInterval == 0;
            bool period = Config.CheckpointPeriod > TimeSpan.Zero && _clock.GetElapsedTime(_checkpointedAt) >= Config.CheckpointPeriod;
            if (interval || period)
            {
                CheckpointIfBehind();
            }
        }
        CheckpointIfBehind();
    }

    /// <summary>One optimizer update over <see cref="TrainingConfig.AccumulationSteps"/> micro-batches.</summary>
    /// <exception cref="NonFiniteLossException">A micro-batch's loss is NaN or infinite; nothing was updated.</exception>
    public TrainingProgress TrainStep()
    {
        if (IsComplete)
        {
            throw new InvalidOperationException($"the run is complete ({Step} of {Config.Steps} steps)");
        }
        long started = Stopwatch.GetTimestamp();
        using var scope = NewDisposeScope();
        double learningRate = _schedule.At(Step);
        foreach (var group in _optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }
        _optimizer.zero_grad();
        // One mask draw per update, sliced per micro-batch, so accumulation does not change the masks.
        var masks = _masker.Generate(Config.EffectiveBatchSize, _maskGenerator);
        double lossSum = 0;
        double data = 0, forward = 0, backward = 0;
        for (int micro = 0; micro < Config.AccumulationSteps; micro++)
        {
            long mark = Stopwatch.GetTimestamp();
            var batch = _batches.Next(Config.BatchSize);
            data += Lap(ref mark);
            var mask = masks.narrow(0, (long)micro * Config.BatchSize, Config.BatchSize).to(Device);
            Tensor loss;
            using (MixedPrecision.Compute(_computeType))
            {
                loss = Model.Loss(batch.Images.to(Device), mask, batch.Targets.to(Device));
            }
            double value = loss.ToDouble();
            forward += Lap(ref mark);
            if (!double.IsFinite(value))
            {
                throw new NonFiniteLossException(Step + 1, value);
            }
            lossSum += value;
            loss.div(Config.AccumulationSteps).backward();
            backward += Lap(ref mark);
        }
        double gradientNorm = GradientClipping.ClipGlobalNorm(_parameters, Config.GradientClipNorm);
        _optimizer.step();
        Step++;
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var progress = new TrainingProgress(Step, Config.Steps, lossSum / Config.AccumulationSteps, learningRate, gradientNorm,
            Config.EffectiveBatchSize / seconds)
        {
            // The update phase is the rest: zeroing and the mask draw before the micro-batches, clipping and the step after.
            Phases = new StepPhases(data, forward, backward, seconds - data - forward - backward),
        };
        _progress?.Report(progress);
        return progress;
    }

    /// <summary>Writes a checkpoint of the current step under the checkpoint root and returns its folder.</summary>
    public string SaveCheckpoint()
    {
        var root = _checkpointRoot ?? throw new InvalidOperationException("this engine has no checkpoint folder");
        using var maskState = _maskGenerator.get_state();
        using var torchState = random.get_rng_state();
        var state = new TrainingState
        {
            Step = Step,
            SamplerPosition = _batches.Position,
            Config = Config,
            MaskGeneratorState = maskState.data<byte>().ToArray(),
            TorchCpuGeneratorState = torchState.data<byte>().ToArray(),
        };
        LastCheckpoint = CheckpointDirectory.Commit(root, Step, folder =>
        {
            ModelCheckpoint.Save(Path.Combine(folder, ModelFileName), Model);
            _optimizer.save_state_dict(Path.Combine(folder, OptimizerFileName));
            state.Save(Path.Combine(folder, TrainingState.FileName));
        });
        _checkpointedStep = Step;
        _checkpointedAt = _clock.GetTimestamp();
        CheckpointSaved?.Invoke(LastCheckpoint);
        return LastCheckpoint;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _maskGenerator.Dispose();
        Model.Dispose();
    }

    /// <summary>
    /// TF32 for fp32 matmuls (cuBLAS) and convolutions (cuDNN) on CUDA devices. These are libtorch's process-wide
    /// switches (torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32), so they also hold for
    /// whatever else the process computes on the GPU afterwards. The CPU has no TF32 and is left alone.
    /// </summary>
    private static void ApplyTf32(Device device, bool allow)
    {
        if (device.type == DeviceType.CUDA)
        {
            backends.cuda.matmul.allow_tf32 = allow;
            backends.cudnn.allow_tf32 = allow;
        }
    }

    /// <summary>Seconds since <paramref name="mark"/>, which moves to now.</summary>
    private static double Lap(ref long mark)
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(mark, now).TotalSeconds;
        mark = now;
        return seconds;
    }

    // A generator state of another length would be refused by libtorch with a native error far from its cause.
    private static void CheckGeneratorState(string folder, string which, byte[] saved, Generator like)
    {
        using var current = like.get_state();
        if (saved.LongLength != current.NumberOfElements)
        {
            throw new InvalidDataException($"{folder}: the {which} generator state has {saved.Length} bytes, a CPU generator's has {current.NumberOfElements}");
        }
    }

    private void CheckpointIfBehind()
    {
        if (_checkpointRoot is not null && Step > _checkpointedStep)
        {
            SaveCheckpoint();
        }
    }
}
