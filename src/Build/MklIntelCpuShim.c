/*
 * oneMKL, linked into libtorch_cpu.so, asks this function whether the CPU is Intel's before it chooses its
 * kernels, and gives every other CPU its generic ones, even one with AVX-512 (AMD EPYC: ~150 against ~340
 * GFLOP/s for large fp32 SGEMMs on 2 cores). Loaded into the global symbol scope before libtorch
 * (SemanticMIM.Model.FastBlas, only on CPUs with AVX-512), this definition wins over MKL's own.
 */
int mkl_serv_intel_cpu_true(void)
{
    return 1;
}
