using System.CommandLine;
using SemanticMIM.Benchmarks;
using SemanticMIM.Model;

namespace SemanticMIM.Cli.Tests;

/// <summary>
/// The benchmark suite's smoke (one step of every pair, both sides in their own processes: the suite cannot rot),
/// the capacity command over its JSON, and the fast BLAS path's numerics. Needs /usr/bin/python3 with torch and
/// torchvision (deploy/local/run-tests.sh installs them).
/// </summary>
public sealed class BenchmarkSuiteTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Smoke_runs_one_step_of_every_pair_and_the_capacity_command_plans_from_its_json()
    {
        int threads = Math.Min(2, Environment.ProcessorCount);
        var options = new SuiteOptions { Mode = SuiteMode.Smoke, Output = _folder.Path, Cores = $"0-{threads - 1}", Threads = threads };
        var runner = new SuiteRunner(options, BenchmarkCommand.Commands(), TextWriter.Null);

        var result = await runner.RunAsync();

        var written = SuiteResult.Read(runner.ResultPath);
        Assert.Equal(SuitePlans.For(SuiteMode.Smoke).Select(p => p.Name), written.Pairs.Select(p => p.Name));
        Assert.Equal(result.Pairs.Count, written.Pairs.Count);
        foreach (var pair in written.Pairs)
        {
            var project = Assert.Single(pair.Project);
            Assert.Single(project.StepSeconds);
            Assert.True(project.VmHwmBytes > 0 && project.RssAfterStepBytes.Count == 1, pair.Name);
            Assert.Equal(pair.Kind == PairKind.Shard ? 0 : 1, pair.Peer.Count);
            Assert.Equal(pair.Kind != PairKind.Shard, pair.Summary.TimeRatio is not null);
        }
        Assert.Contains(written.Pairs, p => p.Kind == PairKind.Hog && p.Summary.StoredBytesPerImage is not null);
        Assert.False(string.IsNullOrEmpty(written.Machine.Cpu.Model));
        // Both sides of a training pair say where their step's time went, and the phases add up to the step.
        Assert.All(written.Pairs.Where(p => p.Kind == PairKind.Train).SelectMany(p => p.Project.Concat(p.Peer)), run =>
        {
            var phases = run.PhaseMedians();
            Assert.NotNull(phases);
            Assert.Equal(["backward", "data", "forward", "update"], phases.Keys.Order());
            Assert.InRange(phases.Values.Sum(), 0.95 * run.StepSeconds[0] - 1e-3, run.StepSeconds[0]);
        });
        // Each project side restarted itself on tcmalloc where this machine has it (and reports it mapped); the PyTorch
        // peers run on glibc's malloc, as a user's PyTorch does.
        var allocator = NativeAllocator.Plan(Environment.GetEnvironmentVariable(NativeAllocator.Variable), loaded: false, restarted: false, File.Exists).State;
        Assert.All(written.Pairs.SelectMany(p => p.Project), run => Assert.Equal(allocator.ToString(), run.Versions["allocator"]));
        Assert.All(written.Pairs.SelectMany(p => p.Peer), run => Assert.Equal("glibc", run.Versions["allocator"]));
        string table = SuiteTable.Format(written);
        Assert.Contains("| pair |", table);
        Assert.Contains("Where a training step's time goes", table);

        var (code, output) = await InvokeAsync("capacity", "--results", runner.ResultPath, "--epochs", "300", "--workers", "4");
        Assert.Equal(0, code);
        foreach (var stage in new[] { "| shard |", "| targets (HOG) |", "| pretrain |", "| evaluation (probe features) |" })
        {
            Assert.Contains(stage, output);
        }
        Assert.Contains("CPU measured here", output);
    }

    [Fact]
    public void Fast_blas_path_keeps_training_numerics_within_tolerance()
    {
        var model = new BenchmarkModel("semanticMim", "small", Depth: 2);
        string spec = _folder.File("spec.yaml");
        File.WriteAllText(spec, model.SpecYaml(_folder.Path, 8));
        var runs = new Dictionary<string, SideRun>(StringComparer.Ordinal);
        foreach (var setting in new[] { "0", "1" })
        {
            string sidePath = _folder.File($"side-{setting}.json");
            new SideSpec
            {
                Pair = "blas", Kind = PairKind.Train, Result = _folder.File($"result-{setting}.json"), Threads = 1, Warmup = 0, Steps = 2, Batch = 2,
                SpecFile = spec,
            }.Write(sidePath);
            SideProcess.Run([.. BenchmarkCommand.Commands().Project, sidePath], "0", 1,
                new Dictionary<string, string>(StringComparer.Ordinal) { [FastBlas.Variable] = setting }, TimeSpan.FromMinutes(3), _folder.File($"{setting}.log"), "the training side");
            runs[setting] = SideRun.Read(_folder.File($"result-{setting}.json"));
        }

        Assert.Equal(nameof(FastBlasState.SwitchedOff), runs["0"].Versions["fastBlas"]);
        Assert.Equal(FastBlas.CpuSupportsAvx512 ? nameof(FastBlasState.On) : nameof(FastBlasState.NoAvx512), runs["1"].Versions["fastBlas"]);
        var generic = runs["0"].Extra["losses"].EnumerateArray().Select(l => l.GetDouble()).ToArray();
        var fast = runs["1"].Extra["losses"].EnumerateArray().Select(l => l.GetDouble()).ToArray();
        Assert.Equal(2, fast.Length);
        for (int i = 0; i < fast.Length; i++)
        {
            // Other kernels sum in another order: float rounding, not different results.
            Assert.True(Math.Abs(fast[i] - generic[i]) <= 1e-4 * Math.Abs(generic[i]), $"step {i + 1}: loss {fast[i]} with the fast path, {generic[i]} without");
        }
    }

    private static async Task<(int Code, string Output)> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            var root = new RootCommand { CapacityCommand.Create() };
            int code = await root.Parse(args).InvokeAsync();
            return (code, output.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
