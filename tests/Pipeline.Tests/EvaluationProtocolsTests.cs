using SemanticMIM.Contracts.Results;
using SemanticMIM.Contracts.Specs.Evaluations;
using SemanticMIM.Pipeline.Evaluations;
using SemanticMIM.Pipeline.Loading;

namespace SemanticMIM.Pipeline.Tests;

public sealed class EvaluationProtocolsTests
{
    [Theory]
    [InlineData(LinearProbeDescriptor.Name, EvaluationView.CenterSquare)]
    [InlineData(FineTuneDescriptor.Name, EvaluationView.CenterSquare)]
    [InlineData(SegmentationProbeDescriptor.Name, EvaluationView.Squashed)]
    [InlineData(UperNetDescriptor.Name, EvaluationView.Landscape)]
    public void Every_built_in_protocol_has_an_implementation_reading_its_view(string name, EvaluationView view)
    {
        var protocol = EvaluationProtocols.Get(name);

        Assert.Equal((name, view), (protocol.Name, protocol.View));
    }

    /// <summary>An implementation no descriptor describes.</summary>
    private sealed class UndescribedProtocol : IEvaluationProtocol
    {
        public string Name => "undescribed";

        public EvaluationView View => EvaluationView.CenterSquare;

        public IReadOnlyList<EvaluationResult> Run(EvaluationContext context) => [];
    }

    [Fact]
    public void An_implementation_needs_a_registered_descriptor()
    {
        var error = Assert.Throws<InvalidOperationException>(() => EvaluationProtocols.Register(new UndescribedProtocol()));

        Assert.Contains("'undescribed' has no descriptor", error.Message, StringComparison.Ordinal);
        Assert.Throws<KeyNotFoundException>(() => EvaluationProtocols.Get("undescribed"));
    }

    [Fact]
    public void Registering_a_protocol_again_keeps_one_entry()
    {
        ConstantDescriptor.Register();
        ConstantDescriptor.Register();

        Assert.Single(EvaluationProtocols.All, p => p.Name == ConstantDescriptor.Name);
        Assert.Single(EvaluationProtocolDescriptors.All, d => d.SpecName == ConstantDescriptor.Name);
    }
}
