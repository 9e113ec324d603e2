namespace SemanticMIM.Data.Imaging;

public enum ResizeFilter
{
    Bilinear,
    Bicubic,

    /// <summary>Windowed sinc with a = 3 (PIL's <c>Image.LANCZOS</c>): support 3, widened by the scale factor when shrinking.</summary>
    Lanczos,
}
