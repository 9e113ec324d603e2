using SemanticMIM.Contracts.Specs;
using SemanticMIM.Planning.Validation;

namespace SemanticMIM.Planning.Tests;

public sealed class SweepPlanTests
{
    private const string Sweep = """
        sweep:
          name: seeds
          base:
            dataset: { kind: fashionMnist, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
            target: { kind: tokens, vocabSize: 16, tokenizerSteps: 3 }
            model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
            training: { steps: 4, batchSize: 16 }
            evaluations:
              - { protocol: linearProbe, epochs: 2, batchSize: 32 }
          axes:
            evaluations[0].epochs: [1, 2]
          seeds: [0, 1]
        """;

    private static SweepPlan Read(string yaml) => SweepPlan.Read(yaml, "sweep.yaml", SpecLimits.None, null);

    [Fact]
    public void Cells_differing_only_in_their_training_seed_share_targets_and_tokenizer_but_not_pretraining()
    {
        var cells = Read(Sweep).Cells;

        var (seed0, seed1) = (cells[0].Plan, cells[1].Plan);
        Assert.Equal((0, 1), (seed0.Spec.Training.Seed, seed1.Spec.Training.Seed));
        Assert.Equal(seed0.Targets.Id, seed1.Targets.Id);
        Assert.Equal(seed0.Targets.TokenizerId, seed1.Targets.TokenizerId);
        Assert.NotEqual(seed0.PretrainingId, seed1.PretrainingId);
        // The evaluation's epochs do not shape the encoder: cells apart only there pretrain the same one.
        Assert.Equal(seed0.PretrainingId, cells[2].Plan.PretrainingId);
        Assert.NotEqual(seed0.Id, cells[2].Plan.Id);
    }

    [Fact]
    public void Varying_the_view_seed_per_seed_gives_each_seed_its_own_targets()
    {
        var cells = Read(Sweep + "\n  viewSeed: perSeed").Cells;

        Assert.NotEqual(cells[0].Plan.Targets.Id, cells[1].Plan.Targets.Id);
        Assert.NotEqual(cells[0].Plan.Targets.TokenizerId, cells[1].Plan.Targets.TokenizerId);
    }

    [Fact]
    public void A_spec_without_a_view_seed_keeps_the_target_ids_it_had_when_the_training_seed_fixed_the_views()
    {
        const string spec = "name: x\ntraining: { steps: 1, seed: 5 }";
        var implicitSeed = ExperimentPlan.Read(spec, "x.yaml", SpecLimits.None);
        var explicitSeed = ExperimentPlan.Read(spec.Replace("seed: 5 }", "seed: 5 }\naugmentation: { seed: 5 }", StringComparison.Ordinal), "x.yaml", SpecLimits.None);
        var otherSeed = ExperimentPlan.Read(spec.Replace("seed: 5", "seed: 6", StringComparison.Ordinal), "x.yaml", SpecLimits.None);

        Assert.Equal(5, TargetPlan.ViewSeed(implicitSeed.Spec));
        Assert.Equal(implicitSeed.Targets.Id, explicitSeed.Targets.Id);
        Assert.NotEqual(implicitSeed.Targets.Id, otherSeed.Targets.Id);
    }

    [Fact]
    public void Every_cells_problems_are_listed_with_the_cell_and_path_and_those_of_every_cell_once()
    {
        string bad = Sweep.Replace("epochs: [1, 2]", "epochs: [1, 200000]", StringComparison.Ordinal)
            .Replace("batchSize: 16", "batchSize: 0", StringComparison.Ordinal);

        var problems = Assert.Throws<InvalidSpecException>(() => Read(bad)).Problems.Select(p => p.ToString()).ToList();

        Assert.Equal(
            [
                "every cell: training.batchSize: must lie in [1, 65536] (got 0)",
                "seeds-epochs200000-s0: evaluations[0].epochs: must lie in [0, 100000] (got 200000)",
                "seeds-epochs200000-s1: evaluations[0].epochs: must lie in [0, 100000] (got 200000)",
            ],
            problems);
    }

    [Fact]
    public void Rules_between_fields_and_the_platforms_limits_are_checked_in_every_cell()
    {
        string yaml = Sweep.Replace("evaluations[0].epochs: [1, 2]", "model.proxies: [1, 300]\n    method: [baseline]", StringComparison.Ordinal);

        var problems = Assert.Throws<InvalidSpecException>(() => SweepPlan.Read(yaml, "sweep.yaml", new SpecLimits { TrainerMemoryBytes = 1 }, null))
            .Problems.Select(p => p.ToString()).ToList();

        Assert.Contains(problems, p => p.StartsWith("seeds-proxies1-baseline-s0: training.batchSize: the trainer would need about", StringComparison.Ordinal));
        Assert.Contains("seeds-proxies300-baseline-s1: model.proxies: must lie in [0, 256] (got 300)", problems);
    }

    [Fact]
    public void A_sweep_over_target_views_gives_online_targets_their_own_id_and_pretraining_but_the_same_tokenizer()
    {
        var cells = Read(Sweep.Replace("epochs: [1, 2]", "epochs: [1]", StringComparison.Ordinal)
            .Replace("axes:\n", "axes:\n    target.views: [0, 2]\n", StringComparison.Ordinal)).Cells;

        var (online, stored) = (cells[0].Plan, cells[2].Plan);
        Assert.Equal(["seeds-views0-epochs1-s0", "seeds-views0-epochs1-s1", "seeds-views2-epochs1-s0", "seeds-views2-epochs1-s1"], cells.Select(c => c.Cell.Name));
        Assert.Equal((0, 2), (online.Targets.Views, stored.Targets.Views));
        Assert.NotEqual(online.Targets.Id, stored.Targets.Id);
        Assert.NotEqual(online.PretrainingId, stored.PretrainingId);
        Assert.Equal(online.Targets.TokenizerId, stored.Targets.TokenizerId);
    }

    [Fact]
    public void Every_shipped_sweep_is_valid_for_a_cluster_whose_data_lies_under_data()
    {
        var limits = new SpecLimits { TrainerMemoryBytes = 80L << 30, DataRoots = ["/data"] };
        var files = Directory.GetFiles(Path.Combine(Repository.Root(), "deploy", "sweeps"), "*.yaml");

        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.NotEmpty(SweepPlan.Read(SpecReader.ReadText(file), Path.GetFileName(file), limits,
            path => SpecReader.ReadText(Path.GetFullPath(path, Path.GetDirectoryName(file)!))).Cells));
    }
}
