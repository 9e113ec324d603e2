using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Planning.Validation;

namespace SemanticMIM.Planning.Tests;

/// <summary>The rules that need a preset or the platform's limits, through the one validation every entry point runs.</summary>
public sealed class SpecRulesTests
{
    private const string Tiny = "name: x\ntraining: { steps: 1 }\n";

    private static IReadOnlyList<string> Problems(string yaml, SpecLimits? limits = null) =>
        Assert.Throws<InvalidSpecException>(() => ExperimentPlan.Read(yaml, "arm.yaml", limits ?? SpecLimits.None)).Problems.Select(p => p.ToString()).ToList();

    public static TheoryData<string, string> ShapeRules() => new()
    {
        // The base preset's patch of 16 does not divide 28: this used to fail only once the data had been sharded.
        { "name: x\nmodel: { preset: base }\ntraining: { steps: 1 }",
            "model.patchSize: dataset.imageSize 28 is not a multiple of the patch size 16 (the base preset's; set model.patchSize to change it)" },
        { "name: x\nmodel: { embedDim: 100 }\ntraining: { steps: 1 }", "model.heads: embedDim 100 is not divisible by 3 heads (the tiny preset gives the one not set)" },
        { "name: x\nmodel: { heads: 5 }\ntraining: { steps: 1 }", "model.heads: embedDim 192 is not divisible by 5 heads" },
        { "name: x\ndataset: { imageSize: 8 }\nmodel: { patchSize: 8 }\ntraining: { steps: 1 }", "masking.ratio: masks all 1 patches of the 1×1 grid" },
        { "name: x\ndataset: { imageSize: 9 }\nmodel: { patchSize: 1 }\ntraining: { steps: 1 }", "model.patchSize: must be at least 2" },
        { "name: x\ndataset: { kind: imageNet, source: /data/in, imageSize: 32, channels: 3 }\ntraining: { steps: 1 }\n"
            + "evaluations: [ { protocol: upernet, cropSize: 30, dataset: { kind: ade20k, source: /data/ade, imageSize: 62, channels: 3 } } ]",
            "evaluations[0].dataset.imageSize: 62 is not a multiple of the patch size 4 (the tiny preset's" },
        { "name: x\ndataset: { kind: imageNet, source: /data/in, imageSize: 32, channels: 3 }\ntraining: { steps: 1 }\n"
            + "evaluations: [ { protocol: upernet, cropSize: 30, dataset: { kind: ade20k, source: /data/ade, imageSize: 64, channels: 3 } } ]",
            "evaluations[0].cropSize: 30 is not a multiple of the patch size 4" },
        { "name: x\ntraining: { steps: 1 }\nevaluations: [ { protocol: linearProbe, layer: 7 } ]", "evaluations[0].layer: must lie in [0, 6], the tiny preset's depth (got 7)" },
    };

    [Theory]
    [MemberData(nameof(ShapeRules))]
    public void Sizes_taken_from_the_preset_must_fit_as_those_the_spec_sets(string yaml, string expected) =>
        Assert.Contains(Problems(yaml), p => p.StartsWith(expected, StringComparison.Ordinal));

    [Fact]
    public void A_spec_whose_trainer_would_not_fit_the_memory_limit_is_refused_with_the_estimate()
    {
        var limits = new SpecLimits { TrainerMemoryBytes = 4L << 30 };
        string yaml = "name: x\ntraining: { steps: 1, batchSize: 65536 }";
        var plan = ExperimentPlan.Read("name: x\ntraining: { steps: 1, batchSize: 16 }", "arm.yaml", limits);
        var estimate = TrainingMemory.Estimate(plan.Model, 65536, 0.6);

        var problem = Assert.Single(Problems(yaml, limits));

        Assert.Equal($"training.batchSize: the trainer would need about {estimate} for batches of 65536, over the limit of 4.0 GiB "
            + "(Validation:TrainerMemoryLimit); use a smaller batchSize (and a larger accumulation) or a smaller model", problem);
        Assert.True(estimate.Total > limits.TrainerMemoryBytes);
    }

