using SemanticMIM.Model.Checkpoints;
using SemanticMIM.Planning.Configs;
using SemanticMIM.Training.Tests.Support;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

public sealed class MixedPrecisionTrainingTests
{
    /// <summary>
    /// 40 updates of the tiny model per precision take a few seconds on two cores. The fp32 run of the same
    /// seed, data and masks is the independent reference the bf16 curve must follow.
    /// </summary>
    [Fact]
    public void Bf16TrainingFollowsFp32AndKeepsWeightsGradientsAndOptimizerStateInFp32()
    {
        const int steps = 40;
        using var data = TinySetup.Data();
        using var folder = new TempDirectory();
        var fp32 = TinySetup.Training(steps: steps, batchSize: 8) with { PeakLearningRate = 3e-3 };
        var bf16 = fp32 with { Precision = TrainingPrecision.Bf16 };

        List<double> reference;
        using (var engine = PretrainingEngine.Start(TinySetup.Model(), fp32, data.Source()))
        {
            reference = Enumerable.Range(0, steps).Select(_ => engine.TrainStep().Loss).ToList();
        }
        using var mixed = PretrainingEngine.Start(TinySetup.Model(), bf16, data.Source(), folder.Path);
        var losses = Enumerable.Range(0, steps).Select(_ => mixed.TrainStep().Loss).ToList();
        string checkpoint = mixed.SaveCheckpoint();

        Assert.All(losses, loss => Assert.True(double.IsFinite(loss), $"loss {loss}"));
        Assert.True(losses.TakeLast(5).Average() < 0.8 * losses.Take(5).Average(),
            $"the bf16 loss did not fall: {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        // The first losses differ (the forward really ran in bf16) but only by bf16 rounding; the curves stay together.
        Assert.NotEqual(reference[0], losses[0]);
        Assert.Equal(reference[0], losses[0], reference[0] * 0.02);
        Assert.Equal(reference[^1], losses[^1], reference[^1] * 0.1);

        Assert.All(mixed.Model.parameters(), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        var (weights, _) = SafetensorsFile.Load(Path.Combine(checkpoint, PretrainingEngine.ModelFileName));
        Assert.All(weights.Values, w => Assert.Equal(ScalarType.Float32, w.dtype));
        using var restored = ModelCheckpoint.LoadPretraining(Path.Combine(checkpoint, PretrainingEngine.ModelFileName));
        using var optimizer = ParameterGroups.CreateAdamW(restored, bf16);
        optimizer.load_state_dict(Path.Combine(checkpoint, PretrainingEngine.OptimizerFileName));
        var moments = optimizer.state_dict().State.Cast<AdamW.State>().ToList();
        Assert.Equal(restored.parameters().Count(), moments.Count);
        Assert.All(moments, state =>
        {
            Assert.Equal(ScalarType.Float32, state.exp_avg.dtype);
            Assert.Equal(ScalarType.Float32, state.exp_avg_sq.dtype);
            Assert.True(state.exp_avg_sq.sum().item<float>() > 0, "a parameter's second moment was never updated");
        });
        foreach (var tensor in weights.Values)
        {
            tensor.Dispose();
        }
    }
}
