using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SemanticMIM.GpuCheck;

/// <summary>Correctness on the device: the native libraries work, the numbers match the CPU's, resume is exact.</summary>
internal static class Checks
{
    public sealed record SmokeResult(bool CudaAvailable, int CudaDevices, string TorchSharp, string DotNet,
        double Fp32Loss, double Bf16Loss, bool Passed);

    public sealed record NumericsResult(int Batch, double ForwardRelativeError, double LossRelativeError, double GradientRelativeError,
        double WeightMaxDifference, double WeightBound, double Bf16LossRelativeDifference, string Tolerances, bool Passed);

    public sealed record ResumeResult(string Precision, int Steps, int StoppedAt, bool UninterruptedExact, double UninterruptedMaxDifference,
        bool ResumedExact, double ResumedMaxDifference, bool Passed);

    /// <summary>Two updates of a very small model in each precision: enough to call every native function training needs.</summary>
    public static JsonObject Smoke(Options options, Device device)
    {
        options.EnsureAllRead();
        var model = new MimModelConfig
        {
            Encoder = new VisionTransformerConfig { ImageSize = 32, PatchSize = 4, EmbedDim = 64, Depth = 2, NumHeads = 2, MlpDim = 128, NumProxies = 8 },
            Method = MimMethod.SemanticMim,
            Target = TargetKind.TokenIds,
            VocabSize = 64,
        };
        double Loss(TrainingPrecision precision)
        {
            using var data = new RandomWorkload(model, 8, seed: 3);
            using var engine = PretrainingEngine.Start(model, RandomWorkload.Recipe(2, 8, precision, tf32: true, 0.6), data.Source(), device: device);
            engine.TrainStep();
            return engine.TrainStep().Loss;
        }
        double fp32 = Loss(TrainingPrecision.Fp32), bf16 = Loss(TrainingPrecision.Bf16);
        string torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        var result = new SmokeResult(cuda.is_available(), cuda.device_count(), torchSharp.Split('+')[0], Environment.Version.ToString(),
            fp32, bf16, double.IsFinite(fp32) && double.IsFinite(bf16));
        return JsonSerializer.SerializeToNode(result, Program.Json)!.AsObject();
    }

    /// <summary>
    /// The same seeded model on the CPU and on the device, fp32 without TF32 on both: the plain encoder's forward, then
    /// one update (no clipping, no warmup). Tolerances: forward and gradients within 1e-3 of the CPU's (relative to
    /// the largest value and to the gradient norm), loss within 1e-4; weights within 2·lr, since AdamW's first update is
    /// lr·g/(|g| + ε) per weight and a gradient near zero may take either sign on either device.
    /// </summary>
    public static JsonObject Numerics(Options options, Device device)
    {
        var model = options.Model();
        int batch = options.Int("batch", 4);
        double ratio = options.Double("mask-ratio", 0.6);
        options.EnsureAllRead();
        const double learningRate = 1e-4;
        var recipe = RandomWorkload.Recipe(1, batch, TrainingPrecision.Fp32, tf32: false, ratio, learningRate, clip: 0);

        using var scope = NewDisposeScope();
        using var data = new RandomWorkload(model, batch, seed: 3);
        using var onCpu = PretrainingEngine.Start(model, recipe, data.Source(), device: CPU);
        using var onDevice = PretrainingEngine.Start(model, recipe, data.Source(), device: device);
        using var bf16 = PretrainingEngine.Start(model, recipe with { Precision = TrainingPrecision.Bf16 }, data.Source(), device: device);
        using var generator = new Generator(9);
        var images = randn([batch, 3, model.Encoder.ImageSize, model.Encoder.ImageSize], generator: generator);
        Tensor expected, actual;
        using (no_grad())
        {
            expected = onCpu.Model.Backbone.forward(images);
            actual = onDevice.Model.Backbone.forward(images.to(device)).cpu();
        }
        double forward = (actual - expected).abs().max().item<float>() / expected.abs().max().item<float>();

        double cpuLoss = onCpu.TrainStep().Loss, deviceLoss = onDevice.TrainStep().Loss, bf16Loss = bf16.TrainStep().Loss;
        var cpuParameters = onCpu.Model.parameters().ToList();
        var deviceParameters = onDevice.Model.parameters().ToList();
        double differenceSquares = 0, normSquares = 0, weights = 0;
        for (int i = 0; i < cpuParameters.Count; i++)
        {
            using var perParameter = NewDisposeScope();
            var cpuGradient = cpuParameters[i].grad!;
            var deviceGradient = deviceParameters[i].grad!.cpu();
            differenceSquares += (deviceGradient - cpuGradient).square().sum().item<float>();
            normSquares += cpuGradient.square().sum().item<float>();
            weights = Math.Max(weights, (deviceParameters[i].cpu() - cpuParameters[i]).abs().max().item<float>());
        }
        double loss = Math.Abs(deviceLoss - cpuLoss) / Math.Abs(cpuLoss);
        double gradient = Math.Sqrt(differenceSquares / normSquares);
        double bound = 2 * learningRate * (1 + 1e-3);
        var result = new NumericsResult(batch, forward, loss, gradient, weights, bound, Math.Abs(bf16Loss - cpuLoss) / Math.Abs(cpuLoss),
            "forward ≤ 1e-3, loss ≤ 1e-4, gradients ≤ 1e-3 (relative), weights ≤ 2·lr (fp32, TF32 off)",
            forward <= 1e-3 && loss <= 1e-4 && gradient <= 1e-3 && weights <= bound);
        Console.Error.WriteLine($"numerics: forward {forward:E2}, loss {loss:E2}, gradients {gradient:E2}, weights {weights:E2} (bound {bound:E2})");
        return JsonSerializer.SerializeToNode(result, Program.Json)!.AsObject();
    }

