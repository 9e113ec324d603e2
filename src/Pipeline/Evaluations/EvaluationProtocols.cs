using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Pipeline.Evaluations;

/// <summary>
/// The implementations the evaluation stage runs, by their descriptor's spec name. Adding a protocol takes an
/// implementation registered here and a descriptor registered in <see cref="EvaluationProtocolDescriptors"/>.
/// </summary>
public static class EvaluationProtocols
{
    private static readonly ProtocolRegistry<IEvaluationProtocol> Registry = new(protocol => protocol.Name);

    static EvaluationProtocols()
    {
        Register(new LinearProbeProtocol());
        Register(new FineTuneProtocol());
        Register(new SegmentationProbeProtocol());
        Register(new UperNetProtocol());
    }

    /// <summary>Every registered implementation, in registration order.</summary>
    public static IReadOnlyList<IEvaluationProtocol> All => Registry.All;

    /// <summary>Adds an implementation; registering the same type again does nothing.</summary>
    /// <exception cref="InvalidOperationException">
    /// No descriptor has its name (no valid spec could name it), or the name is taken by another type.
    /// </exception>
    public static void Register(IEvaluationProtocol protocol)
    {
        if (EvaluationProtocolDescriptors.Find(protocol.Name) is null)
        {
            throw new InvalidOperationException(
                $"evaluation protocol '{protocol.Name}' has no descriptor: register one in {nameof(EvaluationProtocolDescriptors)} first");
        }
        Registry.Register(protocol);
    }

    /// <summary>The implementation of the protocol a spec names, in any spelling a spec may use.</summary>
    /// <exception cref="KeyNotFoundException">None is registered under that name.</exception>
    public static IEvaluationProtocol Get(string specName) => Registry.Get(specName);
}
