namespace SemanticMIM.Model;

/// <summary>The native set-up every entry point that computes with TorchSharp runs first, in the order it needs.</summary>
public static class NativeRuntime
{
    /// <summary>
    /// tcmalloc for libtorch's tensors where it is installed (<see cref="NativeAllocator"/>: it restarts the process, so
    /// it comes first; SEMANTICMIM_TCMALLOC=0 turns it off), then, before anything loads libtorch, MKL's AVX-512
    /// kernels on CPUs that have them (<see cref="FastBlas"/>; SEMANTICMIM_FAST_BLAS=0 turns it off).
    /// </summary>
    public static void Prepare()
    {
        NativeAllocator.Use();
        FastBlas.Enable();
    }
}
