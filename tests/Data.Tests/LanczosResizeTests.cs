using System.Diagnostics;
using SemanticMIM.Data.Imaging;

namespace SemanticMIM.Data.Tests;

/// <summary>Lanczos (a = 3) against PIL's <c>Image.resize(..., Image.LANCZOS)</c> (Debian's python3-pil).</summary>
public class LanczosResizeTests
{
    private const string Interpreter = "/usr/bin/python3";

    // Reads raw 8-bit greyscale bytes, resizes them with PIL's Lanczos and writes the raw result.
    private const string PilResize = """
        import sys
        from PIL import Image
        source, width, height, out_width, out_height, target = sys.argv[1:]
        with open(source, "rb") as f:
            image = Image.frombytes("L", (int(width), int(height)), f.read())
        lanczos = getattr(Image, "Resampling", Image).LANCZOS
        with open(target, "wb") as f:
            f.write(image.resize((int(out_width), int(out_height)), lanczos).tobytes())
        """;

    [Theory]
    [InlineData(28, 28, 56, 56)]
    [InlineData(64, 64, 20, 20)]
    public void Matches_PIL_within_one_grey_level(int width, int height, int outWidth, int outHeight)
    {
        var image = Pattern(width, height);

        var ours = ImageResizer.Resize(image, outWidth, outHeight, ResizeFilter.Lanczos);
        var pil = ResizeWithPil(image, outWidth, outHeight);

        Assert.Equal(pil.Length, ours.Pixels.Length);
        for (var i = 0; i < pil.Length; i++)
        {
            var difference = Math.Abs(ours.Pixels[i] - pil[i]);
            Assert.True(difference <= 1,
                $"pixel ({i % outWidth}, {i / outWidth}): ours {ours.Pixels[i]}, PIL {pil[i]}");
        }
    }

    [Fact]
    public void Constant_image_stays_constant()
    {
        var image = new ImageBuffer(7, 5, 3, Enumerable.Repeat((byte)123, 7 * 5 * 3).ToArray());

        Assert.All(ImageResizer.Resize(image, 13, 3, ResizeFilter.Lanczos).Pixels, p => Assert.Equal(123, p));
        Assert.All(ImageResizer.Resize(image, 2, 11, ResizeFilter.Lanczos).Pixels, p => Assert.Equal(123, p));
    }

    // Greyscale rings, stripes and a ramp with seeded noise, within about [38, 218]. PIL rounds and clips its
    // intermediate 8-bit image after the horizontal pass where ImageResizer keeps floats, so Lanczos overshoot
    // near 0 or 255 (full-range noise) would differ by far more than one level for that reason alone.
    private static ImageBuffer Pattern(int width, int height)
    {
        var random = new Random(3);
        var image = ImageBuffer.Blank(width, height, 1);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var value = 128 + 40 * Math.Sin(0.9 * x) * Math.Cos(0.35 * y) + 30.0 * (x - y) / (width + height)
                    + 20 * Math.Cos(Math.Sqrt((x - width / 3.0) * (x - width / 3.0) + (y - height / 2.0) * (y - height / 2.0)))
                    + random.Next(-15, 16);
                image[x, y, 0] = (byte)Math.Clamp(Math.Round(value), 0, 255);
            }
        return image;
    }

    private static byte[] ResizeWithPil(ImageBuffer image, int width, int height)
    {
        if (!File.Exists(Interpreter))
            Assert.Fail($"{Interpreter} is missing: install python3-pil (deploy/local/run-tests.sh does)");
        using var folder = new TemporaryDirectory();
        var source = folder.Write(image.Pixels, "input.raw");
        var target = folder.Combine("output.raw");
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-c", PilResize, source, $"{image.Width}", $"{image.Height}", $"{width}", $"{height}", target })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the PIL resize did not finish within 30 s");
        }
        if (process.ExitCode != 0)
            Assert.Fail($"the PIL resize exited with {process.ExitCode} (is python3-pil installed?):\n{stdout.Result}\n{stderr.Result}");
        return File.ReadAllBytes(target);
    }
}
