using static TorchSharp.torch;

namespace SemanticMIM.Model.Layers;

/// <summary>Stochastic depth: drops a whole residual branch per sample while training and rescales the survivors.</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    private readonly double _rate;

    public DropPath(double rate) : base(nameof(DropPath))
    {
        _rate = rate;
    }

    public override Tensor forward(Tensor branch)
    {
        if (!training || _rate <= 0)
        {
            return branch.alias();
        }
        double keep = 1 - _rate;
        var shape = new long[branch.dim()];
        Array.Fill(shape, 1L);
        shape[0] = branch.shape[0];
        using var keepMask = torch.empty(shape, branch.dtype, branch.device).bernoulli_(keep);
        using var scaled = keepMask.div_(keep);
        return branch.mul(scaled);
    }
}
