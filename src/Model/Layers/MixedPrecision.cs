using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>
/// Lower-precision compute over fp32 parameters: the part of PyTorch's autocast that training needs, which
/// TorchSharp lacks. Inside <see cref="Compute"/>, the linear layers, the patch convolution and therefore attention
/// work on bf16 copies of their inputs and weights, so the parameters stay fp32 (the master weights) and receive
/// fp32 gradients through the casts. Everything else keeps fp32: the residual stream (a bf16 branch added to it is
/// promoted), hence every LayerNorm's input, and the losses, which the heads compute in fp32. Outside a scope
/// nothing is cast, so fp32 runs are unchanged. Like autocast, the scope belongs to the thread that opened it.
/// </summary>
public static class MixedPrecision
{
    [ThreadStatic]
    private static ScalarType? _computeType;

    /// <summary>The dtype the matmul-heavy operations compute in on this thread; null: their inputs' own.</summary>
    public static ScalarType? ComputeType => _computeType;

    /// <summary>Computes in <paramref name="computeType"/> (null: no casts) until the returned scope is disposed.</summary>
    public static IDisposable Compute(ScalarType? computeType)
    {
        if (computeType is not (null or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64))
        {
            throw new ArgumentException($"{computeType} is not a floating-point type", nameof(computeType));
        }
        var scope = new Scope(_computeType);
        _computeType = computeType;
        return scope;
    }

    /// <summary>x·Wᵀ + b, in the scope's dtype when one is open.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        if (_computeType is not { } type)
        {
            return nn.functional.linear(input, weight, bias);
        }
        using var x = input.to(type);
        using var w = weight.to(type);
        using var b = bias?.to(type);
        return nn.functional.linear(x, w, b);
    }

    /// <summary>The layer's forward, in the scope's dtype when one is open.</summary>
    public static Tensor Linear(Linear layer, Tensor input) =>
        _computeType is null ? layer.forward(input) : Linear(input, layer.weight!, layer.bias);

    /// <summary>An unpadded convolution with the given stride, in the scope's dtype when one is open.</summary>
    public static Tensor Conv2d(Conv2d layer, Tensor input, long stride)
    {
        if (_computeType is not { } type)
        {
            return layer.forward(input);
        }
        using var x = input.to(type);
        using var w = layer.weight!.to(type);
        using var b = layer.bias?.to(type);
        return nn.functional.conv2d(x, w, b, strides: [stride, stride]);
    }

    private sealed class Scope(ScalarType? previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (!_disposed)
            {
                _computeType = previous;
                _disposed = true;
            }
        }
    }
}
