using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Evaluation.Segmentation;

/// <summary>
/// The initialisations mmseg's neck and heads get, drawn from an explicit generator so a seed fixes them without
/// touching TorchSharp's global one.
/// </summary>
internal static class HeadInit
{
    /// <summary>mmseg's <c>conv_seg</c>: weight N(0, 0.01²), bias 0.</summary>
    public const double ClassifierStd = 0.01;

    /// <summary>mmcv's kaiming_init for ConvModule: N(0, 2 / fan_out), fan_out = out · kh · kw.</summary>
    public static void KaimingNormalFanOut(Tensor weight, torch.Generator generator)
    {
        long fanOut = weight.shape[0] * weight.shape[2] * weight.shape[3];
        using var noGrad = torch.no_grad();
        weight.normal_(0, Math.Sqrt(2.0 / fanOut), generator);
    }

    /// <summary>
    /// PyTorch's default for ConvTranspose2d (Kaiming-uniform, a = √5): weight and bias U(±1/√fan_in), where
    /// fan_in = out · kh · kw because the weight is laid out (in, out, kh, kw).
    /// </summary>
    public static void TransposedConvolution(ConvTranspose2d convolution, torch.Generator generator)
    {
        var weight = convolution.weight!;
        double bound = 1 / Math.Sqrt(weight.shape[1] * weight.shape[2] * weight.shape[3]);
        using var noGrad = torch.no_grad();
        weight.uniform_(-bound, bound, generator);
        convolution.bias?.uniform_(-bound, bound, generator);
    }

    public static Conv2d Classifier(long inChannels, int numClasses, torch.Generator generator)
    {
        var classifier = nn.Conv2d(inChannels, numClasses, 1);
        using var noGrad = torch.no_grad();
        classifier.weight!.normal_(0, ClassifierStd, generator);
        classifier.bias!.zero_();
        return classifier;
    }
}
