using static TorchSharp.torch;

namespace SemanticMIM.Model;

/// <summary>
/// Where the trainer and the evaluator compute: the <see cref="Variable"/> environment variable (<c>cpu</c>, <c>cuda</c>,
/// <c>cuda:N</c>, or <c>auto</c>), by default the first GPU when TorchSharp's CUDA backend finds one, else the CPU.
/// Data are prepared on the CPU and move to this device per batch.
/// </summary>
public static class ComputeDevice
{
    public const string Variable = "SEMANTICMIM_DEVICE";

    /// <summary>The device the environment asks for.</summary>
    public static Device Default => Resolve(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The device a setting names; a GPU that is not there is an error, not a silent fall back to the CPU.</summary>
    public static Device Resolve(string? setting)
    {
        string value = (setting ?? "").Trim().ToLowerInvariant();
        if (value is "" or "auto")
        {
            return cuda.is_available() ? CUDA : CPU;
        }
        if (value == "cpu")
        {
            return CPU;
        }
        if (value == "cuda" || value.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
            {
                throw new InvalidOperationException(
                    $"{Variable}={setting} asks for a GPU, but TorchSharp finds none (a CPU build of libtorch, or no device visible)");
            }
            return device(value);
        }
        throw new ArgumentException($"{Variable} must be cpu, cuda, cuda:N or auto (got '{setting}')", nameof(setting));
    }
}
