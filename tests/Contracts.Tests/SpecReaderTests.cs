using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;

namespace SemanticMIM.Contracts.Tests;

public sealed class SpecReaderTests
{
    private static string ExamplesFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SemanticMIM.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir!.FullName, "deploy", "examples");
    }

    private const string Minimal = """
        name: quick
        training:
          steps: 10
        """;

    [Fact]
    public void EveryShippedExampleIsValid()
    {
        var files = Directory.GetFiles(ExamplesFolder(), "*.yaml", SearchOption.AllDirectories);

        Assert.True(files.Length >= 4, "the four paper arms ship as examples");
        var specs = files.Where(file => !SweepReader.IsSweep(File.ReadAllText(file))).Select(SpecReader.ReadFile).ToList();

        Assert.Contains(specs, s => s.Method == MethodKind.SemanticMim && s.Target.Kind == TargetKindSpec.Hog && s.Model.Proxies == 8 && s.Masking.Ratio == 0.6);
        Assert.Contains(specs, s => s.Method == MethodKind.Baseline && s.Target.Kind == TargetKindSpec.Tokens && s.Masking.Ratio == 0.4);
    }

    [Fact]
    public void ReadsValuesAndKeepsDefaults()
    {
        var spec = SpecReader.Read("""
            name: fmnist-sm
            method: semantic-mim
            target: { kind: tokens, tokenizer: VQ, vocabSize: 64 }
            model: { preset: tiny, proxies: 8 }
            training: { steps: 20, batchSize: 16, learningRate: 1e-3 }
            evaluations:
              - protocol: linear-probe
                epochs: 5
            """);

        Assert.Equal("fmnist-sm", spec.Name);
        Assert.Equal(MethodKind.SemanticMim, spec.Method);
        Assert.Equal(TargetKindSpec.Tokens, spec.Target.Kind);
        Assert.Equal(64, spec.Target.VocabSize);
        Assert.Equal(16, spec.Training.BatchSize);
        Assert.Equal(1e-3, spec.Training.LearningRate);
        Assert.Equal(0.02, spec.Training.GradClip);
        Assert.Equal(5, Assert.Single(spec.Evaluations).Epochs);
        Assert.Equal(DatasetKind.FashionMnist, spec.Dataset.Kind);
        Assert.Equal(PrecisionKind.Fp32, spec.Training.Precision);
        Assert.True(spec.Training.Tf32);
    }

    [Fact]
    public void ReadsThePrecisionAndTheTf32Switch()
    {
        var spec = SpecReader.Read("name: x\ntraining: { steps: 1, precision: bf16, tf32: false }");

        Assert.Equal(PrecisionKind.Bf16, spec.Training.Precision);
        Assert.False(spec.Training.Tf32);
        Assert.Contains(SpecValidator.Validate(spec with { Training = spec.Training with { Precision = (PrecisionKind)7 } }),
            p => p.ToString() == "training.precision: 7 is not one of fp32, bf16");
    }

    [Fact]
    public void Zero_views_are_accepted_for_targets_computed_online()
    {
        var spec = SpecReader.Read("name: x\ntarget: { kind: tokens, views: 0 }\ntraining: { steps: 1 }");

        Assert.Equal((TargetKindSpec.Tokens, 0), (spec.Target.Kind, spec.Target.Views));
    }

    public static TheoryData<string, string[]> BadSpecs() => new()
    {
        { "name: Bad/Name\ntraining: { steps: 1 }", ["name: 'Bad/Name'"] },
        { "name: ../etc\ntraining: { steps: 1 }", ["name:"] },
        { "name: x\ntraining: { steps: 1, epochs: 2 }", ["training: set exactly one of steps and epochs"] },
        { "name: x\ntraining: { batchSize: -3 }", ["training: set exactly one", "training.batchSize: must lie in [1, 65536] (got -3)"] },
        { "name: x\ntraining: { steps: ten }", ["training.steps: 'ten' is not an integer"] },
        { "name: x\nmethod: magic\ntraining: { steps: 1 }", ["method: 'magic' is not one of semanticMim, baseline"] },
        { "name: x\ntrainig: { steps: 1 }", ["trainig: unknown field", "training: set exactly one"] },
        { "name: x\nmasking: { ratio: 1.2 }\ntraining: { steps: 1 }", ["masking.ratio: must lie in (0, 1) (got 1.2)"] },
        { "name: x\ndataset: { kind: imageNet, imageSize: 30 }\nmodel: { patchSize: 4 }\ntraining: { steps: 1 }",
            ["dataset.source: is required for ImageNet", "model.patchSize: dataset.imageSize 30 is not a multiple of the patch size 4"] },
        { "name: x\ndataset: { channels: 3 }\ntraining: { steps: 1 }", ["dataset.channels: Fashion-MNIST is grayscale"] },
        { "name: x\nmethod: baseline\nmodel: { proxies: 8 }\ntraining: { steps: 1 }", ["model.proxies: the baseline has one class token"] },
        { "name: x\ntarget: { kind: tokens, tokenizer: dalle }\ntraining: { steps: 1 }", ["target.dalleWeights: is required"] },
        { "name: x\nmodel: { preset: huge, embedDim: 100, heads: 3 }\ntraining: { steps: 1 }", ["model.preset: 'huge'", "model.heads: embedDim 100 is not divisible by 3 heads"] },
        { "name: x\ntraining: { steps: 1 }\nevaluations:\n  - protocol: segmentationProbe\n    epochs: -1",
            ["evaluations[0].epochs: must lie in [0, 100000] (got -1)", "evaluations[0].protocol: SegmentationProbe needs a data set with label maps"] },
        { "name: x\ndataset: { kind: syntheticScenes, channels: 3 }\ntraining: { steps: 1 }\nevaluations:\n  - protocol: linearProbe",
            ["evaluations[0].protocol: LinearProbe needs a data set with class labels, not SyntheticScenes"] },
        { "name: x\nmodel: { patchSize: 16, depth: 12 }\ndataset: { kind: imageNet, source: /data/in, imageSize: 224, channels: 3 }\ntraining: { steps: 1 }\n"
            + "evaluations:\n  - protocol: fineTune\n    recipe: table3\n    augment: true\n  - protocol: upernet\n    cropSize: 500\n    layer: 13\n"
            + "    dataset: { kind: ade20k, imageSize: 500, channels: 1 }",
            [
                "evaluations[0].augment: applies to the linearProbe protocol only", "evaluations[0].recipe: 'table3' is not one of paper, beit-code, maskfeat-code",
                "evaluations[1].layer: must lie in [0, depth] (got 13", "evaluations[1].cropSize: must be at most the data set's image size 500 and a multiple of the patch size",
                "evaluations[1].dataset.source: is required for Ade20k", "evaluations[1].dataset.channels: must match the pretraining data's 3 channel(s) (got 1)",
                "evaluations[1].dataset.imageSize: 500 is not a multiple of the patch size 16",
            ] },
        { "name: x\ndataset: { kind: imageNet, source: /data/in, imageSize: 224, channels: 3 }\ntraining: { steps: 1 }\nevaluations:\n  - protocol: segmentationProbe\n"
            + "    dataset: { kind: pascalVoc, source: /data/voc, imageSize: 448, channels: 3 }\n  - protocol: linearProbe\n    recipe: paper",
            ["evaluations[1].recipe: the LinearProbe protocol has no named recipes (got 'paper')"] },
        { "name: x\ntarget: { tokenizerSteps: 0, views: -1 }\ntraining: { steps: 1 }", ["target.tokenizerSteps: must lie in [1, 1000000] (got 0)", "target.views: must lie in [0, 64] (got -1)"] },
        { "name: x\ntarget: { views: 65 }\ntraining: { steps: 1 }", ["target.views: must lie in [0, 64] (got 65)"] },
        { "name: x\ntraining: { steps: 1, precision: fp16, tf32: maybe }",
            ["training.precision: 'fp16' is not one of fp32, bf16", "training.tf32: 'maybe' is not true or false"] },
        { "name: x\ntraining: [1, 2]", ["training: expected a mapping"] },
        { "name: [x]\ntraining: { steps: 1 }", ["name: expected a single value"] },
        { "- just\n- a list", ["(document): expected exactly one YAML mapping"] },
        { "name: x\n  training: {", ["(document): not valid YAML"] },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void BadSpecsAreRejectedWithEveryProblemListed(string yaml, string[] expected)
    {
        var error = Assert.Throws<InvalidSpecException>(() => SpecReader.Read(yaml, "test.yaml"));

        Assert.StartsWith("test.yaml is not a valid experiment spec", error.Message);
        foreach (var problem in expected)
        {
            Assert.Contains(error.Problems, p => p.ToString().StartsWith(problem, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void SeveralProblemsAreReportedTogether()
    {
        var error = Assert.Throws<InvalidSpecException>(() => SpecReader.Read("""
            name: BAD
            masking: { ratio: 0 }
            training: { steps: 5, batchSize: 0, accumulation: 0, learningRate: -1 }
            augmentation: { minScale: 0.9, maxScale: 0.5 }
            """));

        Assert.Equal(["name", "masking.ratio", "training.batchSize", "training.accumulation", "training.learningRate", "training.minLearningRate", "augmentation"],
            error.Problems.Select(p => p.Field));
    }

    [Fact]
    public void AMinimalSpecIsValid() => Assert.Equal("quick", SpecReader.Read(Minimal).Name);
}
