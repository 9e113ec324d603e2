using SemanticMIM.Contracts.Specs;
using SemanticMIM.Contracts.Specs.Sweeps;

namespace SemanticMIM.Contracts.Tests.Sweeps;

public sealed class SweepReaderTests
{
    private const string Base = """
        name: base
        dataset: { kind: fashionMnist, maxTrainSamples: 64, maxTestSamples: 32, shardSize: 32 }
        model: { preset: tiny, embedDim: 32, heads: 2, mlpDim: 64, depth: 2, proxies: 4 }
        training: { steps: 4, batchSize: 16, seed: 3 }
        evaluations:
          - { protocol: linearProbe, epochs: 2, batchSize: 32 }
        """;

    private static string Sweep(string body) => "sweep:\n" + string.Join('\n', body.Split('\n').Select(line => "  " + line));

    private static string Inline => "base:\n" + string.Join('\n', Base.Split('\n').Select(line => "  " + line));

    [Fact]
    public void A_sweep_file_is_told_from_a_spec_by_its_top_level_sweep_key()
    {
        Assert.True(SweepReader.IsSweep(Sweep("name: x\nbase: a.yaml\nseeds: [0]")));
        Assert.False(SweepReader.IsSweep(Base));
        Assert.False(SweepReader.IsSweep("{ not: [ yaml"));
        Assert.False(SweepReader.IsSweep("- a list"));
    }

    [Fact]
    public void A_good_file_reads_its_arms_axes_seeds_and_options_and_reads_a_base_by_path()
    {
        string yaml = Sweep("""
            name: fmnist-ablation
            base: arms/semanticmim.yaml
            arms:
              - { name: maskfeat, set: { method: baseline, model.proxies: 1, masking.ratio: 0.4 } }
              - { name: semanticmim, set: { masking.ratio: 0.6 } }
            axes:
              model.depth: [2, 3]
              evaluations[0].epochs: [1, 2]
            seeds: [0, 1, 2]
            viewSeed: per-seed
            concurrency: 4
            metric: { feature: patch, layer: best }
            alsoReport:
              - { feature: patch }
              - { feature: cls, layer: best }
            """);
        string? asked = null;

        var sweep = SweepReader.Read(yaml, "ablation.yaml", path => { asked = path; return Base; });

        Assert.Equal("arms/semanticmim.yaml", asked);
        Assert.Equal("fmnist-ablation", sweep.Name);
        Assert.Equal(Base, sweep.BaseYaml);
        Assert.Equal(["maskfeat", "semanticmim"], sweep.Arms.Select(a => a.Name));
        Assert.Equal(new SweepSetting("masking.ratio", "0.4"), sweep.Arms[0].Settings[2]);
        Assert.Equal(["model.depth", "evaluations[0].epochs"], sweep.Axes.Select(a => a.Path));
        Assert.Equal(["1", "2"], sweep.Axes[1].Values);
        Assert.Equal([0, 1, 2], sweep.Seeds);
        Assert.Equal(ViewSeedMode.PerSeed, sweep.ViewSeed);
        Assert.Equal(4, sweep.Concurrency);
        Assert.Equal(new SweepMetric { Feature = "patch", Layer = SweepLayer.Best }, sweep.Metric);
        Assert.Equal([new SweepMetric { Feature = "patch" }, new SweepMetric { Layer = SweepLayer.Best }], sweep.AlsoReport);
    }

    [Fact]
    public void A_bad_file_lists_every_problem_with_its_place()
    {
        string yaml = Sweep("""
            name: Bad_Name
            arms:
              - { name: a, set: { method: baseline } }
              - { name: a, set: [1] }
            axes:
              model.proxies: [2, 2, 4]
              masking.ratio: 0.4
              model.depth: [[1]]
            seeds: [0, -1, 0]
            viewSeed: sometimes
            concurrency: lots
            metric: { protocol: probe, layer: 3, colour: red }
            alsoReport:
              - { layer: best }
              - { layer: deepest }
              - { layer: best }
            extra: 1
            """);

        var problems = Assert.Throws<InvalidSpecException>(() => SweepReader.Read(yaml, "bad.yaml", null)).Problems.Select(p => p.ToString()).ToList();

        string[] expected =
        [
            "sweep.'extra': unknown key",
            "sweep.name: 'Bad_Name' must be",
            "sweep.base: is required",
            "sweep.arms[1].name: 'a' names two arms",
            "sweep.arms[1].set: expected a mapping",
            "sweep.axes.model.proxies: lists '2' 2 times",
            "sweep.axes.masking.ratio: expected a list",
            "sweep.axes.model.depth[0]: expected a single value",
            "sweep.seeds[1]: '-1' is not an integer in [0, 2147483647]",
            "sweep.seeds: lists seed 0 2 times",
            "sweep.viewSeed: 'sometimes' is not one of fixed",
            "sweep.concurrency: 'lots' is not an integer",
            "sweep.metric.'colour': unknown key",
            "sweep.metric.protocol: 'probe' is not one of linear-probe",
            "sweep.metric.layer: '3' is not one of last, best",
            "sweep.alsoReport[1].layer: 'deepest' is not one of last, best",
            "sweep.alsoReport[2]: repeats linear-probe cls top1, best layer",
        ];
        foreach (var problem in expected)
        {
            Assert.True(problems.Any(p => p.StartsWith(problem, StringComparison.Ordinal)), $"{problem} is not among:\n{string.Join('\n', problems)}");
        }
        Assert.Equal(expected.Length, problems.Count);
    }

