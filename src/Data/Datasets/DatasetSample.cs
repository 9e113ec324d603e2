using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Datasets;

/// <summary>
/// One sample of a data set. <see cref="Key"/> is unique within a split and holds no '.' (WebDataset splits names at
/// the first dot). <see cref="ClassIndex"/> is set for classification sets, <see cref="Segmentation"/> for
/// segmentation sets (same size as the image, <see cref="LabelMap.Ignore"/> marks pixels without a label).
/// </summary>
public sealed record DatasetSample(string Key, ImageBuffer Image, int? ClassIndex = null, LabelMap? Segmentation = null);