    [Fact]
    public void Every_problem_is_listed_at_once_whether_the_spec_or_the_planner_finds_it()
    {
        var problems = Problems("name: X\nmodel: { preset: base }\ntraining: { steps: 1, learningRate: 1e309 }\ndataset: { kind: imageNet, source: /etc, channels: 3 }",
            new SpecLimits { DataRoots = ["/data"] });

        Assert.Equal(["name", "training.learningRate", "model.patchSize", "dataset.source"], problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]));
    }

    [Theory]
    [InlineData("/data/imagenet", true)]
    [InlineData("/data", true)]
    [InlineData("/data/./imagenet/../voc", true)]
    [InlineData("/data/../etc/passwd", false)]
    [InlineData("/database", false)]
    [InlineData("/etc", false)]
    [InlineData("relative/imagenet", false)]
    public void Services_read_data_only_under_their_roots(string source, bool inside)
    {
        var limits = new SpecLimits { DataRoots = ["/data/", "/mnt/weights"] };
        string yaml = $"name: x\ntraining: {{ steps: 1 }}\ndataset: {{ kind: imageNet, source: \"{source}\", imageSize: 32, channels: 3 }}";

        if (inside)
        {
            Assert.Equal(source, ExperimentPlan.Read(yaml, "arm.yaml", limits).Spec.Dataset.Source);
        }
        else
        {
            Assert.Equal([$"dataset.source: '{source}' lies outside the data roots: this platform reads data only under /data/, /mnt/weights (Data:Roots)"],
                Problems(yaml, limits));
        }
    }

    [Fact]
    public void Every_data_path_of_a_spec_is_confined_the_DALL_E_weights_and_evaluation_data_sets_included()
    {
        string yaml = "name: x\ntraining: { steps: 1 }\ndataset: { kind: imageNet, source: /data/in, imageSize: 32, channels: 3 }\n"
            + "target: { kind: tokens, tokenizer: dalle, dalleWeights: /home/me/encoder.pkl }\n"
            + "evaluations: [ { protocol: segmentationProbe, dataset: { kind: pascalVoc, source: /srv/voc, imageSize: 32, channels: 3 } } ]";

        var problems = Problems(yaml, new SpecLimits { DataRoots = ["/data"] });

        Assert.Equal(["target.dalleWeights", "evaluations[0].dataset.source"], problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]));
    }

    [Fact]
    public void Without_configured_roots_only_the_built_in_data_sets_can_be_used()
    {
        var none = new SpecLimits { DataRoots = [] };

        Assert.Equal("x", ExperimentPlan.Read(Tiny, "arm.yaml", none).Id);
        Assert.Equal(["dataset.source: '/usr/share/datasets/fashion-mnist' lies outside the data roots: no data roots are configured (Data:Roots), so only built-in data sets can be used"],
            Problems(Tiny + "dataset: { source: /usr/share/datasets/fashion-mnist }", none));
    }

    [Fact]
    public void Every_shipped_example_is_valid_for_a_cluster_whose_data_lies_under_data()
    {
        var limits = new SpecLimits { TrainerMemoryBytes = 80L << 30, DataRoots = ["/data"] };
        var files = Directory.GetFiles(Path.Combine(Repository.Root(), "deploy", "examples"), "*.yaml", SearchOption.AllDirectories);

        Assert.NotEmpty(files);
        Assert.Contains(files, file => SweepReader.IsSweep(SpecReader.ReadText(file)));
        // Sweep files are checked as the orchestrator checks them: every cell's spec, with only an inline base.
        Assert.All(files, file => _ = SweepReader.IsSweep(SpecReader.ReadText(file))
            ? SweepPlan.Read(SpecReader.ReadText(file), Path.GetFileName(file), limits, null).Cells.Count
            : ExperimentPlan.Read(SpecReader.ReadText(file), Path.GetFileName(file), limits).Spec.Evaluations.Count);
    }

    [Fact]
    public void An_accepted_spec_plans_configurations_the_trainer_accepts()
    {
        var plan = ExperimentPlan.Read(Tiny + "dataset: { imageSize: 32 }\nmodel: { preset: tiny }", "arm.yaml", SpecLimits.ThisMachine());

        Assert.Empty(plan.Model.Encoder.Validate());
        var training = plan.Training(trainSamples: 100);
        Assert.Empty(training.Validate());
        Assert.Equal(TimeSpan.FromMinutes(10), training.CheckpointPeriod);
    }

    [Fact]
    public void Epochs_of_a_huge_data_set_in_tiny_batches_cap_the_steps_instead_of_overflowing()
    {
        var plan = ExperimentPlan.Read("name: x\ntraining: { epochs: 100000, batchSize: 1 }", "arm.yaml", SpecLimits.None);

        Assert.Equal(int.MaxValue, plan.Training(trainSamples: 100_000_000).Steps);
    }
}
