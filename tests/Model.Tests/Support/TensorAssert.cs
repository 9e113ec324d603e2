using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests.Support;

internal static class TensorAssert
{
    /// <summary>max |actual − expected| / max |expected| below <paramref name="tolerance"/>, shapes equal.</summary>
    public static void RelativelyClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{what}: shape [{string.Join(", ", actual.shape)}] differs from [{string.Join(", ", expected.shape)}]");
        using var e = expected.to(ScalarType.Float64);
        using var a = actual.to(ScalarType.Float64);
        double scale = Math.Max(e.abs().max().item<double>(), 1e-12);
        double error = (a - e).abs().max().item<double>() / scale;
        Assert.True(error < tolerance, $"{what}: relative error {error:E3} is not below {tolerance:E1}");
    }

    /// <summary>Same shape, dtype and bit pattern.</summary>
    public static void Equal(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape), $"{what}: shapes differ");
        Assert.Equal(expected.dtype, actual.dtype);
        using var e = expected.detach().cpu().contiguous();
        using var a = actual.detach().cpu().contiguous();
        Assert.True(e.bytes.SequenceEqual(a.bytes), $"{what}: values differ bitwise");
    }

    public static void Shape(Tensor tensor, params long[] shape) =>
        Assert.True(tensor.shape.SequenceEqual(shape),
            $"shape [{string.Join(", ", tensor.shape)}], expected [{string.Join(", ", shape)}]");
}
