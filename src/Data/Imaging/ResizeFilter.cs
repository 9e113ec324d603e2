namespace SemanticMIM.Data.Imaging;

public enum ResizeFilter
{
    Bilinear,
    Bicubic,
}
