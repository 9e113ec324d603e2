namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>
/// The evaluation protocols a spec may name. Adding a protocol takes a descriptor registered here and an
/// implementation registered with the evaluator (<c>SemanticMIM.Pipeline.Evaluations.EvaluationProtocols</c>).
/// </summary>
public static class EvaluationProtocolDescriptors
{
    private static readonly ProtocolRegistry<EvaluationProtocolDescriptor> Registry = new(descriptor => descriptor.SpecName);

    static EvaluationProtocolDescriptors()
    {
        Register(new LinearProbeDescriptor());
        Register(new FineTuneDescriptor());
        Register(new SegmentationProbeDescriptor());
        Register(new UperNetDescriptor());
    }

    /// <summary>Every registered descriptor, in registration order (the order messages list them in).</summary>
    public static IReadOnlyList<EvaluationProtocolDescriptor> All => Registry.All;

    /// <summary>The registered spec names, comma-separated.</summary>
    public static string Names => Registry.Names;

    /// <summary>Adds a protocol; registering the same descriptor type again does nothing.</summary>
    public static void Register(EvaluationProtocolDescriptor descriptor) => Registry.Register(descriptor);

    /// <summary>The descriptor a spec names, in any spelling a spec may use; null when none is registered.</summary>
    public static EvaluationProtocolDescriptor? Find(string specName) => Registry.Find(specName);

    /// <exception cref="KeyNotFoundException">No protocol has that name.</exception>
    public static EvaluationProtocolDescriptor Get(string specName) => Registry.Get(specName);
}
