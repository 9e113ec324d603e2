namespace SemanticMIM.Data.Png;

internal static class PngFormat
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public const byte GrayscaleColorType = 0;
    public const byte PaletteColorType = 3;
}
