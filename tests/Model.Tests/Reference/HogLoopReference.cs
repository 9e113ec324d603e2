namespace SemanticMIM.Model.Tests.Reference;

/// <summary>
/// Deliberately plain, loop-only reference of the MaskFeat HOG target
/// ([MMP] <c>HOGGenerator</c>, a port of [SF] <c>HOGLayerC</c>), written independently of any
/// tensor library so the production implementation can be checked against it.
/// </summary>
/// <remarks>
/// Steps per image and channel:
/// reflect-pad by 1; Sobel cross-correlation (Kx = [[1,0,-1],[2,0,-2],[1,0,-1]], Ky = Kxᵀ);
/// mag = √(gx² + gy²); phase = atan2(gx, gy) / π · nbins; bin = floor(phase) mod nbins (non-negative);
/// optional Gaussian window (std = G / 2, integer division as in [MMP]) tiled every G pixels;
/// hard-assigned histogram over pool×pool cells; L2 normalisation over the bins (eps 1e-12);
/// arrangement per patch with feature index ((c·nbins + bin)·u + dy)·u + dx, u = patchSize / pool.
/// The binning decision mirrors PyTorch float32 semantics bit for bit (see <see cref="Bin"/>);
/// magnitudes, weights, sums and norms are accumulated in double and rounded to float at the end.
/// </remarks>
internal static class HogLoopReference
{
    /// <summary>Computes the HOG target.</summary>
    /// <param name="images">Input indexed [b, c, y, x].</param>
    /// <param name="nbins">Number of orientation bins (9 in SemanticMIM).</param>
    /// <param name="pool">Cell side in pixels (8 in SemanticMIM).</param>
    /// <param name="gaussianWindow">Gaussian window side G; 0 disables the window.</param>
    /// <param name="patchSize">Patch side in pixels (16 in SemanticMIM).</param>
    /// <returns>
    /// Array [b, patchIndex, feature] with patchIndex = py · (W / patchSize) + px and
    /// feature = ((c · nbins + bin) · u + dy) · u + dx, u = patchSize / pool.
    /// </returns>
    public static float[,,] Compute(float[,,,] images, int nbins, int pool, int gaussianWindow, int patchSize)
    {
        ArgumentNullException.ThrowIfNull(images);

        int batch = images.GetLength(0);
        int channels = images.GetLength(1);
        int height = images.GetLength(2);
        int width = images.GetLength(3);

        Validate(height, width, nbins, pool, gaussianWindow, patchSize);

        int u = patchSize / pool;
        int cellsY = height / pool;
        int cellsX = width / pool;
        int patchesX = width / patchSize;
        int patchesY = height / patchSize;
        int features = channels * nbins * u * u;

        double[,]? window = gaussianWindow > 0 ? GaussianKernel(gaussianWindow) : null;

        var result = new float[batch, patchesY * patchesX, features];

        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < channels; c++)
            {
                // hist[bin, cy, cx]
                var hist = new double[nbins, cellsY, cellsX];

                for (int y = 0; y < height; y++)
                {
                    for (int x = 0; x < width; x++)
                    {
                        // 3×3 cross-correlation on the reflect-padded image (no kernel flip).
                        // The taps are exact in double; the sum is rounded once to float32.
                        double sx = 0.0;
                        double sy = 0.0;
                        for (int i = 0; i < 3; i++)
                        {
                            int yy = Reflect(y + i - 1, height);
                            for (int j = 0; j < 3; j++)
                            {
                                int xx = Reflect(x + j - 1, width);
                                double v = images[b, c, yy, xx];
                                sx += SobelX(i, j) * v;
                                sy += SobelX(j, i) * v; // Ky = Kxᵀ
                            }
                        }

                        float gx = (float)sx;
                        float gy = (float)sy;

                        double mag = Math.Sqrt(((double)gx * gx) + ((double)gy * gy));
                        if (window is not null)
                        {
                            mag *= window[y % gaussianWindow, x % gaussianWindow];
                        }

                        int bin = Bin(gx, gy, nbins);
                        hist[bin, y / pool, x / pool] += mag;
                    }
                }

                for (int cy = 0; cy < cellsY; cy++)
                {
                    for (int cx = 0; cx < cellsX; cx++)
                    {
                        double sumSq = 0.0;
                        for (int k = 0; k < nbins; k++)
                        {
                            sumSq += hist[k, cy, cx] * hist[k, cy, cx];
                        }

                        double denom = Math.Max(Math.Sqrt(sumSq), 1e-12);

                        int py = cy / u;
                        int dy = cy % u;
                        int px = cx / u;
                        int dx = cx % u;
                        int patch = (py * patchesX) + px;

                        for (int k = 0; k < nbins; k++)
                        {
                            int feature = ((((c * nbins) + k) * u) + dy) * u + dx;
                            result[b, patch, feature] = (float)(hist[k, cy, cx] / denom);
                        }
                    }
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Orientation bin of one pixel, mirroring PyTorch float32 semantics of
    /// <c>(atan2(gx, gy) / math.pi * nbins).floor().long() % nbins</c>.
    /// </summary>
    internal static int Bin(float gx, float gy, int nbins)
    {
        // Float32 like PyTorch: atan2 rounded to float, then "/ (float)π" and "* nbins" each rounded to float,
        // in the source's order (divide first), so atan2 = ±π gives exactly ±nbins; then floor and Python-style mod.
        float angle = (float)Math.Atan2(gx, gy);
        float phase = (float)(angle / (float)Math.PI);
        phase = (float)(phase * (float)nbins);
        int k = (int)Math.Floor((double)phase);
        int m = k % nbins;
        return m < 0 ? m + nbins : m;
    }

    /// <summary>
    /// 2-D Gaussian window of side <paramref name="g"/>: w[n] = exp(-½((n - (G-1)/2) / (G/2))²),
    /// k[i, j] = w[i]·w[j] / Σ w[i]·w[j]. The std is G / 2 with integer division, as in [MMP].
    /// </summary>
    internal static double[,] GaussianKernel(int g)
    {
        int std = g / 2;
        double centre = (g - 1) / 2.0;
        var w = new double[g];
        for (int n = 0; n < g; n++)
        {
            double t = (n - centre) / std;
            w[n] = Math.Exp(-0.5 * t * t);
        }

        double total = 0.0;
        for (int i = 0; i < g; i++)
        {
            for (int j = 0; j < g; j++)
            {
                total += w[i] * w[j];
            }
        }

        var k2 = new double[g, g];
        for (int i = 0; i < g; i++)
        {
            for (int j = 0; j < g; j++)
            {
                k2[i, j] = w[i] * w[j] / total;
            }
        }

        return k2;
    }

    /// <summary>Kx = [[1,0,-1],[2,0,-2],[1,0,-1]] indexed [row i, column j].</summary>
    private static double SobelX(int i, int j)
    {
        double rowWeight = i == 1 ? 2.0 : 1.0;
        return j switch
        {
            0 => rowWeight,
            2 => -rowWeight,
            _ => 0.0,
        };
    }

    /// <summary>PyTorch "reflect" padding by 1: -1 → 1, n → n - 2.</summary>
    private static int Reflect(int index, int n)
    {
        if (index < 0)
        {
            return -index;
        }

        if (index >= n)
        {
            return (2 * n) - 2 - index;
        }

        return index;
    }

    private static void Validate(int height, int width, int nbins, int pool, int gaussianWindow, int patchSize)
    {
        if (nbins <= 0)
        {
            throw new ArgumentException($"nbins must be positive, got {nbins}.", nameof(nbins));
        }

        if (pool <= 0)
        {
            throw new ArgumentException($"pool must be positive, got {pool}.", nameof(pool));
        }

        if (patchSize <= 0)
        {
            throw new ArgumentException($"patchSize must be positive, got {patchSize}.", nameof(patchSize));
        }

        if (gaussianWindow < 0)
        {
            throw new ArgumentException($"gaussianWindow must be 0 (off) or positive, got {gaussianWindow}.", nameof(gaussianWindow));
        }

        if (height < 2 || width < 2)
        {
            throw new ArgumentException($"images: reflect padding needs H and W of at least 2, got {height}x{width}.");
        }

        if (patchSize % pool != 0)
        {
            throw new ArgumentException($"patchSize {patchSize} must be divisible by pool {pool}.", nameof(patchSize));
        }

        if (height % patchSize != 0 || width % patchSize != 0)
        {
            throw new ArgumentException($"images: H and W ({height}x{width}) must be divisible by patchSize {patchSize}.");
        }

        if (gaussianWindow > 0 && (height % gaussianWindow != 0 || width % gaussianWindow != 0))
        {
            throw new ArgumentException($"images: H and W ({height}x{width}) must be divisible by gaussianWindow {gaussianWindow}.");
        }

        if (gaussianWindow == 1)
        {
            throw new ArgumentException("gaussianWindow 1 gives std = 1 / 2 = 0 (integer division) and is undefined.", nameof(gaussianWindow));
        }
    }
}
