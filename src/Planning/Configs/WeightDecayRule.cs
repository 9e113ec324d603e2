namespace SemanticMIM.Planning.Configs;

/// <summary>Which parameters escape weight decay (spec (e)); the two recipes disagree on tokens and embeddings.</summary>
public enum WeightDecayRule
{
    /// <summary>No decay on LayerNorms, all biases, q/v biases, cls_token, pos_embed and layer scales; mask_token is decayed.</summary>
    Beit,

    /// <summary>No decay on biases, norms, every 1-D parameter and mask_token; cls_token and pos_embed are decayed.</summary>
    MaskFeat,
}
