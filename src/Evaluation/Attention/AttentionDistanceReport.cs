using System.Text.Json;

namespace SemanticMIM.Evaluation.Attention;

/// <summary>One head's mean attention distance: <see cref="Layer"/> and <see cref="Head"/> are 1-based, <see cref="Distance"/> in pixels.</summary>
public sealed record AttentionDistancePoint(string Checkpoint, int Layer, int Head, double Distance);

/// <summary>
/// The numbers behind the attention-distance scatter, written as <c>attention-distance.json</c>, with the
/// normalisation choice stated in <see cref="Note"/>.
/// </summary>
public sealed record AttentionDistanceReport(string Note, string Dataset, string Split, int ImageSize, long Images, IReadOnlyList<AttentionDistancePoint> Points)
{
    public const string FileName = "attention-distance.json";

    public static AttentionDistanceReport Create(string dataset, string split, int imageSize, long images,
        IReadOnlyList<(string Name, double[][] Distances)> checkpoints) =>
        new(AttentionDistance.Normalisation, dataset, split, imageSize, images,
            checkpoints.SelectMany(c => c.Distances.SelectMany((heads, layer) =>
                heads.Select((distance, head) => new AttentionDistancePoint(c.Name, layer + 1, head + 1, distance)))).ToList());

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, ResultJson.Options));
}
