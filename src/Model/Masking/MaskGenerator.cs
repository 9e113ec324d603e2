using SemanticMIM.Planning.Configs;
using static TorchSharp.torch;

namespace SemanticMIM.Model.Masking;

/// <summary>Draws boolean patch masks (B, N), true = masked, with the same masked count in every row.</summary>
public abstract class MaskGenerator
{
    protected MaskGenerator(int gridSize, int maskedCount)
    {
        if (gridSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(gridSize), gridSize, "grid size must be positive");
        }
        int patches = gridSize * gridSize;
        if (maskedCount <= 0 || maskedCount >= patches)
        {
            throw new ArgumentOutOfRangeException(nameof(maskedCount), maskedCount,
                $"the masked count must lie in [1, {patches - 1}] so that both visible and masked patches remain");
        }
        GridSize = gridSize;
        MaskedCount = maskedCount;
    }

    public int GridSize { get; }

    public int NumPatches => GridSize * GridSize;

    public int MaskedCount { get; }

    /// <summary>n_m = ceil(N · ratio), the fixed masked count of spec (b).</summary>
    public static int CountFor(int numPatches, double ratio) => MaskCount.For(numPatches, ratio);

    /// <summary>Masks for a batch, reproducible from <paramref name="generator"/>'s state.</summary>
    public abstract Tensor Generate(int batch, Generator generator);
}

/// <summary>Random patch masking (spec (b)): exactly ceil(N·r) positions per image, uniformly without replacement.</summary>
public sealed class RandomPatchMasker : MaskGenerator
{
    public RandomPatchMasker(int gridSize, double ratio) : base(gridSize, CountFor(gridSize * gridSize, ratio))
    {
    }

    public override Tensor Generate(int batch, Generator generator)
    {
        using var scope = torch.NewDisposeScope();
        var noise = torch.rand([batch, NumPatches], generator: generator);
        var chosen = noise.argsort(1)[.., ..MaskedCount];
        var mask = torch.zeros([batch, NumPatches], ScalarType.Bool);
        mask.scatter_(1, chosen, torch.ones_like(chosen, ScalarType.Bool));
        return mask.MoveToOuterDisposeScope();
    }
}

/// <summary>
/// BEiT's block-wise masking: rectangles of area ~U(16, remaining) and aspect exp(U(log 0.3, log 1/0.3)),
/// up to 10 attempts each, until the count is reached. Where blocks cannot reach the count exactly, random
/// single patches fill the rest so that every image masks the same number (a deviation from BEiT, whose
/// count may fall short, needed for batched gathers).
/// </summary>
public sealed class BlockwiseMasker : MaskGenerator
{
    private const int MinBlockPatches = 16;
    private const double MinAspect = 0.3;
    private const int Attempts = 10;

    public BlockwiseMasker(int gridSize, int maskedCount) : base(gridSize, maskedCount)
    {
    }

    public override Tensor Generate(int batch, Generator generator)
    {
        var flat = new bool[batch * NumPatches];
        for (int b = 0; b < batch; b++)
        {
            using var seedTensor = torch.randint(int.MaxValue, [1], generator: generator);
            var random = new Random((int)seedTensor.item<long>());
            var mask = new bool[GridSize, GridSize];
            int count = 0;
            while (count < MaskedCount)
            {
                int added = AddBlock(mask, MaskedCount - count, random);
                if (added == 0)
                {
                    break;
                }
                count += added;
            }
            FillRandom(mask, MaskedCount - count, random);
            for (int i = 0; i < NumPatches; i++)
            {
                flat[b * NumPatches + i] = mask[i / GridSize, i % GridSize];
            }
        }
        return torch.tensor(flat, [batch, NumPatches]);
    }

    private int AddBlock(bool[,] mask, int maxPatches, Random random)
    {
        int delta = 0;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            double target = MinBlockPatches + random.NextDouble() * (maxPatches - MinBlockPatches);
            double logAspect = Math.Log(MinAspect) + random.NextDouble() * (Math.Log(1 / MinAspect) - Math.Log(MinAspect));
            double aspect = Math.Exp(logAspect);
            int h = (int)Math.Round(Math.Sqrt(target * aspect));
            int w = (int)Math.Round(Math.Sqrt(target / aspect));
            if (h >= GridSize || w >= GridSize || h <= 0 || w <= 0)
            {
                continue;
            }
            int top = random.Next(0, GridSize - h + 1);
            int left = random.Next(0, GridSize - w + 1);
            int already = 0;
            for (int y = top; y < top + h; y++)
            {
                for (int x = left; x < left + w; x++)
                {
                    already += mask[y, x] ? 1 : 0;
                }
            }
            if (h * w - already > 0 && h * w - already <= maxPatches)
            {
                for (int y = top; y < top + h; y++)
                {
                    for (int x = left; x < left + w; x++)
                    {
                        if (!mask[y, x])
                        {
                            mask[y, x] = true;
                            delta++;
                        }
                    }
                }
            }
            if (delta > 0)
            {
                break;
            }
        }
        return delta;
    }

    private void FillRandom(bool[,] mask, int missing, Random random)
    {
        var free = new List<int>();
        for (int i = 0; i < NumPatches; i++)
        {
            if (!mask[i / GridSize, i % GridSize])
            {
                free.Add(i);
            }
        }
        for (int k = 0; k < missing; k++)
        {
            int pick = random.Next(k, free.Count);
            (free[k], free[pick]) = (free[pick], free[k]);
            mask[free[k] / GridSize, free[k] % GridSize] = true;
        }
    }
}
