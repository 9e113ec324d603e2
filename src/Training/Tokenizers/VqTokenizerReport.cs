using System.Text.Json;
using System.Text.Json.Serialization;

namespace SemanticMIM.Training.Tokenizers;

/// <summary>
/// How a trained <see cref="SemanticMIM.Model.Targets.VqTokenizer"/> does on the evaluation images:
/// <see cref="ReconstructionMse"/> is the mean squared pixel error (pixels in [0, 1]) of the reconstructions
/// through the quantised bottleneck, <see cref="CodesUsed"/> the number of distinct codes the evaluation images
/// use and <see cref="Perplexity"/> exp(entropy) of their code histogram (1 when one code is used for everything,
/// <see cref="VocabSize"/> when all codes are used equally). <see cref="FinalLoss"/> is the total VQ-VAE loss of
/// the last training step.
/// </summary>
public sealed record VqTokenizerReport(int Steps, double ReconstructionMse, int CodesUsed, int VocabSize, double Perplexity, double FinalLoss)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // An evaluation-only report (VqTokenizerTrainer.Evaluate) has FinalLoss NaN.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The fraction of the codebook the evaluation images use.</summary>
    public double UsedFraction => VocabSize > 0 ? (double)CodesUsed / VocabSize : 0;

    /// <summary>camelCase JSON; <see cref="UsedFraction"/> is written for readers and ignored when read back.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static VqTokenizerReport FromJson(string json) =>
        JsonSerializer.Deserialize<VqTokenizerReport>(json, Json)
        ?? throw new JsonException("the JSON holds no tokenizer report");
}

/// <summary>What one tokenizer training step did; <see cref="Step"/> counts steps from 1.</summary>
/// <param name="CodesUsedInWindow">Distinct codes the training batches used since the last codebook restart (or the start).</param>
public sealed record VqTrainingProgress(int Step, int Steps, double Loss, double ReconstructionLoss, int CodesUsedInWindow);
