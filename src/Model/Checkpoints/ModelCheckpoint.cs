using System.Text.Json;
using System.Text.Json.Serialization;
using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Checkpoints;

/// <summary>
/// Model weights as safetensors with PyTorch-style parameter names (see the Model README) and the model's
/// configuration as JSON in the file's metadata.
/// </summary>
public static class ModelCheckpoint
{
    public const string FormatKey = "format";
    public const string ConfigKey = "config";
    public const string PretrainingFormat = "semanticmim.pretraining.v1";
    public const string EncoderFormat = "semanticmim.encoder.v1";

    /// <summary>Prefixes of the parameters a downstream encoder keeps (spec (a), "what is discarded").</summary>
    public static readonly string[] EncoderPrefixes = ["patch_embed.", "cls_token", "pos_embed", "layers."];

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Every parameter and buffer of <paramref name="module"/> under its state_dict name.</summary>
    public static Dictionary<string, Tensor> StateDict(nn.Module module) =>
        module.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.Ordinal);

    /// <summary>Saves a pretraining model with its configuration.</summary>
    public static void Save(string path, MimPretrainingModel model) =>
        SafetensorsFile.Save(path, StateDict(model), new Dictionary<string, string>
        {
            [FormatKey] = PretrainingFormat,
            [ConfigKey] = JsonSerializer.Serialize(model.Config, Json),
        });

    /// <summary>Saves a plain encoder with its configuration.</summary>
    public static void Save(string path, VisionTransformer encoder) =>
        SafetensorsFile.Save(path, EncoderState(StateDict(encoder), prefix: ""), new Dictionary<string, string>
        {
            [FormatKey] = EncoderFormat,
            [ConfigKey] = JsonSerializer.Serialize(encoder.Config, Json),
        });

    /// <summary>
    /// Writes the encoder kept after pretraining: patch_embed, cls_token (all P), pos_embed and layers, without
    /// the <c>backbone.</c> prefix; extra_layers, mask_token, the final norm and the head are dropped.
    /// </summary>
    public static void ExportEncoder(string path, MimPretrainingModel model) =>
        SafetensorsFile.Save(path, EncoderState(StateDict(model), prefix: "backbone."), new Dictionary<string, string>
        {
            [FormatKey] = EncoderFormat,
            [ConfigKey] = JsonSerializer.Serialize(model.Config.Encoder, Json),
        });

    /// <summary>Loads a pretraining model saved by <see cref="Save(string, MimPretrainingModel)"/>.</summary>
    public static MimPretrainingModel LoadPretraining(string path)
    {
        var (tensors, metadata) = SafetensorsFile.Load(path);
        using var owned = new TensorSet(tensors);
        var config = ReadConfig<MimModelConfig>(path, metadata, PretrainingFormat);
        CheckBuildable(path, config.Encoder, () => ModelSize.Parameters(config), tensors);
        var model = new MimPretrainingModel(config);
        LoadInto(model, tensors, path);
        return model;
    }

    /// <summary>Loads an encoder saved by <see cref="ExportEncoder"/> or <see cref="Save(string, VisionTransformer)"/>.</summary>
    public static VisionTransformer LoadEncoder(string path)
    {
        var (tensors, metadata) = SafetensorsFile.Load(path);
        using var owned = new TensorSet(tensors);
        var config = ReadConfig<VisionTransformerConfig>(path, metadata, EncoderFormat);
        CheckBuildable(path, config, () => ModelSize.Encoder(config), tensors);
        var encoder = new VisionTransformer(config);
        LoadInto(encoder, tensors, path);
        return encoder;
    }

    /// <summary>
    /// Copies <paramref name="tensors"/> into <paramref name="module"/>'s parameters by name; every name must match
    /// in both directions and every shape must agree, or it throws with every mismatch listed.
    /// </summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        var state = StateDict(module);
        var problems = new List<string>();
        problems.AddRange(state.Keys.Where(k => !tensors.ContainsKey(k)).Select(k => $"missing '{k}'"));
        problems.AddRange(tensors.Keys.Where(k => !state.ContainsKey(k)).Select(k => $"unexpected '{k}'"));
        foreach (var (name, target) in state)
        {
            if (tensors.TryGetValue(name, out var value) && !value.shape.SequenceEqual(target.shape))
            {
                problems.Add($"'{name}' has shape [{string.Join(", ", value.shape)}], the model needs [{string.Join(", ", target.shape)}]");
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{source} does not fit the model: {string.Join("; ", problems)}");
        }
        using var noGrad = torch.no_grad();
        foreach (var (name, target) in state)
        {
            target.copy_(tensors[name]);
        }
    }

    private static Dictionary<string, Tensor> EncoderState(Dictionary<string, Tensor> state, string prefix) =>
        state.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => (Name: p.Key[prefix.Length..], p.Value))
            .Where(p => EncoderPrefixes.Any(keep => p.Name.StartsWith(keep, StringComparison.Ordinal)))
            .ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);

    private static T ReadConfig<T>(string path, Dictionary<string, string> metadata, string expectedFormat)
    {
        if (!metadata.TryGetValue(FormatKey, out var format) || format != expectedFormat)
        {
            throw new InvalidDataException($"{path} is not a {expectedFormat} checkpoint (format '{format ?? "none"}')");
        }
        if (!metadata.TryGetValue(ConfigKey, out var json))
        {
            throw new InvalidDataException($"{path} has no model configuration in its metadata");
        }
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json)
                ?? throw new InvalidDataException($"{path}: its model configuration is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: its model configuration is not readable ({e.Message})", e);
        }
    }

    /// <summary>
    /// Refuses a configuration the model cannot be built from, or one that needs more parameters than the file holds:
    /// the model is allocated from the configuration before the weights are compared, so a damaged configuration must not
    /// make it allocate more than the file could fill.
    /// </summary>
    private static void CheckBuildable(string path, VisionTransformerConfig encoder, Func<long> countParameters, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var problems = encoder.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: its model configuration is invalid: {string.Join("; ", problems)}");
        }
        long parameters;
        try
        {
            parameters = countParameters();
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException($"{path}: its model configuration counts more parameters than a model can hold", e);
        }
        long stored = tensors.Values.Sum(t => t.NumberOfElements);
        if (parameters > stored)
        {
            throw new InvalidDataException($"{path}: its model configuration needs {parameters} parameters, the file holds {stored} values");
        }
    }

    private sealed class TensorSet(Dictionary<string, Tensor> tensors) : IDisposable
    {
        public void Dispose()
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
