using System.CommandLine;
using SemanticMIM.Model;
using SemanticMIM.Planning.Configs;

namespace SemanticMIM.Cli;

/// <summary><c>semanticmim model</c>: builds a pretraining model from a preset and prints its structure and size.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset") { Description = "Encoder preset: tiny, small or base", DefaultValueFactory = _ => "base" };
        var method = new Option<MimMethod>("--method") { Description = "Baseline or SemanticMim", DefaultValueFactory = _ => MimMethod.SemanticMim };
        var target = new Option<TargetKind>("--target") { Description = "TokenIds (BEiT) or Hog (MaskFeat)", DefaultValueFactory = _ => TargetKind.TokenIds };
        var proxies = new Option<int?>("--proxies") { Description = "Proxy/class tokens P (default: 8 for SemanticMim, 1 for Baseline)" };
        var ratio = new Option<double?>("--mask-ratio") { Description = "Mask ratio (default: 0.6 for SemanticMim, 0.4 for Baseline)" };
        var imageSize = new Option<int?>("--image-size") { Description = "Input side in pixels (default: the preset's)" };
        var channels = new Option<int>("--channels") { Description = "Input channels", DefaultValueFactory = _ => 3 };

        var command = new Command("model", "Build a SemanticMIM or baseline pretraining model and print its structure and parameter count")
        {
            preset, method, target, proxies, ratio, imageSize, channels,
        };
        command.SetAction(parse =>
        {
            var chosenMethod = parse.GetValue(method);
            bool semantic = chosenMethod == MimMethod.SemanticMim;
            var basePreset = ModelPresets.Get(parse.GetValue(preset)!);
            var encoder = basePreset with
            {
                ImageSize = parse.GetValue(imageSize) ?? basePreset.ImageSize,
                InChannels = parse.GetValue(channels),
                NumProxies = parse.GetValue(proxies) ?? (semantic ? 8 : 1),
                Flavour = parse.GetValue(target) == TargetKind.Hog ? BlockFlavour.MaskFeat : BlockFlavour.Beit,
            };
            var problems = encoder.Validate();
            if (problems.Count > 0)
            {
                Console.Error.WriteLine("invalid model settings:");
                foreach (var problem in problems)
                {
                    Console.Error.WriteLine($"  - {problem}");
                }
                return 2;
            }
            using var model = new MimPretrainingModel(new MimModelConfig
            {
                Encoder = encoder,
                Method = chosenMethod,
                Target = parse.GetValue(target),
            });
            Console.Write(ModelSummary.Describe(model, parse.GetValue(ratio) ?? (semantic ? 0.6 : 0.4)));
            return 0;
        });
        return command;
    }
}
