namespace SemanticMIM.Data.Png;

/// <summary>The five row filters of PNG filter method 0; the value is the filter-type byte.</summary>
public enum PngRowFilter : byte
{
    None = 0,
    Sub = 1,
    Up = 2,
    Average = 3,
    Paeth = 4,
}
