namespace SemanticMIM.Contracts.Results;

/// <summary>The encoders a result can be measured on: the pretrained one and the two controls.</summary>
public static class EncoderKinds
{
    public const string Pretrained = "pretrained";
    public const string RandomInit = "random-init";
    public const string RawPixels = "raw-pixels";
}

/// <summary>Protocol names as they appear in results and reports.</summary>
public static class ProtocolNames
{
    public const string LinearProbe = "linear-probe";
    public const string FineTune = "fine-tune";
    public const string SegmentationProbe = "segmentation-probe";
    public const string UperNet = "upernet";
}
