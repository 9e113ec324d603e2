namespace SemanticMIM.Planning.Tests;

/// <summary>Keys built from names stay under their prefix, whatever the names hold.</summary>
public sealed class StoreLayoutTests
{
    public static TheoryData<string> Escapes() =>
    [
        "..", "../other", "x/../../etc", ".", "", "x/", "/x", "x//y", "x\\..\\y", "x\n", "x\0", "x y", "%2e%2e",
    ];

    [Theory]
    [MemberData(nameof(Escapes))]
    public void A_name_cannot_lead_a_key_out_of_its_prefix(string name)
    {
        Assert.Throws<ArgumentException>(() => StoreLayout.Experiment(name));
        Assert.Throws<ArgumentException>(() => StoreLayout.Pretraining(name));
        Assert.Throws<ArgumentException>(() => StoreLayout.PretrainingCheckpoints(name));
        Assert.Throws<ArgumentException>(() => StoreLayout.DatasetSplit(name, "train"));
        Assert.Throws<ArgumentException>(() => StoreLayout.Targets("fashion-mnist-0123456789", name));
        Assert.Throws<ArgumentException>(() => StoreLayout.Key(StoreLayout.Experiment("x"), name));
    }

    [Fact]
    public void Keys_from_valid_names_lie_under_their_prefix()
    {
        Assert.Equal("pretraining/pretrain-x/checkpoints", StoreLayout.PretrainingCheckpoints("pretrain-x"));
        Assert.Equal(
            ["pretraining/pretrain-x/encoder.safetensors", "pretraining/pretrain-x/training-log.json", "pretraining/pretrain-x/done.json", "pretraining/pretrain-x/claim.json"],
            [StoreLayout.PretrainingEncoder("pretrain-x"), StoreLayout.PretrainingLog("pretrain-x"), StoreLayout.PretrainingDone("pretrain-x"), StoreLayout.PretrainingClaim("pretrain-x")]);
        Assert.Equal("experiments/x/results/0.json", StoreLayout.Key(StoreLayout.Results("x"), "0.json"));
        Assert.StartsWith("datasets/", StoreLayout.DatasetSplit("fashion-mnist-0123456789", "train"), StringComparison.Ordinal);
    }
}
