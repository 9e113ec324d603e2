using static TorchSharp.torch;

namespace SemanticMIM.Model.Targets;

/// <summary>Turns images into one discrete token id per patch, the BEiT targets.</summary>
public interface IVisualTokenizer
{
    int VocabSize { get; }

    /// <summary>How much the tokenizer downsamples: its grid is (H / factor) × (W / factor).</summary>
    int DownsampleFactor { get; }

    /// <summary>Token ids (B, grid²), int64, row-major, for images (B, C, H, W) with pixels in [0, 1].</summary>
    Tensor Tokenize(Tensor images);
}
