using System.Globalization;
using SemanticMIM.Model.Targets;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Planning.Validation;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

/// <summary>
/// The planner's memory estimate (<see cref="TrainingMemory"/>) against the resident memory that building the tiny
/// model and two training steps add to this process, read from the kernel's peak (VmHWM) after resetting it.
/// </summary>
public sealed class TrainingMemoryTests(ITestOutputHelper output)
{
    /// <summary>How far the estimate may lie from the measurement, either way.</summary>
    private const double Factor = 1.5;

    public static TheoryData<MimMethod, TargetKind, int> Runs() => new()
    {
        { MimMethod.SemanticMim, TargetKind.Hog, 128 },
        { MimMethod.Baseline, TargetKind.Hog, 128 },
        { MimMethod.SemanticMim, TargetKind.TokenIds, 96 },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void The_estimate_lies_within_a_factor_of_one_and_a_half_of_a_measured_tiny_run(MimMethod method, TargetKind target, int batch)
    {
        var model = new MimModelConfig
        {
            Encoder = ModelPresets.Tiny with { ImageSize = 32, InChannels = 3, NumProxies = method == MimMethod.SemanticMim ? 8 : 1 },
            Method = method,
            Target = target,
            VocabSize = 512,
        };
        double ratio = method == MimMethod.SemanticMim ? 0.6 : 0.4;
        var config = new TrainingConfig { Steps = 2, BatchSize = batch, MaskRatio = ratio, WarmupSteps = 0, CheckpointInterval = 0 };
        using var generator = new Generator(5);
        using var images = randn([batch, 3, 32, 32], generator: generator);
        using var targets = target == TargetKind.Hog
            ? new HogTargetGenerator(model.HogOrDefault).Compute(images)
            : randint(0, model.VocabSize, [batch, model.Encoder.NumPatches], generator: generator);
        var source = new InMemoryBatchSource(images, targets, seed: 1);

        long baseline = ResidentMemory.ResetPeak();
        using (var engine = PretrainingEngine.Start(model, config, source))
        {
            engine.TrainStep();
            engine.TrainStep();
        }
        long measured = ResidentMemory.Peak() - baseline;

        var estimate = TrainingMemory.Estimate(model, batch, ratio);
        long expected = estimate.Total - estimate.Runtime;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{method}/{target} batch {batch}: estimate {expected / 1e6:F0} MB ({estimate}), measured {measured / 1e6:F0} MB, ratio {(double)expected / measured:F2}"));
        Assert.InRange((double)expected / measured, 1 / Factor, Factor);
    }

    /// <summary>The resident set of this process from /proc/self/status (Linux, glibc).</summary>
    private static class ResidentMemory
    {
        /// <summary>
        /// Returns freed memory to the system, resets the kernel's peak to the current resident set (clear_refs 5) and
        /// returns that. Without the trim, memory earlier tests freed would be reused unseen by the peak.
        /// </summary>
        public static long ResetPeak()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            _ = MallocTrim(0);
            File.WriteAllText("/proc/self/clear_refs", "5");
            return Read("VmRSS:");
        }

        public static long Peak() => Read("VmHWM:");

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
        private static extern int MallocTrim(nuint pad);

        private static long Read(string field)
        {
            string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
            return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
    }
}