    /// <summary>
    /// Per precision: two uninterrupted runs of --steps updates, and one stopped after --stop updates, checkpointed,
    /// disposed and resumed from the checkpoint to the end. The resumed run must equal the first exactly (torch.equal on
    /// every weight) when the two uninterrupted runs do (deterministic kernels, CUBLAS_WORKSPACE_CONFIG set), and otherwise differ from it by no
    /// more than ten times what the two uninterrupted runs differ by. Drop path stays off: the GPU's generator, which
    /// it would draw from there, is not in the checkpoint.
    /// </summary>
    public static JsonObject Resume(Options options, Device device)
    {
        var model = options.Model();
        int steps = options.Int("steps", 6);
        int stop = options.Int("stop", 3);
        int batch = options.Int("batch", 16);
        double ratio = options.Double("mask-ratio", 0.6);
        var precisions = options.Text("precisions", "fp32,bf16").Split(',');
        options.EnsureAllRead();

        using var data = new RandomWorkload(model, batch * 2, seed: 3);
        var results = new List<ResumeResult>();
        foreach (var name in precisions)
        {
            var recipe = RandomWorkload.Recipe(steps, batch, RandomWorkload.Precision(name), tf32: true, ratio);
            Dictionary<string, Tensor> Uninterrupted()
            {
                using var engine = PretrainingEngine.Start(model, recipe, data.Source(), device: device);
                engine.Run();
                return Snapshot(engine);
            }
            var first = Uninterrupted();
            var second = Uninterrupted();
            string root = Directory.CreateTempSubdirectory("gpucheck-resume-").FullName;
            Dictionary<string, Tensor> resumed;
            try
            {
                string checkpoint;
                using (var engine = PretrainingEngine.Start(model, recipe, data.Source(), root, device: device))
                {
                    for (int i = 0; i < stop; i++)
                    {
                        engine.TrainStep();
                    }
                    checkpoint = engine.SaveCheckpoint();
                }
                using var continued = PretrainingEngine.Resume(checkpoint, data.Source(), root, device: device);
                continued.Run();
                resumed = Snapshot(continued);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
            var (againExact, againDifference) = Compare(first, second);
            var (resumedExact, resumedDifference) = Compare(first, resumed);
            bool passed = resumedExact || (!againExact && resumedDifference <= 10 * againDifference);
            results.Add(new ResumeResult(name, steps, stop, againExact, againDifference, resumedExact, resumedDifference, passed));
            Console.Error.WriteLine($"resume {name}: uninterrupted twice {(againExact ? "exactly equal" : $"differ by {againDifference:E2}")}, "
                + $"resumed {(resumedExact ? "exactly equal" : $"differs by {resumedDifference:E2}")}");
            foreach (var tensor in first.Values.Concat(second.Values).Concat(resumed.Values))
            {
                tensor.Dispose();
            }
        }
        return new JsonObject { ["resumes"] = JsonSerializer.SerializeToNode(results, Program.Json), ["passed"] = results.All(r => r.Passed) };
    }

    private static Dictionary<string, Tensor> Snapshot(PretrainingEngine engine) =>
        engine.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone(), StringComparer.Ordinal);

    private static (bool Exact, double MaxDifference) Compare(Dictionary<string, Tensor> a, Dictionary<string, Tensor> b)
    {
        bool exact = true;
        double largest = 0;
        foreach (var (name, tensor) in a)
        {
            exact &= tensor.Equals(b[name]);
            using var difference = (tensor - b[name]).abs().max();
            largest = Math.Max(largest, difference.item<float>());
        }
        return (exact, largest);
    }
}