    [Fact]
    public void A_base_path_is_refused_where_only_an_inline_base_can_be_read_and_unreadable_files_are_problems()
    {
        string byPath = Sweep("name: s\nbase: arm.yaml\nseeds: [0]");

        var inline = Assert.Throws<InvalidSpecException>(() => SweepReader.Read(byPath, "s.yaml", null));
        var missing = Assert.Throws<InvalidSpecException>(() => SweepReader.Read(byPath, "s.yaml", path => throw new FileNotFoundException($"no {path}")));

        Assert.Equal("sweep.base: 'arm.yaml': a path cannot be read here; write the base spec inline", Assert.Single(inline.Problems).ToString());
        Assert.Equal("sweep.base: 'arm.yaml' cannot be read: no arm.yaml", Assert.Single(missing.Problems).ToString());
        Assert.Throws<InvalidSpecException>(() => SweepReader.Read("sweep: 1", "s.yaml", null));
        Assert.Throws<InvalidSpecException>(() => SweepReader.Read("sweep: {}\nname: x", "s.yaml", null));
    }

    [Fact]
    public void An_arm_may_run_a_subset_of_the_seeds_and_no_seed_outside_them()
    {
        var sweep = SweepReader.Read(Sweep($$"""
            name: abl
            {{Inline}}
            arms:
              - { name: maskfeat, set: { method: baseline, model.proxies: 1 } }
              - { name: control, set: { masking.ratio: 0.4 }, seeds: [0, 2] }
            seeds: [0, 1, 2]
            """), "s.yaml", null);
        var bad = Assert.Throws<InvalidSpecException>(() => SweepReader.Read(Sweep($$"""
            name: abl
            {{Inline}}
            arms:
              - { name: control, set: { masking.ratio: 0.4 }, seeds: [0, 7, 0] }
            seeds: [0, 1]
            """), "s.yaml", null));

        Assert.Equal(["abl-maskfeat-s0", "abl-maskfeat-s1", "abl-maskfeat-s2", "abl-control-s0", "abl-control-s2"], SweepCells.Expand(sweep).Select(c => c.Name));
        Assert.Equal(
            ["sweep.arms[0].seeds: lists seed 0 2 times",
             "sweep.arms[0].seeds: seed 7 is not among the sweep's seeds (0, 1); an arm runs a subset of them"],
            bad.Problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Cells_are_the_cross_product_of_arms_axes_and_seeds_with_each_setting_and_seed_applied()
    {
        var sweep = SweepReader.Read(Sweep($$"""
            name: abl
            {{Inline}}
            arms:
              - { name: maskfeat, set: { method: baseline, model.proxies: 1, masking.ratio: 0.4 } }
              - { name: semanticmim, set: { masking.ratio: 0.6 } }
            axes:
              evaluations[0].epochs: [1, 2]
            seeds: [0, 1]
            """), "s.yaml", null);

        var cells = SweepCells.Expand(sweep);

        Assert.Equal(8, cells.Count);
        Assert.Equal(
            ["abl-maskfeat-epochs1-s0", "abl-maskfeat-epochs1-s1", "abl-maskfeat-epochs2-s0", "abl-maskfeat-epochs2-s1",
             "abl-semanticmim-epochs1-s0", "abl-semanticmim-epochs1-s1", "abl-semanticmim-epochs2-s0", "abl-semanticmim-epochs2-s1"],
            cells.Select(c => c.Name));
        var last = SpecReader.Read(cells[^1].SpecYaml);
        Assert.Equal("abl-semanticmim-epochs2-s1", last.Name);
        Assert.Equal(2, last.Evaluations[0].Epochs);
        Assert.Equal(32, last.Evaluations[0].BatchSize);
        Assert.Equal(0.6, last.Masking.Ratio);
        Assert.Equal(1, last.Training.Seed);
        // The view seed stays the base's training seed for every seed, so that the cells' targets are shared.
        Assert.Equal(3, last.Augmentation.Seed);
        var first = SpecReader.Read(cells[0].SpecYaml);
        Assert.Equal((MethodKind.Baseline, 1, 0.4), (first.Method, first.Model.Proxies, first.Masking.Ratio));
        Assert.Equal("maskfeat, evaluations[0].epochs=1", cells[0].Group);
        Assert.Equal(cells[0].Group, cells[1].Group);
    }

    [Fact]
    public void Per_seed_view_seeds_follow_the_training_seed()
    {
        var sweep = SweepReader.Read(Sweep($"name: v\n{Inline}\nseeds: [5, 6]\nviewSeed: perSeed"), "s.yaml", null);

        var seeds = SweepCells.Expand(sweep).Select(c => SpecReader.Read(c.SpecYaml)).Select(s => (s.Training.Seed, s.Augmentation.Seed)).ToList();

        Assert.Equal([(5, (int?)5), (6, (int?)6)], seeds);
    }

    [Theory]
    [InlineData("model.colour", "'model.colour' is not a spec field (known here: model.preset, model.patchSize")]
    [InlineData("evaluations.epochs", "'evaluations.epochs' is not a spec field")]
    [InlineData("evaluations[3].epochs", "the base spec's evaluations has 1 item(s), not one at index 3")]
    [InlineData("model", "'model' holds more than one value; name one of its fields")]
    [InlineData("training.seed", "'training.seed' is set by the sweep: list the seeds under sweep.seeds")]
    [InlineData("name", "'name' is set by the sweep")]
    [InlineData("model.proxies[0]", "'model.proxies[0]' is not a spec field")]
    [InlineData("evaluations[x].epochs", "is not a dotted path")]
    public void Unknown_or_reserved_axis_paths_are_problems(string path, string expected)
    {
        var sweep = SweepReader.Read(Sweep($"name: p\n{Inline}\naxes:\n  '{path}': [1]\nseeds: [0]"), "s.yaml", null);

        var problem = Assert.Single(Assert.Throws<InvalidSpecException>(() => SweepCells.Expand(sweep)).Problems);

        Assert.Equal($"sweep.axes.{path}", problem.Field);
        Assert.Contains(expected, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_are_deterministic_valid_at_most_63_characters_and_hashed_when_long_lossy_or_repeated()
    {
        string name = new('n', 50);
        var sweep = SweepReader.Read(Sweep($"""
            name: {name}
            {Inline}
            axes:
              masking.ratio: [0.4, 0.6]
              dataset.source: [/data/a_b, /data/a-b]
            seeds: [0, 12]
            """), "s.yaml", null);

        var cells = SweepCells.Expand(sweep);
        var again = SweepCells.Expand(sweep);

        Assert.Equal(cells.Select(c => c.Name), again.Select(c => c.Name));
        Assert.Equal(8, cells.Select(c => c.Name).Distinct().Count());
        Assert.All(cells, c => Assert.Matches(@"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\z", c.Name));
        Assert.All(cells, c => Assert.Matches(@"-[0-9a-f]{6}-s(0|12)\z", c.Name));
        Assert.StartsWith(name, cells[0].Name, StringComparison.Ordinal);

        var shortSweep = SweepReader.Read(Sweep($"name: r\n{Inline}\naxes:\n  masking.ratio: [0.4, 0.6]\n  method: [semanticMim]\nseeds: [0]"), "s.yaml", null);
        Assert.Equal(["r-ratio0p4-semanticmim-s0", "r-ratio0p6-semanticmim-s0"], SweepCells.Expand(shortSweep).Select(c => c.Name));
    }

    [Fact]
    public void A_path_set_by_both_an_arm_and_an_axis_is_a_problem()
    {
        var sweep = SweepReader.Read(Sweep($"name: b\n{Inline}\narms:\n  - {{ name: a, set: {{ masking.ratio: 0.4 }} }}\naxes:\n  masking.ratio: [0.5]\nseeds: [0]"), "s.yaml", null);

        var problem = Assert.Single(Assert.Throws<InvalidSpecException>(() => SweepCells.Expand(sweep)).Problems);

        Assert.Equal("sweep.axes.masking.ratio: is also set by an arm; set each path in the arms or on an axis, not both", problem.ToString());
    }

    [Fact]
    public void A_base_file_too_deep_to_load_is_a_problem_not_a_crash()
    {
        var sweep = SweepReader.Read(Sweep("name: d\nbase: deep.yaml\nseeds: [0]"), "s.yaml", _ => "a: " + new string('[', 10_000) + new string(']', 10_000));

        var problem = Assert.Single(Assert.Throws<InvalidSpecException>(() => SweepCells.Expand(sweep)).Problems);

        Assert.Equal("sweep.base: nests deeper than 32 levels", problem.ToString());
    }
}
