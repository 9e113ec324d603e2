using System.Text.Json;
using System.Text.Json.Nodes;
using SemanticMIM.Model;
using static TorchSharp.torch;

namespace SemanticMIM.GpuCheck;

/// <summary>
/// One measurement per process, printed as one JSON object on the last line of standard output (progress goes to
/// standard error); deploy/gpu/check.py runs these and compares them with PyTorch (deploy/gpu/README.md).
/// </summary>
internal static class Program
{
    private const string Usage = """
        gpucheck COMMAND [--name value ...]
          smoke     one training step of a tiny model: the native libraries load and train on --device
          numerics  encoder forward and one training step on --device against the CPU
          fit       the largest batch of --ladder that trains, per precision of --precisions (--search-seconds each)
          train     --steps timed training steps (after --warmup) at --batch, --precision fp32|bf16, --tf32
          tokens    --kind hog|dalle targets of random images: images per second
          resume    stop after --stop of --steps updates, resume, compare with uninterrupted runs
        common: --device cpu|cuda|cuda:N (default cuda); model shape --image --patch --dim --depth --heads --mlp
                --proxies --vocab --mask-ratio (default ViT-B/16 at 224, BEiT + SemanticMIM, 8 proxies, ratio 0.6)
        """;

    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static readonly Dictionary<string, Func<Options, Device, PeakMemory, JsonObject>> Commands = new(StringComparer.Ordinal)
    {
        ["smoke"] = (options, device, _) => Checks.Smoke(options, device),
        ["numerics"] = (options, device, _) => Checks.Numerics(options, device),
        ["fit"] = (options, device, _) => Runs.Fit(options, device),
        ["train"] = Runs.Train,
        ["tokens"] = (options, device, _) => Runs.Tokens(options, device),
        ["resume"] = (options, device, _) => Checks.Resume(options, device),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var memory = PeakMemory.Start();
            if (!Commands.TryGetValue(args[0], out var command))
            {
                throw new ArgumentException($"unknown command '{args[0]}'");
            }
            var options = new Options(args.Skip(1));
            var device = ComputeDevice.Resolve(options.Text("device", "cuda"));
            var result = command(options, device, memory);
            result["command"] = args[0];
            result["device"] = device.ToString();
            Console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        catch (ArgumentException error)
        {
            Console.Error.WriteLine($"gpucheck: {error.Message}{Environment.NewLine}{Usage}");
            return 2;
        }
    }
}
