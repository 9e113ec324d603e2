using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemanticMIM.Benchmarks;

/// <summary>The pretraining model of a training or feature pair, resolved once so that both sides build the same shape.</summary>
public sealed record ModelShape
{
    /// <summary><c>semanticMim</c> or <c>baseline</c>.</summary>
    public required string Method { get; init; }

    public required string Preset { get; init; }

    public required string Flavour { get; init; }

    public required int ImageSize { get; init; }

    public required int PatchSize { get; init; }

    public required int EmbedDim { get; init; }

    public required int Depth { get; init; }

    public required int Heads { get; init; }

    public required int MlpDim { get; init; }

    public required int Proxies { get; init; }

    public required double MaskRatio { get; init; }

    /// <summary>HOG features per patch the head predicts.</summary>
    public required int TargetDim { get; init; }

    public required double LearningRate { get; init; }

    public required double WeightDecay { get; init; }

    public required double GradClip { get; init; }
}

/// <summary>HOG settings of the target pair.</summary>
public sealed record HogShape(int Bins, int Cell, int Window, int Patch);

/// <summary>
/// What one side process of a pair is asked to do; both sides read the same file, so the project's code and its
/// peer get the same work, threads and step counts. The side writes a <see cref="SideRun"/> to <see cref="Result"/>.
/// </summary>
public sealed record SideSpec
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    public required string Pair { get; init; }

    public required PairKind Kind { get; init; }

    public required string Result { get; init; }

    public required int Threads { get; init; }

    public required int Warmup { get; init; }

    public required int Steps { get; init; }

    /// <summary>Items per step: images, or samples of a training batch.</summary>
    public required int Batch { get; init; }

    public int ImageSize { get; init; }

    public double MinScale { get; init; }

    public int Views { get; init; }

    /// <summary>The experiment spec the project side plans from (YAML).</summary>
    public string? SpecFile { get; init; }

    /// <summary>The suite's object store (a folder) with the shards and targets the project side reads.</summary>
    public string? Store { get; init; }

    /// <summary>The generated ImageNet-layout source folder (the shard pair reads it).</summary>
    public string? Source { get; init; }

    /// <summary>The shards' JPEGs as an ImageFolder (class/key.jpg), the very bytes the project side decodes.</summary>
    public string? ImageFolder { get; init; }

    public string? DalleWeights { get; init; }

    public ModelShape? Model { get; init; }

    public HogShape? Hog { get; init; }

    public static SideSpec Read(string path) =>
        JsonSerializer.Deserialize<SideSpec>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path} holds no side spec");

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
}

/// <summary>The kinds of pair of the suite.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PairKind>))]
public enum PairKind
{
    [JsonStringEnumMemberName("train")]
    Train,

    [JsonStringEnumMemberName("loader")]
    Loader,

    [JsonStringEnumMemberName("hog")]
    Hog,

    [JsonStringEnumMemberName("dalle")]
    Dalle,

    [JsonStringEnumMemberName("features")]
    Features,

    [JsonStringEnumMemberName("shard")]
    Shard,
}
