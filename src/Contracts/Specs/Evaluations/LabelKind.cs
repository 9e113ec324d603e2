namespace SemanticMIM.Contracts.Specs.Evaluations;

/// <summary>What a data set labels: whole images with a class, or every pixel.</summary>
public enum LabelKind
{
    ClassLabels,
    LabelMaps,
}

public static class DatasetLabels
{
    /// <summary>The labels a data set of this kind carries.</summary>
    public static LabelKind Of(DatasetKind kind) => kind switch
    {
        DatasetKind.FashionMnist or DatasetKind.ImageNet => LabelKind.ClassLabels,
        DatasetKind.PascalVoc or DatasetKind.Ade20k or DatasetKind.SyntheticScenes => LabelKind.LabelMaps,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown data set kind"),
    };

    /// <summary>How messages name them: "class labels", "label maps".</summary>
    public static string Describe(LabelKind labels) => labels == LabelKind.ClassLabels ? "class labels" : "label maps";
}
