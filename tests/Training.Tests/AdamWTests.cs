using SemanticMIM.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SemanticMIM.Training.Tests;

/// <summary>The scoped step is TorchSharp's AdamW update, bit for bit, with state either optimizer can load.</summary>
public sealed class AdamWTests
{
    [Fact]
    public void Steps_match_TorchSharps_AdamW_bit_for_bit_and_their_state_loads_into_it()
    {
        var (scopedModel, plainModel) = (Model(), Model());
        using var scoped = new SemanticMIM.Training.AdamW(Groups(scopedModel), 2e-3, 0.9, 0.95, 1e-8);
        using var plain = optim.AdamW(Groups(plainModel), 2e-3, 0.9, 0.95, 1e-8);
        using var generator = new Generator(3);

        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            var input = randn([4, 6], generator: generator);
            foreach (var (model, optimizer) in new (nn.Module<Tensor, Tensor>, OptimizerHelper)[] { (scopedModel, scoped), (plainModel, plain) })
            {
                optimizer.zero_grad();
                model.forward(input).square().mean().backward();
                optimizer.step();
            }
            foreach (var (a, b) in scopedModel.parameters().Zip(plainModel.parameters()))
            {
                Assert.True(a.equal(b).all().ToBoolean(), $"parameters differ after step {step + 1}");
            }
        }

        using var folder = new TempDirectory();
        string saved = folder.File("scoped.bin");
        scoped.save_state_dict(saved);
        using var restored = optim.AdamW(Groups(Model()), 2e-3, 0.9, 0.95, 1e-8);
        restored.load_state_dict(saved);
        var loaded = restored.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        var expected = plain.state_dict().State.Cast<TorchSharp.Modules.AdamW.State>().ToList();
        Assert.Equal(expected.Count, loaded.Count);
        foreach (var (a, b) in loaded.Zip(expected))
        {
            Assert.Equal(b.step, a.step);
            Assert.True(a.exp_avg.equal(b.exp_avg).all().ToBoolean() && a.exp_avg_sq.equal(b.exp_avg_sq).all().ToBoolean(), "moments differ");
        }
    }

    private static nn.Module<Tensor, Tensor> Model()
    {
        manual_seed(7);
        return nn.Sequential(nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 3));
    }

    // Weight decay on the weights, none on the biases, as the pretraining groups.
    private static TorchSharp.Modules.AdamW.ParamGroup[] Groups(nn.Module model)
    {
        var parameters = model.named_parameters().ToList();
        return
        [
            new(parameters.Where(p => p.name.EndsWith("weight", StringComparison.Ordinal)).Select(p => p.parameter).ToList(), 2e-3, 0.9, 0.95, 1e-8, 0.05),
            new(parameters.Where(p => p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.parameter).ToList(), 2e-3, 0.9, 0.95, 1e-8, 0),
        ];
    }
}
