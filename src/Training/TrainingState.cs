using System.Text.Json;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Training;

/// <summary>
/// Everything besides weights and optimizer moments that an exact resume needs: the update count (which is
/// also the schedule's position), the batch source's position, the configuration and both torch generator
/// states. No System.Random is used in training, so there are no other seeds to keep.
/// </summary>
public sealed record TrainingState
{
    public const string FileName = "training-state.json";
    public const string CurrentFormat = "semanticmim.training-state.v1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>Optimizer updates done.</summary>
    public required int Step { get; init; }

    /// <summary><see cref="IBatchSource.Position"/> after the last update.</summary>
    public required long SamplerPosition { get; init; }

    public required TrainingConfig Config { get; init; }

    /// <summary>State of the dedicated mask generator (torch CPU generator bytes).</summary>
    public required byte[] MaskGeneratorState { get; init; }

    /// <summary>State of torch's global CPU generator, which drop path draws from.</summary>
    public required byte[] TorchCpuGeneratorState { get; init; }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, TrainingConfig.Json));

    /// <exception cref="InvalidDataException">The file is not a training state of this format, naming the file and the fault.</exception>
    public static TrainingState Load(string path)
    {
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), TrainingConfig.Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a training state ({e.Message})", e);
        }
        if (state is null)
        {
            throw new InvalidDataException($"{path} holds no training state");
        }
        if (state.Format != CurrentFormat)
        {
            throw new InvalidDataException($"{path} has format '{state.Format}', expected '{CurrentFormat}'");
        }
        if (state.Config is null || state.MaskGeneratorState is null || state.TorchCpuGeneratorState is null || state.Step < 0 || state.SamplerPosition < 0)
        {
            throw new InvalidDataException($"{path} lacks the configuration, a generator state, or a valid step and sampler position");
        }
        return state;
    }
}
