using static TorchSharp.torch;

namespace SemanticMIM.Model.Tests;

public sealed class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu")]
    [InlineData(" CPU ")]
    public void TheCpuIsNamedExplicitly(string setting) => Assert.Equal(DeviceType.CPU, ComputeDevice.Resolve(setting).type);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("auto")]
    public void AutoPicksTheGpuOnlyWhenCudaFindsOne(string? setting) =>
        Assert.Equal(cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, ComputeDevice.Resolve(setting).type);

    [Fact]
    public void AskingForAMissingGpuIsAnErrorNotAFallBack()
    {
        if (cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, ComputeDevice.Resolve("cuda:0").type);
            return;
        }
        var error = Assert.Throws<InvalidOperationException>(() => ComputeDevice.Resolve("cuda"));
        Assert.Contains("SEMANTICMIM_DEVICE=cuda", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownDeviceIsRejectedWithTheValidNames()
    {
        var error = Assert.Throws<ArgumentException>(() => ComputeDevice.Resolve("tpu"));
        Assert.Contains("cpu, cuda, cuda:N or auto", error.Message, StringComparison.Ordinal);
    }
}
