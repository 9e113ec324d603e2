using TorchSharp;

namespace SemanticMIM.Evaluation;

/// <summary>
/// Puts a module in eval mode until disposed, then restores the mode it had: frozen encoders and scored models run
/// deterministically (no drop path or dropout; spec pitfall 9) without changing what the caller set.
/// </summary>
public readonly struct EvalMode : IDisposable
{
    private readonly torch.nn.Module _module;
    private readonly bool _wasTraining;

    public EvalMode(torch.nn.Module module)
    {
        _module = module;
        _wasTraining = module.training;
        module.eval();
    }

    public void Dispose() => _module.train(_wasTraining);
}
