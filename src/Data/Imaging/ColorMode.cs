namespace SemanticMIM.Data.Imaging;

public enum ColorMode
{
    Rgb,
    Grayscale,
}
