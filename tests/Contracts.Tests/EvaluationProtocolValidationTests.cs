using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Evaluations;

namespace SemanticMIM.Contracts.Tests;

/// <summary>
/// Every per-protocol rule comes from the protocols' descriptors: the options each reads, its recipes, the labels it
/// needs and its own checks; a protocol registered by this test project is validated the same way.
/// </summary>
public sealed class EvaluationProtocolValidationTests
{
    private const string ClassLabels = "dataset: { kind: imageNet, source: /data/in, imageSize: 224, channels: 3 }";
    private const string LabelMaps = "dataset: { kind: syntheticScenes, imageSize: 32, channels: 3 }";

    private static string Spec(string dataset, string evaluation) =>
        $"name: x\n{dataset}\nmodel: {{ patchSize: 16, depth: 12 }}\ntraining: {{ steps: 1 }}\nevaluations:\n  - {evaluation}";

    private static IReadOnlyList<string> Problems(string yaml) =>
        Assert.Throws<InvalidSpecException>(() => SpecReader.Read(yaml)).Problems.Select(p => p.ToString()).ToList();

    public static TheoryData<string, string, string> ProtocolRules() => new()
    {
        { ClassLabels, "{ protocol: linearProbe, cropSize: 112 }", "evaluations[0].cropSize: applies to the uperNet protocol only" },
        { ClassLabels, "{ protocol: fineTune, iterations: 10 }", "evaluations[0].iterations: applies to the uperNet protocol only" },
        { LabelMaps, "{ protocol: segmentationProbe, augment: true }", "evaluations[0].augment: applies to the linearProbe protocol only" },
        { ClassLabels, "{ protocol: fineTune, layer: 4 }", "evaluations[0].layer: applies to the linearProbe and segmentationProbe protocols only" },
        { LabelMaps, "{ protocol: upernet, epochs: 3 }", "evaluations[0].epochs: applies to the linearProbe, fineTune and segmentationProbe protocols only" },
        { LabelMaps, "{ protocol: segmentationProbe, recipe: paper }", "evaluations[0].recipe: the SegmentationProbe protocol has no named recipes (got 'paper')" },
        { ClassLabels, "{ protocol: fineTune, recipe: tiny }", "evaluations[0].recipe: 'tiny' is not one of paper, beit-code, maskfeat-code" },
        { LabelMaps, "{ protocol: upernet, recipe: beit-code }", "evaluations[0].recipe: 'beit-code' is not one of paper, tiny" },
        {
            LabelMaps, "{ protocol: upernet, batchSize: 1 }",
            "evaluations[0].batchSize: UperNet needs at least 2 images per batch (its batch norms after pyramid pooling see one value per channel and image)"
        },
        { ClassLabels, "{ protocol: upernet }", "evaluations[0].protocol: UperNet needs a data set with label maps, not ImageNet" },
        { LabelMaps, "{ protocol: fineTune }", "evaluations[0].protocol: FineTune needs a data set with class labels, not SyntheticScenes" },
    };

    [Theory]
    [MemberData(nameof(ProtocolRules))]
    public void Each_protocol_rule_is_reported_alone_with_its_field_and_message(string dataset, string evaluation, string expected) =>
        Assert.Equal([expected], Problems(Spec(dataset, evaluation)));

    [Fact]
    public void An_unknown_protocol_is_reported_with_the_known_ones()
    {
        var problem = Assert.Single(Problems(Spec(ClassLabels, "{ protocol: linearPorbe, epochs: 2 }")));

        // Registration order puts the built-in protocols first; a protocol another test registers may follow.
        Assert.StartsWith("evaluations[0].protocol: 'linearPorbe' is not one of linearProbe, fineTune, segmentationProbe, uperNet", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linearProbe", LinearProbeDescriptor.Name)]
    [InlineData("linear-probe", LinearProbeDescriptor.Name)]
    [InlineData("FineTune", FineTuneDescriptor.Name)]
    [InlineData("segmentation_probe", SegmentationProbeDescriptor.Name)]
    [InlineData("upernet", UperNetDescriptor.Name)]
    [InlineData("uper-net", UperNetDescriptor.Name)]
    public void A_protocol_is_read_in_any_spelling_and_kept_under_its_registered_name(string written, string registered)
    {
        string dataset = EvaluationProtocolDescriptors.Get(registered).Labels == LabelKind.ClassLabels ? ClassLabels : LabelMaps;

        var spec = SpecReader.Read(Spec(dataset, $"{{ protocol: {written} }}"));

        Assert.Equal(registered, Assert.Single(spec.Evaluations).Protocol);
    }

    [Fact]
    public void The_default_protocol_is_the_linear_probe() => Assert.Equal(LinearProbeDescriptor.Name, new EvaluationSpec().Protocol);

    /// <summary>A protocol only this project registers: it reads the batch size alone, needs class labels, and wants even batches.</summary>
    private sealed class EvenBatchDescriptor() : EvaluationProtocolDescriptor(Name, "even-batch", LabelKind.ClassLabels, [EvaluationOption.BatchSize])
    {
        public const string Name = "evenBatch";

        public override IEnumerable<SpecProblem> Validate(EvaluationSpec evaluation, string at)
        {
            if (evaluation.BatchSize % 2 == 1)
            {
                yield return new SpecProblem($"{at}.batchSize", $"must be even (got {evaluation.BatchSize})");
            }
        }
    }

    [Fact]
    public void A_registered_protocol_is_validated_from_its_descriptor()
    {
        EvaluationProtocolDescriptors.Register(new EvenBatchDescriptor());
        EvaluationProtocolDescriptors.Register(new EvenBatchDescriptor());

        Assert.Equal(EvenBatchDescriptor.Name, Assert.Single(SpecReader.Read(Spec(ClassLabels, "{ protocol: even-batch, batchSize: 4 }")).Evaluations).Protocol);
        Assert.Equal(
            [
                "evaluations[0].layer: applies to the linearProbe and segmentationProbe protocols only",
                "evaluations[0].protocol: EvenBatch needs a data set with class labels, not SyntheticScenes",
                "evaluations[0].batchSize: must be even (got 3)",
            ],
            Problems(Spec(LabelMaps, "{ protocol: evenBatch, batchSize: 3, layer: 2 }")));
        Assert.Single(EvaluationProtocolDescriptors.All, d => d.SpecName == EvenBatchDescriptor.Name);
    }

    /// <summary>Another type under a built-in protocol's name.</summary>
    private sealed class ImpostorDescriptor() : EvaluationProtocolDescriptor("linear-probe", "impostor", LabelKind.ClassLabels, []);

    [Fact]
    public void A_name_cannot_be_taken_by_another_descriptor_in_any_spelling() =>
        Assert.Throws<InvalidOperationException>(() => EvaluationProtocolDescriptors.Register(new ImpostorDescriptor()));
}
